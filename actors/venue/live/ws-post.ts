/**
 * WS `post` transport (doc §2): requests carry an id, responses are matched by id, at most 100 are
 * in flight (the venue's per-IP cap, §1.8) and the rest wait in a FIFO queue, each request times out
 * on the injected clock. Runs over any `{ send(text), onMessage(fn) }` channel; `WsChannel` below is
 * one over a `ws` socket that (re)connects on demand.
 *
 * A request lost to a closed connection or a timeout rejects with a `TransportError` of code
 * `closed` / `timeout`: the action may or may not have been executed, and the caller must find out
 * (the live venue asks `orderStatus`).
 */
import WebSocket from 'ws';
import type { ExchangeBody } from '../../../hyperliquid/wire.ts';
import { type ActionTransport, TransportError } from '../../../hyperliquid/exchange.ts';
import { MAX_INFLIGHT_POSTS } from '../../../hyperliquid/subscriptions.ts';
import type { Clock, TimerId } from '../../../state/clock.ts';

export interface PostChannel {
  send(text: string): void;
  /** Every text frame received; returns the unsubscribe function. */
  onMessage(fn: (text: string) => void): () => void;
  /** Told when the connection under the channel is lost (in-flight requests will never be answered). */
  onClose?(fn: (reason: string) => void): () => void;
}

export interface WsPostCounters {
  sent: number;
  answered: number;
  /** Requests that had to wait for an in-flight slot. */
  queued: number;
  maxInFlight: number;
  timeouts: number;
  closed: number;
  /** `post` responses of type `error` and venue `error` frames naming one of our ids. */
  errors: number;
  /** Frames on channel `post` that matched no pending id, or could not be read. */
  unmatched: number;
}

interface Pending {
  id: number;
  text: string;
  kind: 'action' | 'info';
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: TimerId | null;
}

export interface WsPostOptions {
  maxInFlight?: number;
  /** Per-request timeout on the clock, from the moment it is sent (ms). Default 10 000. */
  timeoutMs?: number;
  firstId?: number;
}

const PENDING_RE = /^too many pending post requests id=(\d+)$/;

export class WsPostTransport implements ActionTransport {
  readonly counters: WsPostCounters = {
    sent: 0,
    answered: 0,
    queued: 0,
    maxInFlight: 0,
    timeouts: 0,
    closed: 0,
    errors: 0,
    unmatched: 0,
  };
  private readonly inFlight = new Map<number, Pending>();
  private readonly queue: Pending[] = [];
  private queueHead = 0;
  private nextId: number;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly channel: PostChannel,
    private readonly clock: Clock,
    opts: WsPostOptions = {},
  ) {
    this.maxInFlight = opts.maxInFlight ?? MAX_INFLIGHT_POSTS;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.nextId = opts.firstId ?? 1;
    this.offs.push(channel.onMessage((t) => this.onMessage(t)));
    if (channel.onClose) this.offs.push(channel.onClose((r) => this.failInFlight(r)));
  }

  /** Requests sent and not yet answered. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  get queuedCount(): number {
    return this.queue.length - this.queueHead;
  }

  postAction(body: ExchangeBody<unknown>): Promise<unknown> {
    return this.request('action', body);
  }

  /** An info request over the socket; resolves with `payload.data`. */
  postInfo(payload: { type: string } & Record<string, unknown>): Promise<unknown> {
    return this.request('info', payload);
  }

  /** Reject everything pending and detach from the channel. */
  close(reason = 'transport closed'): void {
    for (const off of this.offs.splice(0)) off();
    this.failInFlight(reason);
    for (let i = this.queueHead; i < this.queue.length; i++) {
      this.queue[i]!.reject(new TransportError('closed', `ws post: ${reason} (never sent)`));
    }
    this.queue.length = 0;
    this.queueHead = 0;
  }

  private request(kind: 'action' | 'info', payload: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const text = JSON.stringify({ method: 'post', id, request: { type: kind, payload } });
      const p: Pending = { id, text, kind, resolve, reject, timer: null };
      if (this.inFlight.size < this.maxInFlight) this.dispatch(p);
      else {
        this.counters.queued++;
        this.queue.push(p);
      }
    });
  }

  private dispatch(p: Pending): void {
    this.inFlight.set(p.id, p);
    if (this.inFlight.size > this.counters.maxInFlight) this.counters.maxInFlight = this.inFlight.size;
    p.timer = this.clock.setTimeout(() => {
      p.timer = null;
      if (this.inFlight.delete(p.id)) {
        this.counters.timeouts++;
        p.reject(new TransportError('timeout', `ws post id=${p.id}: no answer within ${this.timeoutMs} ms`));
        this.pump();
      }
    }, this.timeoutMs);
    this.counters.sent++;
    try {
      this.channel.send(p.text);
    } catch (e) {
      this.settle(p.id, () =>
        p.reject(new TransportError('closed', `ws post id=${p.id}: send failed: ${String(e)}`)),
      );
    }
  }

  private pump(): void {
    while (this.inFlight.size < this.maxInFlight && this.queueHead < this.queue.length) {
      const p = this.queue[this.queueHead++]!;
      this.dispatch(p);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  private settle(id: number, fn: (p: Pending) => void): boolean {
    const p = this.inFlight.get(id);
    if (p === undefined) return false;
    this.inFlight.delete(id);
    if (p.timer !== null) this.clock.clearTimeout(p.timer);
    fn(p);
    this.pump();
    return true;
  }

  private failInFlight(reason: string): void {
    for (const id of [...this.inFlight.keys()]) {
      this.settle(id, (p) => {
        this.counters.closed++;
        p.reject(new TransportError('closed', `ws post id=${p.id}: connection lost (${reason})`));
      });
    }
  }

  private onMessage(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return; // not ours to judge: the socket may carry other traffic
    }
    if (typeof msg !== 'object' || msg === null) return;
    const m = msg as { channel?: unknown; data?: unknown };
    if (m.channel === 'error' && typeof m.data === 'string') {
      const hit = PENDING_RE.exec(m.data);
      if (hit) {
        const id = Number(hit[1]);
        if (
          this.settle(id, (p) => {
            this.counters.errors++;
            p.reject(new TransportError('overloaded', `ws post id=${id}: ${m.data as string}`));
          })
        )
          return;
      }
      return;
    }
    if (m.channel !== 'post') return;
    const d = m.data as { id?: unknown; response?: { type?: unknown; payload?: unknown } } | undefined;
    if (typeof d?.id !== 'number' || typeof d.response !== 'object' || d.response === null) {
      this.counters.unmatched++;
      return;
    }
    const r = d.response;
    const matched = this.settle(d.id, (p) => {
      if (r.type === 'error') {
        this.counters.errors++;
        p.reject(new TransportError('venue', `ws post id=${p.id}: ${String(r.payload)}`));
      } else if (r.type === 'action' && p.kind === 'action') {
        this.counters.answered++;
        p.resolve(r.payload);
      } else if (r.type === 'info' && p.kind === 'info') {
        this.counters.answered++;
        p.resolve((r.payload as { data?: unknown } | undefined)?.data);
      } else {
        this.counters.errors++;
        p.reject(
          new TransportError('venue', `ws post id=${p.id}: unexpected response type ${String(r.type)}`),
        );
      }
    });
    if (!matched) this.counters.unmatched++;
  }
}

/**
 * A `PostChannel` over a `ws` client socket: connects on first use and again after a loss; frames sent
 * while connecting are buffered (bounded) and flushed on open.
 */
export class WsChannel implements PostChannel {
  private ws: WebSocket | null = null;
  private open = false;
  private readonly buffer: string[] = [];
  private readonly msgListeners = new Set<(t: string) => void>();
  private readonly closeListeners = new Set<(r: string) => void>();
  private stopped = false;
  connects = 0;
  dropped = 0;

  constructor(
    private readonly url: string,
    private readonly opts: { maxBuffered?: number; wsOptions?: WebSocket.ClientOptions } = {},
  ) {}

  send(text: string): void {
    if (this.stopped) throw new Error('channel stopped');
    if (this.open && this.ws !== null) {
      this.ws.send(text);
      return;
    }
    if (this.buffer.length >= (this.opts.maxBuffered ?? 10_000)) {
      this.dropped++;
      throw new Error('channel buffer full while connecting');
    }
    this.buffer.push(text);
    if (this.ws === null) this.connect();
  }

  onMessage(fn: (text: string) => void): () => void {
    this.msgListeners.add(fn);
    return () => this.msgListeners.delete(fn);
  }

  onClose(fn: (reason: string) => void): () => void {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  /** Resolves once connected (connecting if needed). */
  ready(): Promise<void> {
    if (this.open) return Promise.resolve();
    if (this.ws === null) this.connect();
    const ws = this.ws!;
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('close', () => reject(new Error(`ws post: could not connect to ${this.url}`)));
    });
  }

  /** Drop the current socket (as a network fault would); the next send reconnects. */
  drop(): void {
    this.ws?.terminate();
  }

  close(): void {
    this.stopped = true;
    this.buffer.length = 0;
    this.ws?.close();
    this.ws = null;
  }

  private connect(): void {
    this.connects++;
    const ws = new WebSocket(this.url, this.opts.wsOptions);
    this.ws = ws;
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.open = true;
      for (const t of this.buffer.splice(0)) ws.send(t);
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = String(data);
      for (const l of [...this.msgListeners]) l(text);
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.open = false;
      const why = `closed ${code} ${String(reason)}`.trim();
      for (const l of [...this.closeListeners]) l(why);
      // frames buffered for a connection that never opened are lost with it
      this.buffer.length = 0;
    });
    ws.on('error', () => {
      /* followed by close */
    });
  }
}
