/**
 * The sweep's fast path: a tick tape. Parameters of the decision side (strategy, regime, risk, paper
 * execution, health) do not change the market state, so a sweep need not re-parse the market for each
 * config. `recordTape` reads a journal range once through the replay's own `DecisionFeed` (same ingest
 * pipeline, same hot state) with the decision side taken out: at each control tick it keeps what the
 * decision side is handed — the tick's time and hot-state version, the feed events, the operator inputs
 * journaled since the last tick, and the slot image of every coin whose slot changed (as the engine's
 * reader copies it, checksum and all) — plus each `run.start`. `replayTape` then runs the real decision
 * side per config from the tape: a fresh `DecisionFeed` whose hot state gets the taped slot images written
 * back before each tick, so the engine reads exactly the bytes the full replay reads; `test/research/
 * sweep-tape.test.ts` proves the decision logs equal byte for byte.
 *
 * A run that traded through the live venue is answered from the journal's venue records (a `ReplayVenue`);
 * the tape does not carry those, so a range with such a run says so (`liveRuns`) and the sweep replays it
 * in full. The tape is saved as one file (a JSON header and the slot images as raw float64) so workers on
 * other threads or machines load it instead of re-parsing the market.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readDays } from '../actors/journal/days.ts';
import type { JournalEntry } from '../actors/journal/reader.ts';
import type { DecisionEngine, DecisionLine, EngineConfig } from '../decision/engine.ts';
import { F, SLOT_FLOATS } from '../state/hotstate-layout.ts';
import type { TickEvent } from '../state/pipeline.ts';
import { type JournalRecord, RecordKind } from '../state/records.ts';
import { DecisionFeed, type RunStart } from '../replay/replay-journal.ts';

const dec = new TextDecoder();
const enc = new TextEncoder();

/** A journaled input the pipeline queues for the next tick (an operator command or a venue answer). */
export interface TapeInput {
  seq: number;
  time: number;
  epoch: number;
  kind: number;
  channel: string;
  /** The record's payload as text. */
  data: string;
}

export type TapeOp =
  | { op: 'run'; run: RunStart }
  | {
      op: 'tick';
      time: number;
      version: number;
      events: TickEvent[];
      inputs: TapeInput[];
      /** Pairs (coin index, offset into the slot pool) of the slots that changed since the last tick. */
      slots: number[];
    };

export interface Tape {
  coins: string[];
  ops: TapeOp[];
  /** The slot images, SLOT_FLOATS float64 each. */
  pool: Float64Array;
  /** What the full replay reports of the same range. */
  records: number;
  frames: number;
  corrupt: number;
  versionMismatches: number;
  firstTime: number | null;
  lastTime: number | null;
  ticks: number;
  /** Runs that traded through the live venue (a tape cannot answer for it: replay them in full). */
  liveRuns: number;
  toTime?: number;
}

/** A `DecisionFeed` with the decision side taken out: each tick is written to the tape instead. */
class RecordingFeed extends DecisionFeed {
  readonly ops: TapeOp[] = [];
  private readonly chunks: Float64Array[] = [];
  private poolFloats = 0;
  private pending: TapeInput[] = [];
  private lastSlotVersion: number[];
  private readonly buf: Float64Array;
  liveRuns = 0;

  constructor(config: EngineConfig) {
    super(config, () => {});
    this.lastSlotVersion = config.coins.map(() => 0);
    this.buf = this.reader.newSlotBuffer();
  }

  override startRun(run: RunStart): void {
    super.startRun(run);
    if (this.venue !== null) this.liveRuns++;
    // a fresh hot state: every slot is the initial image again (as the replaying feed's will be)
    this.lastSlotVersion = this.lastSlotVersion.map(() => 0);
    this.ops.push({ op: 'run', run });
  }

  override record(rec: JournalRecord): void {
    if (rec.kind === RecordKind.Venue || (rec.kind === RecordKind.Decision && rec.channel === 'operator'))
      this.pending.push({
        seq: rec.seq,
        time: rec.time,
        epoch: rec.epoch,
        kind: rec.kind,
        channel: rec.channel,
        data: dec.decode(rec.data),
      });
    super.record(rec);
  }

  override tick(time: number, version: number, events = this.pipeline.drainEvents()): void {
    this.pipeline.drainCommands(); // replayed from `inputs`
    const slots: number[] = [];
    for (let i = 0; i < this.lastSlotVersion.length; i++) {
      this.reader.read(i, this.buf);
      const sv = this.buf[F.slotVersion]! /* changes on every publish of the coin */;
      if (sv === this.lastSlotVersion[i]) continue;
      this.lastSlotVersion[i] = sv;
      slots.push(i, this.poolFloats);
      this.chunks.push(this.buf.slice(0, SLOT_FLOATS));
      this.poolFloats += SLOT_FLOATS;
    }
    this.ops.push({ op: 'tick', time, version, events, inputs: this.pending, slots });
    this.pending = [];
    this.ticks++;
  }

  pool(): Float64Array {
    const out = new Float64Array(this.poolFloats);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

export interface RecordTapeOptions {
  /** The day folders of the range, in order (one stream, as the full replay reads them). */
  days: readonly string[];
  /** Any config with the journal's coins (the hot-state layout); the decision side does not run. */
  config: EngineConfig;
  toTime?: number;
}

/** Read the range once through the ingest pipeline and hot state, keeping what each tick hands the decision side. */
export function recordTape(o: RecordTapeOptions): Tape {
  const feed = new RecordingFeed(o.config);
  let records = 0;
  let frames = 0;
  let corrupt = 0;
  let firstTime: number | null = null;
  let lastTime: number | null = null;
  const range: { toTime?: number; onCorrupt: () => void } = { onCorrupt: () => corrupt++ };
  if (o.toTime !== undefined) range.toTime = o.toTime;
  const it: Iterable<JournalEntry> = readDays(o.days, range);
  for (const { record } of it) {
    records++;
    if (record.kind === RecordKind.Frame) frames++;
    firstTime ??= record.time;
    lastTime = record.time;
    feed.record(record);
  }
  const tape: Tape = {
    coins: [...o.config.coins],
    ops: feed.ops,
    pool: feed.pool(),
    records,
    frames,
    corrupt,
    versionMismatches: feed.versionMismatches,
    firstTime,
    lastTime,
    ticks: feed.ticks,
    liveRuns: feed.liveRuns,
  };
  if (o.toTime !== undefined) tape.toTime = o.toTime;
  return tape;
}

export interface TapeReplay {
  engine: DecisionEngine | null;
  ticks: number;
  versionMismatches: number;
  undeliveredReports: number;
}

export class TapeError extends Error {}

/** Run the real decision side with `config` over a tape (every run of the range with this one config). */
export function replayTape(tape: Tape, config: EngineConfig, out: (line: DecisionLine) => void): TapeReplay {
  if (tape.liveRuns > 0)
    throw new TapeError(`the tape's range has ${tape.liveRuns} live-trading run(s): replay it in full`);
  if (config.coins.length !== tape.coins.length || config.coins.some((c, i) => c !== tape.coins[i]))
    throw new TapeError(
      `config coins ${config.coins.join(',')} differ from the tape's ${tape.coins.join(',')} (the coins change the market state)`,
    );
  const feed = new DecisionFeed(config, out, () => config);
  let sab: SharedArrayBuffer | null = null;
  let slotViews: Float64Array[] = [];
  let counter: Uint32Array | null = null;
  for (const op of tape.ops) {
    if (op.op === 'run') {
      feed.startRun(op.run);
      continue;
    }
    for (const i of op.inputs)
      feed.pipeline.process({
        seq: i.seq,
        time: i.time,
        epoch: i.epoch,
        kind: i.kind as JournalRecord['kind'],
        channel: i.channel,
        data: enc.encode(i.data),
      });
    if (feed.hot.sab !== sab) {
      sab = feed.hot.sab;
      const l = feed.hot.layout;
      slotViews = l.coins.map(
        (_, i) => new Float64Array(sab!, l.dataOffset + i * l.slotFloats * 8, l.slotFloats),
      );
      counter = new Uint32Array(sab, 0, 2);
    }
    for (let k = 0; k < op.slots.length; k += 2) {
      const at = op.slots[k + 1]!;
      slotViews[op.slots[k]!]!.set(tape.pool.subarray(at, at + SLOT_FLOATS));
    }
    counter![0] = op.version % 2 ** 32;
    counter![1] = Math.floor(op.version / 2 ** 32);
    feed.tick(op.time, op.version, op.events);
  }
  if (tape.toTime !== undefined) feed.engine?.advanceTo(tape.toTime);
  return {
    engine: feed.engine,
    ticks: feed.ticks,
    versionMismatches: tape.versionMismatches,
    undeliveredReports: feed.undeliveredReports,
  };
}

// ------------------------------------------------------------------ the file

const MAGIC = 'HLTAPE1\n';

/** Save a tape: MAGIC, u32 header length, the JSON header, padding to 8 bytes, the slot pool. */
export function saveTape(path: string, tape: Tape): void {
  const { pool, ...head } = tape;
  const json = enc.encode(JSON.stringify(head));
  const headerEnd = MAGIC.length + 4 + json.length;
  const poolAt = Math.ceil(headerEnd / 8) * 8;
  const bytes = new Uint8Array(poolAt + pool.byteLength);
  bytes.set(enc.encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(MAGIC.length, json.length, true);
  bytes.set(json, MAGIC.length + 4);
  bytes.set(new Uint8Array(pool.buffer, pool.byteOffset, pool.byteLength), poolAt);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path); // readers never see half a tape
}

export function loadTape(path: string): Tape {
  const b = readFileSync(path);
  if (b.length < MAGIC.length + 4 || dec.decode(b.subarray(0, MAGIC.length)) !== MAGIC)
    throw new TapeError(`${path}: not a tick tape`);
  const len = b.readUInt32LE(MAGIC.length);
  const headerEnd = MAGIC.length + 4 + len;
  if (headerEnd > b.length) throw new TapeError(`${path}: truncated tape header`);
  const head = JSON.parse(dec.decode(b.subarray(MAGIC.length + 4, headerEnd))) as Omit<Tape, 'pool'>;
  const poolAt = Math.ceil(headerEnd / 8) * 8;
  if ((b.length - poolAt) % 8 !== 0) throw new TapeError(`${path}: truncated slot pool`);
  const pool = new Float64Array(b.length - poolAt);
  new Uint8Array(pool.buffer).set(b.subarray(poolAt));
  return { ...head, pool };
}
