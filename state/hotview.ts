/**
 * A named, read-only view over a copied hot-state slot (the buffer a `HotStateReader.read` filled),
 * for the decision side: `view.mid`, `view.depthBid(20)`, `view.oiDrop10s`, … NaN means NULL
 * (unknown or still warming up). The view holds no data of its own; re-read the buffer, and the
 * view shows the new values. Allocates nothing per access.
 */
import { F, FIELD_SPEC, type FieldName, type ScalarFieldName, TOP_N } from './hotstate-layout.ts';
import { isStale } from './hotstate.ts';

export type HotFields = { readonly [K in ScalarFieldName]: number };

class HotViewBase {
  constructor(public buf: Float64Array) {}

  /** True once the slot has been published at least once. */
  get published(): boolean {
    return this.buf[F.slotVersion]! > 0;
  }

  /** ms since the publish, against the reader's clock. */
  age(now: number): number {
    return now - this.buf[F.publishTime]!;
  }

  stale(now: number, maxAgeMs: number): boolean {
    return isStale(this.buf, now, maxAgeMs);
  }

  /** Notional resting within `bps` (10, 20 or 50) of mid on the bid side; NaN for other bands. */
  depthBid(bps: 10 | 20 | 50): number {
    return (
      this.buf[bps === 10 ? F.depthBid10 : bps === 20 ? F.depthBid20 : bps === 50 ? F.depthBid50 : -1] ?? NaN
    );
  }

  depthAsk(bps: 10 | 20 | 50): number {
    return (
      this.buf[bps === 10 ? F.depthAsk10 : bps === 20 ? F.depthAsk20 : bps === 50 ? F.depthAsk50 : -1] ?? NaN
    );
  }

  /** Aggressor buy notional over a window. */
  buyNotional(w: '1s' | '5s' | '15m' | '1h'): number {
    return this.buf[
      w === '1s' ? F.buyNtl1s : w === '5s' ? F.buyNtl5s : w === '15m' ? F.buyNtl15m : F.buyNtl1h
    ]!;
  }

  sellNotional(w: '1s' | '5s' | '15m' | '1h'): number {
    return this.buf[
      w === '1s' ? F.sellNtl1s : w === '5s' ? F.sellNtl5s : w === '15m' ? F.sellNtl15m : F.sellNtl1h
    ]!;
  }

  /** Level `i` (0 = best) of the l2Book snapshot; NaN past the book's depth or TOP_N. */
  bidPx(i: number): number {
    return i >= 0 && i < TOP_N ? this.buf[F.bidPx + i]! : NaN;
  }
  bidSz(i: number): number {
    return i >= 0 && i < TOP_N ? this.buf[F.bidSz + i]! : NaN;
  }
  askPx(i: number): number {
    return i >= 0 && i < TOP_N ? this.buf[F.askPx + i]! : NaN;
  }
  askSz(i: number): number {
    return i >= 0 && i < TOP_N ? this.buf[F.askSz + i]! : NaN;
  }

  /** Any field by name (for generic dumps). */
  get(name: FieldName): number {
    return this.buf[F[name]]!;
  }
}

for (const [name, width] of FIELD_SPEC) {
  if (width !== 1) continue;
  const off = F[name];
  Object.defineProperty(HotViewBase.prototype, name, {
    get(this: HotViewBase): number {
      return this.buf[off]!;
    },
    enumerable: true,
    configurable: false,
  });
}

export type HotView = HotViewBase & HotFields;
/** `new HotView(buf)`: named getters for every scalar field of the layout, plus the helpers above. */
export const HotView = HotViewBase as unknown as new (buf: Float64Array) => HotView;
