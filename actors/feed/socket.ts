/**
 * The WebSocket as an XState callback actor, invoked by the connection machine only while in `session`.
 * Its cleanup closes the socket and detaches every listener, so a dead socket can never speak to a newer
 * session. Every frame goes to `onFrame` first (stamped and handed on raw, uninterpreted); only control
 * frames (`subscriptionResponse`, `error`, `pong`) are parsed here, for the registry and the heartbeat.
 * Sends respect the registry's rate limit; when it is reached the rest waits for the injected clock.
 */
import WebSocket from 'ws';
import { type CallbackActorLogic, fromCallback } from 'xstate';
import type { ConnectionEvent, SocketCommand } from '../../machines/connection.events.ts';
import type { SocketInput } from '../../machines/connection.machine.ts';
import type { Clock, TimerId } from '../../state/clock.ts';
import { parseControlFrame, type RegistryOutcome, type SubscriptionRegistry } from './registry.ts';

export interface FeedLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SocketCounters {
  framesReceived: number;
  controlFrames: number;
  messagesSent: number;
  sendErrors: number;
  pingsSent: number;
  /** Pings not sent because the venue's message budget was exhausted. */
  pingsThrottled: number;
}

export interface SocketDeps {
  clock: Clock;
  registry: SubscriptionRegistry;
  /** Called with every frame's bytes, before anything else; returns the frame's (sniffed) channel. */
  onFrame: (data: Uint8Array) => string;
  /** Outcome of every control frame (for logs and counters). */
  onControl?: (outcome: RegistryOutcome) => void;
  /** At most one ACTIVITY event per this many ms of the clock (default 100). */
  activityGranularityMs?: number;
  counters?: SocketCounters;
  logger?: FeedLogger;
  /** WebSocket client options passed to `ws` (e.g. `perMessageDeflate`, `maxPayload`). */
  wsOptions?: WebSocket.ClientOptions;
}

export function newSocketCounters(): SocketCounters {
  return {
    framesReceived: 0,
    controlFrames: 0,
    messagesSent: 0,
    sendErrors: 0,
    pingsSent: 0,
    pingsThrottled: 0,
  };
}

const PING = JSON.stringify({ method: 'ping' });
const EMPTY = new Uint8Array(0);

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return EMPTY;
}

/** The socket actor logic, closed over the feed's world objects (given to `machine.provide`). */
export function createSocketLogic(deps: SocketDeps): CallbackActorLogic<SocketCommand, SocketInput> {
  const { clock, registry, onFrame } = deps;
  const granularity = deps.activityGranularityMs ?? 100;
  const counters = deps.counters ?? newSocketCounters();

  return fromCallback<SocketCommand, SocketInput>(({ sendBack, receive, input }) => {
    const back = (e: ConnectionEvent) => {
      if (!stopped) sendBack(e);
    };
    let stopped = false;
    let lastError: string | null = null;
    let lastActivity = Number.NEGATIVE_INFINITY;
    let subscribing = false;
    let flushTimer: TimerId | null = null;

    const ws = new WebSocket(input.url, { perMessageDeflate: false, ...deps.wsOptions });

    const send = (text: string): boolean => {
      try {
        ws.send(text, (err) => {
          if (err) {
            counters.sendErrors++;
            lastError = err.message;
          }
        });
        counters.messagesSent++;
        return true;
      } catch (err) {
        counters.sendErrors++;
        deps.logger?.warn({ err: String(err), epoch: input.epoch }, 'feed: send failed');
        return false;
      }
    };

    const flush = () => {
      flushTimer = null;
      if (stopped || ws.readyState !== WebSocket.OPEN) return;
      for (const m of registry.takeMessages()) send(m);
      if (registry.hasUnsent()) {
        flushTimer = clock.setTimeout(flush, Math.max(1, registry.msUntilNextSend()));
      }
      settledCheck();
    };

    const settledCheck = () => {
      if (subscribing && registry.settled()) {
        subscribing = false;
        back({ type: 'SUBSCRIBED_ALL' });
      }
    };

    ws.on('open', () => back({ type: 'OPEN' }));
    ws.on('message', (raw) => {
      const data = toBytes(raw);
      counters.framesReceived++;
      const channel = onFrame(data);
      const now = clock.now();
      if (now - lastActivity >= granularity) {
        lastActivity = now;
        back({ type: 'ACTIVITY' });
      }
      const control = parseControlFrame(channel, data);
      if (control === null) return;
      counters.controlFrames++;
      const outcome = registry.handle(control);
      deps.onControl?.(outcome);
      switch (outcome.kind) {
        case 'pong':
          back({ type: 'PONG' });
          break;
        case 'subscribed':
        case 'alreadySubscribed':
          back({ type: 'SUB_ACK', key: outcome.key });
          break;
        case 'rejected':
          back({ type: 'SUB_REJECTED', key: outcome.key, message: outcome.message });
          break;
        case 'venueError':
          // order_book_server has no ping handler: its error echoing our ping proves the server is alive
          if (control.kind === 'error' && control.echo?.method === 'ping') back({ type: 'PONG' });
          else back({ type: 'VENUE_ERROR', message: outcome.message });
          break;
        case 'unmatched':
          back({ type: 'VENUE_ERROR', message: `unmatched control frame: ${outcome.message}` });
          break;
        case 'unsubscribed':
          break;
      }
      settledCheck();
    });
    ws.on('error', (err) => {
      lastError = err.message;
    });
    ws.on('close', (code, reason) => {
      const text = reason.toString() || lastError || 'connection closed';
      back({ type: 'CLOSED', code, reason: text });
    });

    receive((cmd) => {
      if (stopped) return;
      if (cmd.type === 'SUBSCRIBE_ALL') {
        registry.onConnect();
        subscribing = true;
        if (flushTimer !== null) clock.clearTimeout(flushTimer);
        flush();
      } else if (cmd.type === 'SYNC') {
        if (flushTimer === null) flush();
      } else if (cmd.type === 'PING') {
        if (registry.trySendOther()) {
          if (send(PING)) counters.pingsSent++;
        } else {
          counters.pingsThrottled++;
          deps.logger?.warn({ epoch: input.epoch }, 'feed: ping not sent, venue message budget exhausted');
        }
      }
    });

    return () => {
      stopped = true;
      if (flushTimer !== null) clock.clearTimeout(flushTimer);
      ws.removeAllListeners();
      ws.on('error', () => {}); // a late error from the dead socket must not crash the process
      ws.terminate();
    };
  });
}
