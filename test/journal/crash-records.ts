/**
 * The records the crash test writes: `recordFor` (frames, connection events, ticks, decisions, binary
 * frames) with the live venue's answers mixed in (issue 16): two of every twelve records are
 * `RecordKind.Venue` — a fill, and a reject under a named second source (journaled as the body's 7th
 * element) — so the SIGKILL test covers venue answers too. A pure function of seq.
 */
import { jsonBytes, type JournalRecord, RecordKind } from '../../state/records.ts';
import { recordFor } from './helpers.ts';

export function crashRecordFor(seq: number): JournalRecord {
  const r = recordFor(seq);
  if (seq % 12 === 4)
    return {
      ...r,
      kind: RecordKind.Venue,
      channel: 'fill',
      data: jsonBytes({
        type: 'fill',
        clientId: `x${seq}`,
        coin: 'BTC',
        side: seq % 24 === 4 ? 'BUY' : 'SELL',
        px: 97_000 + (seq % 100),
        sz: 0.001 * (1 + (seq % 5)),
        fee: 0.0425,
        liquidity: 'taker',
        remaining: seq % 3,
        time: r.time,
      }),
    };
  if (seq % 12 === 9)
    return {
      ...r,
      kind: RecordKind.Venue,
      channel: 'rejected',
      source: 'venue-b',
      data: jsonBytes({
        type: 'rejected',
        clientId: `x${seq}`,
        reason: 'Order has invalid size.',
        time: r.time,
      }),
    };
  return r;
}

/** How many of the records 0..n-1 are venue answers. */
export function venueRecordsBelow(n: number): number {
  let k = 0;
  for (let s = 0; s < n; s++) if (s % 12 === 4 || s % 12 === 9) k++;
  return k;
}

/** 00:00 UTC of 2026-03-15 and the seq whose record is the first after it (the midnight crash test). */
export const MIDNIGHT = Date.parse('2026-03-15T00:00:00Z');
export const MIDNIGHT_SEQ = 300;

/** `crashRecordFor(seq)` at a time that crosses midnight at MIDNIGHT_SEQ (0.1 ms apart). */
export function midnightRecordFor(seq: number): JournalRecord {
  return { ...crashRecordFor(seq), time: MIDNIGHT + (seq - MIDNIGHT_SEQ) * 0.1 };
}
