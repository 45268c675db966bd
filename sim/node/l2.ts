/**
 * order_book_server's L2 views (server/src/order_book/levels.rs, listeners/order_book/utils.rs
 * `compute_l2_snapshots`), on integers ×10^8:
 * - the full book: one level per price, best first, size summed and orders counted;
 * - `nSigFigs` 5 from the full book, 5 with mantissa 2 from that, 5 with mantissa 5 from the plain 5
 *   (2 is not a superset of it), 4 from 5×5, 3 from 4, 2 from 3 — each derived from the one before,
 *   as the reference does;
 * - a bucket is `mantissa × 10^(digits − nSigFigs)` of the scaled price, asks rounded up and bids
 *   down; a level joins the current bucket unless its price is beyond the bucket's price.
 * `nLevels` truncates the chosen view when it is sent.
 */
import type { ObsLevel } from './wire.ts';

export interface ObsL2Params {
  nSigFigs: number | null;
  mantissa: number | null;
}

export type ObsSides = [ObsLevel[], ObsLevel[]];

function digits(v: number): number {
  return v === 0 ? 1 : String(v).length;
}

export function obsBucket(
  px: number,
  isBid: boolean,
  nSigFigs: number | null,
  mantissa: number | null,
): number {
  if (nSigFigs === null) return px;
  const p = Math.max(0, digits(px) - nSigFigs);
  const inc = (mantissa ?? 1) * 10 ** p;
  return isBid ? Math.floor(px / inc) * inc : Math.ceil(px / inc) * inc;
}

/** `l2_levels_to_l2_levels` with no level limit. */
export function obsRebucket(
  levels: readonly ObsLevel[],
  isBid: boolean,
  nSigFigs: number | null,
  mantissa: number | null,
): ObsLevel[] {
  const out: ObsLevel[] = [];
  let cur: ObsLevel | null = null;
  for (const l of levels) {
    const fresh = cur === null || (isBid ? l.px < cur.px : l.px > cur.px);
    if (fresh) {
      if (cur !== null) out.push(cur);
      cur = { px: obsBucket(l.px, isBid, nSigFigs, mantissa), sz: l.sz, n: l.n };
    } else if (cur !== null) {
      cur.sz += l.sz;
      cur.n += l.n;
    }
  }
  if (cur !== null) out.push(cur);
  return out;
}

export function obsL2Key(p: ObsL2Params): string {
  return `${p.nSigFigs}|${p.mantissa}`;
}

/** Every view OBS keeps for a coin, keyed by `obsL2Key`, from the full book's levels. */
export function obsL2Views(full: ObsSides): Map<string, ObsSides> {
  const entries: [ObsL2Params, ObsSides][] = [[{ nSigFigs: null, mantissa: null }, full]];
  const derive = (nSigFigs: number, mantissa: number | null, idx: number) => {
    const from = entries[entries.length - idx]![1];
    entries.push([
      { nSigFigs, mantissa },
      [obsRebucket(from[0], true, nSigFigs, mantissa), obsRebucket(from[1], false, nSigFigs, mantissa)],
    ]);
  };
  derive(5, null, 1);
  derive(5, 2, 1);
  derive(5, 5, 2);
  derive(4, null, 1);
  derive(3, null, 1);
  derive(2, null, 1);
  return new Map(entries.map(([p, s]) => [obsL2Key(p), s]));
}
