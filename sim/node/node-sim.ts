/**
 * The simulator's node (issue 17): from the same seeded market as the public simulator, the
 * order model's blocks go to the node's hourly files (`dir`, laid out as `~/hl/data`), to an
 * order_book_server-compatible WebSocket and to the node's local info server (`exchangeStatus`,
 * `fileSnapshot` of the L4 books: sim/node/info-server.ts), with scriptable faults.
 *
 * Drive it by calling `onBlock()` after each `engine.step()`, or let `attachToEngine` do that for an
 * engine someone else steps (the public simulator's server).
 */
import type { SimClock } from '../clock.ts';
import type { Engine } from '../engine.ts';
import { type NodeBookServer, startNodeBookServer } from './book-server.ts';
import { NodeFaults, type NodeFaultHost } from './faults.ts';
import { NodeFileWriter } from './files.ts';
import { type NodeInfoServer, startNodeInfoServer } from './info-server.ts';
import { type NodeBlock, OrderModel } from './orders.ts';

export interface NodeSimOptions {
  engine: Engine;
  /** Write the node's hourly files under this folder (the node's `~/hl/data`). */
  dir?: string;
  /** Serve the order_book_server WebSocket (default true). */
  serve?: boolean;
  /** Its port (default 0: any free port) and host (default 127.0.0.1). */
  port?: number;
  host?: string;
  /** Clock of the book server's restart timing; default the wall clock. */
  clock?: SimClock;
  /**
   * Also serve the node's local info server (`exchangeStatus`, `fileSnapshot` of the L4 books):
   * default true when serving.
   */
  info?: boolean;
  /** Its port (default 0: any free port). */
  infoPort?: number;
}

export class NodeSim implements NodeFaultHost {
  readonly model: OrderModel;
  readonly faults: NodeFaults;
  readonly files: NodeFileWriter | null;
  server: NodeBookServer | null = null;
  /** The node's local info server (`url` is its `http://…/info`). */
  info: NodeInfoServer | null = null;
  /** Called with every block the model produced (before faults), e.g. by tests. */
  onNodeBlock: ((b: NodeBlock) => void) | null = null;
  /** File writes that failed (the block is missing from the files), and the last reason. */
  writeErrors = 0;
  lastWriteError: string | null = null;
  private serverSkips = 0;
  private detach: (() => void) | null = null;

  constructor(
    readonly engine: Engine,
    dir?: string,
  ) {
    this.model = new OrderModel(engine);
    this.files = dir === undefined ? null : new NodeFileWriter({ dir, seed: engine.seed });
    this.faults = new NodeFaults(this);
  }

  now(): number {
    return this.engine.time;
  }

  skipServerBlocks(n: number): void {
    this.serverSkips += n;
  }

  /** After `engine.step()`: the block's node events, written and served as the faults allow. */
  onBlock(): NodeBlock {
    const block = this.model.onBlock();
    this.onNodeBlock?.(block);
    this.faults.runDue(block.time);
    try {
      this.files?.write(block);
    } catch (e) {
      // a full disk or a removed folder must not stop the market: counted, the block is lost there
      this.writeErrors++;
      this.lastWriteError = e instanceof Error ? e.message : String(e);
    }
    // the node itself has the block whatever its book server sends
    this.info?.publish(block);
    if (this.serverSkips > 0) {
      this.serverSkips--;
      this.server?.skip(block);
    } else this.server?.publish(block);
    return block;
  }

  /**
   * Follow an engine stepped elsewhere: wraps its `step` so every block also runs `onBlock`
   * (sim/engine.ts has no block hook; see the report of issue 17). Returns the undo.
   */
  attachToEngine(): () => void {
    if (this.detach !== null) return this.detach;
    const engine = this.engine;
    const step = engine.step;
    engine.step = () => {
      const r = step.call(engine);
      this.onBlock();
      return r;
    };
    this.detach = () => {
      engine.step = step;
      this.detach = null;
    };
    return this.detach;
  }

  async close(): Promise<void> {
    this.detach?.();
    this.files?.flush();
    this.files?.close();
    await this.server?.close();
    await this.info?.close();
  }
}

export async function startNodeSim(opts: NodeSimOptions): Promise<NodeSim> {
  const sim = new NodeSim(opts.engine, opts.dir);
  if (opts.serve ?? true) {
    sim.server = await startNodeBookServer({
      model: sim.model,
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.host !== undefined ? { host: opts.host } : {}),
      ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
    });
    if (opts.info ?? true) {
      try {
        sim.info = await startNodeInfoServer({
          model: sim.model,
          ...(opts.infoPort !== undefined ? { port: opts.infoPort } : {}),
          ...(opts.host !== undefined ? { host: opts.host } : {}),
        });
      } catch (e) {
        await sim.close();
        throw e;
      }
    }
  }
  return sim;
}
