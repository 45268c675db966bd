/**
 * Journal record: the unit of "one journal, one clock". Raw venue frames, connection events,
 * control ticks and decision records all share this envelope and one local sequence.
 */
export const RecordKind = {
  /** A raw venue frame, bytes exactly as received (UTF-8 JSON text, or anything the venue sent). */
  Frame: 1,
  /** A connection event: `data` is UTF-8 JSON of a `ConnEvent`. */
  Conn: 2,
  /** A control tick: `data` is UTF-8 JSON of a `TickRecord`. */
  Tick: 3,
  /** A decision record (regime change, strategy transition, intent, order, fill, position): UTF-8 JSON. */
  Decision: 4,
  /**
   * An answer of the live venue, journaled as an input (issue 16): order acks and rejects, fills,
   * order updates and REST reconciliation, as `data` = UTF-8 JSON of a `VenueReport`-shaped record.
   * Execution applies them only as they come out of the record stream, at ticks, with journal time.
   */
  Venue: 5,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export const RECORD_KIND_NAMES: Record<RecordKind, string> = {
  1: 'frame',
  2: 'conn',
  3: 'tick',
  4: 'decision',
  5: 'venue',
};

/**
 * Where a record came from. The inlet stamps it; a record without one (journals written before sources
 * existed) is read with the default of its kind (`defaultSource`).
 * - `feed`: the market WebSocket (public venue, `--url`, or the simulator);
 * - `venue`: the live venue's private streams, post answers and REST reconciliation;
 * - `local`: this process (control ticks, decision records, operator commands).
 * Further sources (a node, an order_book_server) get their own names.
 */
export type SourceName = string;

export function defaultSource(kind: RecordKind): SourceName {
  return kind === RecordKind.Frame || kind === RecordKind.Conn
    ? 'feed'
    : kind === RecordKind.Venue
      ? 'venue'
      : 'local';
}

export interface JournalRecord {
  /** Local sequence number, strictly increasing for the process (assigned on arrival). */
  seq: number;
  /** Receive (or creation) time, ms since epoch, float64 with sub-ms fraction, from the injected clock. */
  time: number;
  /** Connection epoch: incremented on every (re)connect of the feed connection. */
  epoch: number;
  kind: RecordKind;
  /** Channel name for frames (sniffed from the bytes, '' if unknown); a short tag for other kinds. */
  channel: string;
  /** Payload bytes. For frames: exactly as received. */
  data: Uint8Array;
  /** The source that produced it (see `SourceName`); absent = `defaultSource(kind)`. */
  source?: SourceName;
}

export type ConnEventType = 'connecting' | 'open' | 'subscribed' | 'closed' | 'error' | 'gap';

export interface ConnEvent {
  type: ConnEventType;
  url?: string;
  /** Why: close code/reason, error message, gap cause. */
  reason?: string;
  /** For 'subscribed': the subscription key. For 'gap': the channel key affected ('*' = all). */
  key?: string;
  /** For 'gap': how many frames were lost, when known. */
  lost?: number;
}

export interface TickRecord {
  /** Hot-state version read by the decision side at this tick. */
  version: number;
  /** 'timer' (periodic control tick) or 'event' (a derived event asked for an evaluation). */
  cause: 'timer' | 'event';
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function jsonBytes(value: unknown): Uint8Array {
  return enc.encode(JSON.stringify(value));
}

export function bytesJson<T = unknown>(data: Uint8Array): T {
  return JSON.parse(dec.decode(data)) as T;
}

/**
 * Cheap channel sniff for a venue frame without a full parse: finds `"channel":"<name>"` in the
 * first bytes. Returns '' when absent (non-JSON text, malformed frames).
 */
export function sniffChannel(data: Uint8Array): string {
  const n = Math.min(data.length, 64);
  // look for the ASCII pattern "channel":"  (11 bytes)
  outer: for (let i = 0; i + 11 <= n; i++) {
    const pat = CHANNEL_PAT;
    for (let j = 0; j < pat.length; j++) {
      if (data[i + j] !== pat[j]) continue outer;
    }
    const start = i + pat.length;
    let end = start;
    while (end < data.length && end - start < 48 && data[end] !== 0x22) end++;
    if (data[end] !== 0x22) return '';
    let s = '';
    for (let k = start; k < end; k++) s += String.fromCharCode(data[k]!);
    return s;
  }
  return '';
}
const CHANNEL_PAT = Array.from('"channel":"', (c) => c.charCodeAt(0));
