import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isValidPerpPx, isValidSize } from '../../sim/format.ts';
import { generate, generatorSubscriptions } from '../../sim/generate.ts';
import { type SimServer, startSim } from '../../sim/server.ts';
import { channelOf, TestClient } from './client.ts';

const FIX = '/work/shared/fixtures/hyperliquid';
const fixture = (p: string) => JSON.parse(readFileSync(`${FIX}/${p}`, 'utf8'));

const dec = z.string().regex(/^-?\d+\.\d+$/);
const level = z.strictObject({ px: dec, sz: dec, n: z.number().int().positive() });
const addr = z.string().regex(/^0x[0-9a-f]{40}$/);
const schemas = {
  l2Book: z.strictObject({
    channel: z.literal('l2Book'),
    data: z.strictObject({
      coin: z.string(),
      time: z.number().int(),
      levels: z.tuple([z.array(level), z.array(level)]),
    }),
  }),
  bbo: z.strictObject({
    channel: z.literal('bbo'),
    data: z.strictObject({
      coin: z.string(),
      time: z.number().int(),
      bbo: z.tuple([level.nullable(), level.nullable()]),
    }),
  }),
  trades: z.strictObject({
    channel: z.literal('trades'),
    data: z
      .array(
        z.strictObject({
          coin: z.string(),
          side: z.enum(['A', 'B']),
          px: dec,
          sz: dec,
          time: z.number().int(),
          hash: z.string().regex(/^0x[0-9a-f]{64}$/),
          tid: z
            .number()
            .int()
            .nonnegative()
            .max(2 ** 50),
          users: z.tuple([addr, addr]),
        }),
      )
      .min(1),
  }),
  activeAssetCtx: z.strictObject({
    channel: z.literal('activeAssetCtx'),
    data: z.strictObject({
      coin: z.string(),
      ctx: z.strictObject({
        funding: dec,
        openInterest: dec,
        prevDayPx: dec,
        dayNtlVlm: dec,
        premium: dec,
        oraclePx: dec,
        markPx: dec,
        midPx: dec,
        impactPxs: z.tuple([dec, dec]),
        dayBaseVlm: dec,
      }),
    }),
  }),
  allMids: z.strictObject({
    channel: z.literal('allMids'),
    data: z.strictObject({ mids: z.record(z.string(), dec) }),
  }),
};

const SZ: Record<string, number> = { BTC: 5, ETH: 4, SOL: 2 };

/** Key order of every object in `a` equals that of the corresponding object in `b` (recursively). */
function sameKeyOrder(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return b.length === 0 || a.length === 0 || sameKeyOrder(a[0], b[0]);
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.join(',') !== kb.join(',')) return false;
    return ka.every((k) => sameKeyOrder((a as any)[k], (b as any)[k]));
  }
  return true;
}

let sim: SimServer | null = null;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sim?.close();
  sim = null;
});

async function connect(s: SimServer): Promise<{ c: TestClient; id: number }> {
  const idP = s.nextConnection();
  const c = await TestClient.connect(s.wsUrl);
  clients.push(c);
  return { c, id: await idP };
}

/** Wait until the client has every frame the server handed to its socket. */
async function drained(s: SimServer, c: TestClient, id: number): Promise<void> {
  const st = s.stats().connections.find((x) => x.id === id)!;
  await c.waitForCount(st.framesSent);
}

describe('sim protocol over a real socket', () => {
  it('serves every channel in the shapes of the real fixtures, with normalised acks', async () => {
    sim = await startSim({ seed: 3, scenario: 'default', speed: 'manual' });
    const { c, id } = await connect(sim);
    const subs = generatorSubscriptions(['BTC', 'ETH', 'SOL']);
    for (const s of subs) c.subscribe(s);
    await c.waitForCount(subs.length * 2 - 3); // acks + snapshots (trades have none)
    sim.advance(12_000);
    await drained(sim, c, id);

    const acks = c.frames.filter((f) => channelOf(f) === 'subscriptionResponse');
    expect(acks).toHaveLength(subs.length);
    expect(acks[0]).toBe(
      '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC","nSigFigs":null,"mantissa":null,"fast":false}}}',
    );
    expect(acks).toContain(
      '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"trades","coin":"SOL"}}}',
    );
    const fx = {
      l2Book: fixture('ws/l2Book_BTC_1751427259657.json'),
      trades: fixture('ws/trades_BTC_1751430933565.json'),
    };
    const seen: Record<string, number> = {};
    let lastBookTime = 0;
    for (const f of c.frames) {
      const ch = channelOf(f);
      seen[ch] = (seen[ch] ?? 0) + 1;
      if (ch === 'subscriptionResponse') continue;
      const schema = (schemas as Record<string, z.ZodType>)[ch];
      expect(schema, `unexpected channel ${ch}`).toBeDefined();
      const r = schema!.safeParse(JSON.parse(f));
      expect(r.success, `${ch}: ${f.slice(0, 200)}`).toBe(true);
      const m = JSON.parse(f);
      if (ch === 'l2Book') {
        expect(sameKeyOrder(m, fx.l2Book)).toBe(true);
        const [bids, asks] = m.data.levels;
        expect(bids).toHaveLength(20);
        expect(asks).toHaveLength(20);
        for (const l of [...bids, ...asks]) {
          expect(isValidPerpPx(l.px, SZ[m.data.coin]!)).toBe(true);
          expect(isValidSize(l.sz, SZ[m.data.coin]!)).toBe(true);
        }
        for (let i = 1; i < 20; i++) {
          expect(Number(bids[i].px)).toBeLessThan(Number(bids[i - 1].px));
          expect(Number(asks[i].px)).toBeGreaterThan(Number(asks[i - 1].px));
        }
        expect(Number(bids[0].px)).toBeLessThan(Number(asks[0].px));
        if (m.data.coin === 'BTC') {
          expect(m.data.time).toBeGreaterThanOrEqual(lastBookTime);
          if (lastBookTime > 0) expect(m.data.time - lastBookTime).toBeGreaterThanOrEqual(5_000);
          lastBookTime = m.data.time;
        }
      }
      if (ch === 'trades') {
        expect(sameKeyOrder(m, fx.trades)).toBe(true);
        for (const t of m.data) {
          expect(isValidPerpPx(t.px, SZ[t.coin]!)).toBe(true);
          expect(isValidSize(t.sz, SZ[t.coin]!)).toBe(true);
        }
      }
    }
    for (const ch of ['l2Book', 'bbo', 'trades', 'activeAssetCtx', 'allMids'])
      expect(seen[ch] ?? 0).toBeGreaterThan(0);
    // the sample's BTC price prints like the venue: integer with ".0"
    expect(c.frames.find((f) => channelOf(f) === 'l2Book')).toMatch(/"px":"\d+\.0"/);
  });

  it('gives a subscribed client exactly the frames the offline generator produces', async () => {
    sim = await startSim({ seed: 21, scenario: 'expansion-cascade', speed: 'manual' });
    const { c, id } = await connect(sim);
    const subs = generatorSubscriptions(['BTC', 'ETH', 'SOL']);
    for (const s of subs) c.subscribe(s);
    await c.waitForCount(subs.length * 2 - 3);
    sim.advance(90_000);
    await drained(sim, c, id);
    const live = c.frames.filter((f) => channelOf(f) !== 'subscriptionResponse');
    const offline: string[] = [];
    generate({ seed: 21, scenario: 'expansion-cascade', until: sim.now(), onFrame: (f) => offline.push(f) });
    expect(live.length).toBeGreaterThan(1000);
    expect(live.length).toBe(offline.length);
    const h = (xs: string[]) => createHash('sha256').update(xs.join('\n')).digest('hex');
    expect(h(live)).toBe(h(offline));
  });

  it('fast l2Book: 5 levels, pushes at least 0.5 s apart on blocks', async () => {
    sim = await startSim({ seed: 4, speed: 'manual' });
    const { c, id } = await connect(sim);
    c.subscribe({ type: 'l2Book', coin: 'ETH', fast: true });
    c.subscribe({ type: 'l2Book', coin: 'BTC', nSigFigs: 3 });
    await c.waitForCount(4);
    sim.advance(10_000);
    await drained(sim, c, id);
    const books = c.frames.filter((f) => channelOf(f) === 'l2Book').map((f) => JSON.parse(f).data);
    const eth = books.filter((b) => b.coin === 'ETH');
    expect(eth.length).toBeGreaterThanOrEqual(17);
    for (const b of eth) expect(b.levels[0]).toHaveLength(5);
    for (let i = 1; i < eth.length; i++) {
      const gap = eth[i].time - eth[i - 1].time;
      expect(gap).toBeGreaterThanOrEqual(500);
      expect(gap).toBeLessThan(650);
    }
    const btc = books.find((b) => b.coin === 'BTC')!;
    // 3 significant figures at ~100k: buckets of 1000
    for (const l of btc.levels[0]) expect(Number(l.px) % 1000).toBe(0);
  });

  it('answers ping with pong and reports the venue error strings', async () => {
    sim = await startSim({
      seed: 5,
      speed: 'manual',
      limits: { maxChannels: 4, maxUsers: 2, maxMessagesPerMinute: 12 },
    });
    const { c } = await connect(sim);
    const n0 = c.frames.length;
    c.send({ method: 'ping' });
    await c.waitFor((f) => f === '{"channel":"pong"}', n0);
    const expectError = async (msg: unknown, text: string) => {
      const from = c.frames.length;
      c.send(msg);
      const f = await c.waitFor((x) => channelOf(x) === 'error', from);
      expect(JSON.parse(f)).toEqual({ channel: 'error', data: text });
    };
    c.subscribe({ type: 'bbo', coin: 'BTC' });
    await c.waitFor((f) => f.includes('"bbo":['));
    await expectError(
      { method: 'subscribe', subscription: { type: 'bbo', coin: 'BTC' } },
      'Already subscribed: {"type":"bbo","coin":"BTC"}',
    );
    await expectError(
      { method: 'subscribe', subscription: { type: 'l2Book', coin: 'DOGE' } },
      'Invalid subscription {"type":"l2Book","coin":"DOGE"}',
    );
    await expectError(
      { method: 'unsubscribe', subscription: { type: 'trades', coin: 'ETH' } },
      'Already unsubscribed: {"type":"trades","coin":"ETH"}',
    );
    await expectError(
      '{"method":"subscribe"',
      'Error parsing JSON into valid websocket request: {"method":"subscribe"',
    );
    await expectError(
      '{"method":"subscribe","subscription":{"type":"webData2","user":"0x0000000000000000000000000000000000000001"}}',
      'Error parsing JSON into valid websocket request: {"method":"subscribe","subscription":{"type":"webData2","user":"0x0000000000000000000000000000000000000001"}}',
    );
    const u = (i: number) => '0x' + String(i).padStart(40, '0');
    c.subscribe({ type: 'userFills', user: u(1) });
    c.subscribe({ type: 'orderUpdates', user: u(2) });
    await c.waitFor((f) => f.includes('orderUpdates'));
    await expectError(
      { method: 'subscribe', subscription: { type: 'userEvents', user: u(3) } },
      'Cannot track more than 2 total users.',
    );
    c.subscribe({ type: 'trades', coin: 'SOL' });
    await c.waitFor((f) => f.includes('"coin":"SOL"}}'));
    await expectError(
      { method: 'subscribe', subscription: { type: 'trades', coin: 'ETH' } },
      'Cannot subscribe to more than 4 channels.',
    );
    // 12 messages so far: the next ones within the same minute are refused
    c.send({ method: 'ping' });
    await expectError({ method: 'ping' }, 'Cannot send more than 12 messages per minute.');
    // unsubscribe is acknowledged the same way
    sim.advance(61_000);
    const from = c.frames.length;
    c.send({ method: 'unsubscribe', subscription: { type: 'bbo', coin: 'BTC' } });
    expect(await c.waitFor((f) => f.includes('"method":"unsubscribe"'), from)).toBe(
      '{"channel":"subscriptionResponse","data":{"method":"unsubscribe","subscription":{"type":"bbo","coin":"BTC"}}}',
    );
  });

  it('closes a connection it has sent nothing to for 60 s, and keeps one that pings', async () => {
    sim = await startSim({ seed: 6, speed: 'manual' });
    const quiet = await connect(sim);
    const pinger = await connect(sim);
    for (let t = 0; t < 6; t++) {
      const from = pinger.c.frames.length;
      pinger.c.send({ method: 'ping' });
      await pinger.c.waitFor((f) => f === '{"channel":"pong"}', from);
      sim.advance(20_000);
    }
    const closed = await quiet.c.waitClosed();
    expect(closed.code).toBe(1000);
    expect(pinger.c.closeInfo).toBeNull();
    expect(sim.stats().connections.find((x) => x.id === quiet.id)!.closeReason).toMatch(/idle/);
  });

  it('serves POST /info: meta, metaAndAssetCtxs, l2Book, allMids, and 422 on bad bodies', async () => {
    sim = await startSim({ seed: 8, speed: 'manual' });
    sim.advance(3_000);
    const post = (body: string) =>
      fetch(`${sim!.httpUrl}/info`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const meta: any = await (await post('{"type":"meta"}')).json();
    expect(meta.universe).toEqual([
      { name: 'BTC', szDecimals: 5, maxLeverage: 40 },
      { name: 'ETH', szDecimals: 4, maxLeverage: 25 },
      { name: 'SOL', szDecimals: 2, maxLeverage: 20 },
    ]);
    const mac: any = await (await post('{"type":"metaAndAssetCtxs"}')).json();
    expect(mac[0].collateralToken).toBe(0);
    expect(mac[1]).toHaveLength(3);
    expect(Object.keys(mac[1][0])).toEqual([
      'dayNtlVlm',
      'funding',
      'impactPxs',
      'markPx',
      'midPx',
      'openInterest',
      'oraclePx',
      'premium',
      'prevDayPx',
      'dayBaseVlm',
    ]);
    const book: any = await (await post('{"type":"l2Book","coin":"SOL"}')).json();
    expect(book.coin).toBe('SOL');
    expect(book.time).toBe(sim.engine.time);
    expect(book.levels[0]).toHaveLength(20);
    const mids: any = await (await post('{"type":"allMids"}')).json();
    expect(Object.keys(mids)).toEqual(['BTC', 'ETH', 'SOL']);
    for (const bad of ['{"type":"nope"}', 'not json', '{"type":"l2Book"}', '[]']) {
      const r = await post(bad);
      expect(r.status).toBe(422);
      expect(await r.text()).toBe('Failed to deserialize the JSON body into the target type');
    }
    expect(sim.stats().http422).toBe(4);
  });
});
