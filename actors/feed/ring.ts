/**
 * A bounded lock-free single-producer single-consumer ring of variable-length journal records over one
 * SharedArrayBuffer (DESIGN.md "Threads and memory"). The producer (main thread, connection actor) never
 * blocks: `tryWrite` returns false when the record does not fit. The consumer (ingest worker) reads in
 * place and can sleep on `Atomics.wait`/`waitAsync` when the ring is empty.
 *
 * Layout: a 128-byte control block (head and tail on separate 64-byte lines), then `capacity` data bytes.
 * `head` and `tail` are free-running uint32 byte positions (used = head - tail mod 2^32); capacity is a
 * power of two, so the offset of a position is `pos & (capacity - 1)`. Records are 8-byte aligned:
 *
 *   u32 size        whole record incl. header and padding (PAD_MARK = skip to the start of the buffer)
 *   u32 byteLength  payload bytes
 *   f64 seq
 *   f64 time
 *   u32 epoch
 *   u8  kind
 *   u8  channelLen  channel bytes follow the header (Latin-1 / ASCII, at most 255)
 *   u8  sourceLen   source bytes follow the channel's (0: the kind's default source, `defaultSource`)
 *   u8  reserved
 *   channel bytes, source bytes, payload bytes, padding to 8
 *
 * Ordering: the producer writes the record bytes, then publishes with `Atomics.store(head)`; the consumer
 * reads `Atomics.load(head)`, reads the bytes, then frees them with `Atomics.store(tail)`. The seq-cst
 * atomics order the plain accesses around them (ECMAScript memory model: synchronizes-with).
 */
import type { JournalRecord, RecordKind } from '../../state/records.ts';

const HEAD = 0; // Int32 index: producer position
const CONSUMER_SLEEPING = 1; // 1 while the consumer waits on HEAD
const CAPACITY = 2;
const MAGIC = 3;
const TAIL = 16; // Int32 index (byte 64): consumer position
const PRODUCER_WAITING = 17; // 1 while the producer waits on TAIL for space
const CONTROL_BYTES = 128;
const RING_MAGIC = 0x52494e47; // 'RING'

export const RECORD_HEADER_BYTES = 32;
const PAD_MARK = 0xffffffff;
const MAX_CHANNEL_BYTES = 255;
const MAX_SOURCE_BYTES = 255;
/** Distinct channel names the consumer keeps decoded. */
const CHANNEL_CACHE = 16;

const align8 = (n: number) => (n + 7) & ~7;

/** Bytes a record with this channel, payload and (named) source length occupies in the ring. */
export function recordBytes(channelLen: number, byteLength: number, sourceLen = 0): number {
  return align8(
    RECORD_HEADER_BYTES +
      Math.min(channelLen, MAX_CHANNEL_BYTES) +
      Math.min(sourceLen, MAX_SOURCE_BYTES) +
      byteLength,
  );
}

/** Allocate the SharedArrayBuffer for a ring of `capacity` data bytes (a power of two, 1 KiB .. 1 GiB). */
export function createRingBuffer(capacity: number): SharedArrayBuffer {
  if (
    !Number.isInteger(capacity) ||
    capacity < 1024 ||
    capacity > 2 ** 30 ||
    (capacity & (capacity - 1)) !== 0
  ) {
    throw new RangeError(`ring capacity must be a power of two between 1 KiB and 1 GiB, got ${capacity}`);
  }
  const sab = new SharedArrayBuffer(CONTROL_BYTES + capacity);
  const ctl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
  ctl[CAPACITY] = capacity;
  ctl[MAGIC] = RING_MAGIC;
  return sab;
}

class RingBase {
  protected readonly ctl: Int32Array;
  protected readonly bytes: Uint8Array;
  protected readonly view: DataView;
  readonly capacity: number;
  protected readonly mask: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.ctl = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    if (this.ctl[MAGIC] !== RING_MAGIC)
      throw new Error('not a ring buffer (bad magic): use createRingBuffer()');
    this.capacity = this.ctl[CAPACITY]!;
    if (buffer.byteLength !== CONTROL_BYTES + this.capacity) throw new Error('ring buffer size mismatch');
    this.mask = this.capacity - 1;
    this.bytes = new Uint8Array(buffer, CONTROL_BYTES, this.capacity);
    this.view = new DataView(buffer, CONTROL_BYTES, this.capacity);
  }

  /** Bytes currently in use (written, not yet freed by the consumer). */
  used(): number {
    return (Atomics.load(this.ctl, HEAD) - Atomics.load(this.ctl, TAIL)) >>> 0;
  }
}

declare global {
  interface Atomics {
    /**
     * ES2024 (in Node since 16); the project's lib is ES2023, so it is declared here. Interface
     * methods merge as overloads, so this stays valid when the lib moves to ES2024.
     */
    waitAsync(
      ta: Int32Array,
      index: number,
      value: number,
      timeout?: number,
    ):
      | { async: false; value: 'not-equal' | 'timed-out' }
      | { async: true; value: Promise<'ok' | 'timed-out'> };
  }
}
const waitAsync = Atomics.waitAsync;

export class RingProducer extends RingBase {
  /** Largest record (header + channel + payload, aligned) that can ever be written. */
  readonly maxRecordBytes: number;
  private head: number;
  private notifies = 0;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    // a record must fit even when the free space is split by the end of the buffer
    this.maxRecordBytes = this.capacity / 2;
    this.head = Atomics.load(this.ctl, HEAD) >>> 0;
  }

  /** Whether a record of this size could ever fit (false: it must be reported as lost, not retried). */
  fits(channelLen: number, byteLength: number, sourceLen = 0): boolean {
    return recordBytes(channelLen, byteLength, sourceLen) <= this.maxRecordBytes;
  }

  tryWrite(rec: JournalRecord): boolean {
    return this.tryWriteParts(rec.seq, rec.time, rec.epoch, rec.kind, rec.channel, rec.data, rec.source);
  }

  /**
   * Write one record without blocking; false when it does not fit now (or never: see `fits`). `source`
   * absent or '' = the kind's default source (the consumer then leaves `source` unset).
   */
  tryWriteParts(
    seq: number,
    time: number,
    epoch: number,
    kind: RecordKind,
    channel: string,
    data: Uint8Array,
    source?: string,
  ): boolean {
    const chLen = Math.min(channel.length, MAX_CHANNEL_BYTES);
    const srcLen = source === undefined ? 0 : Math.min(source.length, MAX_SOURCE_BYTES);
    const size = recordBytes(chLen, data.length, srcLen);
    if (size > this.maxRecordBytes) return false;
    const tail = Atomics.load(this.ctl, TAIL) >>> 0;
    const free = this.capacity - ((this.head - tail) >>> 0);
    let off = this.head & this.mask;
    const toEnd = this.capacity - off;
    let pad = 0;
    if (toEnd < size) pad = toEnd; // does not fit before the end: skip to the start
    if (pad + size > free) return false;
    const v = this.view;
    if (pad > 0) {
      v.setUint32(off, PAD_MARK, true);
      off = 0;
    }
    v.setUint32(off, size, true);
    v.setUint32(off + 4, data.length, true);
    v.setFloat64(off + 8, seq, true);
    v.setFloat64(off + 16, time, true);
    v.setUint32(off + 24, epoch >>> 0, true);
    v.setUint8(off + 28, kind);
    v.setUint8(off + 29, chLen);
    v.setUint8(off + 30, srcLen);
    v.setUint8(off + 31, 0);
    const b = this.bytes;
    let p = off + RECORD_HEADER_BYTES;
    for (let i = 0; i < chLen; i++) b[p++] = channel.charCodeAt(i) & 0xff;
    for (let i = 0; i < srcLen; i++) b[p++] = source!.charCodeAt(i) & 0xff;
    b.set(data, p);
    this.head = (this.head + pad + size) >>> 0;
    Atomics.store(this.ctl, HEAD, this.head | 0);
    if (Atomics.load(this.ctl, CONSUMER_SLEEPING) === 1) {
      this.notifies++;
      Atomics.notify(this.ctl, HEAD);
    }
    return true;
  }

  /** Free bytes right now (a record of `recordBytes(...)` may still not fit when the space is split). */
  free(): number {
    return this.capacity - this.used();
  }

  /** How many times the producer woke a sleeping consumer. */
  wakeups(): number {
    return this.notifies;
  }

  /**
   * Resolve when the consumer frees space (or after `timeoutMs`, if given). Uses `Atomics.waitAsync`
   * on the tail, so the main thread never blocks; the consumer notifies only while this is pending.
   */
  waitForSpace(timeoutMs?: number): Promise<'ok' | 'not-equal' | 'timed-out'> {
    const tail = Atomics.load(this.ctl, TAIL);
    Atomics.store(this.ctl, PRODUCER_WAITING, 1);
    const r = waitAsync(this.ctl, TAIL, tail, timeoutMs);
    if (!r.async) {
      Atomics.store(this.ctl, PRODUCER_WAITING, 0);
      return Promise.resolve(r.value);
    }
    return r.value.then((v) => {
      Atomics.store(this.ctl, PRODUCER_WAITING, 0);
      return v;
    });
  }
}

/** A record read in place: `data` is a view into the shared buffer, valid only during the callback. */
export type RecordView = JournalRecord;

export class RingConsumer extends RingBase {
  private tail: number;
  /** Set by `endRead()` inside a read callback. */
  private ending = false;
  private readonly scratch: JournalRecord = {
    seq: 0,
    time: 0,
    epoch: 0,
    kind: 1 as RecordKind,
    channel: '',
    data: new Uint8Array(0),
    source: undefined,
  };
  private readonly channels: Array<{ bytes: Uint8Array; name: string }> = [];

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.tail = Atomics.load(this.ctl, TAIL) >>> 0;
  }

  /** True when nothing is waiting to be read. */
  /** Called from a `read` callback: end that read after the current record. */
  endRead(): void {
    this.ending = true;
  }

  isEmpty(): boolean {
    return Atomics.load(this.ctl, HEAD) >>> 0 === this.tail;
  }

  /**
   * Read up to `max` records, calling `cb` for each with a reused record object whose `data` is a view
   * into the ring (copy it to keep it). Space is freed after each callback; a callback that calls
   * `endRead()` ends the read after its record. Returns the count read.
   */
  read(cb: (rec: RecordView) => void, max = Number.POSITIVE_INFINITY): number {
    let n = 0;
    let head = Atomics.load(this.ctl, HEAD) >>> 0;
    while (n < max) {
      if (this.tail === head) {
        head = Atomics.load(this.ctl, HEAD) >>> 0;
        if (this.tail === head) break;
      }
      let off = this.tail & this.mask;
      let size = this.view.getUint32(off, true);
      if (size === PAD_MARK) {
        this.tail = (this.tail + (this.capacity - off)) >>> 0;
        off = 0;
        size = this.view.getUint32(0, true);
      }
      this.decode(off);
      this.ending = false;
      try {
        cb(this.scratch);
      } finally {
        this.tail = (this.tail + size) >>> 0;
        this.release();
      }
      n++;
      if (this.ending) break;
    }
    return n;
  }

  /** Read one record and copy it out (allocates); null when empty. */
  readOne(): JournalRecord | null {
    let out: JournalRecord | null = null;
    this.read((r) => {
      out = {
        seq: r.seq,
        time: r.time,
        epoch: r.epoch,
        kind: r.kind,
        channel: r.channel,
        data: r.data.slice(),
      };
      if (r.source !== undefined) out.source = r.source;
    }, 1);
    return out;
  }

  /** Block this (worker) thread until the ring is non-empty or `timeoutMs` passes. Not on the main thread. */
  wait(timeoutMs = Number.POSITIVE_INFINITY): 'ok' | 'not-equal' | 'timed-out' {
    const head = this.tail | 0;
    Atomics.store(this.ctl, CONSUMER_SLEEPING, 1);
    try {
      if (!this.isEmpty()) return 'not-equal';
      return Atomics.wait(this.ctl, HEAD, head, timeoutMs);
    } finally {
      Atomics.store(this.ctl, CONSUMER_SLEEPING, 0);
    }
  }

  /**
   * Resolve when the ring is non-empty (or after `timeoutMs`), without blocking the thread. Note: a
   * pending `Atomics.waitAsync` does not keep the event loop alive; the caller must hold a handle.
   */
  waitAsync(timeoutMs?: number): Promise<'ok' | 'not-equal' | 'timed-out'> {
    const head = this.tail | 0;
    Atomics.store(this.ctl, CONSUMER_SLEEPING, 1);
    if (!this.isEmpty()) {
      Atomics.store(this.ctl, CONSUMER_SLEEPING, 0);
      return Promise.resolve('not-equal');
    }
    const r = waitAsync(this.ctl, HEAD, head, timeoutMs);
    if (!r.async) {
      Atomics.store(this.ctl, CONSUMER_SLEEPING, 0);
      return Promise.resolve(r.value);
    }
    return r.value.then((v) => {
      Atomics.store(this.ctl, CONSUMER_SLEEPING, 0);
      return v;
    });
  }

  private release(): void {
    Atomics.store(this.ctl, TAIL, this.tail | 0);
    if (Atomics.load(this.ctl, PRODUCER_WAITING) === 1) Atomics.notify(this.ctl, TAIL);
  }

  private decode(off: number): void {
    const v = this.view;
    const r = this.scratch;
    const len = v.getUint32(off + 4, true);
    r.seq = v.getFloat64(off + 8, true);
    r.time = v.getFloat64(off + 16, true);
    r.epoch = v.getUint32(off + 24, true);
    r.kind = v.getUint8(off + 28) as RecordKind;
    const chLen = v.getUint8(off + 29);
    const srcLen = v.getUint8(off + 30);
    const chStart = off + RECORD_HEADER_BYTES;
    r.channel = this.channelAt(chStart, chLen);
    const srcStart = chStart + chLen;
    // names repeat (a few sources): the same small cache as the channels'
    r.source = srcLen === 0 ? undefined : this.channelAt(srcStart, srcLen);
    r.data = this.bytes.subarray(srcStart + srcLen, srcStart + srcLen + len);
  }

  /**
   * Channel names repeat (a handful interleave: bbo, trades, l2Book …): reuse a decoded string when its
   * bytes match one of the last few seen, so the steady state allocates nothing here.
   */
  private channelAt(start: number, len: number): string {
    const b = this.bytes;
    const cache = this.channels;
    for (let c = 0; c < cache.length; c++) {
      const known = cache[c]!;
      if (known.bytes.length !== len) continue;
      let same = true;
      for (let i = 0; i < len; i++) {
        if (b[start + i] !== known.bytes[i]) {
          same = false;
          break;
        }
      }
      if (same) return known.name;
    }
    let name = '';
    for (let i = 0; i < len; i++) name += String.fromCharCode(b[start + i]!);
    if (cache.length >= CHANNEL_CACHE) cache.shift();
    cache.push({ bytes: b.slice(start, start + len), name });
    return name;
  }
}
