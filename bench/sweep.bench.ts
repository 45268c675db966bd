/**
 * `sweep.throughput` (issue 19): sweep throughput in configs × market-hours per minute of wall time, one
 * thread, over a simulated two-day data dir (one coin, the exhaustion scenario: regimes change and both
 * strategies trade). The fast path — the range's tick tape, recorded once (its recording time is charged to
 * the configs of the run), the decision side replayed from it per config — beside the baseline in the same
 * run on the same journal: the full replay (journal read, parse, state builder, hot state, decision side)
 * per config. ratio = fast ÷ full. `sweep.tape_replay` is the fast path without the tape's recording: what
 * each further config of a large sweep costs. Every config's decision-log digest is checked equal on both
 * paths (`digestMismatches`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journalDays } from '../actors/journal/days.ts';
import { engineConfigFrom } from '../decision/engine.ts';
import { journalRange } from '../research/cache.ts';
import { gridSets, nestSet, parseSweepSpec } from '../research/grid.ts';
import { type RunJob, runJob } from '../research/sweep.ts';
import { recordTape, saveTape } from '../research/tape.ts';
import { mergeDeep, parseConfig } from '../runtime/config.ts';
import { simDataDir } from '../test/research/sweep-fixture.ts';
import { type BenchFigure, figure, hrNowNs, round, withBaseline } from './lib.ts';

export default async ({ quick }: { quick: boolean }): Promise<BenchFigure[]> => {
  const runs = quick ? 2 : 5;
  const coins = ['BTC'];
  const dir = mkdtempSync(join(tmpdir(), 'bench-sweep-'));
  try {
    const data = await simDataDir({
      dir,
      days: ['2026-11-18', '2026-11-19'],
      minutes: 96,
      scenario: 'exhaustion',
      seed: 7,
      coins,
      tickMs: 1_000,
    });
    const hours = data.marketMs / 3_600_000;
    const days = journalDays(dir);
    const range = journalRange(days);
    const spec = parseSweepSpec({
      grid: { 'risk.riskPerTrade': [0.0025, 0.01], 'regime.confirmTicks': [2, 4] },
    });
    const configs = gridSets(spec).map((set) => ({
      set,
      config: engineConfigFrom(parseConfig(mergeDeep({ coins }, nestSet(set)))),
    }));
    const tapePath = join(dir, 'range.tape');
    const job = (c: (typeof configs)[number], path: 'full' | 'fast'): RunJob => ({
      key: `bench-${path}`,
      configHash: '',
      range,
      dayDirs: days,
      config: c.config,
      set: c.set,
      path,
      tapePath,
    });
    const digests = new Map<string, string>();
    let mismatches = 0;
    const check = (i: number, digest: string) => {
      const k = String(i);
      const d = digests.get(k);
      if (d === undefined) digests.set(k, digest);
      else if (d !== digest) mismatches++;
    };
    /** configs × market-hours per minute of one pass over every config. */
    const full = (): number => {
      const t0 = hrNowNs();
      for (const [i, c] of configs.entries()) check(i, runJob(job(c, 'full')).digest);
      return (configs.length * hours) / (Number(hrNowNs() - t0) / 6e10);
    };
    const replayOnly: number[] = [];
    const fast = (): number => {
      const t0 = hrNowNs();
      // the tape is recorded once per pass and charged to it (a worker that has it loaded would skip this)
      saveTape(tapePath, recordTape({ days, config: configs[0]!.config }));
      const t1 = hrNowNs();
      for (const [i, c] of configs.entries()) check(i, runJob(job(c, 'fast')).digest);
      const t2 = hrNowNs();
      // the tape's part alone: what each further config of a large sweep costs
      replayOnly.push((configs.length * hours) / (Number(t2 - t1) / 6e10));
      return (configs.length * hours) / (Number(t2 - t0) / 6e10);
    };
    const fullRuns: number[] = [];
    const fastRuns: number[] = [];
    for (let r = 0; r < runs; r++) {
      fullRuns.push(full());
      fastRuns.push(fast());
    }
    const base = figure('sweep.full_replay', 'config·market-hours/min', fullRuns, {
      configs: configs.length,
      marketHours: round(hours, 2),
    });
    return [
      withBaseline(
        figure('sweep.tape_replay', 'config·market-hours/min', replayOnly, {
          configs: configs.length,
          marketHours: round(hours, 2),
          threads: 1,
        }),
        base,
      ),
      withBaseline(
        figure('sweep.throughput', 'config·market-hours/min', fastRuns, {
          configs: configs.length,
          marketHours: round(hours, 2),
          records: data.records,
          ticks: data.ticks,
          threads: 1,
          digestMismatches: mismatches,
        }),
        base,
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
