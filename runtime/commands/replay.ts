/** `runtime replay <journal> --decisions out.jsonl [--report out.html]`: the whole decision side over a journal. */
import { createWriteStream, writeFileSync } from 'node:fs';
import { engineConfigFrom, type DecisionLine } from '../../decision/engine.ts';
import { journalDays, NoJournalError } from '../../actors/journal/days.ts';
import { firstRunInfo, replayJournal } from '../../replay/replay-journal.ts';
import type { Config } from '../config.ts';
import { createProgress } from '../progress.ts';
import { renderReplayReport } from '../report.ts';
import { COMMON_OPTIONS, configFrom, guarded, type Io, parse, recordedConfig, UsageError } from './common.ts';

export const REPLAY_USAGE = `usage: runtime replay <data dir | journal day folder> [options]

Replays a journal through the same ingest pipeline and decision side as a live run (health, regime,
strategies, execution in paper mode) and writes the decision log, one JSON object a line, with no
wall-clock or random content: compare it with the live run's (\`cmp\`) or another replay.

options:
  --decisions FILE    write the decision log here (default: stdout)
  --report FILE       write an HTML report (price, regime timeline, entries/exits, equity)
  --from DAY --to DAY  of a data dir, only the days from / to these (YYYY-MM-DD); every day by default
  --to-time MS        replay records up to this journal time only
  --config FILE       the config the live run used, for journals that did not record it; a journal's
                      run.start record names its run's coins and config, and replay uses those
                      (a --config or --coins that differs from them is an error)
  --coins BTC,ETH     coins (as --config)
  --json              print the summary as one JSON object
`;

export async function replayCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, REPLAY_USAGE, async () => {
    const { values, positionals } = parse(argv, {
      ...COMMON_OPTIONS,
      report: { type: 'string' },
      'to-time': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(REPLAY_USAGE);
      return 0;
    }
    const dir = positionals[0];
    if (!dir) throw new UsageError('missing <journal dir>');
    // a day folder, a data dir or a journal root: its days in order (each day begins with a run.start)
    let days: string[];
    try {
      days = journalDays(dir, { from: values.from, to: values.to });
    } catch (e) {
      if (e instanceof NoJournalError) throw new UsageError(e.message);
      throw e;
    }
    const config = replayConfig(days[0]!, values);
    const out = values.decisions ? createWriteStream(values.decisions) : null;
    const lines: DecisionLine[] = [];
    const prices: Array<{ t: number; coin: string; mid: number }> = [];
    const keep = values.report !== undefined;
    let lastPrice = Number.NEGATIVE_INFINITY;
    const progress = createProgress({ total: 0, label: 'replay', stream: process.stderr, unit: 'records' });
    const opts: Parameters<typeof replayJournal>[0] = {
      dir: days[0]!,
      config: engineConfigFrom(config),
      configFor: (run) => engineConfigFrom(recordedConfig(run)),
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
    // the days in order as one stream: one pipeline and one decision side, as the run that wrote them
    const r = replayJournal({ ...opts, dir: days.length === 1 ? days[0]! : days });
    progress.finish();
    if (out) await new Promise<void>((res) => out.end(() => res()));
    if (values.report) {
      writeFileSync(
        values.report,
        renderReplayReport({ title: `replay of ${dir}`, prices, decisions: lines }),
      );
    }
    const venueMismatches = r.venue?.counters.mismatches ?? 0;
    const summary = {
      days: days.length,
      records: r.records,
      frames: r.frames,
      ticks: r.ticks,
      corrupt: r.corrupt,
      versionMismatches: r.versionMismatches,
      firstTime: r.firstTime,
      lastTime: r.lastTime,
      ...(r.engine ? r.engine.summary : {}),
      rejectedFrames: r.pipeline.counters.rejected,
      // a live-trading run: what the replay venue answered from the journal, and whether the replay asked
      // the venue for what the live run asked (a mismatch means the replay left the live run's path)
      ...(r.venue
        ? { venue: { ...r.venue.counters }, venueMismatchNotes: r.venue.mismatchNotes.slice(0, 5) }
        : {}),
      undeliveredReports: r.undeliveredReports,
      // the node's L4 book as the hot-state book's source (issue 17): what drove it and how often
      ...(r.pipeline.nodeBooks
        ? {
            nodeBooks: {
              from: r.pipeline.nodeBooks.from,
              ...r.pipeline.nodeBooks.counters,
              publicL2Shadowed: r.pipeline.counters.l2Shadowed,
            },
          }
        : {}),
    };
    io.stderr(values.json ? JSON.stringify(summary) : `replay: ${JSON.stringify(summary)}`);
    return r.versionMismatches > 0 || venueMismatches > 0 ? 1 : 0;
  });
}

/** The decision-side sections that must agree between the recorded run and the flags. */
const DECISION_SECTIONS = [
  'coins',
  'control',
  'regime',
  'strategy',
  'strategies',
  'health',
  'risk',
  'paper',
] as const;

/**
 * The config a replay uses: the one the journal's first run recorded (its `run.start`), or, for a journal
 * that recorded none, the flags'. Flags that contradict the recorded run are an error, never silently applied.
 */
export function replayConfig(dir: string, values: Record<string, unknown>): Config {
  const run = firstRunInfo(dir);
  if (!run) return configFrom(values);
  const recorded = recordedConfig(run);
  if (typeof values.config === 'string' || typeof values.coins === 'string') {
    const given = configFrom(values);
    const differ = DECISION_SECTIONS.filter((k) => JSON.stringify(given[k]) !== JSON.stringify(recorded[k]));
    if (differ.length > 0)
      throw new UsageError(
        `the journal's run used a different ${differ.join(', ')} (recorded coins: ${recorded.coins.join(',')}): ` +
          'replay takes them from the run.start record; drop --config/--coins or give the ones the run used',
      );
  }
  return recorded;
}
