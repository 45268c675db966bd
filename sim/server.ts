/**
 * The simulated venue on loopback: a real `ws` WebSocket server on `/ws` and `POST /info` over HTTP,
 * speaking the Hyperliquid protocol (docs/hyperliquid-protocol.md §1, §3), driven by the seeded
 * engine on a simulated clock, with fault injection.
 *
 * Time: all protocol timing (cadences, the 60 s idle close, the message rate limit, scripted faults)
 * runs on simulated time. Speeds: a number (× real time on the injected clock), 'max' (as fast as
 * possible, yielding to I/O between batches) or 'manual' (time moves only in `advance`/`advanceTo`,
 * which run the engine and send every due frame synchronously, in order).
 *
 * The network it plays: every HTTP response carries `x-sim-network: mainnet|testnet` (SIM_NETWORK_HEADER)
 * — the network whose signatures `/exchange` verifies (`isMainnet`). A header, not a protocol message,
 * so no request or answer of the real protocol changes; a real Hyperliquid host sends none. Clients ask
 * with runtime/network.ts `probeVenueNetwork` and refuse to sign for another network.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SimClock } from './clock.ts';
import { Conn, type ConnStats } from './connection.ts';
import { Engine, SIM_EPOCH, type CascadeEvent, type GroundTruthLabel } from './engine.ts';
import { SimExchange } from './exchange.ts';
import { Faults, type FaultHost } from './faults.ts';
import { Feed, FrameCache, type FeedOptions } from './feed.ts';
import { errorFrame, PONG_FRAME, subscriptionResponseFrame } from './frames.ts';
import { answerInfo, INFO_422 } from './info.ts';
import type { PrivatePush, SimAccountSpec } from './private.ts';
import { afterIo, realtimeClock } from './realtime-clock.ts';
import { ERR, parseClientRequest, type Subscription } from './subscriptions.ts';

export type SimSpeed = number | 'max' | 'manual';

export interface SimLimits {
  maxUsers: number;
  maxChannels: number;
  maxMessagesPerMinute: number;
}

export interface SimServerOptions extends FeedOptions {
  seed?: number;
  scenario?: string;
  coins?: string[];
  /** Injected clock; default the wall clock (sim/realtime-clock.ts). */
  clock?: SimClock;
  /** Default 1. */
  speed?: SimSpeed;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** First block time; default the clock's now (numeric speeds) or SIM_EPOCH ('max'/'manual'). */
  startTime?: number;
  /** Close a connection the server has sent nothing to for this long (sim ms); 0 = never. Default 60 000. */
  idleTimeoutMs?: number;
  limits?: Partial<SimLimits>;
  /** Close a connection whose unsent backlog exceeds this (counted); 0 = never. Default 256 MiB. */
  maxBufferedBytes?: number;
  /** Blocks per batch in 'max' speed before yielding to I/O. Default 50. */
  maxBatchBlocks?: number;
  onLabel?: (l: GroundTruthLabel) => void;
  onEvent?: (e: CascadeEvent) => void;
  /** Accounts known to `/exchange` (more with `server.exchange.addAccount`). */
  accounts?: SimAccountSpec[];
  /** Verify signatures as mainnet ('a') or testnet ('b', the default). */
  isMainnet?: boolean;
}

export interface SimStats {
  blocks: number;
  simTime: number;
  connectionsAccepted: number;
  connectionsOpen: number;
  restarts: number;
  httpRequests: number;
  http422: number;
  faults: Record<string, number>;
  /** Per connection, including closed ones. */
  connections: ConnStats[];
}

export interface SimServer {
  readonly wsUrl: string;
  readonly httpUrl: string;
  readonly port: number;
  readonly engine: Engine;
  readonly faults: Faults;
  /** `/exchange`: accounts, orders, fills, and the private pushes. */
  readonly exchange: SimExchange;
  stats(): SimStats;
  /** Current simulated time. */
  now(): number;
  /** 'manual' speed: run the simulation forward by `ms` / to `t`, sending every due frame. */
  advance(ms: number): void;
  advanceTo(t: number): void;
  /** Ids of open connections, oldest first. */
  connectionIds(): number[];
  /** Resolves with the id of the next connection accepted. */
  nextConnection(): Promise<number>;
  close(): Promise<void>;
}

const CHANNEL_OF: Record<string, string> = { userEvents: 'user' };

/** The HTTP response header in which the simulator announces the network it plays (`mainnet` | `testnet`). */
export const SIM_NETWORK_HEADER = 'x-sim-network';

class SimServerImpl implements SimServer, FaultHost {
  readonly engine: Engine;
  readonly faults: Faults;
  readonly exchange: SimExchange;
  wsUrl = '';
  httpUrl = '';
  port = 0;
  private readonly host: string;
  private readonly clock: SimClock;
  private readonly speed: SimSpeed;
  private readonly cache: FrameCache;
  private readonly http = createServer((req, res) => this.onHttp(req, res));
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<Socket>();
  private readonly live = new Map<number, Conn>();
  private readonly all: Conn[] = [];
  private readonly waiters: ((id: number) => void)[] = [];
  private readonly coinSet: Set<string>;
  private readonly limits: SimLimits;
  private readonly idleMs: number;
  private readonly maxBuffered: number;
  private readonly batch: number;
  private nextId = 1;
  private sim: number;
  private clockStart = 0;
  private simStart = 0;
  private timer: number | null = null;
  private io: { cancel(): void } | null = null;
  private closed = false;
  private restarts = 0;
  private httpRequests = 0;
  private http422 = 0;
  private listening = false;

  constructor(private readonly opts: SimServerOptions) {
    // the venue speaks whole milliseconds: a sub-millisecond injected clock is floored
    const base = opts.clock ?? realtimeClock();
    this.clock = {
      now: () => Math.floor(base.now()),
      setTimeout: (fn, ms) => base.setTimeout(fn, ms),
      clearTimeout: (id) => base.clearTimeout(id),
    };
    this.speed = opts.speed ?? 1;
    if (typeof this.speed === 'number' && !(this.speed > 0))
      throw new Error(`speed must be > 0, got ${this.speed}`);
    const startTime =
      opts.startTime ??
      (typeof this.speed === 'number' ? Math.floor(this.clock.now() / 1000) * 1000 : SIM_EPOCH);
    this.engine = new Engine({
      seed: opts.seed ?? 1,
      scenario: opts.scenario ?? 'default',
      coins: opts.coins,
      startTime,
      keepGroundTruth: true,
    });
    this.engine.onLabel = opts.onLabel ?? null;
    this.engine.onEvent = opts.onEvent ?? null;
    this.cache = new FrameCache(this.engine);
    this.coinSet = new Set(this.engine.coins);
    this.faults = new Faults(this);
    this.exchange = new SimExchange(this.engine, () => this.sim, { isMainnet: opts.isMainnet ?? false });
    for (const a of opts.accounts ?? []) this.exchange.addAccount(a);
    this.host = opts.host ?? '127.0.0.1';
    this.limits = { maxUsers: 10, maxChannels: 1000, maxMessagesPerMinute: 2000, ...opts.limits };
    this.idleMs = opts.idleTimeoutMs ?? 60_000;
    this.maxBuffered = opts.maxBufferedBytes ?? 256 * 1024 * 1024;
    this.batch = opts.maxBatchBlocks ?? 50;
    this.sim = startTime;
    this.http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.http.on('upgrade', (req, socket, head) => {
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
    this.clockStart = this.clock.now();
    this.simStart = this.engine.startTime;
    if (typeof this.speed === 'number') this.scheduleNext();
    else if (this.speed === 'max') this.io = afterIo(() => this.runMax());
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
        this.wsUrl = `ws://${this.host}:${addr.port}/ws`;
        this.httpUrl = `http://${this.host}:${addr.port}`;
        this.listening = true;
        resolve();
      });
    });
  }

  // ------------------------------------------------------------ time

  now(): number {
    return this.sim;
  }

  simNow(): number {
    return this.sim;
  }

  private clockSim(): number {
    return this.simStart + (this.clock.now() - this.clockStart) * (this.speed as number);
  }

  private scheduleNext(): void {
    if (this.closed) return;
    const due = Math.min(this.engine.nextBlockTime(), this.nextIdleCheck());
    const delay = Math.max(0, (due - this.clockSim()) / (this.speed as number));
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      // the clock has reached `due`; float rounding of the speed scaling must not leave it undone
      this.runTo(Math.max(this.sim, this.clockSim(), due));
      this.scheduleNext();
    }, delay);
  }

  private nextIdleCheck(): number {
    if (this.idleMs <= 0) return Number.POSITIVE_INFINITY;
    let t = Number.POSITIVE_INFINITY;
    for (const c of this.live.values())
      if (!c.stalled && !c.closing) t = Math.min(t, c.lastSentSim + this.idleMs);
    return t;
  }

  private runMax(): void {
    this.io = null;
    if (this.closed) return;
    for (let i = 0; i < this.batch; i++) this.runTo(this.engine.nextBlockTime());
    this.io = afterIo(() => this.runMax());
  }

  advance(ms: number): void {
    this.advanceTo(this.sim + ms);
  }

  advanceTo(t: number): void {
    if (this.speed !== 'manual') throw new Error(`advance() needs speed 'manual' (speed is ${this.speed})`);
    if (t < this.sim) throw new Error(`cannot go back in time: now=${this.sim} requested=${t}`);
    this.runTo(t);
  }

  /** Run every block due at or before `t`, then set sim time to `t`. */
  private runTo(t: number): void {
    while (this.engine.nextBlockTime() <= t) {
      this.engine.step();
      this.sim = this.engine.time;
      for (const c of this.live.values()) c.feed.onBlock((text, sub) => this.deliver(c, text, sub));
      this.exchange.onBlock();
      this.flushPrivate();
      this.faults.runDue(this.sim);
      this.checkIdle();
    }
    if (t > this.sim) {
      this.sim = t;
      this.faults.runDue(this.sim);
      this.checkIdle();
    }
  }

  private checkIdle(): void {
    if (this.idleMs <= 0) return;
    for (const c of [...this.live.values()]) {
      if (!c.stalled && !c.closing && this.sim - c.lastSentSim >= this.idleMs) {
        c.close(1000, 'idle timeout: nothing sent for 60 s');
      }
    }
  }

  // ------------------------------------------------------------ websocket

  private onConnection(ws: WebSocket): void {
    const id = this.nextId++;
    const feed = new Feed(this.cache, this.opts);
    const conn = new Conn(id, ws, feed, this.sim, this.maxBuffered);
    this.live.set(id, conn);
    this.all.push(conn);
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? Buffer.from(data as Buffer).toString('latin1') : String(data);
      this.onMessage(conn, text);
    });
    ws.on('close', () => {
      conn.stats.open = false;
      if (conn.stats.closeReason === null) conn.stats.closeReason = 'client closed';
      this.live.delete(id);
    });
    ws.on('error', () => {
      /* counted via close */
    });
    const w = this.waiters.splice(0);
    for (const f of w) f(id);
  }

  private deliver(c: Conn, text: string, sub: Subscription): void {
    const channel = CHANNEL_OF[sub.type] ?? sub.type;
    if (c.send(text, channel, this.sim)) {
      if (sub.type === 'l2Book') c.lastBookTime.set(sub.coin!, this.engine.time);
      else if (sub.type === 'trades') c.lastTradesFrame.set(sub.coin!, text);
    }
  }

  /** Send the exchange's queued private pushes to every connection subscribed to them. */
  private flushPrivate(): void {
    const pushes: PrivatePush[] = this.exchange.takeOutbox();
    if (pushes.length === 0) return;
    for (const c of this.live.values()) {
      const subs = c.feed.subscriptions().filter((s) => s.user !== undefined);
      if (subs.length === 0) continue;
      for (const p of pushes) {
        for (const s of subs) if (s.type === p.sub && s.user === p.user) this.deliver(c, p.text, s);
      }
    }
  }

  private sendError(c: Conn, message: string): void {
    c.send(errorFrame(message), 'error', this.sim);
  }

  private onMessage(c: Conn, text: string): void {
    c.stats.messagesReceived++;
    if (c.stalled) return; // half-open: the request goes nowhere
    const cutoff = this.sim - 60_000;
    while (c.msgTimes.length > 0 && c.msgTimes[0]! <= cutoff) c.msgTimes.shift();
    if (c.msgTimes.length >= this.limits.maxMessagesPerMinute) {
      this.sendError(c, ERR.messages(this.limits.maxMessagesPerMinute));
      return;
    }
    c.msgTimes.push(this.sim);
    const req = parseClientRequest(text, this.coinSet);
    switch (req.kind) {
      case 'ping':
        if (!c.withholdPong) c.send(PONG_FRAME, 'pong', this.sim);
        return;
      case 'parseError':
        this.sendError(c, ERR.parse(req.echo));
        return;
      case 'invalid':
        this.sendError(c, ERR.invalidSubscription(req.echo));
        return;
      case 'post': {
        const r = req.request as Record<string, unknown>;
        let response: string;
        if (r.type === 'info') {
          const ans = answerInfo(this.engine, r.payload, this.exchange);
          const pt = (r.payload as Record<string, unknown> | undefined)?.type;
          response =
            ans === null
              ? `{"type":"error","payload":${JSON.stringify(INFO_422)}}`
              : `{"type":"info","payload":{"type":${JSON.stringify(pt)},"data":${ans}}}`;
        } else if (r.type === 'action') {
          const ans = this.exchange.handle(r.payload);
          response =
            ans === null
              ? `{"type":"error","payload":${JSON.stringify(INFO_422)}}`
              : `{"type":"action","payload":${ans}}`;
        } else {
          response = `{"type":"error","payload":${JSON.stringify(INFO_422)}}`;
        }
        c.send(`{"channel":"post","data":{"id":${req.id},"response":${response}}}`, 'post', this.sim);
        this.flushPrivate();
        return;
      }
      case 'subscribe': {
        const sub = req.sub;
        const raw = JSON.parse(req.echo) as Record<string, unknown>;
        const rej = this.faults.takeRejection(c, raw);
        if (rej !== null) {
          this.sendError(c, rej.message ?? ERR.invalidSubscription(req.echo));
          return;
        }
        if (c.feed.has(sub.key)) {
          this.sendError(c, ERR.alreadySubscribed(sub.key));
          return;
        }
        if (c.feed.size() >= this.limits.maxChannels) {
          this.sendError(c, ERR.channels(this.limits.maxChannels));
          return;
        }
        if (sub.user !== undefined && c.feed.users(sub.user).size > this.limits.maxUsers) {
          this.sendError(c, ERR.users(this.limits.maxUsers));
          return;
        }
        c.send(subscriptionResponseFrame('subscribe', sub.key), 'subscriptionResponse', this.sim);
        c.feed.add(sub, (t, s) =>
          // the userFills snapshot carries the account's recent fills
          this.deliver(c, s.type === 'userFills' ? this.exchange.userFillsSnapshot(s.user!) : t, s),
        );
        return;
      }
      case 'unsubscribe': {
        const sub = req.sub;
        if (!c.feed.remove(sub.key)) {
          this.sendError(c, ERR.alreadyUnsubscribed(sub.key));
          return;
        }
        c.send(subscriptionResponseFrame('unsubscribe', sub.key), 'subscriptionResponse', this.sim);
        return;
      }
    }
  }

  // ------------------------------------------------------------ http

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    this.httpRequests++;
    res.setHeader(SIM_NETWORK_HEADER, this.opts.isMainnet ? 'mainnet' : 'testnet');
    const path = (req.url ?? '').split('?')[0];
    if ((path !== '/info' && path !== '/exchange') || req.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > 1_000_000) tooBig = true;
      else chunks.push(b);
    });
    req.on('end', () => {
      let body: unknown;
      let ans: string | null = null;
      if (!tooBig) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          ans =
            path === '/exchange' ? this.exchange.handle(body) : answerInfo(this.engine, body, this.exchange);
        } catch {
          ans = null;
        }
      }
      if (ans === null) {
        this.http422++;
        res.writeHead(422, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(INFO_422);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(ans);
      if (path === '/exchange') this.flushPrivate();
    });
    req.on('error', () => {
      /* client went away: nothing to answer */
    });
  }

  // ------------------------------------------------------------ fault host

  conns(conn?: number): Conn[] {
    if (conn === undefined) return [...this.live.values()];
    const c = this.live.get(conn);
    return c === undefined ? [] : [c];
  }

  async goDown(): Promise<void> {
    this.restarts++;
    for (const c of this.live.values()) c.terminate('fault: server restart');
    for (const s of this.sockets) s.destroy();
    if (this.listening) {
      this.listening = false;
      await new Promise<void>((resolve) => this.http.close(() => resolve()));
    }
  }

  async comeUp(): Promise<void> {
    if (this.closed || this.listening) return;
    await this.listen(this.port);
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  // ------------------------------------------------------------ public

  connectionIds(): number[] {
    return [...this.live.keys()];
  }

  nextConnection(): Promise<number> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stats(): SimStats {
    return {
      blocks: this.engine.height,
      simTime: this.sim,
      connectionsAccepted: this.all.length,
      connectionsOpen: this.live.size,
      restarts: this.restarts,
      httpRequests: this.httpRequests,
      http422: this.http422,
      faults: { ...this.faults.injected },
      connections: this.all.map((c) => c.snapshot()),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.io?.cancel();
    for (const c of this.live.values()) c.terminate('server closed');
    for (const s of this.sockets) s.destroy();
    this.wss.close();
    if (this.listening) {
      this.listening = false;
      await new Promise<void>((resolve) => this.http.close(() => resolve()));
    }
  }
}

/** Start the simulated venue. */
export async function startSim(opts: SimServerOptions = {}): Promise<SimServer> {
  const s = new SimServerImpl(opts);
  await s.start();
  return s;
}
