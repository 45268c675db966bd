/**
 * `replay.decisions` (issue 15): a whole journal — three coins, all three strategies enabled, the default
 * scenario's regimes — replayed through the ingest pipeline and the decision side (DecisionFeed: parse,
 * validate, gaps, state builder, hot state, control ticks, health, regime controllers, strategy actors,
 * execution on the paper venue, decision records), in records/s. Baseline, in the same run on the same
 * frames: `builder.throughput` — the frames alone through parse + state builder + hot-state publish, in
 * frames/s. ratio = replay records/s ÷ builder frames/s; target ≥ 0.75 (the decision side must not be what
 * a backtest waits for).
 */
import { engineConfigFrom } from '../decision/engine.ts';
import { DecisionFeed } from '../replay/replay-journal.ts';
import { simSession } from '../replay/sim-session.ts';
import { parseConfig } from '../runtime/config.ts';
import { StateBuilder } from '../state/builder.ts';
import { HotStateWriter } from '../state/hotstate.ts';
import { IngestPipeline } from '../state/pipeline.ts';
import { type JournalRecord, RecordKind } from '../state/records.ts';
import { type BenchFigure, figure, hrNowNs, withBaseline } from './lib.ts';

export default async ({ quick }: { quick: boolean }): Promise<BenchFigure[]> => {
  const runs = quick ? 3 : 5;
  const coins = ['BTC', 'ETH', 'SOL'];
  const config = engineConfigFrom(parseConfig({ coins }));
  const records: JournalRecord[] = [];
  simSession({
    seed: 7,
    scenario: 'default',
    coins,
    tickMs: config.tickMs,
    fast: config.health.fastBook,
    durationMs: (quick ? 70 : 120) * 60_000,
    onRecord: (r) => records.push(r),
  });
  const frames = records.filter((r) => r.kind === RecordKind.Frame);

  let decisions = 0;
  let entries = 0;
  const replayOnce = (): number => {
    decisions = 0;
    entries = 0;
    const feed = new DecisionFeed(config, (l) => {
      decisions++;
      if (l.kind === 'strategy' && l.to === 'ENTERED') entries++;
    });
    const t0 = hrNowNs();
    for (const r of records) feed.record(r);
    const rps = records.length / (Number(hrNowNs() - t0) / 1e9);
    feed.engine?.stop();
    return rps;
  };
  const buildOnce = (): number => {
    const hot = HotStateWriter.create(coins);
    const p = new IngestPipeline({ builder: new StateBuilder({ coins, hot }) });
    const t0 = hrNowNs();
    for (const f of frames) p.process(f);
    return frames.length / (Number(hrNowNs() - t0) / 1e9);
  };

  // warm-up, then interleave so both see the same machine conditions
  buildOnce();
  replayOnce();
  const build: number[] = [];
  const replay: number[] = [];
  for (let r = 0; r < runs; r++) {
    build.push(buildOnce());
    replay.push(replayOnce());
  }
  const kinds: Record<string, number> = {};
  for (const r of records) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
  const base = figure('replay.builder-only', 'frames/s', build, {
    frames: frames.length,
    method:
      'builder.throughput on the same journal frames: IngestPipeline.process alone (parse, validate, gaps, builder, publish)',
  });
  const main = figure('replay.decisions', 'records/s', replay, {
    records: records.length,
    byKind: kinds,
    coins,
    strategies: Object.keys(config.strategies),
    decisionRecords: decisions,
    entries,
    method: 'the whole journal through DecisionFeed (pipeline + decision side, all strategies), no I/O',
  });
  return [withBaseline(main, base), base];
};
