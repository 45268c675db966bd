/**
 * The shared-memory hot state: one SharedArrayBuffer, per coin a Float64 slot guarded by a seqlock.
 * One writer (the state builder, in the ingest worker) publishes whole slots; any number of readers in
 * any thread copy a slot into their own buffer, lock-free. Readers never block the writer: the writer
 * never waits on anything, and a reader that races a write simply copies again.
 *
 * Writer:  lock += 1 (odd) · copy the slot · lock += 1 (even) · counter += 1
 * Reader:  s1 = lock (odd → retry) · copy · s2 = lock · s1 === s2 → the copy is untorn
 */
import {
  checkLayout,
  F,
  type HotStateLayout,
  makeLayout,
  newSlot,
  SLOT_FLOATS,
  slotChecksum,
} from './hotstate-layout.ts';

const TWO32 = 2 ** 32;

function slotViews(sab: SharedArrayBuffer, layout: HotStateLayout): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < layout.coins.length; i++)
    out.push(new Float64Array(sab, layout.dataOffset + i * layout.slotFloats * 8, layout.slotFloats));
  return out;
}

/** The single writer. Create it once (it owns the buffer), hand `sab` and `layout` to readers. */
export class HotStateWriter {
  readonly coinIndex: ReadonlyMap<string, number>;
  private readonly locks: Int32Array;
  private readonly counter: Uint32Array;
  private readonly views: Float64Array[];
  private readonly slotVersions: Float64Array;
  private published = 0;

  /** Allocate a zeroed buffer for `coins` and initialise every slot (NaN fields, version 0). */
  static create(coins: readonly string[]): HotStateWriter {
    const layout = makeLayout(coins);
    return new HotStateWriter(new SharedArrayBuffer(layout.byteLength), layout);
  }

  constructor(
    readonly sab: SharedArrayBuffer,
    readonly layout: HotStateLayout,
  ) {
    checkLayout(sab, layout);
    this.locks = new Int32Array(sab);
    this.counter = new Uint32Array(sab, 0, 2);
    this.views = slotViews(sab, layout);
    this.slotVersions = new Float64Array(layout.coins.length);
    this.coinIndex = new Map(layout.coins.map((c, i) => [c, i]));
    const init = newSlot();
    for (let i = 0; i < this.views.length; i++) {
      init[F.coinIndex] = i;
      init[F.checksum] = slotChecksum(init);
      this.write(i, init);
    }
  }

  /**
   * Publish coin `coinIndex`'s slot image. Stamps `version`, `slotVersion`, `publishTime`, `coinIndex`
   * and `checksum` into `slot` (the caller's buffer), then copies it under the seqlock. Returns the
   * global version. Never waits, never allocates.
   */
  publish(coinIndex: number, slot: Float64Array, publishTime: number): number {
    if (slot.length !== SLOT_FLOATS)
      throw new Error(`hot state: slot has ${slot.length} fields, want ${SLOT_FLOATS}`);
    const sv = this.slotVersions[coinIndex];
    if (sv === undefined) throw new Error(`hot state: no coin index ${coinIndex}`);
    const n = this.published + 1;
    this.slotVersions[coinIndex] = sv + 1;
    slot[F.version] = n;
    slot[F.slotVersion] = sv + 1;
    slot[F.publishTime] = publishTime;
    slot[F.coinIndex] = coinIndex;
    slot[F.checksum] = slotChecksum(slot);
    this.write(coinIndex, slot);
    this.published = n;
    // low word first, then high: a reader that sees the same high word before and after has a whole value
    Atomics.store(this.counter, 0, n % TWO32);
    Atomics.store(this.counter, 1, Math.floor(n / TWO32));
    return n;
  }

  /** Updates published so far (the global version). */
  version(): number {
    return this.published;
  }

  private write(i: number, slot: Float64Array): void {
    const li = this.layout.lockBase + i * this.layout.lockStride;
    Atomics.add(this.locks, li, 1);
    this.views[i]!.set(slot);
    Atomics.add(this.locks, li, 1);
  }
}

export interface ReaderOptions {
  /** Copy attempts before `read` gives up and returns false (default 1000). */
  maxRetries?: number;
}

/** A reader in any thread. Allocates nothing per read. */
export class HotStateReader {
  readonly coinIndex: ReadonlyMap<string, number>;
  private readonly locks: Int32Array;
  private readonly counter: Uint32Array;
  private readonly views: Float64Array[];
  private readonly lockIdx: Int32Array;
  private readonly maxRetries: number;
  /** Reads that found the slot torn or being written and copied again. */
  retries = 0;
  /** Reads that gave up after `maxRetries`. */
  failures = 0;

  static attach(sab: SharedArrayBuffer, layout: HotStateLayout, opts: ReaderOptions = {}): HotStateReader {
    return new HotStateReader(sab, layout, opts);
  }

  private constructor(
    readonly sab: SharedArrayBuffer,
    readonly layout: HotStateLayout,
    opts: ReaderOptions,
  ) {
    checkLayout(sab, layout);
    this.locks = new Int32Array(sab);
    this.counter = new Uint32Array(sab, 0, 2);
    this.views = slotViews(sab, layout);
    this.lockIdx = new Int32Array(layout.coins.map((_, i) => layout.lockBase + i * layout.lockStride));
    this.maxRetries = Math.max(1, opts.maxRetries ?? 1000);
    this.coinIndex = new Map(layout.coins.map((c, i) => [c, i]));
  }

  /** A buffer of the right size for `read`. */
  newSlotBuffer(): Float64Array {
    return new Float64Array(SLOT_FLOATS);
  }

  /**
   * Copy coin `coinIndex`'s slot into `out` (length ≥ SLOT_FLOATS). True when the copy is one whole
   * publish; false for an unknown coin or when no stable copy was had within `maxRetries` attempts
   * (`out` then holds garbage and must not be used).
   */
  read(coinIndex: number, out: Float64Array): boolean {
    const src = this.views[coinIndex];
    if (src === undefined) return false;
    const li = this.lockIdx[coinIndex]!;
    const locks = this.locks;
    for (let k = 0; k < this.maxRetries; k++) {
      const s1 = Atomics.load(locks, li);
      if ((s1 & 1) === 0) {
        out.set(src);
        if (Atomics.load(locks, li) === s1) return true;
      }
      this.retries++;
    }
    this.failures++;
    return false;
  }

  /** The global version: updates published so far (lock-free, never torn). */
  version(): number {
    const c = this.counter;
    for (;;) {
      const hi = Atomics.load(c, 1);
      const lo = Atomics.load(c, 0);
      if (Atomics.load(c, 1) === hi) return hi * TWO32 + lo;
    }
  }
}

/**
 * Reader-side staleness of a copied slot: true when it was never published, its age against the
 * clock (`now − publishTime`) exceeds `maxAgeMs`, or its book is gated by a rejected l2Book / bbo
 * (`isBookInvalid`): not to be traded on.
 */
export function isStale(slot: Float64Array, now: number, maxAgeMs: number): boolean {
  const age = now - slot[F.publishTime]!;
  return !(age <= maxAgeMs) || !(slot[F.slotVersion]! > 0) || isBookInvalid(slot);
}

/** True while the slot's book gate is set (a rejected l2Book or bbo not yet followed by a valid one). */
export function isBookInvalid(slot: Float64Array): boolean {
  return slot[F.bookRejected]! !== 0 || slot[F.bboRejected]! !== 0;
}

/** Age of a copied slot in ms against `now` (NaN when never published). */
export function ageMs(slot: Float64Array, now: number): number {
  return now - slot[F.publishTime]!;
}
