/**
 * The node's hourly files, as a non-validator started with `--batch-by-block --write-fills
 * --write-order-statuses --write-raw-book-diffs --disable-output-file-buffering` writes them under
 * `~/hl/data` (docs/hyperliquid-protocol.md §6.1; order_book_server `EventSource`):
 *
 *   <dir>/node_fills_by_block/hourly/<YYYYMMDD>/<H>
 *   <dir>/node_order_statuses_by_block/hourly/<YYYYMMDD>/<H>
 *   <dir>/node_raw_book_diffs_by_block/hourly/<YYYYMMDD>/<H>
 *
 * one block per line in each (a block with no events still gets its line), in height order. The
 * hour is the UTC hour of the line's `local_time` (when the node wrote it: the block time plus a
 * seeded processing delay of 20–220 ms); `block_time` is the block's time with seeded nanoseconds
 * below the millisecond, so it reads back to the engine's millisecond.
 *
 * Faults (driven by sim/node/faults.ts):
 * - `skipNext()`: the next block is written to no stream (a height hole);
 * - `stall(untilMs)`: nothing is written for blocks before `untilMs`; the first block at or after it
 *   writes them all (their `local_time` is then, as a node catching up writes them);
 * - `truncateNext(streams, completeAfterMs)`: the next block's line in those streams is written
 *   only in part (no newline); with a delay, its rest is written by the first block at or after
 *   the block time + delay (lines of later blocks wait behind it), with `null` never: the next line
 *   starts on a new line, leaving the part as a malformed line and the block missing there;
 * - `rolloverMidBlockNext()`: the next hour boundary falls inside a block — its fills line is
 *   written before the hour (old file), its order statuses and diffs after (new file).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Rng } from '../rng.ts';
import { hourlyRelPath, hourStart, NODE_STREAMS, type NodeStream, naiveTime } from './format.ts';
import type { NodeBlock } from './orders.ts';
import { nodeBlockLine, nodeDiffJson, nodeFillJson, nodeStatusJson } from './wire.ts';

export interface NodeFilesStats {
  blocksWritten: number;
  blocksSkipped: number;
  linesWritten: Record<NodeStream, number>;
  partialLines: number;
  partialCompleted: number;
  partialAbandoned: number;
  stalledBlocks: number;
  midBlockRollovers: number;
  filesOpened: number;
  /** Lines (or parts) that could not be written, and the last reason. */
  writeErrors: number;
  lastWriteError: string | null;
}

interface Pending {
  block: NodeBlock;
  blockTime: string;
  /** ms (float, sub-ms as fraction) when the node processed it. */
  localMs: number;
}

interface Partial {
  path: string;
  rest: string;
  completeAt: number | null;
}

export interface NodeFilesOptions {
  dir: string;
  /** Seed of the processing delays and sub-ms times; default 1. */
  seed?: number;
}

export class NodeFileWriter {
  readonly dir: string;
  readonly stats: NodeFilesStats = {
    blocksWritten: 0,
    blocksSkipped: 0,
    linesWritten: {
      node_fills_by_block: 0,
      node_order_statuses_by_block: 0,
      node_raw_book_diffs_by_block: 0,
    },
    partialLines: 0,
    partialCompleted: 0,
    partialAbandoned: 0,
    stalledBlocks: 0,
    midBlockRollovers: 0,
    filesOpened: 0,
    writeErrors: 0,
    lastWriteError: null,
  };
  private readonly rng: Rng;
  private readonly fds = new Map<NodeStream, { path: string; fd: number }>();
  /** Lines waiting behind a partial line, per stream. */
  private readonly queued = new Map<NodeStream, { path: string; text: string }[]>();
  private readonly partial = new Map<NodeStream, Partial>();
  /** Streams whose last line was abandoned part-written: the next line starts on a new line. */
  private readonly broken = new Map<NodeStream, string>();
  private readonly stalled: Pending[] = [];
  private stallUntil = Number.NEGATIVE_INFINITY;
  private skip = 0;
  private truncate: { streams: NodeStream[]; completeAfterMs: number | null } | null = null;
  private rolloverArmed = false;
  private lastLocal = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(opts: NodeFilesOptions) {
    this.dir = opts.dir;
    this.rng = Rng.derive(opts.seed ?? 1, 'node-files');
    mkdirSync(this.dir, { recursive: true });
  }

  /** Absolute path of a stream's file for a local time (ms). */
  pathFor(stream: NodeStream, localMs: number): string {
    return join(this.dir, hourlyRelPath(stream, localMs));
  }

  skipNext(n = 1): void {
    this.skip += n;
  }

  stall(untilMs: number): void {
    this.stallUntil = Math.max(this.stallUntil, untilMs);
  }

  truncateNext(streams: readonly NodeStream[] = NODE_STREAMS, completeAfterMs: number | null = null): void {
    this.truncate = { streams: [...streams], completeAfterMs };
  }

  rolloverMidBlockNext(): void {
    this.rolloverArmed = true;
  }

  /** Write (or hold, per the faults) one block's three lines. */
  write(block: NodeBlock): void {
    if (this.closed) return;
    const now = block.time;
    this.completeDue(now);
    const sub = this.rng.int(1_000_000);
    const pending: Pending = {
      block,
      blockTime: naiveTime(block.time, sub),
      localMs: block.time + sub / 1e6 + 20 + this.rng.next() * 200,
    };
    if (this.skip > 0) {
      this.skip--;
      this.stats.blocksSkipped++;
      return;
    }
    if (now < this.stallUntil) {
      this.stalled.push(pending);
      this.stats.stalledBlocks++;
      return;
    }
    if (this.stalled.length > 0) {
      for (const p of this.stalled.splice(0)) {
        p.localMs = Math.max(p.localMs, now + this.rng.next());
        this.emit(p);
      }
    }
    this.emit(pending);
  }

  /** Write out what the faults hold (stalled blocks, lines waiting behind a partial one). */
  flush(now = Number.POSITIVE_INFINITY): void {
    this.completeDue(now);
    for (const p of this.stalled.splice(0)) this.emit(p);
  }

  private completeDue(now: number): void {
    for (const [stream, p] of [...this.partial]) {
      if (p.completeAt !== null && now >= p.completeAt) {
        this.partial.delete(stream);
        this.stats.partialCompleted++;
        this.writeTo(stream, p.path, p.rest, true);
        for (const w of this.queued.get(stream)?.splice(0) ?? []) this.writeTo(stream, w.path, w.text, true);
      }
    }
  }

  private emit(p: Pending): void {
    const b = p.block;
    let local = Math.max(p.localMs, this.lastLocal);
    const locals: Record<NodeStream, number> = {
      node_fills_by_block: local,
      node_order_statuses_by_block: local,
      node_raw_book_diffs_by_block: local,
    };
    if (this.rolloverArmed && this.lastLocal > 0 && hourStart(local) !== hourStart(this.lastLocal)) {
      // the hour turns between this block's first stream and the others
      const boundary = hourStart(local);
      locals.node_fills_by_block = Math.max(this.lastLocal, boundary - 0.000_5);
      if (local - boundary < 0.001) local = boundary + 0.001;
      locals.node_order_statuses_by_block = local;
      locals.node_raw_book_diffs_by_block = local;
      this.rolloverArmed = false;
      this.stats.midBlockRollovers++;
    }
    this.lastLocal = local;
    const events: Record<NodeStream, string[]> = {
      node_fills_by_block: b.fills.map(nodeFillJson),
      node_order_statuses_by_block: b.statuses.map(nodeStatusJson),
      node_raw_book_diffs_by_block: b.diffs.map(nodeDiffJson),
    };
    const trunc = this.truncate;
    this.truncate = null;
    for (const stream of NODE_STREAMS) {
      const l = locals[stream];
      const ms = Math.floor(l);
      const line = nodeBlockLine(
        naiveTime(ms, Math.floor((l - ms) * 1e6)),
        p.blockTime,
        b.height,
        events[stream],
      );
      const path = this.pathFor(stream, ms);
      if (this.partial.has(stream)) {
        // a part-written line is ahead: this one waits behind it
        const q = this.queued.get(stream) ?? [];
        q.push({ path, text: line + '\n' });
        this.queued.set(stream, q);
      } else if (trunc?.streams.includes(stream)) {
        const cut = Math.max(1, Math.floor(line.length / 2));
        this.writeTo(stream, path, line.slice(0, cut), false);
        this.stats.partialLines++;
        if (trunc.completeAfterMs === null) {
          this.broken.set(stream, path);
          this.stats.partialAbandoned++;
        } else {
          this.partial.set(stream, {
            path,
            rest: line.slice(cut) + '\n',
            completeAt: b.time + trunc.completeAfterMs,
          });
        }
      } else this.writeTo(stream, path, line + '\n', true);
    }
    this.stats.blocksWritten++;
  }

  /** Append to the stream's file at `path` (the hour rolls over by opening the next file). */
  private writeTo(stream: NodeStream, path: string, text: string, endsLine: boolean): void {
    try {
      this.append(stream, path, text, endsLine);
    } catch (e) {
      // the folder went away, the disk is full…: counted, this stream misses the line, the others go on
      this.stats.writeErrors++;
      this.stats.lastWriteError = `${stream}: ${e instanceof Error ? e.message : String(e)}`;
      const cur = this.fds.get(stream);
      if (cur?.path === path) {
        this.fds.delete(stream);
        try {
          closeSync(cur.fd);
        } catch {
          /* already unusable */
        }
      }
    }
  }

  private append(stream: NodeStream, path: string, text: string, endsLine: boolean): void {
    const cur = this.fds.get(stream);
    let fd: number;
    if (cur?.path === path) fd = cur.fd;
    else {
      if (cur !== undefined) {
        this.fds.delete(stream);
        closeSync(cur.fd);
      }
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(path, 'a');
      this.fds.set(stream, { path, fd });
      this.stats.filesOpened++;
    }
    // after an abandoned part-line, the node's next line in that file starts on a new line
    const broken = this.broken.get(stream);
    if (broken !== undefined) {
      this.broken.delete(stream);
      if (broken === path) writeSync(fd, '\n');
    }
    writeSync(fd, text);
    if (endsLine) this.stats.linesWritten[stream]++;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { fd } of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
