/**
 * Alerts (issue 22): which decision lines raise which alert, the bodies each format sends, and the dispatcher
 * against a real webhook receiver on loopback — ordered sends, retries with exponential backoff on 5xx / 429 /
 * network errors, a final 4xx, bounded queues, every outcome journaled, and the decision side never waiting
 * (the time `onLine` takes with a receiver that never answers is measured and printed).
 * The dispatcher's timers are injected: the test's scheduler records each delay and runs the callback on the
 * next turn of the event loop, so nothing waits on the wall clock.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DecisionLine } from '../../decision/engine.ts';
import { parseDecisionRecord } from '../../decision/records.ts';
import {
  type Alert,
  AlertDispatcher,
  type AlertRecord,
  AlertsConfigSchema,
  alertBody,
  classify,
  type Schedule,
} from '../../runtime/alerts.ts';
import { ConfigError, parseConfig } from '../../runtime/config.ts';

const HALT: DecisionLine = {
  t: 1_767_225_600_000,
  kind: 'exec.trading',
  time: 1,
  state: 'HALTED',
  reason: 'kill switch: operator',
};
const FILL: DecisionLine = {
  t: 1_767_225_601_000,
  kind: 'exec.fill',
  time: 2,
  fill: {
    coin: 'BTC',
    strategy: 'geometry',
    side: 'BUY',
    px: 100_000,
    sz: 0.01,
    fee: 0.45,
    time: 2,
    clientId: 'c1',
  },
  liquidity: 'taker',
};
const HEALTH: DecisionLine = {
  t: 3,
  kind: 'health',
  from: 'HEALTHY',
  to: 'DEGRADED',
  reason: 'l2Book:BTC stale',
};
const ALARM: DecisionLine = {
  t: 4,
  kind: 'alarm',
  source: 'execution',
  coin: 'ETH',
  message: 'close retry 3',
};
const DAY: DecisionLine = {
  t: 5,
  kind: 'exec.day',
  time: 5,
  day: { index: 2, startEquity: 10_000, startPnl: 0 },
};

interface Receiver {
  url: string;
  bodies: unknown[];
  requests: number;
  close(): Promise<void>;
}

/** A webhook receiver: answers each request with the next status of `script` (then 200); `hang` never answers. */
async function receiver(script: number[] = [], hang = false): Promise<Receiver> {
  const r: Receiver = { url: '', bodies: [], requests: 0, close: async () => {} };
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      r.requests++;
      if (hang) {
        open.add(res);
        return;
      }
      const status = script.shift() ?? 200;
      if (status === 200) r.bodies.push(JSON.parse(body));
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () =>
    new Promise<void>((ok) => {
      for (const res of open) res.destroy();
      server.close(() => ok());
      server.closeAllConnections();
    });
  return r;
}

/** Records every delay asked for and runs the callback on the next turn (no wall-clock wait). */
function recordingSchedule(): { schedule: Schedule; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    schedule: (fn, ms) => {
      delays.push(ms);
      const h = setImmediate(fn);
      return { cancel: () => clearImmediate(h) };
    },
  };
}

const receivers: Receiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

function dispatcher(webhooks: unknown[], extra: { queueLimit?: number } = {}) {
  const journal: AlertRecord[] = [];
  const { schedule, delays } = recordingSchedule();
  const d = new AlertDispatcher({
    config: AlertsConfigSchema.parse({ webhooks, ...extra }),
    now: () => 42,
    journal: (r) => journal.push(r),
    schedule,
  });
  return { d, journal, delays };
}

describe('classify: the decision lines that raise an alert', () => {
  it('maps halt, alarm, health change, fill and the day roll; everything else raises none', () => {
    expect(classify(HALT)?.kind).toBe('halt');
    expect(classify(HALT)?.text).toContain('kill switch: operator');
    expect(classify(ALARM)?.kind).toBe('alarm');
    expect(classify({ t: 1, kind: 'exec.alarm', coin: null, message: 'm', attempt: 1, time: 1 })?.kind).toBe(
      'alarm',
    );
    expect(classify({ t: 1, kind: 'exec.error', message: 'boom', time: 1 })?.kind).toBe('alarm');
    expect(classify(HEALTH)?.title).toBe('Health HEALTHY → DEGRADED');
    const fill = classify(FILL)!;
    expect(fill.kind).toBe('fill');
    expect(fill.text).toBe('geometry: BUY 0.01 BTC at 100000 (taker, fee $0.45)');
    const day = classify(DAY, () => ({
      equity: 10_250.5,
      pnl: 250.5,
      positions: [{ coin: 'BTC', size: -0.02 }],
    }))!;
    expect(day.kind).toBe('daily');
    expect(day.text).toBe('day 2 starts: equity $10,250.50, PnL $250.50, BTC -0.02');
    for (const kind of ['regime', 'strategy', 'exec.order', 'exec.position', 'operator.applied', 'ignored'])
      expect(classify({ t: 1, kind }), kind).toBeNull();
  });

  it('bodies: generic JSON with the record, Slack text, Discord content, Telegram chat_id + text', () => {
    const a: Alert = classify(HALT)!;
    const json = alertBody(a, { format: 'json' }) as Record<string, unknown>;
    expect(json).toMatchObject({
      source: 'hl-regime-trader',
      kind: 'halt',
      t: HALT.t,
      title: 'Trading HALTED',
    });
    expect(json.time).toBe('2026-01-01T00:00:00.000Z');
    expect(json.record).toEqual(HALT);
    expect(alertBody(a, { format: 'slack' })).toEqual({
      text: '*Trading HALTED* (2026-01-01T00:00:00.000Z)\ntrading is HALTED: kill switch: operator',
    });
    expect(alertBody(a, { format: 'discord' })).toEqual({
      content: '**Trading HALTED** (2026-01-01T00:00:00.000Z)\ntrading is HALTED: kill switch: operator',
    });
    expect(alertBody(a, { format: 'telegram', chatId: '-100123' })).toEqual({
      chat_id: '-100123',
      text: 'Trading HALTED (2026-01-01T00:00:00.000Z)\ntrading is HALTED: kill switch: operator',
      disable_web_page_preview: true,
    });
  });
});

describe('config', () => {
  it('a webhook needs one URL (or the variable holding it); telegram needs a chat; kinds are checked', () => {
    expect(
      parseConfig({ alerts: { webhooks: [{ url: 'http://127.0.0.1:9/x' }] } }).alerts.webhooks[0],
    ).toMatchObject({
      format: 'json',
      kinds: ['halt', 'alarm', 'health', 'fill', 'daily'],
      maxAttempts: 6,
    });
    const bad = (w: unknown) => () => parseConfig({ alerts: { webhooks: [w] } });
    expect(bad({})).toThrow(ConfigError);
    expect(bad({ url: 'http://a/x', urlEnv: 'HOOK' })).toThrow(/exactly one of url or urlEnv/);
    expect(bad({ url: 'http://a/x', format: 'telegram' })).toThrow(/chatId/);
    expect(bad({ url: 'http://a/x', kinds: ['fills'] })).toThrow(ConfigError);
    expect(bad({ url: 'ftp://a/x' })).toThrow(ConfigError);
  });
});

describe('the dispatcher against a webhook receiver on loopback', () => {
  it('a halt reaches the receiver once; the first two attempts fail (503, 429) and are retried with backoff', async () => {
    const rx = await receiver([503, 429]);
    receivers.push(rx);
    const { d, journal, delays } = dispatcher([{ name: 'ops', url: rx.url, backoffMs: 1000 }]);
    d.onLine(HALT);
    await d.idle();
    expect(rx.requests).toBe(3);
    expect(rx.bodies).toHaveLength(1);
    expect(rx.bodies[0]).toMatchObject({ kind: 'halt', record: HALT });
    // exponential backoff: 1 s, then 2 s (each retry scheduled, none waited for on the wall clock)
    expect(delays.filter((ms) => ms > 0)).toEqual([1000, 2000]);
    expect(journal.map((r) => [r.outcome, r.attempt, r.status])).toEqual([
      ['retry', 1, 503],
      ['retry', 2, 429],
      ['sent', 3, 200],
    ]);
    expect(d.counters).toEqual({ raised: 1, sent: 1, retries: 2, failed: 0, dropped: 0 });
    // every outcome is a valid decision record of the documented format, naming the webhook, never its URL
    for (const r of journal) {
      expect(parseDecisionRecord(r).ok, JSON.stringify(r)).toBe(true);
      expect(JSON.stringify(r)).not.toContain('127.0.0.1');
    }
    expect(journal[2]!.cause).toEqual({ kind: 'exec.trading', t: HALT.t });
  });

  it('a 4xx other than 429 is final; attempts stop at maxAttempts on a receiver that keeps failing', async () => {
    const rx = await receiver([400, 500, 500, 500]);
    receivers.push(rx);
    const { d, journal } = dispatcher([{ url: rx.url, maxAttempts: 3 }]);
    d.onLine(HALT);
    await d.idle();
    expect(journal.map((r) => r.outcome)).toEqual(['failed']);
    d.onLine(FILL);
    await d.idle();
    expect(journal.map((r) => r.outcome)).toEqual(['failed', 'retry', 'retry', 'failed']);
    expect(d.counters.failed).toBe(2);
    expect(rx.bodies).toHaveLength(0);
  });

  it('filters by kind, keeps order per webhook, and a closed port is a retried network error', async () => {
    const rx = await receiver();
    receivers.push(rx);
    const closed = await receiver();
    const deadUrl = closed.url;
    await closed.close();
    const { d, journal } = dispatcher([
      { name: 'fills', url: rx.url, kinds: ['fill', 'halt'] },
      { name: 'dead', url: deadUrl, kinds: ['alarm'], maxAttempts: 2 },
    ]);
    for (const l of [FILL, HEALTH, ALARM, HALT, { ...FILL, t: FILL.t + 1 }]) d.onLine(l);
    await d.idle();
    expect(rx.bodies.map((b) => (b as { kind: string }).kind)).toEqual(['fill', 'halt', 'fill']);
    const dead = journal.filter((r) => r.webhook === 'dead');
    expect(dead.map((r) => r.outcome)).toEqual(['retry', 'failed']);
    expect(dead[0]!.error).toBe('ECONNREFUSED');
  });

  it('a receiver that never answers: the queue is bounded (oldest dropped, journaled) and onLine never waits', async () => {
    const rx = await receiver([], true);
    receivers.push(rx);
    const { d, journal } = dispatcher([{ name: 'slow', url: rx.url, timeoutMs: 60_000 }], {
      queueLimit: 100,
    });
    const lines: DecisionLine[] = Array.from({ length: 20_000 }, (_, i) => ({ ...FILL, t: FILL.t + i }));
    const none = new AlertDispatcher({
      config: AlertsConfigSchema.parse({}),
      now: () => 0,
      journal: () => {},
    });
    const time = (f: (l: DecisionLine) => void) => {
      let max = 0;
      const t0 = performance.now();
      for (const l of lines) {
        const s = performance.now();
        f(l);
        max = Math.max(max, performance.now() - s);
      }
      return { totalMs: performance.now() - t0, maxUs: max * 1000 };
    };
    const baseline = time((l) => none.onLine(l));
    const hanging = time((l) => d.onLine(l));
    const perLineUs = (hanging.totalMs * 1000) / lines.length;
    console.log(
      JSON.stringify({
        bench: 'alerts.onLine with a webhook that never answers',
        lines: lines.length,
        perLineUs: Number(perLineUs.toFixed(3)),
        maxUs: Number(hanging.maxUs.toFixed(1)),
        baseline: { webhooks: 0, perLineUs: Number(((baseline.totalMs * 1000) / lines.length).toFixed(3)) },
      }),
    );
    // nothing was sent on the caller's stack: the request starts on a later turn
    expect(rx.requests).toBe(0);
    // a few microseconds a line (a classification and a push), far below a tick's budget
    expect(perLineUs).toBeLessThan(50);
    expect(d.counters.dropped).toBe(lines.length - 100);
    expect(journal.filter((r) => r.outcome === 'dropped')).toHaveLength(lines.length - 100);
    // once the request is under way, the receiver has it and nothing more is sent until it answers
    await new Promise<void>((r) => {
      const poll = () => (rx.requests > 0 ? r() : setImmediate(poll));
      poll();
    });
    expect(rx.requests).toBe(1);
    d.close();
    expect(d.counters.dropped).toBe(lines.length);
  });

  it('a webhook whose URL variable is unset is named at start and its alerts fail without a request', async () => {
    const journal: AlertRecord[] = [];
    const d = new AlertDispatcher({
      config: AlertsConfigSchema.parse({
        webhooks: [{ name: 'tg', urlEnv: 'HLT_TEST_UNSET_HOOK', format: 'telegram', chatId: '1' }],
      }),
      now: () => 0,
      journal: (r) => journal.push(r),
      env: {},
      schedule: recordingSchedule().schedule,
    });
    expect(d.missingUrls()).toEqual(['tg (HLT_TEST_UNSET_HOOK)']);
    d.onLine(HALT);
    await d.idle();
    expect(journal.map((r) => [r.outcome, r.error])).toEqual([
      ['failed', 'no URL: environment variable HLT_TEST_UNSET_HOOK is not set'],
    ]);
  });
});
