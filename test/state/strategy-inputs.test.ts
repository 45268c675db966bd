/**
 * The hot-state inputs Kinematics and Cascade read (issue 15, RULEBOOK "Kinematics" and "Cascade"),
 * against brute force at every record of generated streams, plus hand-made cases for their exact
 * semantics at the edges:
 *  - `mid1sAgo`, `mid5sAgo`, `mid10sAgo`: the mid in effect 1 / 5 / 10 s ago (NULL until that much
 *    history); `ret1s`, `ret5s` (= move5s) = ln(mid / mid w ago); v1s = mid − mid1sAgo is the strategy's;
 *  - `buyShare1s`, `buyShare5s`: buy aggressor notional / (buy + sell) over 1 s / 5 s (NULL while the
 *    flow window warms up, and when there was no trade in it);
 *  - `midMax5s`, `midMin5s`: max / min of mid over the last 5 s (Kinematics freezes the move's extreme);
 *  - `oiLowAgeMs`: ms since OI last made a new low over the 15 m window (an equal OI is not a new low);
 *  - `sigma5s1h`: σ of move5s sampled once a second over 1 h (NULL until 3600 samples).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { M15, S1, S5, S10, StateBuilder } from '../../state/builder.ts';
import { F } from '../../state/hotstate-layout.ts';
import type { WsActiveAssetCtx, WsBbo, WsTrade } from '../../state/inputs.ts';
import { dispatch, type Frame, generateFrames } from './frames.ts';
import { close, type Obs, refExtremum, refExtremumTime, refLag, refSum } from './reference.ts';

/** A history that hands out its suffix from the observation in effect at now − W on (brute force over the window). */
class History {
  readonly obs: Obs[] = [];
  private lo = 0;
  constructor(readonly W: number) {}
  push(t: number, v: number): void {
    this.obs.push({ t, v });
  }
  window(now: number): readonly Obs[] {
    while (this.lo + 1 < this.obs.length && this.obs[this.lo + 1]!.t <= now - this.W) this.lo++;
    return this.obs.slice(this.lo);
  }
}

interface Reach {
  records: number;
  unpublished: number;
  midNull: Record<string, number>;
  midWarm: Record<string, number>;
  /** midMax5s above mid and midMin5s below it: the 5 s extreme is not the current mid. */
  extremeAwayFromMid: number;
  shareWarmingNull: number;
  shareNoTradeNull: number;
  shareOneSided: number;
  shareMixed: number;
  share5Warm: number;
  lowNull: number;
  lowZero: number;
  lowUnder5s: number;
  lowOver5s: number;
  lowCarried: number;
  exitCrossings: number;
}

function newReach(): Reach {
  return {
    records: 0,
    unpublished: 0,
    midNull: { mid1sAgo: 0, mid5sAgo: 0, mid10sAgo: 0, midMax5s: 0 },
    midWarm: { mid1sAgo: 0, mid5sAgo: 0, mid10sAgo: 0, midMax5s: 0 },
    extremeAwayFromMid: 0,
    shareWarmingNull: 0,
    shareNoTradeNull: 0,
    shareOneSided: 0,
    shareMixed: 0,
    share5Warm: 0,
    lowNull: 0,
    lowZero: 0,
    lowUnder5s: 0,
    lowOver5s: 0,
    lowCarried: 0,
    exitCrossings: 0,
  };
}

/**
 * Feed a stream to a builder and compare the inputs with brute force after every record that
 * republished the slot; `onLow` sees the OI window and the low's time at each warm record.
 */
function checkStream(
  frames: readonly Frame[],
  reach: Reach,
  onLow?: (oi: readonly Obs[], now: number, lowAt: number) => void,
): void {
  const b = new StateBuilder({ coins: ['BTC'] });
  const s = b.coin('BTC')!.slot;
  const mid = new History(S10);
  const oi = new History(M15);
  const buys = new History(S5);
  const sells = new History(S5);
  let tradeStart = Number.NaN;
  let prevAge = Number.NaN;
  frames.forEach((f, i) => {
    const data = JSON.parse(f.text).data;
    const before = s[F.staleBooks]! + s[F.staleBbos]!;
    dispatch(b, f.channel, data, f.recvTime, i);
    const now = f.recvTime;
    const dropped = s[F.staleBooks]! + s[F.staleBbos]! !== before;
    if ((f.channel === 'l2Book' || f.channel === 'bbo') && !dropped) {
      if (s[F.mid]! > 0) mid.push(now, s[F.mid]!);
    } else if (f.channel === 'activeAssetCtx') {
      oi.push(now, Number((data as WsActiveAssetCtx).ctx.openInterest));
    } else if (f.channel === 'trades') {
      if (Number.isNaN(tradeStart)) tradeStart = now;
      for (const t of data as WsTrade[])
        (t.side === 'B' ? buys : sells).push(now, Number(t.px) * Number(t.sz));
    }
    if (s[F.recvTime] !== now) {
      reach.unpublished++; // a dropped (stale) push republishes nothing: the slot is the previous record's
      return;
    }
    reach.records++;
    const m = mid.window(now);
    const at = s[F.mid]!;
    const lag = {
      mid1sAgo: refLag(m, now, S1),
      mid5sAgo: refLag(m, now, S5),
      mid10sAgo: refLag(m, now, S10),
    };
    const bw = buys.window(now);
    const sw = sells.window(now);
    const b1 = refSum(bw, tradeStart, now, S1);
    const s1 = refSum(sw, tradeStart, now, S1);
    const b5 = refSum(bw, tradeStart, now, S5);
    const s5 = refSum(sw, tradeStart, now, S5);
    const o = oi.window(now);
    const lowAt = refExtremumTime(o, now, M15, 'min');
    const want: Array<[string, number]> = [
      ['mid1sAgo', lag.mid1sAgo],
      ['mid5sAgo', lag.mid5sAgo],
      ['mid10sAgo', lag.mid10sAgo],
      ['ret1s', Math.log(at / lag.mid1sAgo)],
      ['ret5s', Math.log(at / lag.mid5sAgo)],
      ['midMax5s', refExtremum(m, now, S5, 'max')],
      ['midMin5s', refExtremum(m, now, S5, 'min')],
      ['buyShare1s', b1 + s1 > 0 ? b1 / (b1 + s1) : Number.NaN],
      ['buyShare5s', b5 + s5 > 0 ? b5 / (b5 + s5) : Number.NaN],
      ['oiMin15m', refExtremum(o, now, M15, 'min')],
      ['oiLowAgeMs', now - lowAt],
    ];
    for (const [name, exp] of want) {
      const got = s[F[name as keyof typeof F]]!;
      if (!close(got, exp, 1e-9, 1e-9))
        throw new Error(`${name} at record ${i} t=${now}: got ${got}, want ${exp}`);
    }
    for (const k of ['mid1sAgo', 'mid5sAgo', 'mid10sAgo', 'midMax5s'] as const) {
      if (Number.isNaN(s[F[k]]!)) reach.midNull[k]!++;
      else reach.midWarm[k]!++;
    }
    if (s[F.midMax5s]! > at && s[F.midMin5s]! < at) reach.extremeAwayFromMid++;
    const share = s[F.buyShare1s]!;
    if (Number.isNaN(b1)) reach.shareWarmingNull++;
    else if (Number.isNaN(share)) reach.shareNoTradeNull++;
    else if (share === 0 || share === 1) reach.shareOneSided++;
    else reach.shareMixed++;
    if (!Number.isNaN(s[F.buyShare5s]!)) reach.share5Warm++;
    const age = s[F.oiLowAgeMs]!;
    if (onLow && !Number.isNaN(lowAt)) onLow(o, now, lowAt);
    if (Number.isNaN(age)) reach.lowNull++;
    else if (age === M15) reach.lowCarried++;
    else if (age === 0) reach.lowZero++;
    else if (age < 5_000) reach.lowUnder5s++;
    else reach.lowOver5s++;
    if (prevAge < 5_000 && age >= 5_000) reach.exitCrossings++;
    prevAge = age;
  });
}

describe('Kinematics / Cascade inputs vs brute force at every record', () => {
  it('mid lags, returns, aggressor shares, the OI low and its age on random 20-minute market streams', () => {
    const reach = newReach();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        checkStream(generateFrames({ seed, coins: ['BTC'], durationMs: 20 * 60_000, rate: 10 }), reach);
      }),
      { numRuns: 4, seed: 15 },
    );
    console.log('strategy inputs reach (market streams)', JSON.stringify(reach));
    expect(reach.records).toBeGreaterThan(40_000);
    expect(reach.unpublished).toBeGreaterThan(50); // stale pushes: the slot is not republished
    for (const k of ['mid1sAgo', 'mid5sAgo', 'mid10sAgo', 'midMax5s']) {
      expect(reach.midNull[k]).toBeGreaterThan(4);
      expect(reach.midWarm[k]).toBeGreaterThan(40_000);
    }
    expect(reach.extremeAwayFromMid).toBeGreaterThan(10_000);
    expect(reach.shareWarmingNull).toBeGreaterThan(4);
    expect(reach.shareNoTradeNull).toBeGreaterThan(100);
    expect(reach.shareOneSided).toBeGreaterThan(100);
    expect(reach.shareMixed).toBeGreaterThan(10_000);
    expect(reach.share5Warm).toBeGreaterThan(40_000);
    expect(reach.lowNull).toBeGreaterThan(30_000); // the first 15 m of every stream
    // the market generator's OI drifts up: new lows are rare there (the OI-path test below has many)
    expect(reach.lowZero + reach.lowUnder5s).toBeGreaterThan(100);
    expect(reach.lowOver5s).toBeGreaterThan(10_000);
    expect(reach.exitCrossings).toBeGreaterThan(1);
  });

  it('the OI low and its age on random OI paths with ties, long silences and cascades (fast-check)', () => {
    // OI walks over coarse levels (equal values are frequent) with runs of drops (cascades); gaps from
    // 0 to 40 s; bbo and trade records move time without touching OI
    const stepArb = fc.record({
      dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 40_000 })),
      kind: fc.constantFrom('oi', 'oi', 'bbo', 'trade'),
      move: fc.constantFrom(-1, 0, 1, 1, 2, -3), // mean 0: the low is as often at the window's start as at its end
      level: fc.integer({ min: 0, max: 5 }),
    });
    const reach = newReach();
    let ties = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 200, maxLength: 500, size: 'max' }), (steps) => {
        const frames: Frame[] = [];
        let t = 1_751_427_000_000;
        let vt = 1;
        let oi = 1_000;
        for (const st of steps) {
          t += st.dt;
          vt++;
          if (st.kind === 'oi') {
            oi = Math.max(10, oi + 10 * st.move);
            frames.push(frame('activeAssetCtx', t, ctx(oi)));
          } else if (st.kind === 'bbo') frames.push(frame('bbo', t, bbo(100 + st.level, 101 + st.level, vt)));
          else frames.push(frame('trades', t, [trade(st.level % 2 ? 'B' : 'A', 100, 1 + st.level)]));
        }
        checkStream(frames, reach, (o, now, at) => {
          const best = refExtremum(o, now, M15, 'min');
          if (o.some((x) => x.t > at && x.t <= now && x.v === best)) ties++;
        });
      }),
      { numRuns: 60, seed: 15 },
    );
    console.log('strategy inputs reach (OI paths)', JSON.stringify({ ...reach, lowTiesLater: ties }));
    expect(reach.lowNull).toBeGreaterThan(1_000);
    expect(reach.lowCarried).toBeGreaterThan(500);
    expect(reach.lowZero).toBeGreaterThan(200);
    expect(reach.lowUnder5s).toBeGreaterThan(200);
    expect(reach.lowOver5s).toBeGreaterThan(1_000);
    expect(reach.exitCrossings).toBeGreaterThan(100);
    expect(ties).toBeGreaterThan(500); // an equal OI later in the window: not a new low
  });
});

function frame(channel: Frame['channel'], recvTime: number, data: unknown): Frame {
  return { channel, recvTime, text: JSON.stringify({ channel, data }) };
}

const lvl = (px: number) => ({ px: String(px), sz: '1', n: 1 });
const bbo = (bid: number, ask: number, time: number): WsBbo => ({
  coin: 'BTC',
  time,
  bbo: [lvl(bid), lvl(ask)],
});
const ctx = (openInterest: number): WsActiveAssetCtx => ({
  coin: 'BTC',
  ctx: {
    funding: '0.0000125',
    openInterest: String(openInterest),
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
let tid = 1;
const trade = (side: 'A' | 'B', px: number, sz: number): WsTrade => ({
  coin: 'BTC',
  side,
  px: String(px),
  sz: String(sz),
  time: 1,
  hash: '0x0',
  tid: tid++,
  users: ['a', 'b'],
});

describe('oiLowAgeMs (Cascade: "OI has not made a new low for 5 s" = oiLowAgeMs ≥ 5000)', () => {
  it('a strictly lower OI resets it, an equal OI does not, a minimum carried into the window counts from its start', () => {
    const b = new StateBuilder({ coins: ['BTC'] });
    const s = b.coin('BTC')!.slot;
    const t0 = 1_000_000;
    const age = (t: number, o: number) => {
      b.onAssetCtx(ctx(o), t);
      return s[F.oiLowAgeMs]!;
    };
    expect(age(t0, 100)).toBeNaN();
    expect(age(t0 + M15 - 1, 101)).toBeNaN(); // the 15 m window is not warm yet
    const w = t0 + M15;
    // the minimum (100) is the value carried in from the window's start: age = the whole window
    expect(age(w, 101)).toBe(M15);
    expect(age(w + 1_000, 99)).toBe(0); // a new low
    expect(age(w + 3_000, 99)).toBe(2_000); // equal to the low: not a new low
    expect(age(w + 4_000, 100)).toBe(3_000);
    expect(age(w + 5_999, 99)).toBe(4_999); // equal again, after a rise: still not a new low
    expect(age(w + 6_000, 100)).toBe(5_000); // the Cascade exit condition holds from here
    expect(age(w + 6_500, 98.999)).toBe(0);
    // once the low's own observation leaves the window, the minimum is carried: age = the window
    expect(age(w + 6_500 + M15, 150)).toBe(M15);
    expect(age(w + 6_600 + M15, 98.999)).toBe(M15); // equal to the carried minimum: not a new low
    // once the value in effect at the window's start rises above that later equal OI, the later one counts
    expect(age(w + 6_500 + 2 * M15, 200)).toBe(M15 - 100);
  });
});

describe('buyShare1s / buyShare5s', () => {
  it('buy / (buy + sell) over the window; NULL while warming up and when the window saw no trade', () => {
    const b = new StateBuilder({ coins: ['BTC'] });
    const s = b.coin('BTC')!.slot;
    const t0 = 2_000_000;
    b.onTrades([trade('B', 100, 3), trade('A', 100, 1)], t0);
    expect(s[F.buyShare1s]).toBeNaN(); // the 1 s flow window is not warm
    b.onTrades([trade('B', 100, 1)], t0 + 999);
    expect(s[F.buyShare1s]).toBeNaN();
    b.onTrades([trade('A', 100, 1)], t0 + 1_000); // (t0, t0 + 1000]: buy 100, sell 100
    expect(s[F.buyShare1s]).toBe(0.5);
    expect(s[F.buyShare5s]).toBeNaN();
    b.onTrades([trade('A', 50, 6)], t0 + 1_999); // (999, 1999]: buy 0 (the buy at 999 is out), sell 400
    expect(s[F.buyShare1s]).toBe(0);
    b.onBbo(bbo(99, 101, 1), t0 + 3_500); // any record of the coin moves its windows: nothing in (2500, 3500]
    expect(s[F.buyShare1s]).toBeNaN();
    b.onTrades([trade('B', 100, 2)], t0 + 5_000); // 5 s window (t0, t0 + 5000]: buy 300, sell 400
    expect(s[F.buyShare1s]).toBe(1);
    expect(s[F.buyShare5s]).toBeCloseTo(300 / 700, 15);
    b.onBbo(bbo(99, 101, 2), t0 + 10_000);
    expect(s[F.buyShare5s]).toBeNaN(); // the last trade was 5 s ago: out of (5000, 10000]
  });
});

describe('mid10sAgo, mid5sAgo, mid1sAgo, ret5s, midMax5s / midMin5s', () => {
  it('the mid in effect w ago, NULL until w of history; ret5s = ln(mid / mid5sAgo)', () => {
    const b = new StateBuilder({ coins: ['BTC'] });
    const s = b.coin('BTC')!.slot;
    const t0 = 3_000_000;
    b.onBbo(bbo(99, 101, 1), t0); // mid 100
    expect(s[F.mid1sAgo]).toBeNaN();
    b.onBbo(bbo(101, 103, 2), t0 + 4_000); // mid 102
    expect(s[F.mid1sAgo]).toBe(100);
    expect(s[F.mid5sAgo]).toBeNaN(); // 4 s of history
    expect(s[F.midMax5s]).toBeNaN();
    expect(s[F.ret5s]).toBeNaN();
    b.onBbo(bbo(101, 103, 3), t0 + 5_000);
    expect(s[F.mid5sAgo]).toBe(100); // the mid in effect at exactly now − 5 s
    b.onBbo(bbo(103, 105, 4), t0 + 9_999); // mid 104
    expect(s[F.mid10sAgo]).toBeNaN(); // 9.999 s of history
    expect(s[F.mid5sAgo]).toBe(102); // in effect at t0 + 4999
    expect(s[F.mid1sAgo]).toBe(102);
    expect(s[F.ret1s]).toBeCloseTo(Math.log(104 / 102), 15);
    expect(s[F.ret5s]).toBeCloseTo(Math.log(104 / 102), 15);
    expect(s[F.midMax5s]).toBe(104);
    expect(s[F.midMin5s]).toBe(102); // the mid in effect at t0 + 4999 is part of the window
    b.onBbo(bbo(103, 105, 5), t0 + 10_000);
    expect(s[F.mid10sAgo]).toBe(100);
    b.onBbo(bbo(105, 107, 6), t0 + 14_000); // mid 106; 10 s ago (t0 + 4000) the mid became 102
    expect(s[F.mid10sAgo]).toBe(102);
    expect(s[F.mid5sAgo]).toBe(102); // at t0 + 9000 the 102 was still in effect
    expect(s[F.ret5s]).toBeCloseTo(Math.log(106 / 102), 15);
    expect(s[F.midMax5s]).toBe(106);
    expect(s[F.midMin5s]).toBe(102);
  });
});

describe('sigma5s1h (RULEBOOK: σ of move5s sampled once a second over 1 h)', () => {
  it('is NULL until 3600 one-second samples of move5s exist, then their sample standard deviation', () => {
    const b = new StateBuilder({ coins: ['BTC'] });
    const s = b.coin('BTC')!.slot;
    const t0 = 10_000_000; // a whole second
    // a deterministic mid path; bbo every 250 ms, so each second sees several mids
    const midAt = (k: number) => 100 + 2 * Math.sin(k / 37) + ((k * 7919) % 13) / 10;
    const step = 250;
    const feed = (k: number) => {
      const m = midAt(k);
      b.onBbo(bbo(m - 0.05, m + 0.05, k + 1), t0 + k * step);
    };
    // the sample at boundary B is ln(mid in effect at B / mid in effect at B − 5 s); the first is at t0 + 5 s
    const mAt = (t: number) => {
      const k = Math.floor((t - t0) / step);
      const m = midAt(k);
      return (m - 0.05 + (m + 0.05)) / 2;
    };
    const expected = (n: number) => {
      const xs: number[] = [];
      for (let j = 0; j < n; j++) {
        const B = t0 + S5 + j * S1;
        xs.push(Math.log(mAt(B) / mAt(B - S5)));
      }
      const mean = xs.reduce((a, x) => a + x, 0) / n;
      return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
    };
    // 3600 samples: boundaries t0 + 5 s … t0 + 5 s + 3599 s, the last sampled once time is past it
    const lastBoundary = t0 + S5 + 3_599 * S1;
    let k = 0;
    let nulls = 0;
    for (; t0 + k * step <= lastBoundary; k++) {
      feed(k);
      expect(s[F.sigma5s1h]).toBeNaN();
      nulls++;
    }
    expect(nulls).toBe((lastBoundary - t0) / step + 1);
    // the next record (t0 + 3604.25 s) is past the 3600th boundary
    feed(k);
    const got = s[F.sigma5s1h]!;
    const want = expected(3_600);
    expect(got).toBeGreaterThan(0);
    expect(Math.abs(got / want - 1)).toBeLessThan(1e-9);
    // and it slides: 10 minutes on, the last 3600 samples
    for (let j = 0; j < 2_400; j++) feed(++k);
    const now = t0 + k * step;
    const n = Math.ceil((now - (t0 + S5)) / S1); // boundaries t0 + 5 s … strictly before now
    const xs: number[] = [];
    for (let j = n - 3_600; j < n; j++) {
      const B = t0 + S5 + j * S1;
      xs.push(Math.log(mAt(B) / mAt(B - S5)));
    }
    const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
    expect(Math.abs(s[F.sigma5s1h]! / sd - 1)).toBeLessThan(1e-9);
  });
});
