import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TradingState } from '../../machines/execution.types.ts';
import { startDashboard, type DashboardServer } from '../../runtime/dashboard/server.ts';
import { loadStatechart, renderStatechartSvg, statechartLayout } from '../../runtime/dashboard/statechart.ts';
import {
  parseCommand,
  type DashboardCommand,
  type DashboardSnapshot,
} from '../../runtime/dashboard/types.ts';
import { DecisionHistory } from '../../runtime/dashboard/history.ts';
import { createMetrics } from '../../runtime/metrics.ts';

const STRATEGY_JSON = join(import.meta.dirname, '../../diagrams/strategy.json');

/** A small account whose numbers move on every snapshot and whose trading state obeys commands. */
class Account {
  step = 0;
  trading: TradingState = 'ACTIVE';
  position = 0.5;
  commands: DashboardCommand[] = [];
  failNext = false;
  throwOnCommand = false;

  snapshot(): DashboardSnapshot {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('provider exploded');
    }
    this.step++;
    const mid = 50_000 + this.step * 1.5;
    return {
      time: 1_767_225_600_000 + this.step * 100,
      tradingState: this.trading,
      equity: 10_000 + this.step,
      realisedPnl: 0,
      unrealisedPnl: this.position * 1.5 * this.step,
      dailyPnl: this.step,
      health: {
        level: 'HEALTHY',
        reason: '',
        channels: [{ key: 'l2Book:BTC', ageMs: 12, stale: false, expectedMs: 2000 }],
      },
      coins: [
        {
          coin: 'BTC',
          mid,
          bestBid: mid - 0.5,
          bestAsk: mid + 0.5,
          bids: [[mid - 0.5, 1]],
          asks: [[mid + 0.5, 2]],
          regime: 'SIDEWAYS',
          inputs: { oiRange15m: 0.001, oiBuild1h: null, fundingDev: 0.00001, depthAsym5s: 0.1 },
          strategies: [{ name: 'geometry', state: 'ENTERED' }],
          position:
            this.position === 0 ? null : { side: 'LONG', size: this.position, entry: 50_000, unrealised: 1 },
        },
      ],
      decisions: [`step ${this.step}`],
      counters: { frames: this.step * 10, reconnects: 0, gaps: 0, journalLagBytes: 0 },
    };
  }

  command(cmd: DashboardCommand) {
    this.commands.push(cmd);
    if (this.throwOnCommand) throw new Error('venue unreachable');
    if (cmd.type === 'KILL') {
      this.trading = 'HALTED';
      this.position = 0;
    } else if (cmd.type === 'RESET_HALT') this.trading = 'ACTIVE';
    else this.trading = cmd.state;
    return { ok: true, tradingState: this.trading };
  }
}

/** A WebSocket client that queues messages so tests can await them in order. */
async function connect(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const queue: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const next = (): Promise<any> =>
    queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve));
  /** Next message of a given type (snapshots pushed meanwhile are skipped). */
  const nextOf = async (type: string): Promise<any> => {
    for (;;) {
      const m = await next();
      if (m.type === type) return m;
    }
  };
  return { ws, next, nextOf };
}

const TOKEN = 'a'.repeat(64);
/** A path on the server, with the operator token. */
const at = (s: DashboardServer, path: string) => new URL(`${path}?token=${TOKEN}`, s.url);
const wsAt = (s: DashboardServer) => at(s, '/ws').href.replace(/^http/, 'ws');

let server: DashboardServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(
  account: Account,
  extra: { metrics?: ReturnType<typeof createMetrics>; intervalMs?: number } = {},
) {
  server = await startDashboard({
    token: TOKEN,
    host: '127.0.0.1',
    port: 0,
    getSnapshot: () => account.snapshot(),
    onCommand: (c) => account.command(c),
    intervalMs: extra.intervalMs ?? 40,
    statechart: loadStatechart(STRATEGY_JSON),
    metrics: extra.metrics,
  });
  return server;
}

describe('statechart from the machine JSON', () => {
  const json = loadStatechart(STRATEGY_JSON);
  const layout = statechartLayout(json);

  it('lays out every top-level state and the lifecycle transitions', () => {
    expect(layout.states.map((s) => s.key)).toEqual([
      'DISABLED',
      'SCANNING',
      'ARMED',
      'ENTERED',
      'EXITED',
      'COOLDOWN',
    ]);
    expect(layout.states.find((s) => s.key === 'DISABLED')!.initial).toBe(true);
    expect(layout.states.find((s) => s.key === 'ARMED')!.children).toEqual(['watching', 'entering']);
    const pairs = layout.edges.map((e) => `${e.from}>${e.to}`);
    for (const p of [
      'DISABLED>SCANNING',
      'SCANNING>ARMED',
      'ARMED>ENTERED',
      'ARMED>SCANNING',
      'ENTERED>EXITED',
      'EXITED>COOLDOWN',
      'COOLDOWN>SCANNING',
    ]) {
      expect(pairs).toContain(p);
    }
    // transitions inside a state (self loops, child → child) are not drawn as top-level edges
    expect(pairs.some((p) => p.split('>')[0] === p.split('>')[1])).toBe(false);
    const timeout = layout.edges.find((e) => e.from === 'ENTERED' && e.to === 'EXITED')!;
    expect(timeout.events).toContain('after maxHold');
    // states do not overlap
    for (const a of layout.states)
      for (const b of layout.states)
        if (a !== b) expect(Math.abs(a.x - b.x) >= a.w || Math.abs(a.y - b.y) >= a.h).toBe(true);
  });

  it('marks exactly the active state', () => {
    const svg = renderStatechartSvg(layout, { active: 'ARMED', substate: 'entering' });
    expect(svg.match(/class="state[^"]*active/g)).toHaveLength(1);
    expect(svg).toMatch(/<g class="state active" data-state="ARMED"/);
    expect(svg).toContain('>entering</text>');
    expect(svg.match(/<g class="edge"/g)).toHaveLength(layout.edges.length);
  });
});

describe('command parsing', () => {
  it('accepts the three commands and names the bad field otherwise', () => {
    expect(parseCommand({ type: 'KILL' })).toEqual({ ok: true, command: { type: 'KILL' } });
    expect(parseCommand({ type: 'SET_TRADING', state: 'REDUCING', id: '7' })).toEqual({
      ok: true,
      command: { type: 'SET_TRADING', state: 'REDUCING' },
    });
    const bad = parseCommand({ type: 'SET_TRADING', state: 'YOLO' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toContain('state');
    expect(parseCommand({ type: 'SELL_EVERYTHING' }).ok).toBe(false);
    expect(parseCommand(null).ok).toBe(false);
  });
});

describe('dashboard server', () => {
  it('serves the page, the snapshot and the metrics', async () => {
    const account = new Account();
    const metrics = createMetrics();
    metrics.frame('l2Book', 3);
    const s = await start(account, { metrics });
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=a{64}$/);

    const page = await fetch(s.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<template id="statechart-template">');
    expect(html).toContain('data-state="ENTERED"');
    expect(html).toContain('id="kill"');
    // nothing from the internet: no external src/href, no CDN
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?https?:/i);
    expect(html).not.toMatch(/<script[^>]+src=/i);

    const snap = await fetch(at(s, '/api/snapshot'));
    expect(snap.status).toBe(200);
    const body = (await snap.json()) as DashboardSnapshot;
    expect(body.coins[0]!.coin).toBe('BTC');
    expect(body.coins[0]!.inputs.oiBuild1h).toBeNull();
    expect(body.tradingState).toBe('ACTIVE');

    const m = await fetch(at(s, '/metrics'));
    expect(m.status).toBe(200);
    expect(await m.text()).toContain('hl_frames_total{channel="l2Book"} 3');

    const chart = await fetch(at(s, '/api/statechart'));
    expect(((await chart.json()) as { states: unknown[] }).states).toHaveLength(6);

    expect((await fetch(at(s, '/nope'))).status).toBe(404);
  });

  it('pushes snapshots over the WebSocket', async () => {
    const account = new Account();
    const s = await start(account);
    const c = await connect(wsAt(s));
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await c.nextOf('snapshot');
      times.push(m.snapshot.time);
      expect(m.snapshot.coins[0].mid).toBeGreaterThan(50_000);
    }
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
    expect(s.stats().clients).toBe(1);
    c.ws.close();
  });

  it('routes commands to onCommand and returns the result', async () => {
    const account = new Account();
    const s = await start(account, { intervalMs: 60_000 });
    const c = await connect(wsAt(s));
    await c.nextOf('snapshot'); // the initial one

    c.ws.send(JSON.stringify({ id: 'k1', type: 'KILL' }));
    const r1 = await c.nextOf('result');
    expect(r1).toEqual({ type: 'result', id: 'k1', result: { ok: true, tradingState: 'HALTED' } });
    expect(account.commands).toEqual([{ type: 'KILL' }]);
    // a fresh snapshot follows every command
    const after = await c.nextOf('snapshot');
    expect(after.snapshot.tradingState).toBe('HALTED');
    expect(after.snapshot.coins[0].position).toBeNull();

    c.ws.send(JSON.stringify({ id: 'r', type: 'RESET_HALT' }));
    expect((await c.nextOf('result')).result.tradingState).toBe('ACTIVE');
    c.ws.send(JSON.stringify({ id: 's', type: 'SET_TRADING', state: 'REDUCING' }));
    expect((await c.nextOf('result')).result.tradingState).toBe('REDUCING');
    expect(account.commands.map((x) => x.type)).toEqual(['KILL', 'RESET_HALT', 'SET_TRADING']);

    // the same over HTTP
    const res = await fetch(at(s, '/api/command'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'KILL' }),
    });
    expect(await res.json()).toEqual({ ok: true, tradingState: 'HALTED' });
    c.ws.close();
  });

  it('answers bad commands with a clear error, counts them, and keeps serving', async () => {
    const account = new Account();
    const s = await start(account, { intervalMs: 60_000 });
    const c = await connect(wsAt(s));
    await c.nextOf('snapshot');
    c.ws.send('{not json');
    expect((await c.nextOf('error')).error).toMatch(/not JSON/);
    c.ws.send(JSON.stringify({ id: 'x', type: 'SET_TRADING', state: 'YOLO' }));
    const e2 = await c.nextOf('error');
    expect(e2.id).toBe('x');
    expect(e2.error).toMatch(/state/);
    c.ws.send(JSON.stringify({ type: 'LAUNCH_MISSILES' }));
    await c.nextOf('error');
    expect(account.commands).toEqual([]);

    const bad = await fetch(at(s, '/api/command'), { method: 'POST', body: 'type=KILL' });
    expect(bad.status).toBe(415);
    const bad2 = await fetch(at(s, '/api/command'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type":"KILL"',
    });
    expect(bad2.status).toBe(400);
    expect(s.stats().badCommands).toBe(5);

    // a failing command callback: a failed result, not a crash
    account.throwOnCommand = true;
    c.ws.send(JSON.stringify({ id: 'k', type: 'KILL' }));
    const r = await c.nextOf('result');
    expect(r.result.ok).toBe(false);
    expect(r.result.message).toContain('venue unreachable');
    expect(['ACTIVE', 'REDUCING', 'HALTED']).toContain(r.result.tradingState);

    // a failing snapshot provider: counted, 503, then it recovers
    account.failNext = true;
    expect((await fetch(at(s, '/api/snapshot'))).status).toBe(503);
    expect((await fetch(at(s, '/api/snapshot'))).status).toBe(200);
    expect(s.stats().snapshotErrors).toBe(1);
    c.ws.close();
  });

  it('refuses foreign origins and non-loopback binding', async () => {
    const account = new Account();
    const s = await start(account, { intervalMs: 60_000 });
    const wsUrl = wsAt(s);
    await expect(connect(wsUrl, { Origin: 'http://evil.example' })).rejects.toThrow(/403/);
    const own = await connect(wsUrl, { Origin: new URL(s.url).origin });
    own.ws.close();
    const res = await fetch(at(s, '/api/command'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ type: 'SET_TRADING', state: 'ACTIVE' }),
    });
    expect(res.status).toBe(403);
    expect(account.commands).toEqual([]);
    expect(s.stats().refused).toBe(2);
    await expect(
      startDashboard({
        token: TOKEN,
        host: '0.0.0.0',
        getSnapshot: () => account.snapshot(),
        onCommand: (c) => account.command(c),
      }),
    ).rejects.toThrow(/loopback/);
  });

  it('every request and command needs the operator token (issue 20, defect 11)', async () => {
    const account = new Account();
    const s = await start(account);
    const base = new URL(s.url).origin;
    const kill = JSON.stringify({ type: 'KILL', reason: 'intruder' });
    const json = { 'content-type': 'application/json' };
    // no token, a wrong one (same length), a token in the wrong header
    for (const headers of [
      json,
      { ...json, authorization: `Bearer ${'b'.repeat(64)}` },
      { ...json, 'x-token': TOKEN },
    ]) {
      const res = await fetch(`${base}/api/command`, { method: 'POST', headers, body: kill });
      expect(res.status).toBe(401);
    }
    expect(
      (
        await fetch(`${base}/api/command?token=${'c'.repeat(64)}`, {
          method: 'POST',
          headers: json,
          body: kill,
        })
      ).status,
    ).toBe(401);
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/api/snapshot`)).status).toBe(401);
    await expect(connect(`${base.replace(/^http/, 'ws')}/ws`)).rejects.toThrow(/401/);
    expect(account.commands).toEqual([]);
    expect(s.stats().unauthorized).toBe(7);
    // the bearer header and the query parameter both work
    const ok = await fetch(`${base}/api/command`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ type: 'RESET_HALT' }),
    });
    expect(ok.status).toBe(200);
    expect((await fetch(at(s, '/api/snapshot'))).status).toBe(200);
    expect(account.commands.map((c) => c.type)).toEqual(['RESET_HALT']);
    await expect(
      startDashboard({
        token: 'short',
        getSnapshot: () => account.snapshot(),
        onCommand: (c) => account.command(c),
      }),
    ).rejects.toThrow(/token/);
  });

  it('close() ends client sockets and is idempotent', async () => {
    const account = new Account();
    const s = await start(account);
    const c = await connect(wsAt(s));
    const closed = new Promise<void>((resolve) => c.ws.once('close', () => resolve()));
    await Promise.all([s.close(), s.close()]);
    await closed;
    server = null;
    await expect(fetch(s.url)).rejects.toThrow();
  });
});

describe('dashboard stream: the decision log beside the snapshot', () => {
  const line = (i: number, kind = 'strategy') =>
    kind === 'exec.fill'
      ? {
          t: 1_000 + i,
          kind,
          time: 1_000 + i,
          liquidity: 'taker',
          fill: {
            coin: 'BTC',
            strategy: 'g',
            side: 'BUY',
            px: 50_000 + i,
            sz: 0.01,
            fee: 0.1,
            time: 1_000 + i,
            clientId: `c${i}`,
          },
        }
      : { t: 1_000 + i, kind, coin: 'BTC', strategy: 'g', to: `S${i}` };

  async function startStream(history: DecisionHistory, account = new Account(), fail = { now: false }) {
    server = await startDashboard({
      token: TOKEN,
      getSnapshot: () => account.snapshot(),
      onCommand: (c) => account.command(c),
      intervalMs: 3_600_000, // pushes only when the test asks
      stream: {
        history: () => {
          if (fail.now) throw new Error('history exploded');
          return history.view();
        },
        feedSince: (seq) => history.feedSince(seq),
        counts: () => history.counts(),
      },
    });
    return server;
  }

  it('each client gets the history when its version moved and every decision line once, in order', async () => {
    const history = new DecisionHistory();
    for (let i = 0; i < 3; i++) history.add(line(i));
    const s = await startStream(history);
    const a = await connect(wsAt(s));
    const first = await a.nextOf('snapshot');
    expect(first.history.version).toBe(1);
    expect(first.feed).toMatchObject({ from: 0, next: 3, counts: { lines: 3, invalid: 0, dropped: 0 } });
    expect(first.feed.lines.map((l: { to: string }) => l.to)).toEqual(['S0', 'S1', 'S2']);
    // the pushed snapshot leaves the last lines to the feed; /api/snapshot keeps them
    expect(first.snapshot.decisions).toEqual([]);
    expect(
      ((await (await fetch(at(s, '/api/snapshot'))).json()) as DashboardSnapshot).decisions,
    ).toHaveLength(1);

    // nothing new: no history, an empty feed
    s.pushNow();
    const quiet = await a.nextOf('snapshot');
    expect(quiet.history).toBeUndefined();
    expect(quiet.feed).toMatchObject({ from: 3, next: 3, lines: [] });

    // a line of the feed only: the feed moves, the history does not
    history.add(line(3));
    s.pushNow();
    const more = await a.nextOf('snapshot');
    expect(more.history).toBeUndefined();
    expect(more.feed.lines.map((l: { to: string }) => l.to)).toEqual(['S3']);

    // a fill: the history moves (version 2) and carries it
    history.add(line(4, 'exec.fill'));
    s.pushNow();
    const fill = await a.nextOf('snapshot');
    expect(fill.history.version).toBe(2);
    expect(fill.history.fills.map((f: { px: number }) => f.px)).toEqual([50_004]);
    expect(fill.feed).toMatchObject({ from: 4, next: 5 });

    // a client that connects later starts from the whole feed and the current history
    const b = await connect(wsAt(s));
    const late = await b.nextOf('snapshot');
    expect(late.history.version).toBe(2);
    expect(late.feed).toMatchObject({ from: 0, next: 5 });
    history.add(line(5));
    s.pushNow();
    const [na, nb] = [await a.nextOf('snapshot'), await b.nextOf('snapshot')];
    expect(na.feed.lines.map((l: { to: string }) => l.to)).toEqual(['S5']);
    expect(nb.feed.lines.map((l: { to: string }) => l.to)).toEqual(['S5']);

    // the same over HTTP
    const h = (await (await fetch(at(s, '/api/history'))).json()) as { fills: unknown[] };
    expect(h.fills).toHaveLength(1);
    const d = (await (await fetch(`${at(s, '/api/decisions').href}&since=4`)).json()) as {
      from: number;
      lines: { kind: string }[];
    };
    expect(d.from).toBe(4);
    expect(d.lines.map((l) => l.kind)).toEqual(['exec.fill', 'strategy']);
    a.ws.close();
    b.ws.close();
  });

  it('a failing history is counted and the push goes out without it', async () => {
    const history = new DecisionHistory();
    const fail = { now: true };
    const s = await startStream(history, new Account(), fail);
    const c = await connect(wsAt(s));
    const m = await c.nextOf('snapshot');
    expect(m.history).toBeUndefined();
    expect(m.snapshot.coins[0].coin).toBe('BTC');
    expect(s.stats().streamErrors).toBe(1);
    expect((await fetch(at(s, '/api/history'))).status).toBe(503);
    fail.now = false;
    s.pushNow();
    expect((await c.nextOf('snapshot')).history.version).toBe(1);
    c.ws.close();
  });

  it('serves the charting library from node_modules, with the token only', async () => {
    const s = await startStream(new DecisionHistory());
    const js = await fetch(at(s, '/assets/lightweight-charts.js'));
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    const text = await js.text();
    expect(text).toContain('Lightweight Charts');
    expect(text.length).toBeGreaterThan(100_000);
    expect((await fetch(new URL('/assets/lightweight-charts.js', s.url))).status).toBe(401);
    // the page may load scripts from its own origin only
    const page = await fetch(s.url);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self' 'unsafe-inline'");
  });
});
