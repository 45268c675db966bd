/** Events of the data-health machine. Every event carries its time (from the journal's one clock). */
export type HealthEvent =
  /** Control tick: `lastUpdate[channel]` = time of that channel's last update (null/absent: none). */
  | { type: 'TICK'; now: number; lastUpdate: Readonly<Record<string, number | null | undefined>> }
  /** The feed connection is live again (subscriptions settled) at `time`. */
  | { type: 'CONNECTION_LIVE'; time: number; epoch: number }
  /** The feed connection is down (closed, timed out, stopped). */
  | { type: 'CONNECTION_LOST'; time: number; reason: string }
  /** A heartbeat timeout (pong overdue, receive timeout): the connection is being replaced. */
  | { type: 'HEARTBEAT_TIMEOUT'; time: number; reason: string }
  /** A gap: sequence hole, lost frames, new epoch, skipped block height. */
  | { type: 'GAP'; time: number; key: string; reason: string };
