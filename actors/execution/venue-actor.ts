/**
 * Bridge from a `Venue` object to the execution machine's invoked `venue` actor: commands go to the
 * venue, reports come back as `VENUE` events. Reports are checked at this boundary; a malformed one
 * is counted and dropped (it never reaches the machine).
 */
import { fromCallback } from 'xstate';
import type { ExecutionEvent, VenueCommand } from '../../machines/execution.types.ts';
import { isVenueReport } from '../../state/venue-report.ts';
import type { Venue } from '../venue/types.ts';

export { isVenueReport } from '../../state/venue-report.ts';

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
