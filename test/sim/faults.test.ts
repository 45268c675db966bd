import { afterEach, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../sim/server.ts';
import { channelOf, TestClient } from './client.ts';

let sim: SimServer | null = null;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await sim?.close();
  sim = null;
});

async function connect(s: SimServer): Promise<{ c: TestClient; id: number }> {
  const idP = s.nextConnection();
  const c = await TestClient.connect(s.wsUrl);
  clients.push(c);
  return { c, id: await idP };
}

function connStats(s: SimServer, id: number) {
  return s.stats().connections.find((x) => x.id === id)!;
}

async function drained(s: SimServer, c: TestClient, id: number): Promise<void> {
  await c.waitForCount(connStats(s, id).framesSent);
}

/** Subscribe and wait for the ack. */
async function sub(c: TestClient, subscription: Record<string, unknown>): Promise<void> {
  const from = c.frames.length;
  c.subscribe(subscription);
  await c.waitFor((f) => f.startsWith('{"channel":"subscriptionResponse"') || channelOf(f) === 'error', from);
}

describe('sim fault injection, observed by a plain client', () => {
  it('abrupt close: the client sees an abnormal close (no close frame)', async () => {
    sim = await startSim({ seed: 1, speed: 'manual' });
    const { c, id } = await connect(sim);
    expect(sim.faults.terminate(id)).toBe(1);
    expect((await c.waitClosed()).code).toBe(1006);
    expect(connStats(sim, id).closeReason).toBe('fault: terminate');
  });

  it('half-open stall: nothing arrives, pings go unanswered, no idle close; resumes when lifted', async () => {
    sim = await startSim({ seed: 1, speed: 'manual' });
    const { c, id } = await connect(sim);
    await sub(c, { type: 'bbo', coin: 'BTC' });
    sim.faults.stall(id);
    const n = c.frames.length;
    c.send({ method: 'ping' });
    // the server has processed the ping once a later message was counted
    c.send({ method: 'ping' });
    await new Promise<void>((resolve) => {
      const check = () => (connStats(sim!, id).messagesReceived >= 3 ? resolve() : setImmediate(check));
      check();
    });
    sim.advance(120_000);
    const st = connStats(sim, id);
    expect(st.suppressed).toBeGreaterThan(100);
    expect(st.open).toBe(true);
    expect(c.frames.length).toBe(n);
    sim.faults.stall(id, false);
    const from = c.frames.length;
    c.send({ method: 'ping' });
    await c.waitFor((f) => f === '{"channel":"pong"}', from);
    expect(c.closeInfo).toBeNull();
  });

  it('pong withheld: data keeps flowing but pings get no pong', async () => {
    sim = await startSim({ seed: 1, speed: 'manual' });
    const { c, id } = await connect(sim);
    sim.faults.withholdPong(id);
    const from = c.frames.length;
    c.send({ method: 'ping' });
    await sub(c, { type: 'bbo', coin: 'ETH' }); // processed after the ping: its ack proves the ping was handled
    sim.advance(2_000);
    await drained(sim, c, id);
    const after = c.frames.slice(from);
    expect(after.filter((f) => channelOf(f) === 'bbo').length).toBeGreaterThan(5);
    expect(after).not.toContain('{"channel":"pong"}');
    sim.faults.withholdPong(id, false);
    c.send({ method: 'ping' });
    await c.waitFor((f) => f === '{"channel":"pong"}', from);
  });

  it('server restart: connections drop, the same port serves again', async () => {
    sim = await startSim({ seed: 1, speed: 'manual' });
    const port = sim.port;
    const { c } = await connect(sim);
    await sim.faults.restart();
    expect((await c.waitClosed()).code).toBe(1006);
    expect(sim.port).toBe(port);
    const again = await connect(sim);
    await sub(again.c, { type: 'trades', coin: 'BTC' });
    expect(again.c.frames[0]).toContain('subscriptionResponse');
    expect(sim.stats().restarts).toBe(1);
  });

  it('a subscription rejected: the next matching subscribe gets an error instead of an ack', async () => {
    sim = await startSim({ seed: 1, speed: 'manual' });
    const { c } = await connect(sim);
    sim.faults.rejectNextSubscribe({ type: 'l2Book', coin: 'BTC' });
    await sub(c, { type: 'l2Book', coin: 'BTC' });
    expect(JSON.parse(c.frames.at(-1)!)).toEqual({
      channel: 'error',
      data: 'Invalid subscription {"type":"l2Book","coin":"BTC"}',
    });
    const from = c.frames.length;
    await sub(c, { type: 'l2Book', coin: 'BTC' });
    expect(c.frames[from]).toContain('"channel":"subscriptionResponse"');
  });

  it('malformed JSON and schema-invalid frames arrive as such', async () => {
    sim = await startSim({ seed: 1, speed: 'manual' });
    const { c, id } = await connect(sim);
    expect(sim.faults.malformed(id)).toBe(1);
    expect(sim.faults.schemaInvalid(id, 'l2Book', 'BTC')).toBe(1);
    expect(sim.faults.schemaInvalid(id, 'trades', 'ETH')).toBe(1);
    await c.waitForCount(3);
    expect(() => JSON.parse(c.frames[0]!)).toThrow();
    const book = JSON.parse(c.frames[1]!);
    expect(book.channel).toBe('l2Book');
    expect(typeof book.data.time).not.toBe('number');
    const trades = JSON.parse(c.frames[2]!);
    expect(trades.channel).toBe('trades');
    expect(Array.isArray(trades.data)).toBe(false);
    expect(connStats(sim, id).framesByChannel).toMatchObject({ malformed: 1, l2Book: 1, trades: 1 });
  });

  it('book time going backwards and duplicate trades', async () => {
    sim = await startSim({ seed: 1, speed: 'manual' });
    const { c, id } = await connect(sim);
    await sub(c, { type: 'l2Book', coin: 'BTC' });
    await sub(c, { type: 'trades', coin: 'BTC' });
    sim.advance(6_000);
    expect(sim.faults.bookTimeBackwards('BTC', 2_000, id)).toBe(1);
    expect(sim.faults.duplicateTrades('BTC', id)).toBe(1);
    sim.advance(6_000);
    await drained(sim, c, id);
    const times = c.frames
      .filter((f) => channelOf(f) === 'l2Book')
      .map((f) => JSON.parse(f).data.time as number);
    expect(times.some((t, i) => i > 0 && t < times[i - 1]!)).toBe(true);
    const seen = new Set<string>();
    let dups = 0;
    for (const f of c.frames.filter((x) => channelOf(x) === 'trades')) {
      for (const t of JSON.parse(f).data) {
        const k = `${t.coin}|${t.time}|${t.tid}`;
        if (seen.has(k)) dups++;
        seen.add(k);
      }
    }
    expect(dups).toBeGreaterThan(0);
  });

  it('burst: 100 000 frames as fast as possible, all counted and all received', async () => {
    sim = await startSim({ seed: 1, speed: 'manual' });
    const { c, id } = await connect(sim);
    expect(sim.faults.burst(100_000, { conn: id, coin: 'SOL' })).toBe(100_000);
    await drained(sim, c, id);
    expect(connStats(sim, id).framesByChannel.trades).toBe(100_000);
    const tids = new Set(c.frames.map((f) => JSON.parse(f).data[0].tid));
    expect(tids.size).toBeGreaterThan(99_990);
  });

  it('slow reading: the backlog is reported, nothing is lost; past the bound the server closes and says why', async () => {
    sim = await startSim({ seed: 1, speed: 'manual', maxBufferedBytes: 0 });
    const slow = await connect(sim);
    const sock = (slow.c.ws as unknown as { _socket: import('node:net').Socket })._socket;
    sock.pause();
    sim.faults.burst(60_000, { conn: slow.id });
    const st = connStats(sim, slow.id);
    expect(st.bufferedAmount).toBeGreaterThan(0);
    expect(st.maxBufferedAmount).toBeGreaterThan(1_000_000);
    sock.resume();
    await drained(sim, slow.c, slow.id);
    expect(slow.c.frames).toHaveLength(60_000);
    await sim.close();

    sim = await startSim({ seed: 1, speed: 'manual', maxBufferedBytes: 2_000_000 });
    const v = await connect(sim);
    const s2 = (v.c.ws as unknown as { _socket: import('node:net').Socket })._socket;
    s2.pause();
    sim.faults.burst(60_000, { conn: v.id });
    s2.resume();
    const closed = await v.c.waitClosed();
    expect(closed.code).toBe(1008);
    const st2 = connStats(sim, v.id);
    expect(st2.closeReason).toMatch(/slow consumer/);
    // frames after the close are counted, not silently lost
    expect(st2.framesSent + st2.droppedClosed).toBe(60_000);
    expect(v.c.frames.length).toBeLessThanOrEqual(st2.framesSent);
  });

  it('scripted faults run at their simulated time', async () => {
    sim = await startSim({ seed: 1, speed: 'manual' });
    const { c, id } = await connect(sim);
    const t = sim.now() + 30_000;
    sim.faults.at(t, (f) => f.terminate(id));
    sim.advance(29_000);
    expect(connStats(sim, id).open).toBe(true);
    sim.advance(2_000);
    expect((await c.waitClosed()).code).toBe(1006);
  });
});
