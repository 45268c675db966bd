/**
 * The venue interface both the paper venue and the live Hyperliquid venue implement, and the market
 * view the paper venue fills against. The data types (orders, reports) are defined beside the
 * execution machine, which speaks them, and re-exported here.
 */
import type { OrderRequest, VenueReport } from '../../machines/execution.types.ts';

export type {
  OrderRequest,
  OrderSide,
  Tif,
  VenueCommand,
  VenueReport,
} from '../../machines/execution.types.ts';

export interface Venue {
  /** Submit one order. The answer comes later as reports (never synchronously from this call). */
  submit(order: OrderRequest): void;
  /** Cancel by client id; answered by a `canceled` report (or nothing when the order is already final). */
  cancel(clientId: string): void;
  /** Subscribe to reports; returns the unsubscribe function. */
  onReport(listener: (report: VenueReport) => void): () => void;
  /** Called on every control tick: a venue that simulates matching looks at the market here. */
  poll?(): void;
  /** The venue's connection as a source (e.g. the live venue's `connecting` / `reconciling` / `ready`). */
  connection?(): string;
  /** Release timers and sockets. */
  stop(): void;
}

/** One price level, best first. */
export interface BookLevel {
  px: number;
  sz: number;
}

/** What the paper venue (and the risk checks) read of one coin: the hot state's view. */
export interface MarketSnapshot {
  /** Best first. */
  bids: readonly BookLevel[];
  /** Best first. */
  asks: readonly BookLevel[];
  /** Mark price (NaN when unknown). */
  mark: number;
  /** Current hourly funding rate as a fraction (NaN when unknown). */
  funding: number;
  /** Venue time of the snapshot (ms); a new value means a new book. */
  time: number;
}

export interface MarketView {
  /** The coin's current book and asset context, or null when there is none. */
  read(coin: string): MarketSnapshot | null;
}
