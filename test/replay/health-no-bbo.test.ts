/**
 * Data without a `bbo` channel (the venue's l2Book archive, node fills; issue 19): health required
 * `bbo:<coin>` fresh for every coin, so a backtest over imported history stayed WARMING and could never trade.
 * `health.bboMs = 0` drops that channel (the top of book then comes from l2Book); the default still requires it.
 */
import { describe, expect, it } from 'vitest';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import { DecisionFeed } from '../../replay/replay-journal.ts';
import { parseConfig } from '../../runtime/config.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';

const T = 1_751_427_259_000;

function run(health: Record<string, number>): { lines: DecisionLine[]; keys: string[] } {
  const lines: DecisionLine[] = [];
  const feed = new DecisionFeed(
    engineConfigFrom(parseConfig({ network: 'sim', coins: ['BTC'], health })),
    (l) => lines.push(l),
  );
  let seq = 1;
  const rec = (time: number, kind: RecordKind, channel: string, data: unknown) =>
    feed.record({ seq: seq++, time, epoch: 1, kind, channel, data: jsonBytes(data) });
  rec(T, RecordKind.Conn, 'conn', { type: 'subscribed', key: 'l2Book:BTC' });
  for (let s = 0; s <= 20; s++) {
    const t = T + s * 1000;
    rec(t + 100, RecordKind.Frame, 'l2Book', {
      channel: 'l2Book',
      data: {
        coin: 'BTC',
        time: t,
        levels: [[{ px: '100000', sz: '1', n: 1 }], [{ px: '100001', sz: '1', n: 1 }]],
      },
    });
    rec(t + 200, RecordKind.Frame, 'activeAssetCtx', {
      channel: 'activeAssetCtx',
      data: {
        coin: 'BTC',
        ctx: {
          funding: '0.0000125',
          openInterest: '1000',
          prevDayPx: '100000',
          dayNtlVlm: '1',
          premium: '0',
          oraclePx: '100000',
          markPx: '100000.5',
          midPx: '100000.5',
          impactPxs: ['100000', '100001'],
          dayBaseVlm: '0',
        },
      },
    });
    rec(t + 500, RecordKind.Tick, 'tick', { cause: 'timer' });
  }
  return { lines, keys: feed.engine!.snapshot().health.channels.map((c) => c.key) };
}

describe('health over data without bbo', () => {
  it('by default bbo is required: l2Book and asset contexts alone stay WARMING, waiting for bbo', () => {
    const { lines, keys } = run({});
    expect(keys).toContain('bbo:BTC');
    expect(lines.some((l) => l.kind === 'health' && l.to === 'HEALTHY')).toBe(false);
    const waiting = lines.find((l) => l.kind === 'health.waiting');
    expect(String(waiting?.summary)).toMatch(/bbo/);
  });

  it('health.bboMs = 0: no bbo channel, HEALTHY on l2Book and asset contexts', () => {
    const { lines, keys } = run({ bboMs: 0 });
    expect(keys).toEqual(['l2Book:BTC', 'activeAssetCtx:BTC']);
    expect(lines.some((l) => l.kind === 'health' && l.to === 'HEALTHY')).toBe(true);
  });
});
