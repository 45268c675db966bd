/**
 * The sweep's fast path (issue 19): a tick tape recorded once per journal range, replayed per config, gives
 * the full replay's decision log byte for byte — over two simulated days (two runs, one sequence), with
 * operator commands journaled mid-run, for the default config and for one that changes strategy, regime and
 * risk parameters, through the tape file as workers read it, and for a range cut at a time. A range with a
 * live-trading run cannot be taped (its venue answers come from the journal) and says so; a damaged tape
 * file is a clear error.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalDays } from '../../actors/journal/days.ts';
import { type DecisionLine, type EngineConfig, engineConfigFrom } from '../../decision/engine.ts';
import { journalRange, ResultCache } from '../../research/cache.ts';
import { nestSet } from '../../research/grid.ts';
import { planJobs, prepareTape, runJob } from '../../research/sweep.ts';
import { loadTape, recordTape, replayTape, saveTape, TapeError } from '../../research/tape.ts';
import { replayJournal } from '../../replay/replay-journal.ts';
import { mergeDeep, parseConfig } from '../../runtime/config.ts';
import { tempDir } from '../journal/helpers.ts';
import { simDataDir } from './sweep-fixture.ts';

const COINS = ['BTC'];
const t = tempDir('sweep-tape');
let days: string[] = [];

const config = (set: Record<string, string | number | boolean>): EngineConfig =>
  engineConfigFrom(parseConfig(mergeDeep({ coins: COINS }, nestSet(set))));

beforeAll(async () => {
  const d = await simDataDir({
    dir: t.dir,
    days: ['2026-11-18', '2026-11-19'],
    minutes: 96,
    scenario: 'exhaustion',
    seed: 7,
    coins: COINS,
    tickMs: 5_000,
    operator: [
      { day: 0, minute: 80, command: { type: 'SET_TRADING', state: 'REDUCING' } },
      { day: 0, minute: 84, command: { type: 'SET_TRADING', state: 'ACTIVE' } },
    ],
  });
  console.log(`sweep-tape data: ${d.records} records, ${d.frames} frames, ${d.ticks} ticks over 2 days`);
  days = journalDays(t.dir);
}, 120_000);
afterAll(() => t.cleanup());

function fullLog(cfg: EngineConfig, toTime?: number): string[] {
  const out: string[] = [];
  const o: Parameters<typeof replayJournal>[0] = {
    dir: days,
    config: cfg,
    configFor: () => cfg,
    out: (l: DecisionLine) => out.push(JSON.stringify(l)),
  };
  if (toTime !== undefined) o.toTime = toTime;
  replayJournal(o).engine?.stop();
  return out;
}

describe('the tick tape (fast path)', () => {
  it('gives the full replay’s decision log byte for byte, for the default config and a changed one', () => {
    const tape = recordTape({ days, config: config({}) });
    const path = join(t.dir, 'range.tape');
    saveTape(path, tape);
    const loaded = loadTape(path);
    expect(loaded.ops.length).toBe(tape.ops.length);
    const sets: Record<string, string | number | boolean>[] = [
      {},
      {
        'risk.riskPerTrade': 0.01,
        'regime.confirmTicks': 2,
        'strategies.geometry.enabled': false,
      },
    ];
    const logs: string[][] = [];
    for (const set of sets) {
      const cfg = config(set);
      const full = fullLog(cfg);
      const fast: string[] = [];
      replayTape(loaded, cfg, (l) => fast.push(JSON.stringify(l))).engine?.stop();
      const inputs = tape.ops.reduce((a, op) => a + (op.op === 'tick' ? op.inputs.length : 0), 0);
      console.log(
        `tape vs full ${JSON.stringify(set)}: ${full.length} decision lines, ` +
          `${full.filter((l) => l.includes('"exec.fill"')).length} fills, ${inputs} operator inputs, ` +
          `${tape.ticks} ticks, ${tape.pool.length / tape.ticks} floats a tick`,
      );
      expect(fast.length).toBe(full.length);
      expect(fast).toEqual(full);
      logs.push(full);
    }
    // the reach: trades happened, the operator commands were applied, and the configs decide differently
    expect(logs[0]!.filter((l) => l.includes('"exec.fill"')).length).toBeGreaterThan(0);
    expect(logs[0]!.filter((l) => l.includes('"operator.applied"')).length).toBe(2);
    expect(logs[1]).not.toEqual(logs[0]);
  }, 120_000);

  it('runJob gives the same result on both paths (through the cache folder’s tape), and a cut range too', () => {
    const cache = new ResultCache(join(t.dir, 'sweep'));
    const cut = Date.parse('2026-11-18T11:20:00Z');
    const range = journalRange(days, cut);
    const plan = { range, dayDirs: days, configs: [{ set: {}, config: config({}) }], path: 'fast' as const };
    const tape = prepareTape(cache, plan);
    expect(tape?.recorded).toBe(true);
    const [fastJob] = planJobs(plan, tape!.path);
    const fast = runJob(fastJob!);
    const full = runJob({ ...fastJob!, path: 'full' });
    expect(fast).toEqual(full);
    expect(fast.ticks).toBeGreaterThan(0);
    expect(fast.decisionLines).toBe(fullLog(config({}), cut).length);
    // the same range again: the tape is read back, not recorded
    expect(prepareTape(cache, plan)?.recorded).toBe(false);
  }, 120_000);

  it('a range with a live-trading run is not taped; a damaged tape file is a clear error', async () => {
    const live = tempDir('sweep-tape-live');
    try {
      await simDataDir({
        dir: live.dir,
        days: ['2026-11-20'],
        minutes: 2,
        scenario: 'default',
        seed: 1,
        coins: COINS,
        venue: 'live',
      });
      const d = journalDays(live.dir);
      const tape = recordTape({ days: d, config: config({}) });
      expect(tape.liveRuns).toBe(1);
      expect(() => replayTape(tape, config({}), () => {})).toThrow(TapeError);
      const cache = new ResultCache(join(live.dir, 'sweep'));
      expect(
        prepareTape(cache, {
          range: journalRange(d),
          dayDirs: d,
          configs: [{ set: {}, config: config({}) }],
          path: 'fast',
        }),
      ).toBeNull();
      const bad = join(live.dir, 'bad.tape');
      writeFileSync(bad, 'not a tape at all');
      expect(() => loadTape(bad)).toThrow(/not a tick tape/);
      expect(() =>
        replayTape(
          recordTape({ days: d, config: config({}) }),
          config({ 'risk.riskPerTrade': 0.01 }),
          () => {},
        ),
      ).toThrow(/live-trading/);
    } finally {
      live.cleanup();
    }
  }, 60_000);
});
