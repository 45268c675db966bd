/**
 * Restart recovery through the journal: a run's first record (`run.start`) carries the position ledger
 * recovered from earlier runs; the decision side flattens positions no running strategy owns and halts
 * (an operator resets), and a replay of the journal restarts at exactly the same place.
 */
import { describe, expect, it } from 'vitest';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import { DecisionFeed, restoreRecordsFromLines } from '../../replay/replay-journal.ts';
import { simSession } from '../../replay/sim-session.ts';
import { parseConfig } from '../../runtime/config.ts';
import { type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';

const config = engineConfigFrom(parseConfig({}));

function firstOpenPosition(): { lines: DecisionLine[]; coin: string } {
  const lines: DecisionLine[] = [];
  const feed = new DecisionFeed(config, (l) => lines.push(l));
  simSession({
    seed: 3,
    scenario: 'sideways',
    coins: [...config.coins],
    tickMs: 1000,
    durationMs: 75 * 60_000,
    onRecord: (r) => feed.record(r),
  });
  const i = lines.findIndex((l) => l.kind === 'exec.position' && l.position !== null);
  expect(i).toBeGreaterThan(0);
  return { lines: lines.slice(0, i + 1), coin: lines[i]!.coin as string };
}

function restartedRun(restore: unknown[]): string[] {
  const out: string[] = [];
  const feed = new DecisionFeed(config, (l) => out.push(JSON.stringify(l)));
  const records: JournalRecord[] = [];
  simSession({
    seed: 4,
    scenario: 'sideways',
    coins: [...config.coins],
    tickMs: 1000,
    durationMs: 3 * 60_000,
    firstSeq: 2,
    onRecord: (r) => records.push({ ...r, data: r.data.slice() }),
  });
  feed.record({
    seq: 1,
    time: records[0]!.time - 10,
    epoch: 0,
    kind: RecordKind.Decision,
    channel: 'run.start',
    data: jsonBytes({ restore }),
  });
  for (const r of records) feed.record(r);
  return out;
}

describe('restart recovery', () => {
  it('recovers the ledger from the decision lines, flattens the orphaned position and halts; deterministic', () => {
    const { lines, coin } = firstOpenPosition();
    const restore = restoreRecordsFromLines(lines);
    expect(restore.some((r) => (r as { kind: string }).kind === 'position')).toBe(true);
    const a = restartedRun(restore);
    const parsed = a.map((l) => JSON.parse(l) as DecisionLine);
    const recovered = parsed.find((l) => l.kind === 'restart.recovered');
    expect(recovered, 'restart.recovered line').toBeDefined();
    expect(String((recovered!.positions as string[])[0])).toContain(coin);
    expect(parsed.some((l) => l.kind === 'exec.trading' && l.state === 'HALTED')).toBe(true);
    const lastPos = parsed.filter((l) => l.kind === 'exec.position' && l.coin === coin).at(-1);
    expect(lastPos, 'the recovered position is closed').toBeDefined();
    expect(lastPos!.position).toBeNull();
    // nothing opens again while HALTED
    expect(
      parsed.filter((l) => l.kind === 'exec.intent' && (l.intent as { kind: string }).kind === 'entry'),
    ).toEqual([]);
    expect(restartedRun(restore)).toEqual(a);
  }, 240_000);

  it('a run without recovered positions starts ACTIVE and flat', () => {
    const parsed = restartedRun([]).map((l) => JSON.parse(l) as DecisionLine);
    expect(parsed.find((l) => l.kind === 'restart.recovered')).toBeUndefined();
    expect(parsed.some((l) => l.kind === 'exec.trading' && l.state === 'HALTED')).toBe(false);
  }, 120_000);
});
