/** `runtime replay <journal> --decisions out.jsonl [--report out.html]`: the whole decision side over a journal. */
import { createWriteStream, writeFileSync } from 'node:fs';
import { engineConfigFrom, type DecisionLine } from '../../replay/decision-engine.ts';
import { replayJournal } from '../../replay/replay-journal.ts';
import { createProgress } from '../progress.ts';
import { renderReplayReport } from '../report.ts';
import { COMMON_OPTIONS, configFrom, guarded, type Io, parse, UsageError } from './common.ts';

export const REPLAY_USAGE = `usage: runtime replay <journal dir> [options]

Replays a journal through the same ingest pipeline and decision side as a live run (health, regime,
strategies, execution in paper mode) and writes the decision log, one JSON object a line, with no
wall-clock or random content: compare it with the live run's (\`cmp\`) or another replay.

options:
  --decisions FILE    write the decision log here (default: stdout)
  --report FILE       write an HTML report (price, regime timeline, entries/exits, equity)
  --to-time MS        replay records up to this journal time only
  --config FILE       the config the live run used (coins, thresholds)
  --coins BTC,ETH     coins (must match the live run)
  --json              print the summary as one JSON object
`;

export async function replayCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, REPLAY_USAGE, async () => {
    const { values, positionals } = parse(argv, {
      ...COMMON_OPTIONS,
      report: { type: 'string' },
      'to-time': { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(REPLAY_USAGE);
      return 0;
    }
    const dir = positionals[0];
    if (!dir) throw new UsageError('missing <journal dir>');
    const config = configFrom(values);
    const out = values.decisions ? createWriteStream(values.decisions) : null;
    const lines: DecisionLine[] = [];
    const prices: Array<{ t: number; coin: string; mid: number }> = [];
    const keep = values.report !== undefined;
    let lastPrice = Number.NEGATIVE_INFINITY;
    const progress = createProgress({ total: 0, label: 'replay', stream: process.stderr, unit: 'records' });
    const opts: Parameters<typeof replayJournal>[0] = {
      dir,
      config: engineConfigFrom(config),
      out: (l) => {
        const text = JSON.stringify(l);
        if (out) out.write(`${text}\n`);
        else io.stdout(text);
        if (keep) lines.push(l);
      },
      onProgress: (records) => progress.update(records),
      onTick: (engine, t) => {
        // the report's price series: each coin's mid as the decision side saw it, every 10 s
        if (!keep || t - lastPrice < 10_000) return;
        lastPrice = t;
        for (const coin of config.coins) {
          const mid = engine.viewOf(coin)?.mid;
          if (mid !== undefined && Number.isFinite(mid)) prices.push({ t, coin, mid });
        }
      },
      progressEvery: 20_000,
    };
    if (values['to-time'] !== undefined) opts.toTime = Number(values['to-time']);
    const r = replayJournal(opts);
    progress.finish();
    if (keep && r.engine) {
      // the report's price series: mids as the decision side saw them, one a tick, from the strategy/regime lines
      for (const l of lines)
        if (typeof l.mid === 'number') prices.push({ t: l.t, coin: String(l.coin), mid: l.mid });
    }
    if (out) await new Promise<void>((res) => out.end(() => res()));
    if (values.report) {
      writeFileSync(
        values.report,
        renderReplayReport({ title: `replay of ${dir}`, prices, decisions: lines as never }),
      );
    }
    const summary = {
      records: r.records,
      frames: r.frames,
      ticks: r.ticks,
      corrupt: r.corrupt,
      versionMismatches: r.versionMismatches,
      firstTime: r.firstTime,
      lastTime: r.lastTime,
      ...(r.engine ? r.engine.summary : {}),
      rejectedFrames: r.pipeline.counters.rejected,
    };
    io.stderr(values.json ? JSON.stringify(summary) : `replay: ${JSON.stringify(summary)}`);
    return r.versionMismatches > 0 ? 1 : 0;
  });
}
