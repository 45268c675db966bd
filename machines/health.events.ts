/** Events of the data-health machine. Every event carries its time (from the journal's one clock). */
import type { FeedHealthEvent } from '../state/pipeline.ts';

export type HealthEvent =
  /** Control tick: `lastUpdate[channel]` = time of that channel's last update (null/absent: none). */
  | { type: 'TICK'; now: number; lastUpdate: Readonly<Record<string, number | null | undefined>> }
  /** What the ingest pipeline saw between ticks: connection live / lost, heartbeat timeout, gap. */
  | FeedHealthEvent;
