/**
 * A seeded generator of a realistic Hyperliquid market-data stream (l2Book, bbo, trades,
 * activeAssetCtx) for tests and the builder benchmark. Each frame is the venue's JSON text and its
 * receive time; the mid follows a random walk, the book is 20 levels a side around it, OI and
 * funding drift with occasional OI flushes. Same seed → same frames.
 */
import type { WsActiveAssetCtx, WsBbo, WsBook, WsLevel, WsTrade } from '../../state/inputs.ts';

export type Channel = 'l2Book' | 'bbo' | 'trades' | 'activeAssetCtx';

export interface Frame {
  channel: Channel;
  recvTime: number;
  /** The frame's text exactly as the venue would send it. */
  text: string;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface CoinSim {
  coin: string;
  mid: number;
  tick: number;
  oi: number;
  funding: number;
  venueTime: number;
}

export interface GenOptions {
  seed: number;
  coins?: readonly string[];
  /** Stream length in ms of receive time. */
  durationMs: number;
  /** Mean frames per second over all coins. */
  rate?: number;
  startTime?: number;
}

/** The mix: per frame, which channel (bbo dominates, as on the venue). */
const MIX: ReadonlyArray<readonly [Channel, number]> = [
  ['bbo', 0.5],
  ['trades', 0.3],
  ['l2Book', 0.12],
  ['activeAssetCtx', 0.08],
];

export function generateFrames(opts: GenOptions): Frame[] {
  const rnd = mulberry32(opts.seed);
  const coins = opts.coins ?? ['BTC', 'ETH', 'SOL'];
  const rate = opts.rate ?? 50;
  const start = opts.startTime ?? 1_751_427_000_000;
  const sims: CoinSim[] = coins.map((coin, i) => ({
    coin,
    mid: [106_000, 2_500, 150, 30][i % 4]! * (1 + rnd() * 0.01),
    tick: [1, 0.1, 0.01, 0.001][i % 4]!,
    oi: [40_000, 600_000, 3_000_000, 1e7][i % 4]!,
    funding: 0.0000125,
    venueTime: start - 50,
  }));
  const out: Frame[] = [];
  let t = start;
  let tid = 1;
  while (t < start + opts.durationMs) {
    t += -Math.log(1 - rnd()) * (1000 / rate);
    const sim = sims[Math.floor(rnd() * sims.length)]!;
    // the venue clock runs ~50 ms behind receive, with jitter (and an occasional out-of-order push)
    sim.venueTime = Math.max(sim.venueTime, Math.floor(t - 50 - rnd() * 20));
    sim.mid *= Math.exp((rnd() - 0.5) * 0.0004);
    const u = rnd();
    let acc = 0;
    let ch: Channel = 'bbo';
    for (const [c, p] of MIX) {
      acc += p;
      if (u < acc) {
        ch = c;
        break;
      }
    }
    const vt = rnd() < 0.01 ? sim.venueTime - 500 : sim.venueTime;
    let data: WsBook | WsBbo | WsTrade[] | WsActiveAssetCtx;
    if (ch === 'l2Book') data = book(sim, vt, rnd);
    else if (ch === 'bbo') data = bbo(sim, vt, rnd);
    else if (ch === 'trades') {
      const n = 1 + Math.floor(rnd() * 4);
      const arr: WsTrade[] = [];
      for (let k = 0; k < n; k++) arr.push(trade(sim, vt, rnd, tid++));
      data = arr;
    } else {
      // OI drifts; about once in 300 pushes a 2–6 % flush
      sim.oi *= rnd() < 1 / 300 ? 1 - (0.02 + rnd() * 0.04) : 1 + (rnd() - 0.48) * 0.002;
      sim.funding += (rnd() - 0.5) * 0.000002;
      data = ctx(sim);
    }
    out.push({ channel: ch, recvTime: t, text: JSON.stringify({ channel: ch, data }) });
  }
  return out;
}

function px(sim: CoinSim, x: number): string {
  const dec = Math.max(0, -Math.round(Math.log10(sim.tick)));
  return (Math.round(x / sim.tick) * sim.tick).toFixed(dec);
}

function sz(rnd: () => number, scale: number): string {
  return (rnd() * scale + scale * 0.01).toFixed(5);
}

function level(sim: CoinSim, x: number, rnd: () => number, scale: number): WsLevel {
  return { px: px(sim, x), sz: sz(rnd, scale), n: 1 + Math.floor(rnd() * 5) };
}

function book(sim: CoinSim, time: number, rnd: () => number): WsBook {
  const bids: WsLevel[] = [];
  const asks: WsLevel[] = [];
  const scale = 50_000 / sim.mid;
  let b = sim.mid - sim.tick;
  let a = sim.mid + sim.tick;
  for (let i = 0; i < 20; i++) {
    bids.push(level(sim, b, rnd, scale));
    asks.push(level(sim, a, rnd, scale));
    b -= sim.tick * (1 + Math.floor((rnd() * sim.mid * 0.0002) / sim.tick));
    a += sim.tick * (1 + Math.floor((rnd() * sim.mid * 0.0002) / sim.tick));
  }
  // rounding can make neighbours equal: keep strictly monotone prices
  const dedupe = (ls: WsLevel[], dir: number) =>
    ls.filter((l, i) => i === 0 || (Number(l.px) - Number(ls[i - 1]!.px)) * dir > 0);
  return { coin: sim.coin, time, levels: [dedupe(bids, -1), dedupe(asks, 1)] };
}

function bbo(sim: CoinSim, time: number, rnd: () => number): WsBbo {
  const scale = 50_000 / sim.mid;
  return {
    coin: sim.coin,
    time,
    bbo: [level(sim, sim.mid - sim.tick, rnd, scale), level(sim, sim.mid + sim.tick, rnd, scale)],
  };
}

function trade(sim: CoinSim, time: number, rnd: () => number, tid: number): WsTrade {
  const buy = rnd() < 0.5;
  return {
    coin: sim.coin,
    side: buy ? 'B' : 'A',
    px: px(sim, sim.mid + (buy ? sim.tick : -sim.tick)),
    sz: sz(rnd, 5_000 / sim.mid),
    time,
    hash: '0x' + (tid * 2654435761).toString(16).padStart(64, '0'),
    tid: tid * 7919,
    users: ['0xcc0a3b6e3267c84361e91d8230868eea53431e4b', '0xc64cc00b46101bd40aa1c3121195e85c0b0918d8'],
  };
}

function ctx(sim: CoinSim): WsActiveAssetCtx {
  const m = px(sim, sim.mid);
  return {
    coin: sim.coin,
    ctx: {
      funding: sim.funding.toFixed(10),
      openInterest: sim.oi.toFixed(4),
      oraclePx: px(sim, sim.mid * 1.0001),
      markPx: m,
      midPx: m,
      premium: '-0.0004238885',
      impactPxs: [px(sim, sim.mid - sim.tick), px(sim, sim.mid + sim.tick)],
      prevDayPx: px(sim, sim.mid * 0.99),
      dayNtlVlm: '1371501207.1637816429',
      dayBaseVlm: '21569.5501',
    },
  };
}

/** Feed one parsed frame to a builder by channel (what the ingest worker does after validation). */
export function dispatch(
  b: {
    onBook(d: WsBook, t: number, seq?: number): unknown;
    onBbo(d: WsBbo, t: number, seq?: number): unknown;
    onTrades(d: WsTrade[], t: number, seq?: number): unknown;
    onAssetCtx(d: WsActiveAssetCtx, t: number, seq?: number): unknown;
  },
  channel: string,
  data: unknown,
  recvTime: number,
  seq: number,
): unknown {
  switch (channel) {
    case 'l2Book':
      return b.onBook(data as WsBook, recvTime, seq);
    case 'bbo':
      return b.onBbo(data as WsBbo, recvTime, seq);
    case 'trades':
      return b.onTrades(data as WsTrade[], recvTime, seq);
    case 'activeAssetCtx':
      return b.onAssetCtx(data as WsActiveAssetCtx, recvTime, seq);
    default:
      return undefined;
  }
}
