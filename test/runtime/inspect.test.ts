import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { assign, createActor, fromCallback, sendParent, setup } from 'xstate';
import { createInspection, toSafeJson } from '../../runtime/inspect.ts';
import { ManualClock } from '../../state/clock.ts';

/** A small real machine: a spawned child that reports to its parent, a delayed transition, odd context. */
const child = setup({}).createMachine({
  id: 'pinger',
  initial: 'idle',
  states: { idle: { on: { PING: { actions: sendParent({ type: 'PONG' }) } } } },
});

const cyclic: Record<string, unknown> = { name: 'loop' };
cyclic.self = cyclic;

const machine = setup({
  types: {
    context: {} as { n: number; fn: () => number; big: string; loop: unknown; child: unknown },
    events: {} as { type: 'GO' } | { type: 'PONG' } | { type: 'PING_CHILD' },
  },
  actors: { pinger: child, ticker: fromCallback(() => () => {}) },
  delays: { wait: 1_000 },
}).createMachine({
  id: 'demo',
  initial: 'idle',
  context: ({ spawn }) => ({
    n: 0,
    fn: () => 42,
    big: 'x'.repeat(10_000),
    loop: cyclic,
    child: spawn('pinger', { id: 'pinger', systemId: 'pinger' }),
  }),
  states: {
    idle: { on: { GO: 'busy' } },
    busy: {
      after: { wait: 'done' },
      on: {
        PING_CHILD: {
          actions: ({ context }) =>
            (context.child as { send(e: { type: 'PING' }): void }).send({ type: 'PING' }),
        },
        PONG: { actions: assign({ n: ({ context }) => context.n + 1 }) },
      },
    },
    done: { type: 'final' },
  },
});

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'hl-inspect-'));
  dirs.push(d);
  return d;
};

/** A loopback port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('inspection: JSONL recorder', () => {
  it("records a real actor's creation, events and snapshots, one safe JSON line each", async () => {
    const file = join(tmp(), 'trace.jsonl');
    const clock = new ManualClock(1_000_000);
    const insp = createInspection({ file, clock, maxStringLength: 100 });
    const actor = createActor(machine, { inspect: insp.inspect, clock });
    actor.start();
    actor.send({ type: 'GO' });
    clock.advance(10);
    actor.send({ type: 'PING_CHILD' });
    actor.send({ type: 'PING_CHILD' });
    clock.advance(1_000); // the delayed transition to `done`
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().context.n).toBe(2);
    await insp.close();

    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const recs = lines.map((l) => JSON.parse(l));
    expect(insp.stats().recorded).toBe(recs.length);
    expect(insp.stats().errors).toBe(0);
    // sequence and clock stamps
    expect(recs.map((r) => r.seq)).toEqual(recs.map((_, i) => i + 1));
    expect(recs[0].time).toBe(1_000_000);
    // the delayed transition is recorded at its own due time (entered busy at 1 000 000, wait 1 000)
    expect(recs[recs.length - 1].time).toBe(1_001_000);

    const root = recs.find((r) => r.type === 'actor' && r.machine === 'demo');
    const pinger = recs.find((r) => r.type === 'actor' && r.machine === 'pinger');
    expect(root).toBeDefined();
    expect(pinger).toBeDefined();
    expect(pinger.parentId).toBe(root.actorId);
    expect(pinger.systemId).toBe('pinger');

    const events = recs.filter((r) => r.type === 'event').map((r) => r.event.type);
    for (const e of ['GO', 'PING_CHILD', 'PING', 'PONG']) expect(events).toContain(e);
    expect(events.some((e: string) => e.startsWith('xstate.after.wait'))).toBe(true);
    const pong = recs.find((r) => r.type === 'event' && r.event.type === 'PONG');
    expect(pong.sourceId).toBe(pinger.actorId);

    const rootSnaps = recs.filter((r) => r.type === 'snapshot' && r.actorId === root.actorId);
    // start, GO, PING_CHILD ×2, PONG ×2, the delayed transition
    expect(rootSnaps.map((r) => r.snapshot.value)).toEqual([
      'idle',
      'busy',
      'busy',
      'busy',
      'busy',
      'busy',
      'done',
    ]);
    const last = rootSnaps[rootSnaps.length - 1];
    expect(last.snapshot.status).toBe('done');
    expect(last.snapshot.context.n).toBe(2);
    // unsafe values made safe: function dropped, actor ref replaced, cycle cut, big string capped
    expect('fn' in last.snapshot.context).toBe(false);
    expect(last.snapshot.context.child).toEqual({ actorRef: pinger.actorId, id: 'pinger' });
    expect(last.snapshot.context.loop.self).toBe('[Circular]');
    expect(last.snapshot.context.big.length).toBeLessThan(200);
    expect(last.snapshot.context.big).toMatch(/…\[\+9900\]$/);
  });

  it('caps oversized lines and drops after close', async () => {
    const file = join(tmp(), 'trace.jsonl');
    const insp = createInspection({ file, maxLineBytes: 1_000, maxStringLength: 5_000 });
    const actor = createActor(machine, { inspect: insp.inspect });
    actor.start();
    actor.send({ type: 'GO' });
    await insp.close();
    const n = insp.stats().recorded;
    actor.send({ type: 'PING_CHILD' });
    actor.stop();
    expect(insp.stats().recorded).toBe(n);
    const recs = readFileSync(file, 'utf8').trim().split('\n');
    expect(recs).toHaveLength(n);
    for (const l of recs) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(1_000);
    expect(insp.stats().truncated).toBeGreaterThan(0);
    expect(recs.some((l) => JSON.parse(l).truncated === true)).toBe(true);
  });

  it('toSafeJson handles hostile values', () => {
    const big = new Array(500).fill(1);
    const out = toSafeJson(
      {
        a: 1n,
        b: Number.NaN,
        c: Symbol('s'),
        d: new Map([['k', { v: 1 }]]),
        e: new Set([1, 2]),
        f: new Uint8Array(16),
        g: new Error('boom'),
        h: big,
        i: { j: { k: { l: { m: 1 } } } },
        get thrower() {
          throw new Error('getter');
        },
      },
      { maxDepth: 3, maxArrayLength: 10 },
    ) as Record<string, unknown>;
    expect(out.a).toBe('1');
    expect(out.b).toBeNull();
    expect('c' in out).toBe(false);
    expect(out.d).toEqual({ k: { v: 1 } });
    expect(out.e).toEqual([1, 2]);
    expect(out.f).toBe('[Uint8Array 16 bytes]');
    expect(out.g).toEqual({ error: 'Error', message: 'boom' });
    expect(out.h).toHaveLength(11);
    expect(out.i).toEqual({ j: { k: '[Depth]' } });
    expect(out.thrower).toBe('[Throws]');
  });
});

describe('inspection: Stately WebSocket inspector', () => {
  it('does not throw or hang with nothing listening; reconnects on the clock; close() stops it', async () => {
    const port = await deadPort();
    // the inspector's own clock, so its reconnect timer is the only one on it
    const clock = new ManualClock(0);
    const insp = createInspection({
      websocket: true,
      url: `ws://127.0.0.1:${port}`,
      clock,
      reconnectMs: 5_000,
    });
    const actor = createActor(machine, { inspect: insp.inspect, clock: new ManualClock(0) });
    actor.start();
    actor.send({ type: 'GO' });
    // the refused connection schedules exactly one reconnect on the injected clock
    await expect.poll(() => clock.pending(), { timeout: 5_000 }).toBe(1);
    expect(insp.stats().wsAttempts).toBe(1);
    expect(clock.nextDue()).toBe(5_000);
    clock.advance(5_000);
    expect(insp.stats().wsAttempts).toBe(2);
    await expect.poll(() => clock.pending(), { timeout: 5_000 }).toBe(1);
    await insp.close();
    expect(clock.pending()).toBe(0);
    clock.advance(60_000);
    expect(insp.stats().wsAttempts).toBe(2);
    expect(insp.stats().wsConnected).toBe(false);
    actor.stop();
  });

  it('a process using it exits on its own when nothing listens', async () => {
    const port = await deadPort();
    const code = [
      "import { createInspection } from './runtime/inspect.ts';",
      "import { createActor, createMachine } from 'xstate';",
      `const i = createInspection({ websocket: true, url: 'ws://127.0.0.1:${port}' });`,
      "const a = createActor(createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } }), { inspect: i.inspect });",
      "a.start(); a.send({ type: 'GO' });",
      'await i.close();',
      "console.log('closed');",
    ].join('\n');
    const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: join(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const exit = await new Promise<number | null>((resolve) => proc.on('exit', (c) => resolve(c)));
    expect(out).toContain('closed');
    expect(exit).toBe(0);
  });

  it('streams Stately inspection events to a listening inspector', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const port = (wss.address() as { port: number }).port;
    const received: any[] = [];
    let notify: () => void = () => {};
    wss.on('connection', (sock) =>
      sock.on('message', (d) => {
        received.push(JSON.parse(String(d)));
        notify();
      }),
    );
    const insp = createInspection({ websocket: true, url: `ws://127.0.0.1:${port}` });
    const clock = new ManualClock(0);
    const actor = createActor(machine, { inspect: insp.inspect, clock });
    actor.start();
    actor.send({ type: 'GO' });
    await new Promise<void>((resolve) => {
      notify = () => {
        if (received.some((e) => e.type === '@xstate.snapshot' && e.snapshot?.value === 'busy')) resolve();
      };
      notify();
    });
    const created = received.find((e) => e.type === '@xstate.actor' && e.name === 'demo');
    expect(created).toBeDefined();
    expect(typeof created.sessionId).toBe('string');
    expect(typeof created.definition).toBe('string');
    expect(created._version).toBeDefined();
    expect(received.some((e) => e.type === '@xstate.event' && e.event?.type === 'GO')).toBe(true);
    expect(insp.stats().wsConnected).toBe(true);
    await insp.close();
    actor.stop();
    await new Promise<void>((r) => wss.close(() => r()));
  });
});
