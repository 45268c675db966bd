/**
 * Derived events on scripted scenarios: each fires once on its edge with its evidence, does not fire
 * on NULL inputs (warm-up), and re-arms when the condition clears.
 */
import { describe, expect, it } from 'vitest';
import { StateBuilder } from '../../state/builder.ts';
import type { DerivedEvent } from '../../state/detectors.ts';
import { F } from '../../state/hotstate-layout.ts';
import type { WsActiveAssetCtx, WsBook, WsTrade } from '../../state/inputs.ts';

const lvl = (px: number, sz: number) => ({ px: String(px), sz: String(sz), n: 1 });
const ctx = (oi: number, funding = 0.0000125): WsActiveAssetCtx => ({
  coin: 'BTC',
  ctx: {
    funding: String(funding),
    openInterest: String(oi),
    oraclePx: '100',
    markPx: '100',
    midPx: '100',
    premium: null,
    impactPxs: null,
    prevDayPx: '99',
    dayNtlVlm: '1',
    dayBaseVlm: '1',
  },
});
/** A book around 100 with `bidUsd` / `askUsd` resting within 20 bps (one level each, 10 bps out). */
const book = (time: number, bidUsd: number, askUsd: number): WsBook => ({
  coin: 'BTC',
  time,
  levels: [
    [lvl(99.9, bidUsd / 99.9), lvl(98, 1000)],
    [lvl(100.1, askUsd / 100.1), lvl(102, 1000)],
  ],
});
let tid = 1;
const trade = (side: 'A' | 'B', usd: number, time: number): WsTrade => ({
  coin: 'BTC',
  side,
  px: '100',
  sz: String(usd / 100),
  time,
  hash: '0x0',
  tid: tid++,
  users: ['a', 'b'],
});

function collect(into: DerivedEvent[], evs: readonly DerivedEvent[]): void {
  for (const e of evs) into.push({ ...e, evidence: { ...e.evidence } });
}

describe('derived events', () => {
  it('OI dropped ≥ 2 % in 10 s: once on the edge, with evidence; re-arms', () => {
    const b = new StateBuilder({ coins: ['BTC'] });
    const ev: DerivedEvent[] = [];
    // before the 10 s window is warm a drop is not an event (NULL input)
    collect(ev, b.onAssetCtx(ctx(1000), 0));
    collect(ev, b.onAssetCtx(ctx(900), 5_000));
    expect(ev).toEqual([]);
    for (let t = 6_000; t <= 20_000; t += 1_000) collect(ev, b.onAssetCtx(ctx(1000), t));
    expect(ev).toEqual([]);
    collect(ev, b.onAssetCtx(ctx(975), 21_000));
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ type: 'oiDrop', coin: 'BTC', time: 21_000 });
    expect(ev[0]!.evidence.oiDrop10s).toBeCloseTo(0.025, 12);
    expect(ev[0]!.evidence.oiMax10s).toBe(1000);
    collect(ev, b.onAssetCtx(ctx(970), 22_000)); // still dropped: no new event
    expect(ev).toHaveLength(1);
    for (let t = 23_000; t <= 33_000; t += 1_000) collect(ev, b.onAssetCtx(ctx(970), t)); // the max ages out
    expect(b.coin('BTC')!.slot[F.oiDrop10s]).toBe(0);
    collect(ev, b.onAssetCtx(ctx(940), 34_000));
    expect(ev.map((e) => e.type)).toEqual(['oiDrop', 'oiDrop']);
  });

  it('low depth, depth thinning, sweep and book refilled (with the refill time)', () => {
    const b = new StateBuilder({ coins: ['BTC'], detectors: { lowDepthUsd: 50_000 } });
    const ev: DerivedEvent[] = [];
    for (let t = 0; t <= 6_000; t += 500) collect(ev, b.onBook(book(t, 200_000, 200_000), t));
    expect(ev).toEqual([]);
    // the bid is swept to 40 k: below 50 % of its 5 s mean (thinning + sweep) and below 50 k (low depth)
    collect(ev, b.onBook(book(6_500, 40_000, 200_000), 6_500));
    expect(ev.map((e) => `${e.type}:${e.evidence.side}`).sort()).toEqual([
      'depthThinning:bid',
      'lowDepth:bid',
    ]);
    const thin = ev.find((e) => e.type === 'depthThinning')!;
    expect(thin.evidence.mean5s).toBeCloseTo(200_000, 6);
    expect(thin.evidence.depth20).toBeCloseTo(40_000, 6);
    const s = b.coin('BTC')!.slot;
    expect(s[F.sweepActiveBid]).toBe(1);
    expect(s[F.sweepStartBid]).toBe(6_500);
    ev.length = 0;
    // partial refill (150 k < 200 k pre-sweep): nothing yet
    collect(ev, b.onBook(book(7_000, 150_000, 200_000), 7_000));
    expect(ev).toEqual([]);
    collect(ev, b.onBook(book(9_250, 201_000, 200_000), 9_250));
    expect(ev).toHaveLength(1);
    expect(ev[0]!.type).toBe('bookRefilled');
    expect(ev[0]!.evidence).toMatchObject({ side: 'bid', refillMs: 2_750, sweepStart: 6_500 });
    expect(s[F.lastRefillMsBid]).toBe(2_750);
    expect(s[F.sweepActiveBid]).toBe(0);
  });

  it('aggressive buying failed to move price; selling that moves price is not an event', () => {
    const b = new StateBuilder({ coins: ['BTC'] });
    const ev: DerivedEvent[] = [];
    // one hour of quiet two-sided flow (1 k a side every 5 s) around a flat mid
    for (let t = 0; t <= 3_600_000; t += 5_000) {
      collect(ev, b.onBook(book(t, 200_000, 200_000), t));
      collect(ev, b.onTrades([trade('B', 1_000, t), trade('A', 1_000, t)], t + 1));
    }
    expect(ev).toEqual([]);
    const s = b.coin('BTC')!.slot;
    expect(s[F.buyMean5s1h]).toBeCloseTo(1_000, 6);
    // a 30 k buy burst, mid unchanged
    collect(ev, b.onTrades([trade('B', 30_000, 3_601_000)], 3_601_000));
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ type: 'flowFailedToMovePrice', evidence: { side: 'buy' } });
    expect(ev[0]!.evidence.notional5s).toBeCloseTo(31_000, 6); // the 1 k at 3 600 001 is in the 5 s window
    expect(ev[0]!.evidence.moveBps).toBe(0);
    // a sell burst that moves mid down 50 bps is a move, not absorption
    ev.length = 0;
    collect(ev, b.onBook(book(3_602_000, 200_000, 200_000), 3_602_000));
    const down: WsBook = {
      coin: 'BTC',
      time: 3_603_000,
      levels: [
        [lvl(99.4, 2000), lvl(98, 1000)],
        [lvl(99.6, 2000), lvl(102, 1000)],
      ],
    };
    collect(ev, b.onBook(down, 3_603_000));
    collect(ev, b.onTrades([trade('A', 40_000, 3_603_001)], 3_603_001));
    expect(ev.filter((e) => e.type === 'flowFailedToMovePrice')).toEqual([]);
  });

  it('funding acceleration: a step after a flat hour', () => {
    const b = new StateBuilder({ coins: ['BTC'] });
    const ev: DerivedEvent[] = [];
    for (let t = 0; t <= 3_600_000; t += 60_000) collect(ev, b.onAssetCtx(ctx(1000, 0.0000125), t));
    expect(ev).toEqual([]);
    collect(ev, b.onAssetCtx(ctx(1000, 0.0000225), 3_660_000));
    expect(ev).toHaveLength(1);
    expect(ev[0]!.type).toBe('fundingAcceleration');
    // 15 m drift 1e-5 → 4e-5 per hour; 1 h velocity 1e-5 → acceleration 3e-5
    expect(ev[0]!.evidence.accel).toBeCloseTo(0.00003, 12);
    expect(ev[0]!.evidence.velocity1h).toBeCloseTo(0.00001, 12);
  });
});
