/**
 * Prometheus metrics (prom-client) on a private registry: feed throughput and latency, connection
 * faults, staleness, journal lag, orders, fills, PnL, regime and health. `createMetrics()` returns the
 * update API; the dashboard server mounts `metricsHandler` at `/metrics`, or `serveMetrics` runs a
 * stand-alone endpoint. Frames/s per channel is `rate(hl_frames_total[1m])`.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DashboardSnapshot } from './dashboard/types.ts';
import { listen } from './listen.ts';

/** Frame → hot-state latency buckets, seconds: 10 µs … 100 ms. */
export const LATENCY_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
];

/** Numeric encodings of the enumerations (also exported as label-per-state gauges). */
export const REGIME_CODES: Record<string, number> = { DISABLED: 0, SIDEWAYS: 1, EXPANSION: 2 };
export const HEALTH_CODES: Record<string, number> = { HEALTHY: 0, WARMING: 1, DEGRADED: 2, HALTED: 3 };
export const TRADING_CODES: Record<string, number> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };

export interface MetricsOptions {
  /** Metric name prefix (default `hl_`). */
  prefix?: string;
  /** Also collect prom-client's process metrics (CPU, memory, event loop lag). Default false. */
  processMetrics?: boolean;
}

export interface Metrics {
  readonly registry: Registry;
  /** `n` frames received on `channel`. */
  frame(channel: string, n?: number): void;
  /** Latency from frame receipt to its hot-state publication, in seconds. */
  observeLatency(seconds: number): void;
  reconnect(n?: number): void;
  /** A gap on `channel` ('*' = all), `lost` frames when known. */
  gap(channel: string, lost?: number): void;
  /** Seconds since `channel`'s last frame. */
  setStaleness(channel: string, seconds: number): void;
  /** Records appended to the journal but not yet durable. */
  setJournalLag(records: number): void;
  /** A decision line: orders (`exec.order`, by status) and fills (`exec.fill`, by coin and side) are counted. */
  decision(line: { kind: string } & Record<string, unknown>): void;
  /** One alert webhook outcome. */
  alert(kind: string, outcome: string): void;
  /** One order reached `status` (pending, resting, filled, canceled, rejected, timedOut …). */
  order(status: string): void;
  fill(coin: string, side: string, n?: number): void;
  setPnl(p: {
    realised?: number | null;
    unrealised?: number | null;
    equity?: number | null;
    daily?: number | null;
  }): void;
  setRegime(coin: string, regime: string): void;
  setHealth(level: string): void;
  setTradingState(state: string): void;
  /** Set every gauge the snapshot carries (staleness, PnL, regime, health, trading state, journal lag). */
  applySnapshot(s: DashboardSnapshot): void;
  /** Bad updates (non-finite numbers, unknown enum values) ignored and counted here. */
  readonly rejected: number;
  /** The exposition text. */
  text(): Promise<string>;
  readonly contentType: string;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const p = opts.prefix ?? 'hl_';
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: p });
  const reg = [registry];

  const frames = new Counter({
    name: `${p}frames_total`,
    help: 'Frames received per channel (frames/s = rate of this)',
    labelNames: ['channel'],
    registers: reg,
  });
  const latency = new Histogram({
    name: `${p}frame_to_hotstate_latency_seconds`,
    help: 'Latency from frame receipt to hot-state publication',
    buckets: LATENCY_BUCKETS,
    registers: reg,
  });
  const reconnects = new Counter({ name: `${p}reconnects_total`, help: 'Feed reconnects', registers: reg });
  const gaps = new Counter({
    name: `${p}gaps_total`,
    help: 'Gaps detected per channel (* = all)',
    labelNames: ['channel'],
    registers: reg,
  });
  const gapFrames = new Counter({
    name: `${p}gap_frames_lost_total`,
    help: 'Frames known to be lost in gaps',
    registers: reg,
  });
  const staleness = new Gauge({
    name: `${p}channel_staleness_seconds`,
    help: "Seconds since the channel's last frame",
    labelNames: ['channel'],
    registers: reg,
  });
  const journalLag = new Gauge({
    name: `${p}journal_pending_records`,
    help: 'Records appended to the journal but not yet durable (fsync)',
    registers: reg,
  });
  const alerts = new Counter({
    name: `${p}alerts_total`,
    help: 'Alert webhook outcomes (sent, retry, failed, dropped) per alert kind',
    labelNames: ['kind', 'outcome'],
    registers: reg,
  });
  const orders = new Counter({
    name: `${p}orders_total`,
    help: 'Order lifecycle events by status',
    labelNames: ['status'],
    registers: reg,
  });
  const fills = new Counter({
    name: `${p}fills_total`,
    help: 'Fills by coin and side',
    labelNames: ['coin', 'side'],
    registers: reg,
  });
  const realised = new Gauge({ name: `${p}pnl_realised_usd`, help: 'Realised PnL (USD)', registers: reg });
  const unrealised = new Gauge({
    name: `${p}pnl_unrealised_usd`,
    help: 'Unrealised PnL (USD)',
    registers: reg,
  });
  const daily = new Gauge({ name: `${p}pnl_daily_usd`, help: "Today's PnL (USD)", registers: reg });
  const equity = new Gauge({ name: `${p}equity_usd`, help: 'Account equity (USD)', registers: reg });
  const regime = new Gauge({
    name: `${p}regime`,
    help: 'Regime per coin: 0 DISABLED, 1 SIDEWAYS, 2 EXPANSION',
    labelNames: ['coin'],
    registers: reg,
  });
  const regimeState = new Gauge({
    name: `${p}regime_state`,
    help: 'Regime per coin as a state set (1 = current)',
    labelNames: ['coin', 'regime'],
    registers: reg,
  });
  const health = new Gauge({
    name: `${p}health_level`,
    help: 'Health: 0 HEALTHY, 1 WARMING, 2 DEGRADED, 3 HALTED',
    registers: reg,
  });
  const healthState = new Gauge({
    name: `${p}health_state`,
    help: 'Health as a state set (1 = current)',
    labelNames: ['level'],
    registers: reg,
  });
  const trading = new Gauge({
    name: `${p}trading_state`,
    help: 'Trading state: 0 ACTIVE, 1 REDUCING, 2 HALTED',
    registers: reg,
  });
  const rejectedCounter = new Counter({
    name: `${p}metrics_rejected_updates_total`,
    help: 'Metric updates ignored because their value was invalid',
    registers: reg,
  });

  // per-label children cached: the frame counter is on the per-frame path
  const frameChildren = new Map<string, ReturnType<typeof frames.labels>>();
  let rejected = 0;
  // the snapshot's cumulative counters, as last applied (counters advance by the increase)
  let seenReconnects: number | null = null;
  let seenGaps: number | null = null;
  const reject = (): void => {
    rejected++;
    rejectedCounter.inc();
  };
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  const label = (s: unknown): string | null =>
    typeof s === 'string' && s.length > 0 && s.length <= 200 ? s : null;

  const api: Metrics = {
    registry,
    contentType: registry.contentType,
    get rejected() {
      return rejected;
    },
    frame(channel, n = 1) {
      const ch = label(channel);
      if (ch === null || !finite(n) || n < 0) return reject();
      let c = frameChildren.get(ch);
      if (!c) {
        c = frames.labels(ch);
        frameChildren.set(ch, c);
      }
      c.inc(n);
    },
    observeLatency(seconds) {
      if (!finite(seconds) || seconds < 0) return reject();
      latency.observe(seconds);
    },
    reconnect(n = 1) {
      if (!finite(n) || n < 0) return reject();
      reconnects.inc(n);
    },
    gap(channel, lost) {
      const ch = label(channel);
      if (ch === null) return reject();
      gaps.labels(ch).inc();
      if (lost !== undefined) {
        if (!finite(lost) || lost < 0) return reject();
        gapFrames.inc(lost);
      }
    },
    setStaleness(channel, seconds) {
      const ch = label(channel);
      if (ch === null || !finite(seconds)) return reject();
      staleness.labels(ch).set(seconds);
    },
    setJournalLag(records) {
      if (!finite(records)) return reject();
      journalLag.set(records);
    },
    order(status) {
      const s = label(status);
      if (s === null) return reject();
      orders.labels(s).inc();
    },
    fill(coin, side, n = 1) {
      const c = label(coin);
      const s = label(side);
      if (c === null || s === null || !finite(n) || n < 0) return reject();
      fills.labels(c, s).inc(n);
    },
    setPnl(x) {
      const set = (g: Gauge, v: number | null | undefined): void => {
        if (v === undefined || v === null) return;
        if (!finite(v)) {
          reject();
          return;
        }
        g.set(v);
      };
      set(realised, x.realised);
      set(unrealised, x.unrealised);
      set(equity, x.equity);
      set(daily, x.daily);
    },
    setRegime(coin, r) {
      const c = label(coin);
      const code = REGIME_CODES[r];
      if (c === null || code === undefined) return reject();
      regime.labels(c).set(code);
      for (const name of Object.keys(REGIME_CODES)) regimeState.labels(c, name).set(name === r ? 1 : 0);
    },
    setHealth(level) {
      const code = HEALTH_CODES[level];
      if (code === undefined) return reject();
      health.set(code);
      for (const name of Object.keys(HEALTH_CODES)) healthState.labels(name).set(name === level ? 1 : 0);
    },
    setTradingState(state) {
      const code = TRADING_CODES[state];
      if (code === undefined) return reject();
      trading.set(code);
    },
    applySnapshot(s) {
      for (const ch of s.health.channels) {
        if (ch.ageMs !== null) api.setStaleness(ch.key, ch.ageMs / 1000);
      }
      api.setPnl({
        realised: s.realisedPnl,
        unrealised: s.unrealisedPnl,
        equity: s.equity,
        daily: s.dailyPnl,
      });
      for (const c of s.coins) api.setRegime(c.coin, c.regime);
      api.setHealth(s.health.level);
      api.setTradingState(s.tradingState);
      api.setJournalLag(s.counters.journalLagBytes);
      const { reconnects: r, gaps: g } = s.counters;
      if (finite(r) && r > (seenReconnects ?? 0)) api.reconnect(r - (seenReconnects ?? 0));
      // the system counts gaps in total, not per channel: they go under '*'
      if (finite(g) && g > (seenGaps ?? 0)) gaps.labels('*').inc(g - (seenGaps ?? 0));
      if (finite(r)) seenReconnects = Math.max(r, seenReconnects ?? 0);
      if (finite(g)) seenGaps = Math.max(g, seenGaps ?? 0);
    },
    decision(line) {
      if (line.kind === 'exec.order') {
        const o = line.order as { status?: unknown } | undefined;
        const status = label(o?.status) ?? label(line.event);
        if (status === null) return reject();
        api.order(status);
      } else if (line.kind === 'exec.fill') {
        const f = line.fill as { coin?: unknown; side?: unknown } | undefined;
        const coin = label(f?.coin);
        const side = label(f?.side);
        if (coin === null || side === null) return reject();
        api.fill(coin, side);
      }
    },
    alert(kind, outcome) {
      const k = label(kind);
      const o = label(outcome);
      if (k === null || o === null) return reject();
      alerts.labels(k, o).inc();
    },
    text() {
      return registry.metrics();
    },
  };
  return api;
}

/** A request handler serving the exposition text (mount at `/metrics`). */
export function metricsHandler(metrics: Pick<Metrics, 'text' | 'contentType'>) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    metrics.text().then(
      (body) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(body);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`metrics collection failed: ${(err as Error).message}\n`);
      },
    );
  };
}

/** Constant-time check of a request's `Authorization: Bearer …` against the data dir's token. */
function bearerMatches(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!, 'utf8');
  const b = Buffer.from(token, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A stand-alone `/metrics` endpoint (headless, or on a port of its own beside the dashboard). With `status`,
 * it also answers `GET /api/snapshot` (the dashboard's snapshot, for `runtime status`) to a request that
 * carries the data dir's operator token; `/metrics` itself is open on loopback, as Prometheus expects.
 */
export async function serveMetrics(opts: {
  host?: string;
  port?: number;
  metrics: Pick<Metrics, 'text' | 'contentType'>;
  status?: { token: string; snapshot: () => unknown };
}): Promise<{ url: string; origin: string; close(): Promise<void> }> {
  const handle = metricsHandler(opts.metrics);
  const status = opts.status;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') return handle(req, res);
    if (status && req.method === 'GET' && path === '/api/snapshot') {
      if (!bearerMatches(req, status.token)) {
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end("the data dir's operator token is required (Authorization: Bearer …)\n");
        return;
      }
      let body: string;
      try {
        body = JSON.stringify(status.snapshot());
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`snapshot failed: ${(e as Error).message}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, opts.port ?? 0, host);
  const h = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${h}:${port}/metrics`,
    origin: `http://${h}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
