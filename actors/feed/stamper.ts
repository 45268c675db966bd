/**
 * Stamps every record on arrival (local sequence number, receive time from the injected clock, connection
 * epoch) and hands it to the SPSC ring without interpreting it. The ring never blocks the socket: when it
 * is full, records wait in a bounded overflow queue (drained first, in order, as space frees); past that
 * bound a frame is dropped, counted, and reported in-band as a `gap` connection record (with `lost`)
 * placed exactly where the frames went missing. Dropped frames still consume their sequence numbers, so
 * the consumer also sees the hole in the local sequence.
 *
 * It is the journal inlet: besides seq and time it stamps each record's source (DESIGN.md "Flow"): the
 * stamper's own named source (`StamperOptions.source`, e.g. a second feed) or the one given to
 * `control(...)`, else the default of the record's kind (`defaultSource`: feed / venue / local). Only a
 * source that differs from its kind's default travels (and is journaled), so a default costs nothing.
 */
import type { Clock } from '../../state/clock.ts';
import {
  type ConnEvent,
  defaultSource,
  type JournalRecord,
  jsonBytes,
  RecordKind,
  type SourceName,
  sniffChannel,
} from '../../state/records.ts';

/** The process-wide local sequence (one per process: share it with anything else that stamps records). */
export class SequenceCounter {
  private n: number;
  constructor(start = 1) {
    this.n = start;
  }
  next(): number {
    return this.n++;
  }
  peek(): number {
    return this.n;
  }
}

/** What the stamper writes to: a `RingProducer` satisfies it. */
export interface RecordSink {
  /** `source`: absent when it is the kind's default (`defaultSource`). */
  tryWriteParts(
    seq: number,
    time: number,
    epoch: number,
    kind: RecordKind,
    channel: string,
    data: Uint8Array,
    source?: SourceName,
  ): boolean;
  /** Whether a record of this size could ever fit. */
  fits(channelLen: number, byteLength: number, sourceLen?: number): boolean;
  /** Optional: resolves when the consumer frees space (Atomics.waitAsync); used to drain the overflow. */
  waitForSpace?(): Promise<unknown>;
}

export interface StamperOptions {
  clock: Clock;
  sink: RecordSink;
  seq?: SequenceCounter;
  /**
   * The source this stamper's frames and connection events come from (default: the kind's, i.e. `feed`):
   * a second market source, or the live venue's private streams (`venue`).
   */
  source?: SourceName;
  /** Overflow bound in records (default 1 000 000). */
  overflowRecords?: number;
  /** Overflow bound in payload bytes (default 512 MiB). */
  overflowBytes?: number;
  /**
   * Called at once when a frame is lost (first loss of a run, and every 1000th after), so health can
   * act before the in-band gap record reaches the consumer.
   */
  onLoss?: (lostSoFar: number, reason: string) => void;
}

export interface StamperCounters {
  /** Venue frames received (stamped). */
  framesReceived: number;
  /** Venue frames written to the ring (directly or from the overflow queue). */
  framesHandedOn: number;
  /** Connection records written to the ring. */
  connHandedOn: number;
  /** Records handed on (directly or from the overflow queue) per source, defaults included. */
  bySource: Record<SourceName, number>;
  /** Records that went through the overflow queue. */
  overflowed: number;
  /** Frames dropped past the overflow bound (or larger than the ring can ever hold). */
  lost: number;
  /** Gap records emitted for losses. */
  lossGaps: number;
  /** Current overflow queue length (records) and bytes. */
  queued: number;
  queuedBytes: number;
  /** High-water mark of the overflow queue (records). */
  maxQueued: number;
}

/** A record waiting in the overflow queue. */
type Pending = JournalRecord;

export class Stamper {
  readonly seq: SequenceCounter;
  private readonly clock: Clock;
  private readonly sink: RecordSink;
  private readonly maxRecords: number;
  private readonly maxBytes: number;
  private readonly onLoss: ((lostSoFar: number, reason: string) => void) | undefined;
  private readonly source: SourceName | undefined;
  private epochNow = 0;
  // overflow queue: array + head index (amortised O(1) shift); entries before `qHead` are already
  // in the ring, cleared to free them
  private q: (Pending | undefined)[] = [];
  private qHead = 0;
  /** Frames dropped since the last gap record was queued. */
  private lostRun = 0;
  private lostReason = '';
  private waiting = false;
  private closed = false;
  readonly counters: StamperCounters = {
    framesReceived: 0,
    framesHandedOn: 0,
    connHandedOn: 0,
    bySource: {},
    overflowed: 0,
    lost: 0,
    lossGaps: 0,
    queued: 0,
    queuedBytes: 0,
    maxQueued: 0,
  };

  constructor(opts: StamperOptions) {
    this.clock = opts.clock;
    this.sink = opts.sink;
    this.seq = opts.seq ?? new SequenceCounter();
    this.maxRecords = opts.overflowRecords ?? 1_000_000;
    this.maxBytes = opts.overflowBytes ?? 512 * 2 ** 20;
    this.onLoss = opts.onLoss;
    if (opts.source !== undefined) {
      if (!validSourceName(opts.source)) throw new RangeError(sourceNameError(opts.source));
      this.source = opts.source;
    }
  }

  get epoch(): number {
    return this.epochNow;
  }

  setEpoch(epoch: number): void {
    this.epochNow = epoch;
  }

  /** A raw venue frame, exactly as received; returns its sniffed channel. Never blocks or throws on content. */
  frame(data: Uint8Array): string {
    this.counters.framesReceived++;
    const channel = sniffChannel(data);
    this.push(RecordKind.Frame, channel, data, this.source);
    return channel;
  }

  /** A connection event, as a journal record in the same stream. */
  conn(ev: ConnEvent): void {
    this.push(RecordKind.Conn, ev.type, jsonBytes(ev), this.source);
  }

  /**
   * A record that is not a market frame, stamped from the same sequence and queued behind any overflow,
   * so the journal keeps one total order: a control tick, a decision record or operator command, or an
   * answer of the live venue (`RecordKind.Venue`: acks, rejects, fills, order updates, reconciliation).
   * `source` names where it came from (default: the kind's, `local` / `venue`); a name that is empty,
   * longer than 64 characters or not printable ASCII throws a `RangeError` (a programming error).
   * Never dropped: like a connection record it may go past the overflow bound.
   */
  control(
    kind: typeof RecordKind.Tick | typeof RecordKind.Decision | typeof RecordKind.Venue,
    channel: string,
    data: Uint8Array,
    source?: SourceName,
  ): void {
    if (source !== undefined && !validSourceName(source)) throw new RangeError(sourceNameError(source));
    this.push(kind, channel, data, source);
  }

  /**
   * A frame or connection event of a further market source through this one inlet (one sequence, one
   * overflow queue, so one total order): a node file's line (`channel` = its stream), the order_book_server's
   * frames (`channel` '' = sniffed) and its connection events, stamped with `source` and that source's own
   * `epoch`. A bad source name throws a `RangeError` (a programming error); a frame may be lost like the
   * stamper's own (the loss gap is the stamper's; a height sequence shows the hole too).
   */
  sourced(
    kind: typeof RecordKind.Frame | typeof RecordKind.Conn,
    source: SourceName,
    channel: string,
    data: Uint8Array,
    epoch: number,
  ): void {
    if (!validSourceName(source)) throw new RangeError(sourceNameError(source));
    if (kind === RecordKind.Frame) this.counters.framesReceived++;
    this.push(
      kind,
      kind === RecordKind.Frame && channel === '' ? sniffChannel(data) : channel,
      data,
      source,
      epoch,
    );
  }

  /** Move queued records into the ring while they fit; returns how many moved. */
  drain(): number {
    let moved = 0;
    while (this.qHead < this.q.length) {
      const p = this.q[this.qHead]!;
      if (!this.sink.tryWriteParts(p.seq, p.time, p.epoch, p.kind, p.channel, p.data, p.source)) break;
      this.q[this.qHead] = undefined;
      this.qHead++;
      this.counters.queued--;
      this.counters.queuedBytes -= p.data.length;
      this.handedOn(p.kind, p.source);
      moved++;
    }
    if (this.qHead === this.q.length) {
      this.q = [];
      this.qHead = 0;
    } else if (this.qHead > 4096 && this.qHead * 2 > this.q.length) {
      this.q = this.q.slice(this.qHead);
      this.qHead = 0;
    }
    // losses are reported as soon as the queue can take the gap record, even if no frame follows
    if (this.lostRun > 0 && this.hasRoom(0)) {
      this.queueLossGap();
      return moved + this.drain();
    }
    this.armWait();
    return moved;
  }

  /** Stop waiting for ring space (the queue keeps its records; `drain()` can still be called). */
  close(): void {
    this.closed = true;
  }

  private push(
    kind: RecordKind,
    channel: string,
    data: Uint8Array,
    named?: SourceName,
    epoch = this.epochNow,
  ): void {
    const time = this.clock.now();
    // only a source other than the kind's default travels
    const source = named !== undefined && named !== defaultSource(kind) ? named : undefined;
    if (this.qHead < this.q.length) this.drain();
    const isFrame = kind === RecordKind.Frame;
    if (isFrame && !this.sink.fits(channel.length, data.length, source?.length ?? 0)) {
      this.seq.next();
      this.lose(`frame of ${data.length} bytes exceeds the ring's largest record`);
      return;
    }
    if (isFrame && (this.lostRun > 0 || this.qHead < this.q.length) && !this.hasRoom(data.length)) {
      this.seq.next();
      this.lose('overflow queue full');
      return;
    }
    // the loss report goes exactly where the frames went missing: before this record
    if (this.lostRun > 0) this.queueLossGap();
    const seq = this.seq.next();
    if (
      this.qHead === this.q.length &&
      this.sink.tryWriteParts(seq, time, epoch, kind, channel, data, source)
    ) {
      this.handedOn(kind, source);
      return;
    }
    // a connection record is never dropped: it may go past the bound (it is small and rare)
    if (isFrame && !this.hasRoom(data.length)) {
      this.lose('overflow queue full');
      return;
    }
    const p: Pending = { seq, time, epoch: epoch, kind, channel, data };
    if (source !== undefined) p.source = source;
    this.enqueue(p);
  }

  private hasRoom(bytes: number): boolean {
    return this.counters.queued < this.maxRecords && this.counters.queuedBytes + bytes <= this.maxBytes;
  }

  /** A frame is lost (its sequence number already consumed): count it; report it as soon as possible. */
  private lose(reason: string): void {
    this.counters.lost++;
    this.lostRun++;
    this.lostReason = reason;
    if (this.lostRun % 1000 === 1) this.onLoss?.(this.counters.lost, reason);
    if (this.qHead === this.q.length) this.queueLossGap();
  }

  private queueLossGap(): void {
    const ev: ConnEvent = { type: 'gap', key: '*', lost: this.lostRun, reason: this.lostReason };
    this.lostRun = 0;
    this.counters.lossGaps++;
    const data = jsonBytes(ev);
    const seq = this.seq.next();
    const time = this.clock.now();
    const source = this.source !== undefined && this.source !== 'feed' ? this.source : undefined;
    if (
      this.qHead === this.q.length &&
      this.sink.tryWriteParts(seq, time, this.epochNow, RecordKind.Conn, 'gap', data, source)
    ) {
      this.handedOn(RecordKind.Conn, source);
      return;
    }
    const p: Pending = { seq, time, epoch: this.epochNow, kind: RecordKind.Conn, channel: 'gap', data };
    if (source !== undefined) p.source = source;
    this.enqueue(p);
  }

  private enqueue(p: Pending): void {
    this.q.push(p);
    this.counters.overflowed++;
    this.counters.queued++;
    this.counters.queuedBytes += p.data.length;
    if (this.counters.queued > this.counters.maxQueued) this.counters.maxQueued = this.counters.queued;
    this.armWait();
  }

  private handedOn(kind: RecordKind, source: SourceName | undefined): void {
    if (kind === RecordKind.Frame) this.counters.framesHandedOn++;
    else this.counters.connHandedOn++;
    const s = source ?? defaultSource(kind);
    this.counters.bySource[s] = (this.counters.bySource[s] ?? 0) + 1;
  }

  /** While records are queued, wake up when the consumer frees space (no timers, no polling). */
  private armWait(): void {
    if (this.waiting || this.closed || this.qHead === this.q.length || !this.sink.waitForSpace) return;
    this.waiting = true;
    this.sink.waitForSpace().then(
      () => {
        this.waiting = false;
        if (!this.closed) this.drain();
      },
      () => {
        this.waiting = false;
      },
    );
  }
}

/** A source name the journal can carry: 1 to 64 printable ASCII characters (the ring stores bytes). */
export function validSourceName(name: string): boolean {
  return typeof name === 'string' && /^[\x21-\x7e]{1,64}$/.test(name);
}

function sourceNameError(name: unknown): string {
  return `source name ${JSON.stringify(name)} is not 1 to 64 printable ASCII characters`;
}
