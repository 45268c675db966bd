/**
 * A named, read-only view over a copied hot-state slot (the buffer a `HotStateReader.read` filled),
 * for the decision side: `view.mid`, `view.depthBid(20)`, `view.oiDrop10s`, … NaN means NULL
 * (unknown or still warming up). The view holds no data of its own; re-read the buffer, and the
 * view shows the new values. Allocates nothing per access.
 */
import { F, FIELD_SPEC, type FieldName, type ScalarFieldName, TOP_N } from './hotstate-layout.ts';
import { isBookInvalid, isStale } from './hotstate.ts';

export type HotFields = { readonly [K in ScalarFieldName]: number };

/**
 * Every scalar field of the layout as a getter (`view.mid`): the getters are defined on the prototype
 * from FIELD_SPEC when this module loads (below), before any view exists; this interface, merged with
 * the class, is their type.
 */
export interface HotView extends HotFields {}

/** `new HotView(buf)`: named getters for every scalar field of the layout, plus the helpers below. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the getters are installed from FIELD_SPEC below
export class HotView {
  constructor(public buf: Float64Array) {}

  /** True once the slot has been published at least once. */
  get published(): boolean {
    return this.buf[F.slotVersion]! > 0;
  }

  /** ms since the publish, against the reader's clock. */
  age(now: number): number {
    return now - this.buf[F.publishTime]!;
  }

  /**
   * True when the slot must not be traded on: never published, older than `maxAgeMs` against the
   * reader's clock, or its book gated by a rejected l2Book / bbo (`bookInvalid`).
   */
  stale(now: number, maxAgeMs: number): boolean {
    return isStale(this.buf, now, maxAgeMs);
  }

  /**
   * True from a rejected (malformed, crossed, unsorted …) l2Book until the next valid l2Book, or from
   * a rejected bbo until the next valid bbo or l2Book: the slot's book is the last valid one, but the
   * venue's current book is in doubt.
   */
  get bookInvalid(): boolean {
    return isBookInvalid(this.buf);
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
  Object.defineProperty(HotView.prototype, name, {
    get(this: HotView): number {
      return this.buf[off]!;
    },
    enumerable: true,
    configurable: false,
  });
}
