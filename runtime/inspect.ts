/**
 * `--inspect`: every actor's creation, events and snapshots, to the Stately inspector over a WebSocket
 * and/or to a JSONL file offline. Pass `inspection.inspect` as `createActor(machine, { inspect })`.
 *
 * The WebSocket side uses `@statelyai/inspect`'s `createInspector` (the same event conversion as its
 * `createWebSocketInspector`) with our own adapter: the package's WebSocketAdapter (0.7.2) retries a
 * failed connection every 5 s on a global timer that `stop()` does not cancel, so with nothing
 * listening a process could never exit. Ours reconnects on an unref'd (or injected-clock) timer that
 * `close()` cancels, keeps at most `maxDeferred` events while disconnected, and never throws.
 *
 * The file recorder is synchronous and in order (no idle callbacks): one JSON object per line, values
 * made safe (functions and symbols dropped, actor refs replaced by their session id, cycles and depth
 * cut, long strings and arrays capped, the whole line capped).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import WebSocket from 'ws';
import type { InspectionEvent } from 'xstate';
import type { Clock } from '../state/clock.ts';

export interface InspectionOptions {
  /** Stream to the Stately inspector over a WebSocket. */
  websocket?: boolean;
  /** Inspector server URL (default ws://localhost:8080, the Stately inspector's default). */
  url?: string;
  /** Record a JSONL trace to this file (truncated at start unless `append`). */
  file?: string;
  append?: boolean;
  /** Stamps every recorded line with `time` = clock.now(); reconnect timer when it has `setTimeout`. */
  clock?: Pick<Clock, 'now'> & Partial<Pick<Clock, 'setTimeout' | 'clearTimeout'>>;
  /** Which XState inspection events are recorded (default actor, event, snapshot). */
  include?: ReadonlyArray<RecordedType>;
  maxDepth?: number;
  maxStringLength?: number;
  maxArrayLength?: number;
  /** A recorded line longer than this has its snapshot context / event replaced by a marker. */
  maxLineBytes?: number;
  /** Events kept while the inspector socket is not open (oldest dropped first). */
  maxDeferred?: number;
  reconnectMs?: number;
  logger?: { warn(obj: object, msg?: string): void };
}

export type RecordedType = 'actor' | 'event' | 'snapshot' | 'transition' | 'microstep' | 'action';

export interface InspectionStats {
  recorded: number;
  truncated: number;
  /** Inspection events that could not be converted or written (counted, never thrown). */
  errors: number;
  wsSent: number;
  wsDropped: number;
  wsConnected: boolean;
  wsAttempts: number;
}

export interface Inspection {
  /** The `inspect` option for `createActor`. */
  inspect: (event: InspectionEvent) => void;
  stats(): InspectionStats;
  /** Flush and close the file, stop the inspector socket and its reconnects. Idempotent. */
  close(): Promise<void>;
}

export interface SafeOptions {
  maxDepth: number;
  maxStringLength: number;
  maxArrayLength: number;
}

const DEFAULT_SAFE: SafeOptions = { maxDepth: 8, maxStringLength: 2000, maxArrayLength: 100 };

function isActorRefLike(v: object): v is { sessionId: string; id?: string } {
  const o = v as { sessionId?: unknown; send?: unknown; getSnapshot?: unknown };
  return (
    typeof o.sessionId === 'string' && typeof o.send === 'function' && typeof o.getSnapshot === 'function'
  );
}

/**
 * A JSON-safe copy of any value: functions/symbols dropped, actor refs → `{ actorRef: sessionId }`,
 * bigint → string, non-finite numbers → null, cycles → '[Circular]', depth → '[Depth]', long strings
 * and arrays capped, Map/Set/Date/Error/typed arrays described.
 */
export function toSafeJson(value: unknown, opts: Partial<SafeOptions> = {}): unknown {
  const o = { ...DEFAULT_SAFE, ...opts };
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    switch (typeof v) {
      case 'string':
        return v.length > o.maxStringLength
          ? `${v.slice(0, o.maxStringLength)}…[+${v.length - o.maxStringLength}]`
          : v;
      case 'number':
        return Number.isFinite(v) ? v : null;
      case 'boolean':
        return v;
      case 'bigint':
        return v.toString();
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
    }
    if (v === null) return null;
    const obj = v as object;
    if (isActorRefLike(obj)) return { actorRef: obj.sessionId, id: obj.id };
    if (seen.has(obj)) return '[Circular]';
    if (depth >= o.maxDepth) return '[Depth]';
    seen.add(obj);
    try {
      if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
      if (obj instanceof Error) return { error: obj.name, message: walk(obj.message, depth + 1) };
      if (ArrayBuffer.isView(obj)) return `[${obj.constructor.name} ${obj.byteLength} bytes]`;
      if (obj instanceof Map)
        return walk(Object.fromEntries([...obj.entries()].map(([k, x]) => [String(k), x])), depth);
      if (obj instanceof Set) return walk([...obj], depth);
      if (Array.isArray(obj)) {
        const n = Math.min(obj.length, o.maxArrayLength);
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) {
          const x = walk(obj[i], depth + 1);
          out.push(x === undefined ? null : x);
        }
        if (obj.length > n) out.push(`…[+${obj.length - n}]`);
        return out;
      }
      const out: Record<string, unknown> = {};
      let count = 0;
      for (const k of Object.keys(obj)) {
        if (count++ >= o.maxArrayLength) {
          out['…'] = `+${Object.keys(obj).length - o.maxArrayLength} keys`;
          break;
        }
        let x: unknown;
        try {
          x = (obj as Record<string, unknown>)[k];
        } catch {
          x = '[Throws]';
        }
        const y = walk(x, depth + 1);
        if (y !== undefined) out[k] = y;
      }
      return out;
    } finally {
      seen.delete(obj);
    }
  };
  return walk(value, 0);
}

function snapshotView(s: unknown): Record<string, unknown> {
  const snap = (s ?? {}) as {
    status?: unknown;
    value?: unknown;
    context?: unknown;
    output?: unknown;
    error?: unknown;
  };
  const out: Record<string, unknown> = { status: snap.status, value: snap.value, context: snap.context };
  if (snap.output !== undefined) out.output = snap.output;
  if (snap.error !== undefined) out.error = snap.error;
  return out;
}

/** One recorded line (before serialisation) for an XState inspection event, or null when not included. */
export function inspectionRecord(
  ev: InspectionEvent,
  include: ReadonlySet<string>,
): Record<string, unknown> | null {
  const short = ev.type.replace('@xstate.', '');
  if (!include.has(short)) return null;
  const ref = ev.actorRef as {
    sessionId?: string;
    id?: string;
    _parent?: { sessionId?: string };
    logic?: { config?: { id?: string } };
    getSnapshot?: () => unknown;
    systemId?: string;
    options?: { systemId?: string };
  };
  const rec: Record<string, unknown> = {
    type: short,
    actorId: ref.sessionId,
    rootId: ev.rootId,
  };
  if (ref.id !== undefined && ref.id !== ref.sessionId) rec.name = ref.id;
  // XState announces an actor before it sets `systemId`; the option carries it already
  const systemId = ref.systemId ?? ref.options?.systemId;
  if (systemId !== undefined) rec.systemId = systemId;
  switch (ev.type) {
    case '@xstate.actor':
      rec.parentId = ref._parent?.sessionId;
      rec.machine = ref.logic?.config?.id;
      try {
        rec.snapshot = snapshotView(ref.getSnapshot?.());
      } catch {
        // an actor spawned while its parent initialises cannot be read yet; its first snapshot follows
        rec.snapshot = { status: 'initializing' };
      }
      break;
    case '@xstate.event':
      rec.event = ev.event;
      rec.sourceId = (ev.sourceRef as { sessionId?: string } | undefined)?.sessionId;
      break;
    case '@xstate.snapshot':
    case '@xstate.transition':
    case '@xstate.microstep':
      rec.event = ev.event;
      rec.snapshot = snapshotView(ev.snapshot);
      break;
    case '@xstate.action':
      rec.action = ev.action;
      break;
  }
  return rec;
}

/** Structurally the `Adapter` of @statelyai/inspect (not exported by the package). */
interface InspectAdapter {
  start(): void;
  stop(): void;
  send(event: StatelyInspectionEvent): void;
}

export function createInspection(opts: InspectionOptions = {}): Inspection {
  const stats: InspectionStats = {
    recorded: 0,
    truncated: 0,
    errors: 0,
    wsSent: 0,
    wsDropped: 0,
    wsConnected: false,
    wsAttempts: 0,
  };
  const safe: SafeOptions = {
    maxDepth: opts.maxDepth ?? DEFAULT_SAFE.maxDepth,
    maxStringLength: opts.maxStringLength ?? DEFAULT_SAFE.maxStringLength,
    maxArrayLength: opts.maxArrayLength ?? DEFAULT_SAFE.maxArrayLength,
  };
  const maxLine = opts.maxLineBytes ?? 64 * 1024;
  const include = new Set<string>(opts.include ?? ['actor', 'event', 'snapshot']);
  let closed = false;
  let warned = 0;
  const fail = (err: unknown, what: string): void => {
    stats.errors++;
    // a broken inspector must not flood the log: the first few failures only
    if (warned++ < 5)
      opts.logger?.warn({ err: (err as Error)?.message ?? String(err), count: stats.errors }, what);
  };

  // ------------------------------------------------------------ file recorder
  let fd: number | null = null;
  let buf: string[] = [];
  let bufBytes = 0;
  let seq = 0;
  const flush = (): void => {
    if (fd === null || buf.length === 0) return;
    const text = buf.join('');
    buf = [];
    bufBytes = 0;
    try {
      writeSync(fd, text);
    } catch (err) {
      fail(err, 'inspection trace write failed; recording stopped');
      try {
        closeSync(fd);
      } catch {}
      fd = null;
    }
  };
  if (opts.file !== undefined) fd = openSync(opts.file, opts.append ? 'a' : 'w');

  const record = (ev: InspectionEvent): void => {
    const rec = inspectionRecord(ev, include);
    if (rec === null) return;
    const line: Record<string, unknown> = { seq: ++seq };
    if (opts.clock) line.time = opts.clock.now();
    Object.assign(line, toSafeJson(rec, safe) as object);
    let text = JSON.stringify(line);
    if (Buffer.byteLength(text) > maxLine) {
      stats.truncated++;
      const snap = line.snapshot as Record<string, unknown> | undefined;
      if (snap) snap.context = `[truncated: line was ${Buffer.byteLength(text)} bytes]`;
      text = JSON.stringify(line);
      if (Buffer.byteLength(text) > maxLine) {
        for (const k of ['event', 'snapshot', 'action']) if (k in line) line[k] = '[truncated]';
      }
      line.truncated = true;
      text = JSON.stringify(line);
    }
    buf.push(text, '\n');
    bufBytes += text.length + 1;
    stats.recorded++;
    if (bufBytes >= 64 * 1024) flush();
  };

  // ------------------------------------------------------------ websocket inspector
  let inspector: ReturnType<typeof createInspector<InspectAdapter>> | null = null;
  if (opts.websocket) {
    const url = opts.url ?? 'ws://localhost:8080';
    const maxDeferred = opts.maxDeferred ?? 200;
    const reconnectMs = opts.reconnectMs ?? 5_000;
    const deferred: string[] = [];
    let ws: WebSocket | null = null;
    let stopped = false;
    let timer: unknown = null;
    const clock = opts.clock;
    const schedule = (fn: () => void): void => {
      if (clock?.setTimeout) timer = clock.setTimeout(fn, reconnectMs);
      else {
        const t = setTimeout(fn, reconnectMs);
        t.unref();
        timer = t;
      }
    };
    const cancel = (): void => {
      if (timer === null) return;
      if (clock?.setTimeout && clock.clearTimeout) clock.clearTimeout(timer as number);
      else clearTimeout(timer as ReturnType<typeof setTimeout>);
      timer = null;
    };
    const connect = (): void => {
      timer = null;
      if (stopped) return;
      stats.wsAttempts++;
      let sock: WebSocket;
      try {
        sock = new WebSocket(url, { handshakeTimeout: 5_000 });
      } catch (err) {
        fail(err, 'inspector url rejected; websocket inspection off');
        stopped = true;
        return;
      }
      ws = sock;
      sock.on('open', () => {
        stats.wsConnected = true;
        while (deferred.length > 0 && sock.readyState === WebSocket.OPEN) {
          sock.send(deferred.shift()!);
          stats.wsSent++;
        }
      });
      sock.on('error', () => {
        // 'close' follows; nothing listening is the normal case when the viewer is not open
      });
      sock.on('close', () => {
        stats.wsConnected = false;
        if (ws === sock) ws = null;
        if (!stopped) schedule(connect);
      });
    };
    const adapter: InspectAdapter = {
      start() {
        stopped = false;
        connect();
      },
      stop() {
        stopped = true;
        cancel();
        const s = ws;
        ws = null;
        if (s) {
          try {
            s.terminate();
          } catch {}
        }
      },
      send(event) {
        if (stopped) return;
        let text: string;
        try {
          text = JSON.stringify(toSafeJson(event, { ...safe, maxDepth: 12 }));
        } catch (err) {
          return fail(err, 'inspection event not serialisable');
        }
        if (ws && ws.readyState === WebSocket.OPEN) {
          ws.send(text);
          stats.wsSent++;
        } else {
          deferred.push(text);
          if (deferred.length > maxDeferred) {
            deferred.shift();
            stats.wsDropped++;
          }
        }
      },
    };
    inspector = createInspector(adapter, { autoStart: false, serializationDepthLimit: 10 });
    inspector.start();
  }

  const inspect = (ev: InspectionEvent): void => {
    if (closed) return;
    if (fd !== null) {
      try {
        record(ev);
      } catch (err) {
        fail(err, 'inspection event not recorded');
      }
    }
    if (inspector) {
      try {
        inspector.inspect.next?.(ev);
      } catch (err) {
        fail(err, 'inspection event not sent');
      }
    }
  };

  return {
    inspect,
    stats: () => ({ ...stats }),
    async close() {
      if (closed) return;
      closed = true;
      inspector?.stop();
      flush();
      if (fd !== null) {
        try {
          closeSync(fd);
        } catch (err) {
          fail(err, 'inspection trace close failed');
        }
        fd = null;
      }
    },
  };
}
