/**
 * The venue of a replay of a live-trading journal. It places nothing and matches nothing: its answers are
 * the live venue's, journaled as `RecordKind.Venue` records and delivered at the ticks they were delivered
 * live (`deliver`, the same hook as `JournaledVenue`). What the decision side asks (`submit` / `cancel`) is
 * recorded and, when the journal holds the live run's own order records (`exec.order` decision lines:
 * `submit` and `cancelRequest`), compared with them in order: any difference is a mismatch, counted and
 * described — the replay has left the live run's path, and answers replayed past it would not mean much.
 */
import { type JournaledVenueCounters, ReportListeners, type VenueInlet } from './journaled.ts';
import type { OrderRequest, VenueReport } from './types.ts';

/** One thing the decision side asked the venue. */
export type VenueAsk = { type: 'submit'; order: OrderRequest } | { type: 'cancel'; clientId: string };

export interface ReplayVenueCounters extends Omit<JournaledVenueCounters, 'journaled' | 'unjournaled'> {
  submits: number;
  cancels: number;
  /** Asks of the live run read from the journal (its `exec.order` records). */
  expected: number;
  /** Asks compared with the live run's (pairs in order). */
  compared: number;
  /** Asks that differ from the live run's at the same position. */
  mismatches: number;
}

const ORDER_FIELDS = ['clientId', 'coin', 'side', 'size', 'limitPx', 'tif', 'reduceOnly'] as const;

function describe(a: VenueAsk): string {
  return a.type === 'cancel'
    ? `cancel ${a.clientId}`
    : `submit ${ORDER_FIELDS.map((k) => `${k}=${String(a.order[k])}`).join(' ')}`;
}

function same(a: VenueAsk, b: VenueAsk): boolean {
  if (a.type === 'cancel' || b.type === 'cancel')
    return a.type === b.type && a.type === 'cancel' && b.type === 'cancel' && a.clientId === b.clientId;
  const x = a.order;
  const y = b.order;
  return ORDER_FIELDS.every((k) => x[k] === y[k]);
}

function isRecord(v: unknown): v is { readonly [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * What the live run asked, from one of its decision lines: an `exec.order` line with event `submit` (the
 * order) or `cancelRequest` (a cancel); null for every other line.
 */
export function askOfDecisionLine(line: unknown): VenueAsk | null {
  if (!isRecord(line) || line.kind !== 'exec.order' || !isRecord(line.order)) return null;
  const o = line.order;
  if (line.event === 'cancelRequest')
    return typeof o.clientId === 'string' ? { type: 'cancel', clientId: o.clientId } : null;
  if (line.event !== 'submit') return null;
  if (
    typeof o.clientId !== 'string' ||
    typeof o.coin !== 'string' ||
    (o.side !== 'BUY' && o.side !== 'SELL') ||
    typeof o.size !== 'number' ||
    typeof o.limitPx !== 'number' ||
    (o.tif !== 'Ioc' && o.tif !== 'Gtc' && o.tif !== 'Alo') ||
    typeof o.reduceOnly !== 'boolean'
  )
    return null;
  return {
    type: 'submit',
    order: {
      clientId: o.clientId,
      coin: o.coin,
      side: o.side,
      size: o.size,
      limitPx: o.limitPx,
      tif: o.tif,
      reduceOnly: o.reduceOnly,
    },
  };
}

export class ReplayVenue implements VenueInlet {
  readonly counters: ReplayVenueCounters = {
    delivered: 0,
    listenerErrors: 0,
    submits: 0,
    cancels: 0,
    expected: 0,
    compared: 0,
    mismatches: 0,
  };
  /** Everything the decision side asked, in order. */
  readonly asked: VenueAsk[] = [];
  /** The first few mismatches, described (live vs replay). */
  readonly mismatchNotes: string[] = [];
  private readonly listeners = new ReportListeners();
  private readonly expectedQ: VenueAsk[] = [];
  private askedCompared = 0;

  submit(order: OrderRequest): void {
    this.counters.submits++;
    this.asked.push({ type: 'submit', order: { ...order } });
    this.compare();
  }

  cancel(clientId: string): void {
    this.counters.cancels++;
    this.asked.push({ type: 'cancel', clientId });
    this.compare();
  }

  /** A decision line of the live run, as journaled: its `exec.order` asks are what this replay must ask. */
  expectLine(line: unknown): void {
    const a = askOfDecisionLine(line);
    if (a === null) return;
    this.counters.expected++;
    this.expectedQ.push(a);
    this.compare();
  }

  /** Asks of one side that the other has not matched yet (both 0 when the replay asked exactly what the live run did). */
  unmatched(): { replay: number; live: number } {
    return {
      replay: this.asked.length - this.askedCompared,
      live: this.expectedQ.length,
    };
  }

  private compare(): void {
    while (this.expectedQ.length > 0 && this.askedCompared < this.asked.length) {
      const live = this.expectedQ.shift()!;
      const replay = this.asked[this.askedCompared++]!;
      this.counters.compared++;
      if (same(live, replay)) continue;
      this.counters.mismatches++;
      if (this.mismatchNotes.length < 10)
        this.mismatchNotes.push(
          `ask ${this.counters.compared}: live ${describe(live)}; replay ${describe(replay)}`,
        );
    }
  }

  onReport(listener: (report: VenueReport) => void): () => void {
    return this.listeners.add(listener);
  }

  deliver(reports: readonly VenueReport[]): void {
    for (const r of reports) {
      this.counters.delivered++;
      this.listeners.emit(r);
    }
    this.counters.listenerErrors = this.listeners.errors;
  }

  stop(): void {}
}
