/**
 * The dashboard server (loopback only): the page at `/`, the snapshot as JSON at `/api/snapshot`,
 * operator commands at `POST /api/command`, Prometheus text at `/metrics` (when given metrics), the
 * charting library's standalone bundle at `/assets/lightweight-charts.js` (read from node_modules, never a
 * CDN), and a WebSocket at `/ws` that pushes the snapshot every `intervalMs` and takes commands
 * (`{type:'KILL'}`, `{type:'RESET_HALT'}`, `{type:'SET_TRADING', state}`, optionally with an `id` echoed
 * in the reply). The runtime is the composition root, so the push timer is a real one.
 *
 * With a `stream` (the decision log's history), each push also carries what that client has not had: the
 * history view when its version moved, and the decision lines after the client's last one (also served
 * at `/api/history` and `/api/decisions?since=N`).
 *
 * A browser page from another origin must not drive the kill switch: WebSocket upgrades and command
 * POSTs carrying an `Origin` other than this server's are refused, as are requests whose `Host` is not
 * a loopback name (DNS rebinding). And no other local process may either: every request needs the data
 * dir's operator token, as `Authorization: Bearer <token>` or the `token` query parameter (the URL printed
 * at start carries it; the page passes it on to its WebSocket).
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { listen } from '../listen.ts';
import { metricsHandler, type Metrics } from '../metrics.ts';
import { renderDashboardPage } from './page.ts';
import { renderStatechartSvg, statechartLayout, type StatechartLayout } from './statechart.ts';
import {
  parseCommand,
  type CommandResult,
  type DashboardCommand,
  type DashboardSnapshot,
  type DashboardStream,
  type StatechartNodeJson,
} from './types.ts';

export interface DashboardLogger {
  warn(obj: object, msg?: string): void;
}

export interface DashboardOptions {
  /** The data dir's operator token (`runtime/token.ts`): required on every request. */
  token: string;
  /** Loopback address to bind (default 127.0.0.1). Anything else is refused. */
  host?: string;
  /** 0 = ephemeral (default). */
  port?: number;
  getSnapshot(): DashboardSnapshot;
  onCommand(cmd: DashboardCommand): Promise<CommandResult> | CommandResult;
  /** Push period (default 500 ms). */
  intervalMs?: number;
  /** The strategy machine JSON (`diagrams/strategy.json`), drawn on the page with the active state marked. */
  statechart?: StatechartNodeJson | null;
  /** When given, `/metrics` serves its exposition text. */
  metrics?: Pick<Metrics, 'text' | 'contentType'>;
  title?: string;
  logger?: DashboardLogger;
  /** A client whose unsent data exceeds this is skipped for a push (default 4 MiB). */
  maxBufferedBytes?: number;
  /** The decision log's history and feed, pushed to each client as it needs them. */
  stream?: DashboardStream;
}

export interface DashboardStats {
  clients: number;
  pushes: number;
  /** Pushes skipped for a slow client (its socket buffer over the limit). */
  skipped: number;
  /** getSnapshot() threw or returned something that cannot be serialised. */
  snapshotErrors: number;
  /** Malformed or refused commands and requests. */
  badCommands: number;
  commands: number;
  /** Upgrade/requests refused for a foreign Origin or Host. */
  refused: number;
  /** Requests and upgrades refused for a missing or wrong operator token. */
  unauthorized: number;
  /** The stream's history or feed threw (counted; the push goes out without them). */
  streamErrors: number;
}

export interface DashboardServer {
  /** The page's URL, carrying the token (`?token=…`). */
  url: string;
  port: number;
  /** Push a snapshot to every client now (also done after each command). */
  pushNow(): void;
  stats(): DashboardStats;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const MAX_BODY = 16 * 1024;
/** Decision lines sent to one client in one push at most (the rest follow with the next). */
const MAX_FEED_PER_PUSH = 2_000;

let chartBundle: string | null = null;
/** The charting library's standalone bundle (sets `window.LightweightCharts`), read once from node_modules. */
export function chartLibrarySource(): string {
  if (chartBundle === null) {
    const pkg = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
    chartBundle = readFileSync(
      join(dirname(pkg), 'dist', 'lightweight-charts.standalone.production.js'),
      'utf8',
    );
  }
  return chartBundle;
}

/** The token a request carries (Authorization: Bearer …, or ?token=…), or null. */
function tokenOf(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1]!;
  }
  const q = (req.url ?? '').indexOf('?');
  if (q < 0) return null;
  return new URLSearchParams((req.url ?? '').slice(q + 1)).get('token');
}

/** Constant-time comparison of the presented token with the expected one. */
export function tokenMatches(presented: string | null, expected: string): boolean {
  if (presented === null) return false;
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function isLoopbackName(h: string): boolean {
  return LOOPBACK_HOSTS.has(h) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** `Host` header → hostname without port. */
function hostName(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(hostHeader.trim());
  return m ? m[1]!.toLowerCase() : null;
}

export async function startDashboard(opts: DashboardOptions): Promise<DashboardServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!(typeof opts.token === 'string' && opts.token.length >= 16))
    throw new Error('dashboard needs the operator token (at least 16 characters)');
  if (!isLoopbackName(host)) throw new Error(`dashboard host must be loopback, got ${JSON.stringify(host)}`);
  const intervalMs = opts.intervalMs ?? 500;
  if (!(intervalMs > 0)) throw new Error(`dashboard intervalMs must be > 0, got ${intervalMs}`);
  const maxBuffered = opts.maxBufferedBytes ?? 4 * 1024 * 1024;
  const layout: StatechartLayout | null = opts.statechart ? statechartLayout(opts.statechart) : null;
  const page = renderDashboardPage({
    title: opts.title,
    statechartSvg: layout ? renderStatechartSvg(layout) : '',
  });
  const stats: DashboardStats = {
    clients: 0,
    pushes: 0,
    skipped: 0,
    snapshotErrors: 0,
    badCommands: 0,
    commands: 0,
    refused: 0,
    unauthorized: 0,
    streamErrors: 0,
  };
  const warn = (obj: object, msg: string): void => opts.logger?.warn(obj, msg);
  const serveMetrics = opts.metrics ? metricsHandler(opts.metrics) : null;

  /**
   * The snapshot as JSON text, or null (counted, logged) when the provider failed. For a push (`forPush`)
   * beside a stream, the last decision lines are left out: the stream's feed carries every line once.
   */
  const snapshotJson = (forPush = false): string | null => {
    try {
      const snap = opts.getSnapshot();
      return JSON.stringify(forPush && opts.stream ? { ...snap, decisions: [] } : snap);
    } catch (err) {
      stats.snapshotErrors++;
      warn({ err: (err as Error).message, count: stats.snapshotErrors }, 'dashboard snapshot failed');
      return null;
    }
  };

  const currentTradingState = (): CommandResult['tradingState'] => {
    try {
      return opts.getSnapshot().tradingState;
    } catch {
      return 'HALTED';
    }
  };

  const runCommand = async (cmd: DashboardCommand): Promise<CommandResult> => {
    stats.commands++;
    try {
      const r = await opts.onCommand(cmd);
      return r;
    } catch (err) {
      warn({ err: (err as Error).message, command: cmd.type }, 'dashboard command failed');
      return { ok: false, tradingState: currentTradingState(), message: (err as Error).message };
    }
  };

  /** Host header loopback, and Origin (when present, i.e. from a browser) equal to this server. */
  const sameOrigin = (req: IncomingMessage): boolean => {
    const hn = hostName(req.headers.host);
    if (hn === null || !isLoopbackName(hn)) return false;
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    return origin === `http://${req.headers.host}`;
  };

  const send = (res: ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (!sameOrigin(req)) {
      stats.refused++;
      send(res, 403, 'text/plain', 'forbidden: not a loopback same-origin request\n');
      return;
    }
    if (!tokenMatches(tokenOf(req), opts.token)) {
      stats.unauthorized++;
      warn(
        { method: req.method, path, count: stats.unauthorized },
        'dashboard: request without the operator token',
      );
      res.setHeader('www-authenticate', 'Bearer');
      send(
        res,
        401,
        'text/plain',
        'unauthorized: the operator token is required (the URL printed at start)\n',
      );
      return;
    }
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; " +
          `connect-src 'self' ws://${req.headers.host}`,
      });
      res.end(page);
      return;
    }
    if (req.method === 'GET' && path === '/api/snapshot') {
      const body = snapshotJson();
      if (body === null) {
        send(res, 503, 'application/json', '{"error":"snapshot unavailable"}');
        return;
      }
      send(res, 200, 'application/json', body);
      return;
    }
    if (req.method === 'GET' && path === '/assets/lightweight-charts.js') {
      let js: string;
      try {
        js = chartLibrarySource();
      } catch (err) {
        warn({ err: (err as Error).message }, 'dashboard: the charting library is missing');
        send(res, 500, 'text/plain', 'charting library not installed\n');
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'private, max-age=3600',
        'x-content-type-options': 'nosniff',
      });
      res.end(js);
      return;
    }
    if (req.method === 'GET' && path === '/api/history' && opts.stream) {
      const h = streamPart(() => opts.stream!.history().json);
      if (h === null) send(res, 503, 'application/json', '{"error":"history unavailable"}');
      else send(res, 200, 'application/json', h);
      return;
    }
    if (req.method === 'GET' && path === '/api/decisions' && opts.stream) {
      const q = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      const since = Number(q.get('since') ?? '0');
      const body = streamPart(() => feedSlice(Number.isFinite(since) ? since : 0).text);
      if (body === null) send(res, 503, 'application/json', '{"error":"decisions unavailable"}');
      else send(res, 200, 'application/json', body);
      return;
    }
    if (req.method === 'GET' && path === '/api/statechart') {
      send(res, layout ? 200 : 404, 'application/json', JSON.stringify(layout));
      return;
    }
    if (req.method === 'GET' && path === '/metrics' && serveMetrics) {
      serveMetrics(req, res);
      return;
    }
    if (req.method === 'POST' && path === '/api/command') {
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        stats.badCommands++;
        send(res, 415, 'application/json', '{"error":"content-type must be application/json"}');
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) tooBig = true;
        else chunks.push(c);
      });
      req.on('end', () => {
        if (tooBig) {
          stats.badCommands++;
          send(res, 413, 'application/json', '{"error":"command too large"}');
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          stats.badCommands++;
          send(res, 400, 'application/json', '{"error":"bad command: not JSON"}');
          return;
        }
        const parsed = parseCommand(json);
        if (!parsed.ok) {
          stats.badCommands++;
          send(res, 400, 'application/json', JSON.stringify({ error: parsed.error }));
          return;
        }
        void runCommand(parsed.command).then((result) => {
          send(res, 200, 'application/json', JSON.stringify(result));
          pushNow();
        });
      });
      req.on('error', () => {
        stats.badCommands++;
      });
      return;
    }
    send(res, 404, 'text/plain', 'not found\n');
  };

  const server = createServer(handle);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  const clients = new Set<WebSocket>();
  /** What each client has had of the stream: the history version and the next decision line. */
  const had = new Map<WebSocket, { version: number; seq: number }>();

  const sendTo = (ws: WebSocket, text: string): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > maxBuffered) {
      stats.skipped++;
      return;
    }
    ws.send(text);
  };

  function pushNow(): void {
    if (clients.size === 0) return;
    const snap = snapshotJson(true);
    if (snap === null) return;
    stats.pushes++;
    if (!opts.stream) {
      const text = `{"type":"snapshot","snapshot":${snap}}`;
      for (const ws of clients) sendTo(ws, text);
      return;
    }
    // one history text and one feed slice per distinct client position, not per client
    const history = streamPart(() => opts.stream!.history());
    const slices = new Map<number, { text: string; next: number } | null>();
    for (const ws of clients) pushStream(ws, snap, history, slices);
  }

  /** The snapshot and what this client has not had of the stream. */
  function pushStream(
    ws: WebSocket,
    snap: string,
    history: { version: number; json: string } | null,
    slices: Map<number, { text: string; next: number } | null>,
    backlog: string | null = null,
  ): void {
    const h = had.get(ws);
    if (!h || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > maxBuffered) {
      stats.skipped++;
      return;
    }
    let feed = slices.get(h.seq);
    if (feed === undefined) {
      feed = streamPart(() => feedSlice(h.seq));
      slices.set(h.seq, feed);
    }
    let text = `{"type":"snapshot","snapshot":${snap}`;
    if (backlog !== null) text += `,"backlog":${backlog}`;
    if (history !== null && history.version !== h.version) {
      text += `,"history":${history.json}`;
      h.version = history.version;
    }
    if (feed !== null) {
      text += `,"feed":${feed.text}`;
      h.seq = feed.next;
    }
    ws.send(`${text}}`);
  }

  /** A part of the stream, or null (counted, logged) when it threw. */
  function streamPart<T>(f: () => T): T | null {
    try {
      return f();
    } catch (err) {
      stats.streamErrors++;
      warn({ err: (err as Error).message, count: stats.streamErrors }, 'dashboard stream failed');
      return null;
    }
  }

  /** The decision lines from `seq` as JSON (`{from, next, counts, lines:[records]}`), one push's worth. */
  function feedSlice(seq: number): { text: string; next: number } {
    const stream = opts.stream!;
    const s = stream.feedSince(seq);
    const lines = s.lines.length > MAX_FEED_PER_PUSH ? s.lines.slice(0, MAX_FEED_PER_PUSH) : s.lines;
    const next = s.from + lines.length;
    const counts = JSON.stringify(stream.counts());
    return {
      text: `{"from":${s.from},"next":${next},"counts":${counts},"lines":[${lines.join(',')}]}`,
      next,
    };
  }

  const onSocketMessage = (ws: WebSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void => {
    let msg: unknown;
    try {
      if (isBinary) throw new Error('binary');
      msg = JSON.parse(
        Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'),
      );
    } catch {
      stats.badCommands++;
      sendTo(ws, JSON.stringify({ type: 'error', error: 'bad command: not JSON text' }));
      return;
    }
    const id =
      msg !== null && typeof msg === 'object' && typeof (msg as { id?: unknown }).id === 'string'
        ? (msg as { id: string }).id.slice(0, 64)
        : null;
    const parsed = parseCommand(msg);
    if (!parsed.ok) {
      stats.badCommands++;
      sendTo(ws, JSON.stringify({ type: 'error', id, error: parsed.error }));
      return;
    }
    void runCommand(parsed.command).then((result) => {
      sendTo(ws, JSON.stringify({ type: 'result', id, result }));
      pushNow();
    });
  };

  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    stats.clients = clients.size;
    ws.on('message', (data, isBinary) => onSocketMessage(ws, data as Buffer, isBinary));
    ws.on('close', () => {
      clients.delete(ws);
      had.delete(ws);
      stats.clients = clients.size;
    });
    ws.on('error', (err) => warn({ err: err.message }, 'dashboard client socket error'));
    const snap = snapshotJson(true);
    if (snap === null) return;
    if (!opts.stream) sendTo(ws, `{"type":"snapshot","snapshot":${snap}}`);
    else {
      // a new client starts with the whole history and every decision line the feed still holds
      had.set(ws, { version: -1, seq: 0 });
      const backlog = opts.stream.backlog ? streamPart(() => opts.stream!.backlog!()) : null;
      pushStream(
        ws,
        snap,
        streamPart(() => opts.stream!.history()),
        new Map(),
        backlog,
      );
    }
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/ws' || !sameOrigin(req)) {
      stats.refused++;
      socket.on('error', () => {});
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!tokenMatches(tokenOf(req), opts.token)) {
      stats.unauthorized++;
      warn({ path, count: stats.unauthorized }, 'dashboard: WebSocket without the operator token');
      socket.on('error', () => {});
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  server.on('clientError', (_err, socket) => {
    stats.badCommands++;
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const port = await listen(server, opts.port ?? 0, host);
  const timer = setInterval(pushNow, intervalMs);
  timer.unref();

  let closed: Promise<void> | null = null;
  return {
    url: `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}/?token=${encodeURIComponent(opts.token)}`,
    port,
    pushNow,
    stats: () => ({ ...stats }),
    close() {
      if (closed) return closed;
      clearInterval(timer);
      closed = new Promise<void>((resolve) => {
        for (const ws of clients) ws.terminate();
        clients.clear();
        had.clear();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
