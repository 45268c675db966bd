/**
 * Bridge from a `Venue` object to the execution machine's invoked `venue` actor: commands go to the
 * venue, reports come back as `VENUE` events. Reports are checked at this boundary; a malformed one
 * is counted and dropped (it never reaches the machine).
 */
import { fromCallback } from 'xstate';
import type { ExecutionEvent, VenueCommand, VenueReport } from '../../machines/execution.types.ts';
import type { Venue } from '../venue/types.ts';

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

export interface VenueBridgeCounters {
  malformed: number;
}

export function venueActorLogic(venue: Venue, counters: VenueBridgeCounters = { malformed: 0 }) {
  return fromCallback<VenueCommand>(({ sendBack, receive }) => {
    const off = venue.onReport((report) => {
      if (!isVenueReport(report)) {
        counters.malformed++;
        return;
      }
      sendBack({ type: 'VENUE', report } satisfies ExecutionEvent);
    });
    receive((cmd) => {
      if (cmd.type === 'SUBMIT') venue.submit(cmd.order);
      else venue.cancel(cmd.clientId);
    });
    return () => off();
  });
}
