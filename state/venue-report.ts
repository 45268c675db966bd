/**
 * The venue's answers as data: the `VenueReport`s a venue (paper, live, replay) sends to execution, and
 * their shape check. They live in state/ because they are journal inputs (issue 16: `RecordKind.Venue`
 * records the ingest pipeline queues for the next tick, in journal order); machines/ and actors/ re-export
 * them beside the execution types.
 */
export type OrderSide = 'BUY' | 'SELL';

/**
 * Asynchronous reports from a venue. `fill` carries coin and side so that a fill for an order we do not
 * know (restart, foreign order) still reaches the ledger. `remaining` is the size still open after it.
 */
export type VenueReport =
  | { type: 'accepted'; clientId: string; oid: string; time: number }
  | {
      type: 'fill';
      clientId: string;
      coin: string;
      side: OrderSide;
      px: number;
      sz: number;
      fee: number;
      liquidity: 'taker' | 'maker';
      remaining: number;
      time: number;
    }
  | { type: 'canceled'; clientId: string; reason: string; time: number }
  | { type: 'rejected'; clientId: string; reason: string; time: number }
  /** The venue did not answer in time (the live venue's request timeout). */
  | { type: 'timeout'; clientId: string; time: number }
  /** Funding settled on an open position: `usdc` > 0 received, < 0 paid (longs pay when rate > 0). */
  | { type: 'funding'; coin: string; rate: number; markPx: number; szi: number; usdc: number; time: number };

const num = (x: unknown): x is number => typeof x === 'number' && !Number.isNaN(x);
const str = (x: unknown): x is string => typeof x === 'string';

/** Shape check of a venue report (numbers may be any non-NaN number; the machine judges the values). */
export function isVenueReport(x: unknown): x is VenueReport {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  switch (r.type) {
    case 'accepted':
      return str(r.clientId) && str(r.oid) && num(r.time);
    case 'fill':
      return (
        str(r.clientId) &&
        str(r.coin) &&
        (r.side === 'BUY' || r.side === 'SELL') &&
        num(r.px) &&
        num(r.sz) &&
        num(r.fee) &&
        (r.liquidity === 'taker' || r.liquidity === 'maker') &&
        num(r.remaining) &&
        num(r.time)
      );
    case 'canceled':
    case 'rejected':
      return str(r.clientId) && str(r.reason) && num(r.time);
    case 'timeout':
      return str(r.clientId) && num(r.time);
    case 'funding':
      return str(r.coin) && num(r.rate) && num(r.markPx) && num(r.szi) && num(r.usdc) && num(r.time);
    default:
      return false;
  }
}
