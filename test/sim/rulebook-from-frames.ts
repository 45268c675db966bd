/**
 * Test helper: the RULEBOOK regime inputs recomputed from emitted frames only (activeAssetCtx for OI
 * and funding, l2Book for depth). Written independently of sim/engine.ts on purpose.
 */

export type Regime = 'SIDEWAYS' | 'EXPANSION' | 'DISABLED';

class WindowExtreme {
  private t: number[] = [];
  private v: number[] = [];
  private h = 0;
  constructor(private readonly max: boolean) {}
  add(t: number, v: number): void {
    while (
      this.v.length > this.h &&
      (this.max ? this.v[this.v.length - 1]! <= v : this.v[this.v.length - 1]! >= v)
    ) {
      this.v.pop();
      this.t.pop();
    }
    this.t.push(t);
    this.v.push(v);
  }
  get(from: number): number {
    while (this.h < this.t.length && this.t[this.h]! <= from) this.h++;
    return this.h < this.v.length ? this.v[this.h]! : Number.NaN;
  }
}

export interface Inputs {
  oiRange15m: number;
  oiBuild1h: number;
  fundingDev: number;
  depthAsym5s: number;
}

export function regimeOf(x: Inputs): Regime {
  const sideways = x.oiRange15m <= 0.006 && x.fundingDev <= 0.00002 && Math.abs(x.depthAsym5s) <= 0.25;
  const expansion = x.oiBuild1h >= 0.02 && x.fundingDev >= 0.00004 && Math.abs(x.depthAsym5s) >= 0.3;
  if (sideways === expansion) return 'DISABLED';
  return sideways ? 'SIDEWAYS' : 'EXPANSION';
}

interface Level {
  px: string;
  sz: string;
  n: number;
}

/** depthBid(50), depthAsk(50) asymmetry of one book snapshot, mid from its own best bid/ask. */
export function bookAsym50(levels: [Level[], Level[]]): number {
  const [bids, asks] = levels;
  if (bids.length === 0 || asks.length === 0) return Number.NaN;
  const mid = (Number(bids[0]!.px) + Number(asks[0]!.px)) / 2;
  let b = 0;
  let a = 0;
  for (const l of bids) {
    const px = Number(l.px);
    if (px >= mid * (1 - 0.005)) b += px * Number(l.sz);
  }
  for (const l of asks) {
    const px = Number(l.px);
    if (px <= mid * (1 + 0.005)) a += px * Number(l.sz);
  }
  return b + a > 0 ? (b - a) / (b + a) : Number.NaN;
}

/** Per-coin rolling state fed with frames in arrival order. */
export class CoinInputs {
  private readonly max15 = new WindowExtreme(true);
  private readonly min15 = new WindowExtreme(false);
  private readonly min1h = new WindowExtreme(false);
  private firstCtx = Number.NaN;
  private funding = Number.NaN;
  private readonly books: { t: number; a: number }[] = [];

  onCtx(t: number, oi: number, funding: number): void {
    if (Number.isNaN(this.firstCtx)) this.firstCtx = t;
    this.max15.add(t, oi);
    this.min15.add(t, oi);
    this.min1h.add(t, oi);
    this.funding = funding;
  }

  onBook(t: number, asym: number): void {
    this.books.push({ t, a: asym });
    // keep the last snapshot before any 5 s window we may still ask about
    while (this.books.length > 2 && this.books[1]!.t <= t - 10_000) this.books.shift();
  }

  /** Time-weighted mean of the piecewise-constant book asymmetry over [s − 5 s, s]. */
  private asym5s(s: number): number {
    const from = s - 5_000;
    let acc = 0;
    let covered = 0;
    for (let i = 0; i < this.books.length; i++) {
      const b = this.books[i]!;
      const next = i + 1 < this.books.length ? this.books[i + 1]!.t : s;
      const lo = Math.max(from, b.t);
      const hi = Math.min(s, next);
      if (hi > lo) {
        acc += b.a * (hi - lo);
        covered += hi - lo;
      }
    }
    return covered >= 5_000 - 1 ? acc / covered : Number.NaN;
  }

  inputs(s: number): Inputs {
    const warm15 = s - this.firstCtx >= 900_000;
    const warm1h = s - this.firstCtx >= 3_600_000;
    const max15 = this.max15.get(s - 900_000);
    const min15 = this.min15.get(s - 900_000);
    const min1h = this.min1h.get(s - 3_600_000);
    return {
      oiRange15m: warm15 ? (max15 - min15) / min15 : Number.NaN,
      oiBuild1h: warm1h ? (max15 - min1h) / min1h : Number.NaN,
      fundingDev: Math.abs(this.funding - 0.0000125),
      depthAsym5s: this.asym5s(s),
    };
  }
}
