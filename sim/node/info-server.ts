/**
 * The simulated node's local info server (docs/hyperliquid-protocol.md §6.2; the real node serves it
 * with `--serve-info` on `http://localhost:3001/info`): loopback HTTP, `POST /info` only, and of the
 * node's requests the two this system uses:
 * - `{"type":"exchangeStatus"}` → `{"time":<last block time ms>,"specialStatuses":null}` (the liveness
 *   poll, actors/node/info-poll.ts; state/heights.ts reads `time`);
 * - `{"type":"fileSnapshot","request":{"type":"l4Snapshots","includeUsers":b,"includeTriggerOrders":b},
 *   "outPath":"…","includeHeightInOutput":b}` → writes the L4 snapshot of every coin at the last block
 *   to `outPath`, then answers `null` (hyperliquid-dex/order_book_server `process_rmp_file` checks only
 *   the status, then reads the file). The file is `[height, [[coin, [[bids…], [asks…]]]…]]` (without
 *   `height` when `includeHeightInOutput` is false), each side best first with time priority within a
 *   price, each order `[user, order]` with `order` as the node prints it in its order statuses
 *   (`children`, `origSz`, venue decimals such as "106217.0"; OBS multi_book.rs test `SNAPSHOT_JSON`).
 *   With `includeUsers:false` an order is the bare order object: the reference never asks for that
 *   and no sample is public, so this form is this simulator's reading. The order model has no trigger
 *   orders, so `includeTriggerOrders` changes nothing here.
 * Anything else: another path or method 404; a body that is not a request this server answers 400 with
 * the reason; an `outPath` that cannot be written 500 with the error. Nothing a client sends can stop
 * the simulator.
 *
 * Its height and time are those of the last block the node published (`publish`, called by NodeSim on
 * every block, as the book server's `last`); the model's orders are that block's book, because the
 * model only moves in `onBlock`.
 */
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { NodeBookOrder, OrderModel } from './orders.ts';

/** Bodies larger than this are refused (the two requests are a few hundred bytes). */
export const NODE_INFO_MAX_BODY = 64 * 1024;

export interface NodeInfoServerOptions {
  model: OrderModel;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface NodeInfoServerStats {
  requests: number;
  exchangeStatus: number;
  /** Snapshot files written. */
  snapshots: number;
  notFound: number;
  badRequests: number;
  /** Snapshot files that could not be written (answered 500). */
  writeErrors: number;
  lastError: string;
}

/** What a `fileSnapshot` request asks for. */
export interface L4SnapshotRequest {
  includeUsers: boolean;
  includeTriggerOrders: boolean;
  includeHeightInOutput: boolean;
}

type Parsed =
  | { type: 'exchangeStatus' }
  | { type: 'fileSnapshot'; outPath: string; req: L4SnapshotRequest }
  | { type: 'error'; message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One request body, or the reason it is refused (400). */
export function parseNodeInfoRequest(text: string): Parsed {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { type: 'error', message: `body is not JSON: ${(e as Error).message}` };
  }
  if (!isRecord(v)) return { type: 'error', message: 'body must be a JSON object with a "type"' };
  if (v.type === 'exchangeStatus') return { type: 'exchangeStatus' };
  if (v.type !== 'fileSnapshot') {
    return {
      type: 'error',
      message: `unsupported request type ${JSON.stringify(v.type)}: the simulated node answers "exchangeStatus" and "fileSnapshot"`,
    };
  }
  const r = v.request;
  if (!isRecord(r)) return { type: 'error', message: 'fileSnapshot: "request" must be an object' };
  if (r.type !== 'l4Snapshots') {
    return {
      type: 'error',
      message: `fileSnapshot: request type ${JSON.stringify(r.type)}: the simulated node writes only "l4Snapshots"`,
    };
  }
  const flag = (o: Record<string, unknown>, k: string, where: string): boolean | string =>
    typeof o[k] === 'boolean' ? (o[k] as boolean) : `fileSnapshot: "${where}${k}" must be true or false`;
  const includeUsers = flag(r, 'includeUsers', 'request.');
  const includeTriggerOrders = flag(r, 'includeTriggerOrders', 'request.');
  const includeHeightInOutput = flag(v, 'includeHeightInOutput', '');
  for (const f of [includeUsers, includeTriggerOrders, includeHeightInOutput])
    if (typeof f === 'string') return { type: 'error', message: f };
  if (typeof v.outPath !== 'string' || v.outPath === '')
    return { type: 'error', message: 'fileSnapshot: "outPath" must be a non-empty path' };
  return {
    type: 'fileSnapshot',
    outPath: v.outPath,
    req: {
      includeUsers: includeUsers === true,
      includeTriggerOrders: includeTriggerOrders === true,
      includeHeightInOutput: includeHeightInOutput === true,
    },
  };
}

const q = JSON.stringify;

/** An order as the node prints it in its order statuses (sim/node/wire.ts `nodeStatusJson`). */
function nodeOrderJson(o: NodeBookOrder, px: string, sz: string, origSz: string): string {
  return (
    `{"coin":${q(o.coin)},"side":"${o.side}","limitPx":"${px}","sz":"${sz}","oid":${o.oid},` +
    `"timestamp":${o.timestamp},"triggerCondition":"N/A","isTrigger":false,"triggerPx":"0.0",` +
    `"children":[],"isPositionTpsl":false,"reduceOnly":false,"orderType":"Limit","origSz":"${origSz}",` +
    `"tif":"${o.tif}","cloid":${o.cloid === null ? 'null' : q(o.cloid)}}`
  );
}

export class NodeInfoServer {
  url = '';
  port = 0;
  private readonly host: string;
  private readonly http = createServer((req, res) => this.onHttp(req, res));
  private readonly sockets = new Set<Socket>();
  private listening = false;
  private closed = false;
  private last: { time: number; height: number };
  private readonly statsData: NodeInfoServerStats = {
    requests: 0,
    exchangeStatus: 0,
    snapshots: 0,
    notFound: 0,
    badRequests: 0,
    writeErrors: 0,
    lastError: '',
  };

  constructor(private readonly opts: NodeInfoServerOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.last = { time: opts.model.engine.time, height: opts.model.engine.height };
    this.http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.http.on('clientError', (_e, socket) => socket.destroy());
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      this.http.once('error', onErr);
      this.http.listen(this.opts.port ?? 0, this.host, () => {
        this.http.off('error', onErr);
        const addr = this.http.address();
        if (addr === null || typeof addr === 'string') return reject(new Error('no TCP address'));
        this.port = addr.port;
        this.url = `http://${this.host}:${addr.port}/info`;
        this.listening = true;
        resolve();
      });
    });
  }

  /** The node finished a block: its height and time are what the server reports from now on. */
  publish(block: { time: number; height: number }): void {
    this.last = { time: block.time, height: block.height };
  }

  lastBlock(): { time: number; height: number } {
    return { ...this.last };
  }

  stats(): NodeInfoServerStats {
    return { ...this.statsData };
  }

  /** The `exchangeStatus` answer. */
  exchangeStatusJson(): string {
    return `{"time":${this.last.time},"specialStatuses":null}`;
  }

  /** The snapshot file's text at the last block, every coin of the model in the engine's order. */
  snapshotText(req: L4SnapshotRequest): string {
    const model = this.opts.model;
    const books: string[] = [];
    for (const coin of model.engine.coins) {
      const m = model.market(coin);
      const side = (os: NodeBookOrder[]) =>
        os
          .map((o) => {
            const j = nodeOrderJson(o, m.formatPx(o.pxTicks), m.formatSz(o.lots), m.formatSz(o.origLots));
            return req.includeUsers ? `[${q(o.user)},${j}]` : j;
          })
          .join(',');
      const [bids, asks] = model.orders(coin);
      books.push(`[${q(coin)},[[${side(bids)}],[${side(asks)}]]]`);
    }
    const body = `[${books.join(',')}]`;
    return req.includeHeightInOutput ? `[${this.last.height},${body}]` : body;
  }

  private answer(res: ServerResponse, status: number, body: string, json = false): void {
    if (status >= 400) this.statsData.lastError = `${status} ${body}`;
    res.writeHead(status, { 'content-type': json ? 'application/json' : 'text/plain; charset=utf-8' });
    res.end(body);
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    this.statsData.requests++;
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/info' || req.method !== 'POST') {
      this.statsData.notFound++;
      this.answer(res, 404, 'Not Found');
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= NODE_INFO_MAX_BODY) chunks.push(b);
    });
    req.on('end', () => {
      if (size > NODE_INFO_MAX_BODY) {
        this.statsData.badRequests++;
        return this.answer(res, 400, `body of ${size} bytes exceeds ${NODE_INFO_MAX_BODY}`);
      }
      const p = parseNodeInfoRequest(Buffer.concat(chunks).toString('utf8'));
      switch (p.type) {
        case 'error':
          this.statsData.badRequests++;
          return this.answer(res, 400, p.message);
        case 'exchangeStatus':
          this.statsData.exchangeStatus++;
          return this.answer(res, 200, this.exchangeStatusJson(), true);
        case 'fileSnapshot': {
          // the text is taken now, at the last block; the write may finish after the next block
          const text = this.snapshotText(p.req);
          writeFile(p.outPath, text).then(
            () => {
              this.statsData.snapshots++;
              this.answer(res, 200, 'null', true);
            },
            (e: unknown) => {
              this.statsData.writeErrors++;
              this.answer(
                res,
                500,
                `fileSnapshot: cannot write ${p.outPath}: ${e instanceof Error ? e.message : String(e)}`,
              );
            },
          );
          return;
        }
      }
    });
    req.on('error', () => {
      /* the client went away: nothing to answer */
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    if (this.listening) {
      this.listening = false;
      await new Promise<void>((resolve) => this.http.close(() => resolve()));
    }
  }
}

export async function startNodeInfoServer(opts: NodeInfoServerOptions): Promise<NodeInfoServer> {
  const s = new NodeInfoServer(opts);
  await s.start();
  return s;
}
