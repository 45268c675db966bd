/**
 * The venue's answers are inputs (issue 16, "one journal, one clock"). A real venue answers on its own
 * time: WS post answers, private streams, REST reconciliation. Handed straight to execution, those answers
 * would act between ticks, at wall-clock time, and a replay could not reproduce them. So the decision side
 * never listens to the real venue directly:
 *
 *  - `JournaledVenue` (live): `submit` / `cancel` go to the real venue; every report it produces goes to a
 *    sink (the journal inlet: a `RecordKind.Venue` record) and nowhere else. The reports come back out of
 *    the record stream at the next tick (`state/pipeline.ts`), with their journal time, and `deliver`
 *    hands them to execution's listeners.
 *  - `ReplayVenue` (`replay.ts`) answers a replay from the same journaled records, delivered the same way.
 *
 * Both implement `VenueInlet`: the one hook the decision side calls at the start of a tick.
 */
import type { OrderRequest, Venue, VenueReport } from './types.ts';

/** A venue whose reports reach the decision side only through `deliver`, at ticks. */
export interface VenueInlet extends Venue {
  /** Hand the reports that came out of the record stream for this tick to the `onReport` listeners, in order. */
  deliver(reports: readonly VenueReport[]): void;
}

/** Where a live report goes: the journal. False = it could not be journaled (counted; never applied). */
export type VenueReportSink = (report: VenueReport) => boolean;

export interface JournaledVenueCounters {
  /** Reports of the real venue written to the sink. */
  journaled: number;
  /** Reports the sink refused or that came before a sink was attached: lost to the decision side. */
  unjournaled: number;
  /** Reports handed to the listeners by `deliver`. */
  delivered: number;
  /** Listeners that threw (the report still reached the others). */
  listenerErrors: number;
}

/** Listeners, called in subscription order; a throwing listener is counted and does not stop the others. */
export class ReportListeners {
  private readonly listeners = new Set<(r: VenueReport) => void>();
  errors = 0;

  add(listener: (r: VenueReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(r: VenueReport): void {
    for (const l of [...this.listeners]) {
      try {
        l(r);
      } catch {
        this.errors++;
      }
    }
  }
}

export class JournaledVenue implements VenueInlet {
  readonly counters: JournaledVenueCounters = {
    journaled: 0,
    unjournaled: 0,
    delivered: 0,
    listenerErrors: 0,
  };
  private readonly listeners = new ReportListeners();
  private sink: VenueReportSink | null;
  private readonly off: () => void;

  /**
   * @param inner the real venue (the live Hyperliquid venue): orders go there, its reports go to `sink`.
   * @param sink the journal; may be attached later (`attach`), reports before that are counted as lost.
   */
  constructor(
    readonly inner: Venue,
    sink: VenueReportSink | null = null,
  ) {
    this.sink = sink;
    this.off = inner.onReport((r) => this.journal(r));
  }

  /** Attach the journal (the stamper exists once the feed does). */
  attach(sink: VenueReportSink): void {
    this.sink = sink;
  }

  private journal(r: VenueReport): void {
    let ok = false;
    try {
      ok = this.sink?.(r) === true;
    } catch {
      ok = false;
    }
    if (ok) this.counters.journaled++;
    else this.counters.unjournaled++;
  }

  submit(order: OrderRequest): void {
    this.inner.submit(order);
  }

  cancel(clientId: string): void {
    this.inner.cancel(clientId);
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

  poll(): void {
    this.inner.poll?.();
  }

  /** Detach from the real venue. The real venue itself is closed by its owner (it may outlive this adaptor). */
  stop(): void {
    this.off();
  }
}

/**
 * Hand a tick's venue reports to the decision side: the engine's clock first runs to the tick's time (timers
 * due by then fire, as `onTick` would do), then the reports are delivered, then the caller runs the tick.
 * Live (`runtime/system.ts`) and replay (`replay/replay-journal.ts`) both go through here, so a report acts at
 * the same point of the same tick in both. (Once the engine calls `deliver` itself at the start of its tick,
 * right after advancing its clock, this becomes that hook and the callers pass `reports` with the tick.)
 */
export function deliverAtTick(
  engine: { advanceTo(t: number): void },
  inlet: VenueInlet | null,
  time: number,
  reports: readonly VenueReport[],
): void {
  if (inlet === null || reports.length === 0) return;
  engine.advanceTo(time);
  inlet.deliver(reports);
}
