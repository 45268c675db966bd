/**
 * Health says what it waits for (issue 20, defect 14): a source that never serves `activeAssetCtx` keeps
 * health WARMING; the decision log says so when the wait starts and again every 30 s, naming the channel
 * and the coin, and the engine's snapshot (the dashboard's health line) carries the same sentence.
 */
import { describe, expect, it } from 'vitest';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import { DecisionFeed } from '../../replay/replay-journal.ts';
import { parseConfig } from '../../runtime/config.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';

const T = 1_751_427_259_000;

describe('health waiting report', () => {
  it('names the channel that never arrived, at the start of the wait and periodically', () => {
    const lines: DecisionLine[] = [];
    const feed = new DecisionFeed(engineConfigFrom(parseConfig({ network: 'sim', coins: ['BTC'] })), (l) =>
      lines.push(l),
    );
    let seq = 1;
    const rec = (time: number, kind: RecordKind, channel: string, data: unknown) =>
      feed.record({ seq: seq++, time, epoch: 1, kind, channel, data: jsonBytes(data) });
    rec(T, RecordKind.Conn, 'conn', { type: 'subscribed', key: 'l2Book:BTC' });
    for (let s = 0; s <= 70; s++) {
      const t = T + s * 1000;
      rec(t + 100, RecordKind.Frame, 'l2Book', {
        channel: 'l2Book',
        data: {
          coin: 'BTC',
          time: t,
          levels: [[{ px: '100000', sz: '1', n: 1 }], [{ px: '100001', sz: '1', n: 1 }]],
        },
      });
      rec(t + 200, RecordKind.Frame, 'bbo', {
        channel: 'bbo',
        data: {
          coin: 'BTC',
          time: t,
          bbo: [
            { px: '100000', sz: '1', n: 1 },
            { px: '100001', sz: '1', n: 1 },
          ],
        },
      });
      rec(t + 500, RecordKind.Tick, 'tick', { cause: 'timer' });
    }
    const waiting = lines.filter((l) => l.kind === 'health.waiting');
    expect(waiting.length).toBeGreaterThanOrEqual(3); // at the start, after 30 s and after 60 s
    expect(waiting.length).toBeLessThanOrEqual(4);
    expect(waiting[0]!.status).toBe('WARMING');
    const first = waiting[0]!.waitingFor as Array<{ channel: string; coin: string; never: boolean }>;
    expect(first).toContainEqual(
      expect.objectContaining({ channel: 'activeAssetCtx', coin: 'BTC', never: true }),
    );
    expect(first.some((w) => w.channel === 'l2Book')).toBe(false);
    expect(String(waiting[0]!.summary)).toMatch(/activeAssetCtx/);
    expect(waiting[1]!.t - waiting[0]!.t).toBe(30_000);
    expect(lines.some((l) => l.kind === 'health' && l.to === 'HEALTHY')).toBe(false);
    // the decision side's one read-only snapshot (what the dashboard shows) carries the same sentence
    const snap = feed.engine!.snapshot();
    expect(snap.health.level).not.toBe('HEALTHY');
    expect(snap.health.reason).toMatch(/activeAssetCtx/);
    expect(snap.health.channels.find((c) => c.key === 'activeAssetCtx:BTC')).toMatchObject({
      ageMs: null,
      stale: true,
    });
  });
});
