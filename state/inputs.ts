/**
 * The venue data the state builder consumes, declared structurally exactly as Hyperliquid sends it
 * (docs/hyperliquid-protocol.md §1.5): prices and sizes are decimal strings. The validated parser
 * output in `hyperliquid/` has these shapes; `state/` declares them here so it imports nothing.
 */

/** One book level: price and size as decimal strings, `n` = number of orders at the level. */
export interface WsLevel {
  px: string;
  sz: string;
  n: number;
}

/** `l2Book` push: a complete snapshot, `levels[0]` bids and `levels[1]` asks, both best first. */
export interface WsBook {
  coin: string;
  time: number;
  levels: [WsLevel[], WsLevel[]];
}

/** `bbo` push: best bid and best ask; either side may be null (empty side). */
export interface WsBbo {
  coin: string;
  time: number;
  bbo: [WsLevel | null, WsLevel | null];
}

/** One `trades` element. `side` is the aggressor: B = taker bought, A = taker sold. `users` = [buyer, seller]. */
export interface WsTrade {
  coin: string;
  side: 'A' | 'B';
  px: string;
  sz: string;
  time: number;
  hash: string;
  tid: number;
  users: [string, string];
}

/** `activeAssetCtx` (perp) push. Every value is a decimal string; `midPx`, `premium`, `impactPxs` may be null. */
export interface WsActiveAssetCtx {
  coin: string;
  ctx: {
    funding: string;
    openInterest: string;
    oraclePx: string;
    markPx: string;
    midPx: string | null;
    premium: string | null;
    impactPxs: [string, string] | null;
    prevDayPx: string;
    dayNtlVlm: string;
    dayBaseVlm: string;
  };
}

/**
 * A venue decimal string (or a number) to a float64; NaN when it is not a finite decimal.
 * `Number()` rejects trailing garbage (unlike `parseFloat`); the empty string is rejected explicitly.
 */
export function parseDecimal(s: unknown): number {
  if (typeof s === 'string') {
    if (s.length === 0) return Number.NaN;
    const x = Number(s);
    return Number.isFinite(x) ? x : Number.NaN;
  }
  if (typeof s === 'number') return Number.isFinite(s) ? s : Number.NaN;
  return Number.NaN;
}
