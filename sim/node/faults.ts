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
import { Rng } from '../rng.ts';
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

export const NODE_FAULT_KINDS = [
  'skipBlock',
  'stallWriter',
  'truncateLine',
  'hourRolloverMidBlock',
  'restartBookServer',
] as const;
export type NodeFaultKind = (typeof NODE_FAULT_KINDS)[number];

/** One fault the seeded schedule injected: when (sim ms), what, and its parameters. */
export interface NodeFaultRecord {
  t: number;
  kind: NodeFaultKind;
  detail: string;
}

export class NodeFaults {
  /** Called with each fault the seeded schedule injects. */
  onFault: ((r: NodeFaultRecord) => void) | null = null;
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

  /**
   * A seeded schedule: from `from` (sim ms), one fault every `everyMs` on average (between half and
   * one and a half of it), its kind drawn from `kinds` and its parameters from the seed — a stall of
   * 2–8 s, a part-written line completed after 0.5–3 s or (one in three) never, a restart down
   * 1–5 s and not ready 0–3 s. The same seed gives the same faults at the same times.
   */
  schedule(opts: { seed: number; from: number; everyMs: number; kinds?: readonly NodeFaultKind[] }): void {
    const rng = Rng.derive(opts.seed, 'node-faults');
    const kinds = opts.kinds ?? NODE_FAULT_KINDS;
    if (kinds.length === 0 || !(opts.everyMs > 0)) return;
    const gap = () => Math.round(opts.everyMs * (0.5 + rng.next()));
    const fire = (t: number) => {
      this.at(t, (f) => {
        const kind = kinds[rng.int(kinds.length)]!;
        let detail = '';
        switch (kind) {
          case 'skipBlock':
            f.skipBlock();
            break;
          case 'stallWriter': {
            const ms = 2_000 + rng.int(6_001);
            detail = `${ms} ms`;
            f.stallWriter(ms);
            break;
          }
          case 'truncateLine': {
            const after = rng.chance(1 / 3) ? null : 500 + rng.int(2_501);
            detail = after === null ? 'never completed' : `completed after ${after} ms`;
            f.truncateLine({ completeAfterMs: after });
            break;
          }
          case 'hourRolloverMidBlock':
            detail = 'at the next hour boundary';
            f.hourRolloverMidBlock();
            break;
          case 'restartBookServer': {
            const downMs = 1_000 + rng.int(4_001);
            const notReadyMs = rng.int(3_001);
            detail = `down ${downMs} ms, not ready ${notReadyMs} ms`;
            f.restartBookServer({ downMs, notReadyMs }).catch((e: unknown) => {
              this.count('restartFailed');
              this.onFault?.({ t, kind, detail: `failed: ${e instanceof Error ? e.message : String(e)}` });
            });
            break;
          }
        }
        this.onFault?.({ t: this.host.now(), kind, detail });
        fire(this.host.now() + gap());
      });
    };
    fire(opts.from + gap());
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
