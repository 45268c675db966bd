/**
 * Ground truth vs the RULEBOOK formulas recomputed from the emitted frames only (activeAssetCtx for
 * OI/funding/mid, l2Book for depth, trades for flow), per named scenario, after the 1 h warm-up.
 */
import { describe, expect, it } from 'vitest';
import type { CascadeEvent, GroundTruthLabel } from '../../sim/engine.ts';
import { generate } from '../../sim/generate.ts';
import { scenarioNames } from '../../sim/scenarios.ts';
import { bookAsym50, CoinInputs, regimeOf } from './rulebook-from-frames.ts';

interface CoinFrames {
  inputs: CoinInputs;
  ctx: { t: number; oi: number; mid: number }[];
  trades: { t: number; buy: boolean; ntl: number }[];
  books: { t: number; bid20: number; ask20: number }[];
}

function depth20(levels: { px: string; sz: string }[][]): [number, number] {
  const mid = (Number(levels[0]![0]!.px) + Number(levels[1]![0]!.px)) / 2;
  let b = 0;
  let a = 0;
  for (const l of levels[0]!) if (Number(l.px) >= mid * (1 - 0.002)) b += Number(l.px) * Number(l.sz);
  for (const l of levels[1]!) if (Number(l.px) <= mid * (1 + 0.002)) a += Number(l.px) * Number(l.sz);
  return [b, a];
}

function run(scenario: string, seed: number) {
  const coins = new Map<string, CoinFrames>();
  const get = (c: string) => {
    let x = coins.get(c);
    if (!x) {
      x = { inputs: new CoinInputs(), ctx: [], trades: [], books: [] };
      coins.set(c, x);
    }
    return x;
  };
  const labels: GroundTruthLabel[] = [];
  const events: CascadeEvent[] = [];
  let start = Number.NaN;
  let agree = 0;
  let total = 0;
  const regimes: Record<string, number> = {};
  const r = generate({
    seed,
    scenario,
    channels: ['l2Book', 'trades', 'activeAssetCtx'],
    onFrame: (text, t) => {
      const m = JSON.parse(text);
      if (m.channel === 'trades') {
        const cf = get(m.data[0].coin);
        for (const tr of m.data)
          cf.trades.push({ t: tr.time, buy: tr.side === 'B', ntl: Number(tr.px) * Number(tr.sz) });
        return;
      }
      const cf = get(m.data.coin);
      if (m.channel === 'activeAssetCtx') {
        const oi = Number(m.data.ctx.openInterest);
        cf.inputs.onCtx(t, oi, Number(m.data.ctx.funding));
        cf.ctx.push({ t, oi, mid: Number(m.data.ctx.midPx) });
      } else if (m.channel === 'l2Book') {
        cf.inputs.onBook(m.data.time, bookAsym50(m.data.levels));
        const [bid20, ask20] = depth20(m.data.levels);
        cf.books.push({ t: m.data.time, bid20, ask20 });
      }
    },
    onLabel: (l) => {
      labels.push(l);
      if (Number.isNaN(start)) start = l.t;
      if (l.t < start + 3_600_000) return;
      // every frame with time <= l.t has been delivered when the label for l.t is emitted
      const fromFrames = regimeOf(coins.get(l.coin)!.inputs.inputs(l.t));
      total++;
      if (fromFrames === l.regime) agree++;
      regimes[l.regime] = (regimes[l.regime] ?? 0) + 1;
    },
    onEvent: (e) => events.push(e),
  });
  return {
    coins,
    labels,
    events,
    agreement: agree / total,
    total,
    regimes,
    hours: (r.endTime - r.startTime) / 3.6e6,
  };
}

/** Sum of notional of trades (buy or sell) with time in (t0, t1]. */
function flow(trades: CoinFrames['trades'], t0: number, t1: number, buy: boolean): number {
  let s = 0;
  for (const x of trades) if (x.t > t0 && x.t <= t1 && x.buy === buy) s += x.ntl;
  return s;
}

function lowerBound(xs: { t: number }[], t: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (xs[m]!.t < t) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** Checks each cascade from the frames: OI drop, one-sided flow, defended side thinning, refill. */
function checkCascade(cf: CoinFrames, start: number, end: number, longsLiquidated: boolean) {
  let oiDrop10s = 0;
  for (const s of cf.ctx) {
    if (s.t < start || s.t > end) continue;
    let mx = 0;
    for (const p of cf.ctx) if (p.t > s.t - 10_000 && p.t <= s.t) mx = Math.max(mx, p.oi);
    oiDrop10s = Math.max(oiDrop10s, (mx - s.oi) / mx);
  }
  let oneSided = 0;
  const i0 = lowerBound(cf.trades, start);
  const near = cf.trades.slice(lowerBound(cf.trades, start - 5_000), lowerBound(cf.trades, start + 15_001));
  for (let i = i0; i < cf.trades.length && cf.trades[i]!.t <= start + 15_000; i++) {
    const t = cf.trades[i]!.t;
    const hot = flow(near, t - 5_000, t, !longsLiquidated);
    const cold = flow(near, t - 5_000, t, longsLiquidated);
    oneSided = Math.max(oneSided, hot / (hot + cold));
  }
  const side = (b: CoinFrames['books'][number]) => (longsLiquidated ? b.bid20 : b.ask20);
  const pre = cf.books.filter((b) => b.t >= start - 30_000 && b.t < start).map(side);
  const preMean = pre.reduce((a, b) => a + b, 0) / pre.length;
  const during = cf.books.filter((b) => b.t >= start && b.t <= end).map(side);
  const after = cf.books.filter((b) => b.t > end && b.t <= end + 60_000).map(side);
  return {
    oiDrop10s,
    oneSided,
    thinRatio: Math.min(...during) / preMean,
    refillRatio: Math.max(...after) / preMean,
  };
}

/** Geometry-style absorption triggers at the range edges, from ctx mids and trades only. */
function absorptionEpisodes(cf: CoinFrames, from: number): number {
  let episodes = 0;
  let last = -Infinity;
  const trades = cf.trades;
  const cum: number[] = [0];
  const cumB: number[] = [0];
  for (const x of trades) {
    cum.push(cum[cum.length - 1]! + (x.buy ? 0 : x.ntl));
    cumB.push(cumB[cumB.length - 1]! + (x.buy ? x.ntl : 0));
  }
  const sum = (c: number[], t0: number, t1: number) =>
    c[lowerBound(trades, t1 + 1)]! - c[lowerBound(trades, t0 + 1)]!;
  for (let i = 0; i < cf.ctx.length; i++) {
    const s = cf.ctx[i]!;
    if (s.t < from) continue;
    let hi = -Infinity;
    let lo = Infinity;
    for (let j = i; j >= 0 && cf.ctx[j]!.t > s.t - 900_000; j--) {
      hi = Math.max(hi, cf.ctx[j]!.mid);
      lo = Math.min(lo, cf.ctx[j]!.mid);
    }
    const width = ((hi - lo) / s.mid) * 1e4;
    if (width < 20 || width > 150) continue;
    const sell5 = sum(cum, s.t - 5_000, s.t);
    const buy5 = sum(cumB, s.t - 5_000, s.t);
    const sellMean = sum(cum, s.t - 3_600_000, s.t) / 720;
    const buyMean = sum(cumB, s.t - 3_600_000, s.t) / 720;
    const long = s.mid <= lo + 0.15 * (hi - lo) && sell5 >= 2 * sellMean && s.mid >= lo * (1 - 5e-4);
    const short = s.mid >= hi - 0.15 * (hi - lo) && buy5 >= 2 * buyMean && s.mid <= hi * (1 + 5e-4);
    if (long || short) {
      if (s.t - last > 30_000) episodes++;
      last = s.t;
    }
  }
  return episodes;
}

describe('sim ground truth agrees with the RULEBOOK formulas computed from the emitted frames', () => {
  for (const scenario of scenarioNames()) {
    it(`scenario ${scenario}`, () => {
      const res = run(scenario, 11);
      const share = (k: string) => (res.regimes[k] ?? 0) / res.total;
      const line: Record<string, unknown> = {
        scenario,
        hours: Number(res.hours.toFixed(2)),
        labelledSecondsAfterWarmup: res.total,
        agreementPct: Number((res.agreement * 100).toFixed(2)),
        SIDEWAYS: Number((share('SIDEWAYS') * 100).toFixed(1)),
        EXPANSION: Number((share('EXPANSION') * 100).toFixed(1)),
        DISABLED: Number((share('DISABLED') * 100).toFixed(1)),
        cascades: res.events.filter((e) => e.event === 'cascadeStart').length,
      };
      // cascades, seen from the frames
      const cascades: ReturnType<typeof checkCascade>[] = [];
      for (const e of res.events) {
        if (e.event !== 'cascadeStart') continue;
        const end = res.events.find((x) => x.coin === e.coin && x.event === 'cascadeEnd' && x.t > e.t)!;
        cascades.push(checkCascade(res.coins.get(e.coin)!, e.t, end.t, e.liquidated === 'long'));
      }
      if (cascades.length > 0) {
        line.cascadeMinOiDrop10s = Number(Math.min(...cascades.map((c) => c.oiDrop10s)).toFixed(4));
        line.cascadeMinOneSided = Number(Math.min(...cascades.map((c) => c.oneSided)).toFixed(3));
        line.cascadeMaxThinRatio = Number(Math.max(...cascades.map((c) => c.thinRatio)).toFixed(3));
        line.cascadeMinRefillRatio = Number(Math.min(...cascades.map((c) => c.refillRatio)).toFixed(3));
      }
      if (scenario === 'sideways') {
        const warm = res.labels[0]!.t + 3_600_000;
        line.absorptionEpisodes = [...res.coins.entries()]
          .map(([c, cf]) => `${c}:${absorptionEpisodes(cf, warm)}`)
          .join(' ');
      }
      console.log(`[sim ground truth] ${JSON.stringify(line)}`);

      expect(res.agreement).toBeGreaterThanOrEqual(0.9);
      for (const c of cascades) {
        expect(c.oiDrop10s).toBeGreaterThanOrEqual(0.03);
        expect(c.oneSided).toBeGreaterThanOrEqual(0.8);
        expect(c.thinRatio).toBeLessThan(0.5);
        expect(c.refillRatio).toBeGreaterThanOrEqual(0.8);
      }
      if (scenario === 'sideways') {
        expect(share('SIDEWAYS')).toBeGreaterThan(0.8);
        for (const [, cf] of res.coins)
          expect(absorptionEpisodes(cf, res.labels[0]!.t + 3_600_000)).toBeGreaterThan(0);
      } else if (scenario === 'exhaustion') {
        // the spikes leave the range SIDEWAYS (the OI, funding and book skew do not move)
        expect(share('SIDEWAYS')).toBeGreaterThan(0.95);
        expect(cascades.length).toBe(0);
      } else if (scenario === 'cascade') {
        expect(share('EXPANSION')).toBeGreaterThan(0.6);
        expect(cascades.length).toBe(9);
      } else if (scenario === 'chop') {
        expect(share('DISABLED')).toBeGreaterThan(0.9);
      } else if (scenario === 'expansion-cascade') {
        expect(share('EXPANSION')).toBeGreaterThan(0.4);
        expect(cascades.length).toBe(6);
      } else if (scenario === 'default') {
        for (const k of ['SIDEWAYS', 'EXPANSION', 'DISABLED']) expect(share(k)).toBeGreaterThan(0.05);
        expect(cascades.length).toBe(3);
      }
      // labels cover every coin every second
      for (const coin of ['BTC', 'ETH', 'SOL']) {
        const ts = res.labels.filter((l) => l.coin === coin).map((l) => l.t);
        expect(ts.length).toBeGreaterThanOrEqual(Math.floor(res.hours * 3600));
        expect(ts.every((t, i) => i === 0 || t - ts[i - 1]! === 1000)).toBe(true);
      }
    });
  }
});
