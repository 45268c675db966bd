/**
 * Alerts that reach the trader when they are not looking: webhooks (a generic JSON POST, or Slack-, Discord- and
 * Telegram-compatible bodies) for a halt, an alarm, a health change, a fill and the daily summary.
 *
 * The decision side never waits for a webhook: `onLine` classifies a decision line and queues a copy per
 * matching webhook (bounded; the oldest is dropped and counted when a receiver cannot keep up) and returns.
 * Each webhook's queue is sent in order, one request at a time, with a timeout, and retried with exponential
 * backoff on a network error, a timeout, a 429 or a 5xx (a 4xx other than 429 is final: the body or the URL
 * is wrong and will stay wrong). Every outcome — sent, retry, failed, dropped — is journaled as an `alert`
 * decision record (through `journal`) and counted; nothing is logged with the webhook's URL, which may hold a
 * bot token.
 */
import { z } from 'zod';
import type { DecisionLine, DecisionSnapshot } from '../decision/engine.ts';

export const ALERT_KINDS = ['halt', 'alarm', 'health', 'fill', 'daily'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const WEBHOOK_FORMATS = ['json', 'slack', 'discord', 'telegram'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const WebhookSchema = z
  .strictObject({
    /** How the journal and the counters name this webhook (never its URL, which may hold a token). */
    name: z.string().min(1).max(40).optional(),
    /** The URL to POST to (http or https). */
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** Or the environment variable that holds it (a Slack or Telegram URL carries a token). */
    urlEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    /** The body: a generic JSON object, or what Slack / Discord incoming webhooks and Telegram's sendMessage take. */
    format: z.enum(WEBHOOK_FORMATS).default('json'),
    /** Telegram only: the chat to send to. */
    chatId: z.string().min(1).optional(),
    /** Which alerts go to this webhook (default all). */
    kinds: z
      .array(z.enum(ALERT_KINDS))
      .min(1)
      .default([...ALERT_KINDS]),
    /** Per request. */
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    /** Attempts per alert, the first included. */
    maxAttempts: z.number().int().min(1).max(20).default(6),
    /** First retry after this long, doubling per attempt up to `backoffMaxMs`. */
    backoffMs: z.number().int().min(0).max(600_000).default(1_000),
    backoffMaxMs: z.number().int().min(0).max(3_600_000).default(60_000),
  })
  .refine((w) => (w.url === undefined) !== (w.urlEnv === undefined), {
    message: 'a webhook needs exactly one of url or urlEnv',
  })
  .refine((w) => w.format !== 'telegram' || w.chatId !== undefined, {
    message: 'a telegram webhook needs chatId',
  });
export type WebhookConfig = z.infer<typeof WebhookSchema>;

export const AlertsConfigSchema = z
  .strictObject({
    webhooks: z.array(WebhookSchema).max(20).default([]),
    /** Alerts waiting per webhook; beyond it the oldest is dropped (counted and journaled). */
    queueLimit: z.number().int().min(1).max(100_000).default(1_000),
  })
  .prefault({});
export type AlertsConfig = z.infer<typeof AlertsConfigSchema>;

/** One alert: what happened, for a person, with the decision record it came from. */
export interface Alert {
  kind: AlertKind;
  /** Journal time of the record (ms since the epoch). */
  t: number;
  title: string;
  text: string;
  record: DecisionLine;
}

/** What the daily summary adds to the day-roll record (the running system's figures). */
export interface DailyFigures {
  equity: number | null;
  pnl: number | null;
  positions: Array<{ coin: string; size: number }>;
}

const str = (x: unknown): string => (typeof x === 'string' ? x : x === undefined ? '' : JSON.stringify(x));
/** `-$1,234.50` (not toLocaleString: ICU costs tens of microseconds a call). */
const usd = (x: unknown): string => {
  if (typeof x !== 'number' || !Number.isFinite(x)) return 'n/a';
  const [int, frac] = Math.abs(x).toFixed(2).split('.');
  return `${x < 0 ? '-' : ''}$${int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
};
const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** The kind of alert a decision line raises, or null: all the decision side's own call pays for. */
export function alertKindOf(kind: string): AlertKind | null {
  switch (kind) {
    case 'exec.trading':
      return 'halt';
    case 'alarm':
    case 'exec.alarm':
    case 'exec.error':
      return 'alarm';
    case 'health':
      return 'health';
    case 'exec.fill':
      return 'fill';
    case 'exec.day':
      return 'daily';
    default:
      return null;
  }
}

/** The alert a decision line raises, or null. Pure. */
export function classify(line: DecisionLine, daily?: () => DailyFigures): Alert | null {
  const t = line.t;
  switch (line.kind) {
    case 'exec.trading':
      return {
        kind: 'halt',
        t,
        title: `Trading ${str(line.state)}`,
        text: `trading is ${str(line.state)}: ${str(line.reason)}`,
        record: line,
      };
    case 'alarm':
    case 'exec.alarm':
      return {
        kind: 'alarm',
        t,
        title: `Alarm${typeof line.coin === 'string' ? ` ${line.coin}` : ''}`,
        text: str(line.message),
        record: line,
      };
    case 'exec.error':
      return { kind: 'alarm', t, title: 'Execution error', text: str(line.message), record: line };
    case 'health':
      return {
        kind: 'health',
        t,
        title: `Health ${str(line.from)} → ${str(line.to)}`,
        text: str(line.reason),
        record: line,
      };
    case 'exec.fill': {
      const f = isObj(line.fill) ? line.fill : {};
      return {
        kind: 'fill',
        t,
        title: `Fill ${str(f.coin)} ${str(f.side)}`,
        text: `${str(f.strategy)}: ${str(f.side)} ${str(f.sz)} ${str(f.coin)} at ${str(f.px)} (${str(line.liquidity)}, fee ${usd(f.fee)})`,
        record: line,
      };
    }
    case 'exec.day': {
      const d = isObj(line.day) ? line.day : {};
      const fig = daily?.();
      const pos = fig?.positions.filter((p) => p.size !== 0) ?? [];
      return {
        kind: 'daily',
        t,
        title: 'Daily summary',
        text:
          `day ${str(d.index)} starts: equity ${usd(fig?.equity ?? d.startEquity)}, PnL ${usd(fig?.pnl ?? d.startPnl)}` +
          `, ${pos.length === 0 ? 'flat' : pos.map((p) => `${p.coin} ${p.size}`).join(', ')}`,
        record: line,
      };
    }
    default:
      return null;
  }
}

/** The request body for a webhook's format. */
export function alertBody(a: Alert, w: Pick<WebhookConfig, 'format' | 'chatId'>): unknown {
  const time = new Date(a.t).toISOString();
  switch (w.format) {
    case 'slack':
      return { text: `*${a.title}* (${time})\n${a.text}` };
    case 'discord':
      return { content: `**${a.title}** (${time})\n${a.text}`.slice(0, 2000) };
    case 'telegram':
      return {
        chat_id: w.chatId,
        text: `${a.title} (${time})\n${a.text}`.slice(0, 4096),
        disable_web_page_preview: true,
      };
    default:
      return {
        source: 'hl-regime-trader',
        kind: a.kind,
        t: a.t,
        time,
        title: a.title,
        text: a.text,
        record: a.record,
      };
  }
}

/** The `alert` decision record of one outcome (a type, so that it is a decision line as it stands). */
export type AlertRecord = {
  t: number;
  kind: 'alert';
  alert: AlertKind;
  webhook: string;
  outcome: 'sent' | 'retry' | 'failed' | 'dropped';
  attempt: number;
  /** The record that raised it: its kind and journal time. */
  cause: { kind: string; t: number };
  status?: number;
  error?: string;
  /** For a retry: when the next attempt is due (ms from now). */
  retryInMs?: number;
};

export interface AlertCounters {
  raised: number;
  sent: number;
  retries: number;
  failed: number;
  dropped: number;
}

/** A one-shot timer (setTimeout by default; tests inject their own). */
export type Schedule = (fn: () => void, ms: number) => { cancel(): void };
const realSchedule: Schedule = (fn, ms) => {
  const h = setTimeout(fn, ms);
  h.unref?.();
  return { cancel: () => clearTimeout(h) };
};

export interface AlertDispatcherOptions {
  config: AlertsConfig;
  /** Journal time. */
  now: () => number;
  /** Journals an outcome (an `alert` decision record). */
  journal: (r: AlertRecord) => void;
  fetch?: typeof globalThis.fetch;
  schedule?: Schedule;
  env?: NodeJS.ProcessEnv;
  daily?: () => DailyFigures;
}

interface Job {
  kind: AlertKind;
  line: DecisionLine;
  /** Written when the job is first sent (off the decision side's path); the day roll's at once. */
  alert: Alert | null;
  attempt: number;
}

interface Hook {
  name: string;
  cfg: WebhookConfig;
  url: string | null;
  queue: Job[];
  busy: boolean;
  timer: { cancel(): void } | null;
}

export class AlertDispatcher {
  readonly counters: AlertCounters = { raised: 0, sent: 0, retries: 0, failed: 0, dropped: 0 };
  private readonly hooks: Hook[];
  private readonly fetchFn: typeof globalThis.fetch;
  private readonly schedule: Schedule;
  private closed = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: AlertDispatcherOptions) {
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    this.schedule = opts.schedule ?? realSchedule;
    const env = opts.env ?? process.env;
    this.hooks = opts.config.webhooks.map((cfg, i) => ({
      name: cfg.name ?? `webhook${i + 1}`,
      cfg,
      url: cfg.url ?? (cfg.urlEnv !== undefined ? (env[cfg.urlEnv] ?? null) : null),
      queue: [],
      busy: false,
      timer: null,
    }));
  }

  /** Webhooks whose URL variable is unset (reported at start; their alerts are counted as failed). */
  missingUrls(): string[] {
    return this.hooks.filter((h) => h.url === null).map((h) => `${h.name} (${h.cfg.urlEnv ?? 'url'})`);
  }

  /** Called for every decision line; returns at once (queues only). */
  onLine(line: DecisionLine): void {
    if (this.closed || this.hooks.length === 0) return;
    const kind = alertKindOf(line.kind);
    if (kind === null) return;
    this.counters.raised++;
    // the day's figures are those of the moment the day rolled; every other alert is written when it is sent
    const a = kind === 'daily' ? classify(line, this.opts.daily) : null;
    for (const h of this.hooks) {
      if (!h.cfg.kinds.includes(kind)) continue;
      if (h.queue.length >= this.opts.config.queueLimit) {
        const old = h.queue.shift()!;
        this.counters.dropped++;
        this.record(h, old, 'dropped', { error: `queue full (${this.opts.config.queueLimit})` });
      }
      h.queue.push({ kind, line, alert: a, attempt: 0 });
      if (!h.busy) {
        h.busy = true;
        // never on the caller's stack: the decision side does not even pay for the request's set-up
        h.timer = this.schedule(() => this.pump(h), 0);
      }
    }
  }

  /** Resolves once every queue is empty and nothing is in flight (tests, shutdown). */
  idle(): Promise<void> {
    if (this.hooks.every((h) => !h.busy)) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops sending; what is queued is dropped (counted). */
  close(): void {
    this.closed = true;
    for (const h of this.hooks) {
      h.timer?.cancel();
      h.timer = null;
      for (const j of h.queue.splice(0)) {
        this.counters.dropped++;
        this.record(h, j, 'dropped', { error: 'shutting down' });
      }
      h.busy = false;
    }
    this.wake();
  }

  private wake(): void {
    if (this.hooks.every((h) => !h.busy)) for (const r of this.idleWaiters.splice(0)) r();
  }

  private record(h: Hook, j: Job, outcome: AlertRecord['outcome'], extra: Partial<AlertRecord> = {}): void {
    this.opts.journal({
      t: this.opts.now(),
      kind: 'alert',
      alert: j.kind,
      webhook: h.name,
      outcome,
      attempt: j.attempt,
      cause: { kind: j.line.kind, t: j.line.t },
      ...extra,
    });
  }

  private async pump(h: Hook): Promise<void> {
    h.timer = null;
    const j = h.queue[0];
    if (j === undefined || this.closed) {
      h.busy = false;
      this.wake();
      return;
    }
    j.attempt++;
    j.alert ??= classify(j.line, this.opts.daily);
    if (j.alert === null) {
      h.queue.shift();
      h.timer = this.schedule(() => this.pump(h), 0);
      return;
    }
    const result = await this.send(h, j.alert);
    if (this.closed) return;
    if (result.ok) {
      h.queue.shift();
      this.counters.sent++;
      this.record(h, j, 'sent', { status: result.status });
    } else if (result.final || j.attempt >= h.cfg.maxAttempts) {
      h.queue.shift();
      this.counters.failed++;
      this.record(h, j, 'failed', {
        ...(result.status !== undefined ? { status: result.status } : {}),
        error: result.error,
      });
    } else {
      const delay = Math.min(h.cfg.backoffMaxMs, h.cfg.backoffMs * 2 ** (j.attempt - 1));
      this.counters.retries++;
      this.record(h, j, 'retry', {
        ...(result.status !== undefined ? { status: result.status } : {}),
        error: result.error,
        retryInMs: delay,
      });
      h.timer = this.schedule(() => this.pump(h), delay);
      return;
    }
    h.timer = this.schedule(() => this.pump(h), 0);
  }

  private async send(
    h: Hook,
    a: Alert,
  ): Promise<{ ok: true; status: number } | { ok: false; final: boolean; status?: number; error: string }> {
    if (h.url === null)
      return {
        ok: false,
        final: true,
        error: `no URL: environment variable ${h.cfg.urlEnv ?? '?'} is not set`,
      };
    try {
      const res = await this.fetchFn(h.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alertBody(a, h.cfg)),
        signal: AbortSignal.timeout(h.cfg.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, status: res.status };
      const retryable = res.status === 429 || res.status >= 500;
      return { ok: false, final: !retryable, status: res.status, error: `HTTP ${res.status}` };
    } catch (e) {
      const err = e as Error;
      const cause = (err.cause as { code?: string } | undefined)?.code;
      // the message of a failed fetch never holds the URL in Node's fetch; keep it short anyway
      const what =
        err.name === 'TimeoutError' ? `timed out after ${h.cfg.timeoutMs} ms` : (cause ?? err.message);
      return { ok: false, final: false, error: what.slice(0, 200) };
    }
  }
}

/** The daily summary's figures from a running system (null figures before it has a decision side). */
export function dailyFiguresOf(
  system: { engine(): { snapshot(now?: number): DecisionSnapshot } | null } | null,
): DailyFigures {
  const d = system?.engine()?.snapshot() ?? null;
  if (d === null) return { equity: null, pnl: null, positions: [] };
  return {
    equity: d.equity,
    pnl: (d.realisedPnl ?? 0) + (d.unrealisedPnl ?? 0),
    positions: d.coins.flatMap((c) =>
      c.position
        ? [{ coin: c.coin, size: c.position.side === 'SHORT' ? -c.position.size : c.position.size }]
        : [],
    ),
  };
}
