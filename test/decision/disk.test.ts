/**
 * The disk floor reaches the decision side as a journaled `DISK` command (issue 16): below the floor no
 * new entries (REDUCING) and an alarm at warn level; back above it the guard's own REDUCING is lifted, and
 * never a state an operator or a halt set.
 */
import { describe, expect, it } from 'vitest';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import { DecisionFeed } from '../../replay/replay-journal.ts';
import { parseConfig } from '../../runtime/config.ts';
import { decisionLevel } from '../../runtime/system.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';

const T = 1_751_427_259_000;

function rig() {
  const lines: DecisionLine[] = [];
  const feed = new DecisionFeed(engineConfigFrom(parseConfig({ network: 'sim', coins: ['BTC'] })), (l) =>
    lines.push(l),
  );
  let seq = 1;
  let t = T;
  const rec = (kind: RecordKind, channel: string, data: unknown) =>
    feed.record({ seq: seq++, time: (t += 10), epoch: 1, kind, channel, data: jsonBytes(data) });
  const command = (cmd: unknown) => {
    rec(RecordKind.Decision, 'operator', cmd);
    rec(RecordKind.Tick, 'tick', { cause: 'timer' });
  };
  const trading = () => lines.filter((l) => l.kind === 'exec.trading').map((l) => `${l.state}: ${l.reason}`);
  return { lines, command, trading };
}

const low = { type: 'DISK', low: true, freeBytes: 900e6, floorBytes: 1e9, path: '/data' };
const back = { type: 'DISK', low: false, freeBytes: 2e9, floorBytes: 1e9, path: '/data' };

describe('DISK commands', () => {
  it('below the floor: an alarm (warn) and REDUCING; back above it: ACTIVE again', () => {
    const r = rig();
    r.command(low);
    const alarm = r.lines.find((l) => l.kind === 'alarm');
    expect(alarm?.message).toMatch(/disk: 900 MB free on \/data, below the floor of 1000 MB/);
    expect(decisionLevel(alarm!)).toBe('warn');
    expect(r.trading().at(-1)).toMatch(/^REDUCING: .*disk: free space below the floor/);
    r.command(back);
    expect(r.trading().at(-1)).toMatch(/^ACTIVE/);
  });
  it('never lifts a halt or an operator REDUCING, and does not reduce a HALTED account', () => {
    const r = rig();
    r.command({ type: 'KILL', reason: 'operator' });
    r.command(low);
    r.command(back);
    expect(r.trading().at(-1)).toMatch(/^HALTED/);
    const o = rig();
    o.command({ type: 'SET_TRADING', state: 'REDUCING' });
    o.command(low);
    o.command(back);
    expect(o.trading().at(-1)).toMatch(/^REDUCING: operator/);
  });
});
