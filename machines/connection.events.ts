/**
 * Events of the feed connection machine. The socket actor (`actors/feed/socket.ts`) sends the
 * lower-case-origin ones back to its parent; commands come from the feed's owner.
 */
export type ConnectionEvent =
  // commands from the owner
  | { type: 'START' }
  | { type: 'STOP' }
  /** The registry changed while connected: send what is pending. */
  | { type: 'SYNC' }
  // from the socket actor
  | { type: 'OPEN' }
  | { type: 'CLOSED'; code?: number; reason: string }
  /** Some frame arrived (coalesced by the socket actor: at most one per activity granularity). */
  | { type: 'ACTIVITY' }
  | { type: 'PONG' }
  | { type: 'SUB_ACK'; key: string }
  | { type: 'SUB_REJECTED'; key: string; message: string }
  /** A venue `error` frame that names no subscription of ours, or a control-frame mismatch. */
  | { type: 'VENUE_ERROR'; message: string }
  /** Every desired subscription is acknowledged or rejected. */
  | { type: 'SUBSCRIBED_ALL' };

/** Commands the machine sends to its socket actor. */
export type SocketCommand = { type: 'SUBSCRIBE_ALL' } | { type: 'PING' } | { type: 'SYNC' };
