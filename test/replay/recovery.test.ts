/**
 * What a restart recovers (issue 20, defect 2): the trading state and its reason survive restarts — a KILL
 * before a crash comes back HALTED, a halt that restart-recovery itself set survives the next restart, on
 * any later day — while the process's own shutdown (flatten and halt) is not a trading decision.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { type DecisionLine, DecisionEngine, engineConfigFrom } from '../../decision/engine.ts';
import { RestoreBuilder, restoreFromDataDir } from '../../replay/replay-journal.ts';
import { parseConfig } from '../../runtime/config.ts';
import { ManualClock } from '../../state/clock.ts';
import { HotStateReader, HotStateWriter } from '../../state/hotstate.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';
import { tempDir } from '../journal/helpers.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const trading = (state: string, reason: string, t = 1) => ({ t, kind: 'exec.trading', state, reason });
const shutdown = { t: 9, kind: 'operator.applied', command: 'SHUTDOWN', type: 'SHUTDOWN', flatten: true };

describe('restore builder', () => {
  it('a KILL before a crash comes back HALTED with its reason', () => {
    const b = new RestoreBuilder();
    b.runStart([]);
    b.line(trading('HALTED', 'operator kill switch'));
    expect(b.trading()).toEqual({ state: 'HALTED', reason: 'operator kill switch' });
  });

  it("the run's own shutdown is not carried over; what came before it is", () => {
    const b = new RestoreBuilder();
    b.runStart([]);
    b.line(shutdown);
    b.line(trading('HALTED', 'shutdown: flatten'));
    expect(b.trading()).toBeNull(); // ACTIVE
    const c = new RestoreBuilder();
    c.runStart([]);
    c.line(trading('HALTED', 'daily loss 2.1% ≥ 2%'));
    c.line(shutdown);
    c.line(trading('HALTED', 'shutdown: flatten'));
    expect(c.trading()).toEqual({ state: 'HALTED', reason: 'daily loss 2.1% ≥ 2%' });
  });

  it('a halt restart-recovery set survives the next restart (its run.start carries it), and a reset clears it', () => {
    const first = new RestoreBuilder();
    first.runStart([]);
    first.line(
      trading('HALTED', 'restart: recovered open positions (BTC 0.1); flattened — RESET_HALT to resume'),
    );
    first.line(shutdown);
    first.line(trading('HALTED', 'shutdown: flatten'));
    // the next run starts from what the first recovered, and does nothing itself
    const second = new RestoreBuilder();
    second.runStart(first.records());
    expect(second.trading()?.state).toBe('HALTED');
    expect(second.trading()?.reason).toMatch(/^restart: recovered/);
    second.line(trading('ACTIVE', 'operator reset'));
    expect(second.trading()?.state).toBe('ACTIVE');
  });
});

async function writeDay(root: string, day: string, lines: object[]): Promise<void> {
  const t = Date.parse(`${day}T12:00:00Z`);
  const w = new JournalWriter({ dir: `${root}/${day}`, clock: new ManualClock(t), fsyncIntervalMs: 0 });
  let seq = 1;
  w.append({
    seq: seq++,
    time: t,
    epoch: 0,
    kind: RecordKind.Decision,
    channel: 'run.start',
    data: jsonBytes({ restore: [] }),
  });
  for (const l of lines)
    w.append({
      seq: seq++,
      time: t + seq,
      epoch: 0,
      kind: RecordKind.Decision,
      channel: (l as { kind: string }).kind,
      data: jsonBytes(l),
    });
  await w.close();
}

describe('restore from the data dir, across days', () => {
  it("a restart on a later day resumes the last trading day's state", async () => {
    const { dir, cleanup } = tempDir('recover-days');
    cleanups.push(cleanup);
    await writeDay(dir, '2026-11-27', [trading('ACTIVE', 'operator reset')]);
    await writeDay(dir, '2026-11-28', [trading('HALTED', 'operator kill switch')]);
    const r = restoreFromDataDir(dir, Date.parse('2026-11-30T08:00:00Z'));
    expect(r.dir).toMatch(/2026-11-28$/);
    expect(r.trading).toEqual({ state: 'HALTED', reason: 'operator kill switch' });
    // a day in the future of `now` is not read; nothing at all: a fresh start
    expect(restoreFromDataDir(dir, Date.parse('2026-11-27T20:00:00Z')).trading?.state).toBe('ACTIVE');
    expect(restoreFromDataDir(`${dir}/none`, Date.now())).toEqual({ dir: null, records: [], trading: null });
  });
});

describe('the decision side resumes the recovered trading state', () => {
  it('comes up HALTED (and refuses entries) when the records say so', () => {
    const config = engineConfigFrom(parseConfig({ network: 'sim', coins: ['BTC'] }));
    const hot = HotStateWriter.create(['BTC']);
    const lines: DecisionLine[] = [];
    const b = new RestoreBuilder();
    b.runStart([]);
    b.line(trading('HALTED', 'operator kill switch'));
    const engine = new DecisionEngine({
      config,
      clock: new ManualClock(1_000),
      reader: HotStateReader.attach(hot.sab, hot.layout),
      out: (l) => lines.push(l),
      restore: b.records(),
    });
    expect(engine.execution.tradingState()).toBe('HALTED');
    engine.onTick({ time: 2_000, version: 0, events: [] });
    expect(engine.summary.tradingState).toBe('HALTED');
    engine.stop();
  });
});
