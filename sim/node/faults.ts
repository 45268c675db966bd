/**
 * Faults of the node and its order_book_server, scriptable on simulated time like sim/faults.ts
 * (`at(t, f => …)` runs when the simulation reaches t; each kind is counted in `injected`):
 * - `skipBlock()`: the next block is missing — a height hole in the files and (by default) on the
 *   book server's l4Book updates;
 * - `stallWriter(ms)`: the node writes nothing for `ms`, then catches up;
 * - `truncateLine({ streams, completeAfterMs })`: the next line is written in part, completed after
 *   `completeAfterMs` or never (`null`);
 * - `hourRolloverMidBlock()`: the next hour boundary falls inside a block;
 * - `restartBookServer({ downMs, notReadyMs })`: every connection dropped, the port closed, then a
 *   new snapshot for whoever subscribes again.
 */
import type { NodeBookServer } from './book-server.ts';
import type { NodeFileWriter } from './files.ts';
import type { NodeStream } from './format.ts';

export interface NodeFaultHost {
  readonly files: NodeFileWriter | null;
  readonly server: NodeBookServer | null;
  /** Blocks the book server will not publish (skipped). */
  skipServerBlocks(n: number): void;
  /** Time of the last block (ms). */
  now(): number;
}

export class NodeFaults {
  readonly injected: Record<string, number> = {};
  private readonly scheduled: { at: number; seq: number; fn: (f: NodeFaults) => void }[] = [];
  private seq = 0;

  constructor(private readonly host: NodeFaultHost) {}

  private count(kind: string): void {
    this.injected[kind] = (this.injected[kind] ?? 0) + 1;
  }

  skipBlock(opts: { files?: boolean; server?: boolean } = {}): void {
    if (opts.files ?? true) this.host.files?.skipNext();
    if (opts.server ?? true) this.host.skipServerBlocks(1);
    this.count('skipBlock');
  }

  /** From the last block's time, the writer holds its lines for `ms`. */
  stallWriter(ms: number): void {
    this.host.files?.stall(this.host.now() + ms);
    this.count('stallWriter');
  }

  truncateLine(opts: { streams?: NodeStream[]; completeAfterMs: number | null }): void {
    this.host.files?.truncateNext(opts.streams, opts.completeAfterMs);
    this.count('truncateLine');
  }

  hourRolloverMidBlock(): void {
    this.host.files?.rolloverMidBlockNext();
    this.count('hourRolloverMidBlock');
  }

  async restartBookServer(opts: { downMs?: number; notReadyMs?: number } = {}): Promise<void> {
    this.count('restartBookServer');
    await this.host.server?.restart(opts);
  }

  /** Run `fn` when the simulation reaches `simTime`. */
  at(simTime: number, fn: (f: NodeFaults) => void): void {
    this.scheduled.push({ at: simTime, seq: this.seq++, fn });
    this.scheduled.sort((x, y) => x.at - y.at || x.seq - y.seq);
  }

  /** Run the scripted faults due at `now` (called before each block is written). */
  runDue(now: number): void {
    while (this.scheduled.length > 0 && this.scheduled[0]!.at <= now) {
      this.scheduled.shift()!.fn(this);
    }
  }
}
