/**
 * The state builder end to end on a generated 70-minute stream: every window field against the
 * brute-force references over the histories the builder was fed; replay determinism; no leakage;
 * bad input counted and dropped; publishing to the hot state.
 */
import { describe, expect, it } from 'vitest';
import { H1, M15, S1, S5, S10, StateBuilder } from '../../state/builder.ts';
import { F, SLOT_FLOATS } from '../../state/hotstate-layout.ts';
import { HotStateReader, HotStateWriter } from '../../state/hotstate.ts';
import type { WsActiveAssetCtx, WsBbo, WsBook, WsTrade } from '../../state/inputs.ts';
import { ManualClock } from '../../state/clock.ts';
import { dispatch, type Frame, generateFrames } from './frames.ts';
import { close, type Obs, refExtremum, refLag, refMoveSigma, refSum, refTwm } from './reference.ts';

const long = generateFrames({ seed: 42, coins: ['BTC'], durationMs: 70 * 60_000, rate: 12 });

function run(frames: readonly Frame[], coins = ['BTC', 'ETH', 'SOL']) {
  const b = new StateBuilder({ coins });
  const events: string[] = [];
  frames.forEach((f, i) => {
    const ev = dispatch(b, f.channel, JSON.parse(f.text).data, f.recvTime, i) as readonly unknown[];
    for (const e of ev) events.push(JSON.stringify(e));
  });
  return { b, events };
}

describe('state builder vs brute force on a 70-minute stream', () => {
  it('window fields equal the references over the fed histories', () => {
    const b = new StateBuilder({ coins: ['BTC'] });
    const s = b.coin('BTC')!.slot;
    const mid: Obs[] = [];
    const oi: Obs[] = [];
    const fund: Obs[] = [];
    const asym: Obs[] = [];
    const bid20: Obs[] = [];
    const buys: Obs[] = [];
    const sells: Obs[] = [];
    let tradeStart = Number.NaN;
    let checked = 0;
    let warmChecked = 0;
    long.forEach((f, i) => {
      const data = JSON.parse(f.text).data;
      const before = s[F.staleBooks]! + s[F.staleBbos]!;
      dispatch(b, f.channel, data, f.recvTime, i);
      const now = f.recvTime;
      const dropped = s[F.staleBooks]! + s[F.staleBbos]! !== before;
      if ((f.channel === 'l2Book' || f.channel === 'bbo') && !dropped) {
        if (s[F.mid]! > 0) mid.push({ t: now, v: s[F.mid]! });
        if (!Number.isNaN(s[F.depthAsym50]!)) asym.push({ t: now, v: s[F.depthAsym50]! });
        if (!Number.isNaN(s[F.depthBid20]!)) bid20.push({ t: now, v: s[F.depthBid20]! });
      } else if (f.channel === 'activeAssetCtx') {
        const c = (data as WsActiveAssetCtx).ctx;
        oi.push({ t: now, v: Number(c.openInterest) });
        fund.push({ t: now, v: Number(c.funding) });
      } else if (f.channel === 'trades') {
        if (Number.isNaN(tradeStart)) tradeStart = now;
        for (const t of data as WsTrade[])
          (t.side === 'B' ? buys : sells).push({ t: now, v: Number(t.px) * Number(t.sz) });
      }
      if (i % 397 !== 0) return;
      checked++;
      const o = s[F.oi]!;
      const max10 = refExtremum(oi, now, S10, 'max');
      const max15 = refExtremum(oi, now, M15, 'max');
      const min15 = refExtremum(oi, now, M15, 'min');
      const min1h = refExtremum(oi, now, H1, 'min');
      const want: Array<[string, number, number]> = [
        ['oiDrop10s', s[F.oiDrop10s]!, (max10 - o) / max10],
        ['oiRange15m', s[F.oiRange15m]!, (max15 - min15) / min15],
        ['oiBuild1h', s[F.oiBuild1h]!, (max15 - min1h) / min1h],
        ['oiChg5s', s[F.oiChg5s]!, o / refLag(oi, now, S5) - 1],
        ['fundingVelocity', s[F.fundingVelocity]!, s[F.funding]! - refLag(fund, now, H1)],
        ['fundingDrift15m', s[F.fundingDrift15m]!, s[F.funding]! - refLag(fund, now, M15)],
        ['buyNtl1s', s[F.buyNtl1s]!, refSum(buys, tradeStart, now, S1)],
        ['buyNtl5s', s[F.buyNtl5s]!, refSum(buys, tradeStart, now, S5)],
        ['sellNtl15m', s[F.sellNtl15m]!, refSum(sells, tradeStart, now, M15)],
        ['sellMean5s1h', s[F.sellMean5s1h]!, refSum(sells, tradeStart, now, H1) / 720],
        ['depthAsym5s', s[F.depthAsym5s]!, refTwm(asym, now, S5)],
        ['depthAsym1h', s[F.depthAsym1h]!, refTwm(asym, now, H1)],
        ['depthBid20Mean5s', s[F.depthBid20Mean5s]!, refTwm(bid20, now, S5)],
        ['rangeHigh15m', s[F.rangeHigh15m]!, refExtremum(mid, now, M15, 'max')],
        ['rangeLow15m', s[F.rangeLow15m]!, refExtremum(mid, now, M15, 'min')],
        ['mid5sAgo', s[F.mid5sAgo]!, refLag(mid, now, S5)],
        [
          'accel1s',
          s[F.accel1s]!,
          Math.log(s[F.mid]! / refLag(mid, now, S1)) -
            Math.log(refLag(mid, now, S1) / refLag(mid, now, 2 * S1)),
        ],
        // RULEBOOK sigma5s: σ of move5s = ln(mid / mid 5 s ago) sampled once a second over 1 h
        ['sigma5s1h', s[F.sigma5s1h]!, refMoveSigma(mid, now, S1, S5, 3600)],
      ];
      for (const [name, got, exp] of want)
        expect(close(got, exp, 1e-7, 1e-12), `${name} at record ${i} t=${now}: ${got} vs ${exp}`).toBe(true);
      if (!Number.isNaN(s[F.sigma5s1h]!) && !Number.isNaN(s[F.oiBuild1h]!)) warmChecked++;
    });
    expect(checked).toBeGreaterThan(100);
    expect(warmChecked).toBeGreaterThan(5); // the 1 h windows were compared warm, not only as NULL
    expect(b.counters.staleBooks + b.counters.staleBbos).toBeGreaterThan(0); // the stream had out-of-order pushes
    expect(b.counters.badInputs).toBe(0);
  });

  it('NULL during warm-up: the 1 h and 15 m values are NaN before their window has passed', () => {
    const b = new StateBuilder({ coins: ['BTC'] });
    const s = b.coin('BTC')!.slot;
    const t0 = long[0]!.recvTime;
    for (const [i, f] of long.entries()) {
      if (f.recvTime - t0 > 14 * 60_000) break;
      dispatch(b, f.channel, JSON.parse(f.text).data, f.recvTime, i);
      for (const k of [
        'oiRange15m',
        'oiBuild1h',
        'rangeHigh15m',
        'sellNtl1h',
        'fundingVelocity',
        'sigma5s1h',
        'depthAsym1h',
        'oiLowAgeMs',
      ] as const)
        expect(s[F[k]]).toBeNaN();
    }
    expect(s[F.mid]).toBeGreaterThan(0);
    expect(s[F.depthAsym5s]).not.toBeNaN();
  });
});

describe('replay and leakage', () => {
  const frames = generateFrames({ seed: 7, durationMs: 3 * 60_000, rate: 60 });

  it('replaying the same records gives identical state and events', () => {
    const a = run(frames);
    const b = run(frames);
    for (const c of ['BTC', 'ETH', 'SOL']) {
      const x = Buffer.from(a.b.coin(c)!.slot.buffer);
      const y = Buffer.from(b.b.coin(c)!.slot.buffer);
      expect(x.equals(y)).toBe(true);
    }
    expect(a.events).toEqual(b.events);
    expect(a.b.counters).toEqual(b.b.counters);
  });

  it('changing any record after t never changes the state computed at t', () => {
    const cuts = [0, 1, 57, 1_000, 4_321, frames.length - 2];
    const other = generateFrames({ seed: 8, durationMs: 3 * 60_000, rate: 60 });
    for (const k of cuts) {
      // records after k: another stream's, shifted to start after k's time (times stay monotone)
      const base = frames[k]!.recvTime;
      const tail = other.map((f) => ({ ...f, recvTime: base + 1 + (f.recvTime - other[0]!.recvTime) }));
      const altered = [...frames.slice(0, k + 1), ...tail];
      const snapA: Buffer[] = [];
      const snapB: Buffer[] = [];
      for (const [stream, snaps] of [
        [frames, snapA],
        [altered, snapB],
      ] as const) {
        const b = new StateBuilder({ coins: ['BTC', 'ETH', 'SOL'] });
        for (let i = 0; i <= k; i++) {
          const f = stream[i]!;
          dispatch(b, f.channel, JSON.parse(f.text).data, f.recvTime, i);
          const coin = JSON.parse(f.text).data?.coin ?? JSON.parse(f.text).data?.[0]?.coin;
          snaps.push(Buffer.from(new Float64Array(b.coin(coin)!.slot).buffer));
        }
        // and run on, so a buggy look-ahead would have had the chance to write back
        for (let i = k + 1; i < Math.min(stream.length, k + 200); i++) {
          const f = stream[i]!;
          dispatch(b, f.channel, JSON.parse(f.text).data, f.recvTime, i);
        }
      }
      for (let i = 0; i <= k; i++) expect(snapA[i]!.equals(snapB[i]!)).toBe(true);
    }
  });
});

describe('bad input', () => {
  it('is counted, dropped, and loses nothing else', () => {
    const b = new StateBuilder({ coins: ['BTC'] });
    const lvl = (px: string, sz: string) => ({ px, sz, n: 1 });
    const good: WsBook = { coin: 'BTC', time: 100, levels: [[lvl('100', '1')], [lvl('101', '1')]] };
    b.onBook(good, 1_000);
    b.onBook({ coin: 'DOGE', time: 101, levels: [[], []] }, 1_001);
    expect(b.counters.unknownCoin).toBe(1);
    b.onBook({ coin: 'BTC', time: 99, levels: [[lvl('1', '1')], [lvl('2', '1')]] }, 1_002);
    expect(b.counters.staleBooks).toBe(1);
    expect(b.coin('BTC')!.slot[F.staleBooks]).toBe(1);
    b.onBook({ coin: 'BTC', time: 102, levels: [[lvl('x', '1')], []] } as WsBook, 1_003);
    b.onBbo({ coin: 'BTC', time: 102, bbo: 'nope' } as unknown as WsBbo, 1_004);
    b.onAssetCtx({ coin: 'BTC', ctx: { openInterest: 'lots' } } as unknown as WsActiveAssetCtx, 1_005);
    b.onAssetCtx({ coin: 'BTC' } as unknown as WsActiveAssetCtx, 1_006);
    b.onTrades('garbage' as unknown as WsTrade[], 1_007);
    b.onBook(null as unknown as WsBook, 1_008);
    expect(b.counters.unknownCoin).toBe(2);
    const t = (side: string, px: string, tid: number) =>
      ({ coin: 'BTC', side, px, sz: '2', time: 100, hash: '0x0', tid, users: ['a', 'b'] }) as WsTrade;
    b.onTrades([t('B', '100', 1), t('Q', '100', 2), t('A', 'NaN', 3), t('A', '101', 4)], 1_009);
    expect(b.counters.badInputs).toBe(7);
    expect(b.coin('BTC')!.slot[F.badInputs]).toBe(6); // the coinless 'garbage' push is counted builder-wide only
    expect(b.counters.lastError).toMatch(/trade 2/);
    // the good trades in the mixed push were taken; the book is the good one
    b.onTrades([], 2_009.5);
    b.onTrades([t('B', '100', 5)], 2_009.5);
    const s = b.coin('BTC')!.slot;
    expect(s[F.buyNtl1s]).toBe(200); // (1009, 2009.5]: only the last buy
    expect(s[F.lastTradeSide]).toBe(1);
    expect(s[F.mid]).toBe(100.5);
    // a receive time going backwards is clamped and counted
    b.onBbo({ coin: 'BTC', time: 103, bbo: [lvl('100', '1'), lvl('102', '1')] }, 500);
    expect(b.counters.clockBackwards).toBe(1);
    expect(s[F.recvTime]).toBe(2_009.5);
    expect(s[F.mid]).toBe(101);
  });
});

describe('publishing', () => {
  it('each update publishes the coin slot; a reader sees exactly the builder image', () => {
    const hot = HotStateWriter.create(['BTC', 'ETH', 'SOL']);
    const clock = new ManualClock(5);
    const b = new StateBuilder({ coins: ['BTC', 'ETH', 'SOL'], hot, clock });
    const r = HotStateReader.attach(hot.sab, hot.layout);
    const out = new Float64Array(SLOT_FLOATS);
    const frames = generateFrames({ seed: 3, durationMs: 20_000, rate: 50 });
    let published = 0;
    frames.forEach((f, i) => {
      clock.advanceTo(Math.max(clock.now(), f.recvTime + 0.25));
      const before = hot.version();
      dispatch(b, f.channel, JSON.parse(f.text).data, f.recvTime, i);
      if (hot.version() === before) return; // a dropped message publishes nothing
      published++;
      expect(hot.version()).toBe(before + 1);
      const coin = JSON.parse(f.text).data?.coin ?? JSON.parse(f.text).data?.[0]?.coin;
      const idx = hot.coinIndex.get(coin)!;
      expect(r.read(idx, out)).toBe(true);
      expect(Buffer.from(out.buffer).equals(Buffer.from(b.coin(coin)!.slot.buffer))).toBe(true);
      expect(out[F.sequence]).toBe(i);
      expect(out[F.publishTime]).toBe(clock.now());
      expect(out[F.version]).toBe(hot.version());
    });
    expect(published).toBeGreaterThan(frames.length * 0.9);
    expect(r.version()).toBe(published);
  });
});
