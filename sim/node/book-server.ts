/**
 * An order_book_server-compatible WebSocket (hyperliquid-dex/order_book_server @ bf5f6bc,
 * server/src/servers/websocket_server.rs) fed by the order model: `ws://host:port/ws`, the
 * reference's only route.
 *
 * Protocol as the reference handles it:
 * - a client message is `{"method":"subscribe"|"unsubscribe","subscription":{"type":…}}` with the
 *   types `trades {coin}`, `l2Book {coin, nSigFigs?, nLevels?, mantissa?}`, `l4Book {coin}`; anything
 *   else (a `{"method":"ping"}` too) gets `Error parsing JSON into valid websocket request: <text>`;
 * - `l2Book`: the coin must exist; `nLevels` ≤ 100 and not 20 (the default: send null); `nSigFigs`
 *   2–5; `mantissa` only 2 or 5 and only with `nSigFigs` 5 — else `Invalid subscription: <sub>`;
 * - a second subscribe of the same subscription: `Already subscribed: <sub>`; an unsubscribe of one
 *   not held: `Already unsubscribed: <sub>`; `<sub>` is the subscription re-serialised (every field,
 *   nulls included: `{"type":"l2Book","coin":"BTC","nSigFigs":null,"nLevels":null,"mantissa":null}`);
 * - the ack is `subscriptionResponse` with the client message re-serialised; an `l4Book` subscribe
 *   is followed by its `Snapshot` (time and height of the last block) — nothing else is sent on
 *   subscribe (an l2Book waits for the next block);
 * - per block: `trades` (per coin with fills: one trade per fill pair), `l4Book` `Updates` (per coin
 *   with statuses or diffs: a coin with none in a block gets no message, as in the reference), then
 *   `l2Book` for every l2Book subscription;
 * - while not ready (after a restart, until its snapshot), a new connection gets `Order book not
 *   ready for streaming (waiting for snapshot)` and is closed.
 * There is no ping handler and no idle timeout.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SimClock } from '../clock.ts';
import { realtimeClock } from '../realtime-clock.ts';
import { obsL2Key, obsL2Views, type ObsSides } from './l2.ts';
import type { NodeBlock, OrderModel } from './orders.ts';
import {
  obsBookOrderJson,
  obsDiffJson,
  obsErrorFrame,
  obsL2Frame,
  obsL4SnapshotFrame,
  obsL4UpdatesFrame,
  obsStatusJson,
  obsSubscriptionResponseFrame,
  obsTradeJson,
  obsTradesFrame,
} from './wire.ts';

export const OBS_MAX_LEVELS = 100;
export const OBS_DEFAULT_LEVELS = 20;
export const OBS_NOT_READY = 'Order book not ready for streaming (waiting for snapshot)';

export type ObsSub =
  | { type: 'trades'; coin: string }
  | { type: 'l2Book'; coin: string; nSigFigs: number | null; nLevels: number | null; mantissa: number | null }
  | { type: 'l4Book'; coin: string };

/** serde's serialisation of a `Subscription`: internally tagged, every field, `None` as null. */
export function obsSubJson(s: ObsSub): string {
  const coin = JSON.stringify(s.coin);
  switch (s.type) {
    case 'trades':
      return `{"type":"trades","coin":${coin}}`;
    case 'l4Book':
      return `{"type":"l4Book","coin":${coin}}`;
    case 'l2Book':
      return `{"type":"l2Book","coin":${coin},"nSigFigs":${s.nSigFigs},"nLevels":${s.nLevels},"mantissa":${s.mantissa}}`;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An `Option<uN>` field: absent or null → null; a non-negative integer; anything else → undefined (error). */
function optUint(v: unknown, max: number): number | null | undefined {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) return v;
  return undefined;
}

/** serde's `ClientMessage` deserialisation; null when it would fail. */
export function parseObsClientMessage(
  text: string,
): { method: 'subscribe' | 'unsubscribe'; sub: ObsSub } | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(v)) return null;
  const method = v.method;
  if (method !== 'subscribe' && method !== 'unsubscribe') return null;
  const s = v.subscription;
  if (!isRecord(s) || typeof s.coin !== 'string') return null;
  switch (s.type) {
    case 'trades':
      return { method, sub: { type: 'trades', coin: s.coin } };
    case 'l4Book':
      return { method, sub: { type: 'l4Book', coin: s.coin } };
    case 'l2Book': {
      const nSigFigs = optUint(s.nSigFigs, 0xffff_ffff);
      const nLevels = optUint(s.nLevels, Number.MAX_SAFE_INTEGER);
      const mantissa = optUint(s.mantissa, Number.MAX_SAFE_INTEGER);
      if (nSigFigs === undefined || nLevels === undefined || mantissa === undefined) return null;
      return { method, sub: { type: 'l2Book', coin: s.coin, nSigFigs, nLevels, mantissa } };
    }
    default:
      return null;
  }
}

/** `Subscription::validate` against the coins the book holds. */
export function validateObsSub(s: ObsSub, universe: ReadonlySet<string>): boolean {
  if (s.type === 'trades') return universe.has(s.coin);
  if (!universe.has(s.coin) || s.coin.startsWith('@')) return false;
  if (s.type === 'l4Book') return true;
  if (s.nLevels === OBS_DEFAULT_LEVELS) return false;
  if ((s.nLevels ?? OBS_DEFAULT_LEVELS) > OBS_MAX_LEVELS) return false;
  if (s.nSigFigs !== null) {
    if (s.nSigFigs < 2 || s.nSigFigs > 5) return false;
    if (s.mantissa !== null && (s.nSigFigs < 5 || (s.mantissa !== 5 && s.mantissa !== 2))) return false;
  } else if (s.mantissa !== null) return false;
  return true;
}

export interface NodeBookServerOptions {
  model: OrderModel;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Restart timing runs on this clock; default the wall clock. */
  clock?: SimClock;
}

export interface NodeBookServerStats {
  connectionsAccepted: number;
  connectionsOpen: number;
  /** Connections turned away with the not-ready error. */
  notReadyRejected: number;
  restarts: number;
  blocksPublished: number;
  blocksSkipped: number;
  framesSent: Record<string, number>;
  clientErrors: number;
}

interface ObsConn {
  id: number;
  ws: WebSocket;
  subs: Map<string, ObsSub>;
}

export class NodeBookServer {
  url = '';
  port = 0;
  private readonly host: string;
  private readonly clock: SimClock;
  private readonly http = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not Found');
  });
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<Socket>();
  private readonly conns = new Map<number, ObsConn>();
  private nextId = 1;
  private listening = false;
  private closed = false;
  private ready = true;
  private readyTimer: number | null = null;
  private last: { time: number; height: number };
  private readonly statsData: NodeBookServerStats = {
    connectionsAccepted: 0,
    connectionsOpen: 0,
    notReadyRejected: 0,
    restarts: 0,
    blocksPublished: 0,
    blocksSkipped: 0,
    framesSent: {},
    clientErrors: 0,
  };

  constructor(private readonly opts: NodeBookServerOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.clock = opts.clock ?? realtimeClock();
    this.last = { time: opts.model.engine.time, height: opts.model.engine.height };
    this.http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/ws') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
    });
  }

  async start(): Promise<void> {
    await this.listen(this.opts.port ?? 0);
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      this.http.once('error', onErr);
      this.http.listen(port, this.host, () => {
        this.http.off('error', onErr);
        const addr = this.http.address();
        if (addr === null || typeof addr === 'string') return reject(new Error('no TCP address'));
        this.port = addr.port;
        this.url = `ws://${this.host}:${addr.port}/ws`;
        this.listening = true;
        resolve();
      });
    });
  }

  isReady(): boolean {
    return this.ready;
  }

  stats(): NodeBookServerStats {
    return {
      ...this.statsData,
      connectionsOpen: this.conns.size,
      framesSent: { ...this.statsData.framesSent },
    };
  }

  private universe(): Set<string> {
    return new Set(this.opts.model.engine.coins);
  }

  private send(c: ObsConn, text: string, channel: string): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    c.ws.send(text);
    this.statsData.framesSent[channel] = (this.statsData.framesSent[channel] ?? 0) + 1;
  }

  private onConnection(ws: WebSocket): void {
    this.statsData.connectionsAccepted++;
    if (!this.ready) {
      this.statsData.notReadyRejected++;
      // the reference sends the error and returns, dropping the socket (no close frame)
      ws.send(obsErrorFrame(OBS_NOT_READY), () => ws.terminate());
      return;
    }
    const c: ObsConn = { id: this.nextId++, ws, subs: new Map() };
    this.conns.set(c.id, c);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return; // the reference reads text frames only
      this.onMessage(c, String(data));
    });
    ws.on('close', () => this.conns.delete(c.id));
    ws.on('error', () => {
      /* counted via close */
    });
  }

  private onMessage(c: ObsConn, text: string): void {
    const msg = parseObsClientMessage(text);
    if (msg === null) {
      this.statsData.clientErrors++;
      this.send(c, obsErrorFrame(`Error parsing JSON into valid websocket request: ${text}`), 'error');
      return;
    }
    const subJson = obsSubJson(msg.sub);
    if (!validateObsSub(msg.sub, this.universe())) {
      this.statsData.clientErrors++;
      this.send(c, obsErrorFrame(`Invalid subscription: ${subJson}`), 'error');
      return;
    }
    if (msg.method === 'subscribe') {
      if (c.subs.has(subJson)) {
        this.send(c, obsErrorFrame(`Already subscribed: ${subJson}`), 'error');
        return;
      }
      c.subs.set(subJson, msg.sub);
      this.send(c, obsSubscriptionResponseFrame('subscribe', subJson), 'subscriptionResponse');
      if (msg.sub.type === 'l4Book') this.send(c, this.snapshotFrame(msg.sub.coin), 'l4Book');
      return;
    }
    if (!c.subs.delete(subJson)) {
      this.send(c, obsErrorFrame(`Already unsubscribed: ${subJson}`), 'error');
      return;
    }
    this.send(c, obsSubscriptionResponseFrame('unsubscribe', subJson), 'subscriptionResponse');
  }

  /** The l4Book snapshot of a coin at the last published block. */
  snapshotFrame(coin: string): string {
    const model = this.opts.model;
    const m = model.market(coin);
    const [bids, asks] = model.orders(coin);
    const json = (os: typeof bids) =>
      os.map((o) => obsBookOrderJson(o, m.formatPx(o.pxTicks), m.formatSz(o.lots)));
    return obsL4SnapshotFrame(coin, this.last.time, this.last.height, json(bids), json(asks));
  }

  /** The coin's full L2 book ×10^8, as OBS aggregates its orders. */
  private fullL2(coin: string): ObsSides {
    const model = this.opts.model;
    const m = model.market(coin);
    const szScale = 10 ** (8 - m.def.szDecimals);
    const side = (s: 'B' | 'A') =>
      model.levels(coin, s).map((l) => ({ px: Math.round(l.p * m.tick * 1e8), sz: l.q * szScale, n: l.n }));
    return [side('B'), side('A')];
  }

  /**
   * A block the server never sends (the skipped-block fault): its book still moves on, so a later
   * snapshot carries this height and time (its orders include the block's changes).
   */
  skip(block: NodeBlock): void {
    this.last = { time: block.time, height: block.height };
    this.statsData.blocksSkipped++;
  }

  /** Send one block to every subscriber (trades, then l4Book updates, then l2Book). */
  publish(block: NodeBlock): void {
    this.last = { time: block.time, height: block.height };
    this.statsData.blocksPublished++;
    if (!this.ready || this.conns.size === 0) return;
    const trades = new Map<string, string[]>();
    for (let i = 0; i + 1 < block.fills.length; i += 2) {
      const a = block.fills[i]!;
      const list = trades.get(a.coin) ?? [];
      list.push(obsTradeJson(a, block.fills[i + 1]!));
      trades.set(a.coin, list);
    }
    const updates = new Map<string, { statuses: string[]; diffs: string[] }>();
    const upd = (coin: string) => {
      let u = updates.get(coin);
      if (u === undefined) {
        u = { statuses: [], diffs: [] };
        updates.set(coin, u);
      }
      return u;
    };
    for (const d of block.diffs) upd(d.coin).diffs.push(obsDiffJson(d));
    for (const s of block.statuses) upd(s.order.coin).statuses.push(obsStatusJson(s));
    const views = new Map<string, Map<string, ObsSides>>();
    const tradeFrames = new Map<string, string>();
    const l4Frames = new Map<string, string>();
    for (const c of this.conns.values()) {
      for (const s of c.subs.values()) {
        if (s.type === 'trades') {
          const list = trades.get(s.coin);
          if (list === undefined) continue;
          let f = tradeFrames.get(s.coin);
          if (f === undefined) {
            f = obsTradesFrame(list);
            tradeFrames.set(s.coin, f);
          }
          this.send(c, f, 'trades');
        } else if (s.type === 'l4Book') {
          const u = updates.get(s.coin);
          if (u === undefined) continue;
          let f = l4Frames.get(s.coin);
          if (f === undefined) {
            f = obsL4UpdatesFrame(block.time, block.height, u.statuses, u.diffs);
            l4Frames.set(s.coin, f);
          }
          this.send(c, f, 'l4Book');
        }
      }
      for (const s of c.subs.values()) {
        if (s.type !== 'l2Book') continue;
        let v = views.get(s.coin);
        if (v === undefined) {
          v = obsL2Views(this.fullL2(s.coin));
          views.set(s.coin, v);
        }
        const sides = v.get(obsL2Key(s))!;
        const n = s.nLevels ?? OBS_DEFAULT_LEVELS;
        this.send(c, obsL2Frame(s.coin, block.time, sides[0].slice(0, n), sides[1].slice(0, n)), 'l2Book');
      }
    }
  }

  /**
   * The reference server restarted: every connection dropped, the port closed for `downMs`, then
   * listening again but not ready (new connections turned away) for `notReadyMs` more, on the
   * injected clock. Resolves when it listens again.
   */
  async restart(opts: { downMs?: number; notReadyMs?: number } = {}): Promise<void> {
    this.statsData.restarts++;
    this.ready = false;
    for (const c of this.conns.values()) c.ws.terminate();
    this.conns.clear();
    for (const s of this.sockets) s.destroy();
    if (this.listening) {
      this.listening = false;
      await new Promise<void>((resolve) => this.http.close(() => resolve()));
    }
    const downMs = opts.downMs ?? 0;
    if (downMs > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, downMs));
    if (this.closed) return;
    await this.listen(this.port);
    const notReadyMs = opts.notReadyMs ?? 0;
    if (notReadyMs > 0) {
      this.readyTimer = this.clock.setTimeout(() => {
        this.readyTimer = null;
        this.ready = true;
      }, notReadyMs);
    } else this.ready = true;
  }

  connectionCount(): number {
    return this.conns.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.readyTimer !== null) this.clock.clearTimeout(this.readyTimer);
    for (const c of this.conns.values()) c.ws.terminate();
    this.conns.clear();
    for (const s of this.sockets) s.destroy();
    this.wss.close();
    if (this.listening) {
      this.listening = false;
      await new Promise<void>((resolve) => this.http.close(() => resolve()));
    }
  }
}

export async function startNodeBookServer(opts: NodeBookServerOptions): Promise<NodeBookServer> {
  const s = new NodeBookServer(opts);
  await s.start();
  return s;
}
