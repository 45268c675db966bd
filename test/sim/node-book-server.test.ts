/**
 * The simulator's order_book_server (sim/node/book-server.ts) over a real loopback WebSocket:
 * the reference's message shapes (hyperliquid-dex/order_book_server @ bf5f6bc — the literal JSON
 * of its tests in server/src/types/subscription.rs, and the struct order of types/mod.rs and
 * node_data.rs), its acks and error texts, an l4Book that replays to the model's orders after every
 * block, an l2Book equal to the model's book and (as numbers) to the public simulator's l2Book,
 * and the faults: a skipped block and a restart (connections dropped, port closed, not ready, new
 * snapshot). Restart timing runs on a ManualClock; the test waits on frames, never on the wall clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, SIM_EPOCH } from '../../sim/engine.ts';
import { l2BookFrame } from '../../sim/frames.ts';
import { checksumAddress, obsNumber } from '../../sim/node/format.ts';
import { type NodeSim, startNodeSim } from '../../sim/node/node-sim.ts';
import { ManualClock } from '../../state/clock.ts';
import { TestClient } from './client.ts';

/** server/src/types/subscription.rs `test_message_deserialization_subscription_response`. */
const REF_SUBSCRIPTION_RESPONSE =
  '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC","nSigFigs":null,"mantissa":null}}}';
/** `test_message_deserialization_l2book` (first level of each side kept). */
const REF_L2BOOK =
  '{"channel":"l2Book","data":{"coin":"BTC","time":1751427259657,"levels":[[{"px":"106217.0","sz":"0.001","n":1}],[{"px":"106233.0","sz":"0.26739","n":3}]]}}';
/** `test_message_deserialization_trade`. */
const REF_TRADES =
  '{"channel":"trades","data":[{"coin":"BTC","side":"A","px":"106296.0","sz":"0.00017","time":1751430933565,"hash":"0xde93a8a0729ade63d8840417805ba9010b008818422ddedb1285744426b73503","tid":293353986402527,"users":["0xcc0a3b6e3267c84361e91d8230868eea53431e4b","0xc64cc00b46101bd40aa1c3121195e85c0b0918d8"]}]}';
/** types/mod.rs `L4Order` (camelCase), `L4BookUpdates`, node_data.rs `NodeDataOrderStatus`, `NodeDataOrderDiff`. */
const L4_ORDER_KEYS = [
  'user',
  'coin',
  'side',
  'limitPx',
  'sz',
  'oid',
  'timestamp',
  'triggerCondition',
  'isTrigger',
  'triggerPx',
  'isPositionTpsl',
  'reduceOnly',
  'orderType',
  'tif',
  'cloid',
];
/** types/mod.rs `Trade`: the struct's field order, which serde writes. */
const TRADE_KEYS = ['coin', 'side', 'px', 'sz', 'hash', 'time', 'tid', 'users'];

type Json = Record<string, unknown>;
const parse = (s: string) => JSON.parse(s) as Json;
const data = (f: string) => parse(f).data as Json;

/** Keys of an object, depth-first with paths (arrays: their first element), for shape comparison. */
function shape(v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.length > 0 ? shape(v[0], `${path}[]`) : [`${path}[]`];
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v).flatMap(([k, x]) => [`${path}.${k}`, ...shape(x, `${path}.${k}`)]);
  }
  return [];
}

let sims: NodeSim[] = [];
let clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients) c.close();
  for (const s of sims) await s.close();
  sims = [];
  clients = [];
});

async function setup(seed = 9) {
  const engine = new Engine({ seed, startTime: SIM_EPOCH });
  const clock = new ManualClock(0);
  const sim = await startNodeSim({ engine, clock });
  sims.push(sim);
  const connect = async () => {
    const c = await TestClient.connect(sim.server!.url);
    clients.push(c);
    return c;
  };
  const step = () => {
    engine.step();
    return sim.onBlock();
  };
  return { engine, clock, sim, connect, step };
}

const l4Frames = (c: TestClient) =>
  c.frames.filter((f) => f.startsWith('{"channel":"l4Book"')).map((f) => data(f) as Json);

describe('sim/node order_book_server', () => {
  it('serves the reference shapes: acks, l2Book (OBS number format), trades (struct order), l4Book', async () => {
    const { connect, step, sim } = await setup();
    expect(sim.server!.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    const c = await connect();
    c.subscribe({ type: 'l2Book', coin: 'BTC' });
    c.subscribe({ type: 'trades', coin: 'BTC' });
    c.subscribe({ type: 'l4Book', coin: 'BTC' });
    await c.waitForCount(4); // three acks and the l4Book snapshot
    expect(c.frames[0]).toBe(
      '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC","nSigFigs":null,"nLevels":null,"mantissa":null}}}',
    );
    // the reference test's literal predates `nLevels`; every key it has is there, in its order
    const refKeys = shape(parse(REF_SUBSCRIPTION_RESPONSE));
    expect(shape(parse(c.frames[0]!)).filter((k) => refKeys.includes(k))).toEqual(refKeys);
    expect(c.frames[1]).toBe(
      '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"trades","coin":"BTC"}}}',
    );
    expect(c.frames[2]).toBe(
      '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"l4Book","coin":"BTC"}}}',
    );
    const snap = data(c.frames[3]!).Snapshot as Json;
    expect(Object.keys(data(c.frames[3]!))).toEqual(['Snapshot']);
    expect(Object.keys(snap)).toEqual(['coin', 'time', 'height', 'levels']);
    const levels = snap.levels as Json[][];
    expect(Object.keys(levels[0]![0]!)).toEqual(L4_ORDER_KEYS);
    const o = levels[0]![0]!;
    expect(o.user).toBe(checksumAddress(o.user as string));
    expect(o.limitPx).toBe(obsNumber(o.limitPx as string)); // `Px::to_str`: "106217", not "106217.0"
    expect(o.limitPx).not.toMatch(/\.0$/);

    let trades: string | undefined;
    for (let i = 0; i < 200 && trades === undefined; i++) {
      const b = step();
      if (b.fills.some((f) => f.coin === 'BTC')) {
        trades = await c.waitFor((f) => f.startsWith('{"channel":"trades"'));
      }
    }
    expect(trades).toBeDefined();
    const l2 = await c.waitFor((f) => f.startsWith('{"channel":"l2Book"'));
    // l2Book: the reference literal's shape; numbers as OBS prints them
    expect(shape(parse(l2))).toEqual(shape(parse(REF_L2BOOK)));
    const lv = (data(l2).levels as Json[][])[0]![0]!;
    expect(lv.px).toBe(obsNumber(lv.px as string));
    expect(lv.sz).toBe(obsNumber(lv.sz as string));
    expect((data(l2).levels as unknown[][])[0]!.length).toBe(20); // nLevels default
    // trades: the literal's keys, in the struct's order (serde writes field order)
    const t = (parse(trades!).data as Json[])[0]!;
    expect(new Set(Object.keys(t))).toEqual(new Set(Object.keys((parse(REF_TRADES).data as Json[])[0]!)));
    expect(Object.keys(t)).toEqual(TRADE_KEYS);
    for (const u of t.users as string[]) expect(u).toBe(checksumAddress(u));
    expect(t.px).toMatch(/\.\d+$/); // passed through from the node's fill: venue format kept
    const upd = l4Frames(c).find((d) => 'Updates' in d)!.Updates as Json;
    expect(Object.keys(upd)).toEqual(['time', 'height', 'order_statuses', 'book_diffs']);
    const st = (upd.order_statuses as Json[])[0]!;
    expect(Object.keys(st)).toEqual(['time', 'user', 'status', 'order']);
    expect(Object.keys(st.order as Json)).toEqual(L4_ORDER_KEYS);
    expect((st.order as Json).user).toBeNull(); // the node's order has no user: Option<Address> = None
    expect(Object.keys((upd.book_diffs as Json[])[0]!)).toEqual([
      'user',
      'oid',
      'px',
      'coin',
      'raw_book_diff',
    ]);
    // EIP-55's own example address
    expect(checksumAddress('0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed')).toBe(
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    );
  });

  it('l4Book: the snapshot plus every Updates replays to the model orders after each block; l2Book equals the model and the public l2Book', async () => {
    const { connect, step, sim, engine } = await setup(12);
    const c = await connect();
    c.subscribe({ type: 'l4Book', coin: 'BTC' });
    c.subscribe({ type: 'l2Book', coin: 'BTC', nLevels: 100 });
    const params = [
      { nSigFigs: 5 },
      { nSigFigs: 5, mantissa: 2 },
      { nSigFigs: 5, mantissa: 5 },
      { nSigFigs: 4 },
      { nSigFigs: 3 },
      { nSigFigs: 2 },
    ];
    for (const p of params) c.subscribe({ type: 'l2Book', coin: 'ETH', ...p });
    await c.waitForCount(3 + params.length);
    const snap = data(c.frames[1]!).Snapshot as Json;
    expect(snap.height).toBe(0);
    // the book as OBS keeps it: oid → order, per price a queue
    const book = new Map<string, Json[]>();
    const where = new Map<number, string>();
    for (const side of snap.levels as Json[][]) {
      for (const o of side) {
        const k = `${o.side}|${o.limitPx}`;
        book.set(k, [...(book.get(k) ?? []), { ...o }]);
        where.set(o.oid as number, k);
      }
    }
    const render = () => {
      const keys = [...book.keys()];
      const px = (k: string) => Number(k.split('|')[1]);
      const bids = keys.filter((k) => k.startsWith('B|')).sort((a, b) => px(b) - px(a));
      const asks = keys.filter((k) => k.startsWith('A|')).sort((a, b) => px(a) - px(b));
      return [bids, asks].map((ks) =>
        ks.flatMap((k) => book.get(k)!.map((o) => `${o.oid}:${o.limitPx}:${o.sz}`)),
      );
    };
    const modelView = () => {
      const m = sim.model.market('BTC');
      return sim.model
        .orders('BTC')
        .map((os) =>
          os.map((o) => `${o.oid}:${obsNumber(m.formatPx(o.pxTicks))}:${obsNumber(m.formatSz(o.lots))}`),
        );
    };
    expect(render()).toEqual(modelView());
    let seen = 0;
    let lastHeight = 0;
    let l2Checked = 0;
    let publicChecked = 0;
    for (let i = 0; i < 120; i++) {
      const b = step();
      const expectPublic = params.map((p) =>
        l2BookFrame(engine, 'ETH', { nLevels: 20, nSigFigs: p.nSigFigs, mantissa: p.mantissa ?? null }),
      );
      const hasBtc = b.diffs.some((d) => d.coin === 'BTC') || b.statuses.some((s) => s.order.coin === 'BTC');
      const from = c.frames.length;
      // every block ends with the l2Book frames: wait for the last one of this block
      await c.waitFor((f) => f.startsWith('{"channel":"l2Book"') && f.includes(`"time":${b.time},`), from);
      await c.waitForCount(from + (hasBtc ? 1 : 0) + 1 + params.length);
      const frames = c.frames.slice(from);
      if (hasBtc) {
        const u = (data(frames[0]!).Updates as Json) ?? null;
        expect(u).not.toBeNull();
        expect(u.height).toBe(b.height);
        expect(u.height).toBe(lastHeight + 1);
        lastHeight = u.height as number;
        const opened = new Map<number, Json>();
        for (const s of u.order_statuses as Json[]) {
          const o = s.order as Json;
          if (s.status === 'open' && o.tif !== 'Ioc') opened.set(o.oid as number, { ...o, user: s.user });
        }
        for (const d of u.book_diffs as Json[]) {
          const oid = d.oid as number;
          const raw = d.raw_book_diff as Json | string;
          if (typeof raw === 'object' && 'new' in raw) {
            const o = opened.get(oid)!;
            const k = `${o.side}|${obsNumber(o.limitPx as string)}`;
            book.set(k, [
              ...(book.get(k) ?? []),
              {
                ...o,
                limitPx: obsNumber(o.limitPx as string),
                sz: obsNumber((raw.new as Json).sz as string),
              },
            ]);
            where.set(oid, k);
          } else {
            const k = where.get(oid)!;
            const q = book.get(k)!;
            const idx = q.findIndex((o) => o.oid === oid);
            expect(idx).toBeGreaterThanOrEqual(0);
            if (raw === 'remove') {
              q.splice(idx, 1);
              where.delete(oid);
              if (q.length === 0) book.delete(k);
            } else q[idx]!.sz = obsNumber(((raw as Json).update as Json).newSz as string);
          }
        }
        seen++;
      }
      expect(render()).toEqual(modelView());
      // l2Book nLevels 100: the model's whole book (48 levels a side at most)
      const full = frames.find((f) => f.includes('"coin":"BTC"') && f.startsWith('{"channel":"l2Book"'))!;
      const [bids, asks] = data(full).levels as Json[][];
      const m = sim.model.market('BTC');
      const want = (s: 'B' | 'A') =>
        sim.model.levels('BTC', s).map((l) => ({
          px: obsNumber(m.formatPx(l.p)),
          sz: obsNumber(m.formatSz(l.q)),
          n: l.n,
        }));
      expect(bids).toEqual(want('B'));
      expect(asks).toEqual(want('A'));
      l2Checked++;
      // the aggregated ETH views equal the public simulator's l2Book of the same block, as numbers
      const eth = frames.filter((f) => f.includes('"coin":"ETH"'));
      expect(eth.length).toBe(params.length);
      for (let j = 0; j < params.length; j++) {
        const num = (f: string) =>
          (data(f).levels as Json[][]).map((side) => side.map((l) => [Number(l.px), Number(l.sz), l.n]));
        expect(num(eth[j]!)).toEqual(num(expectPublic[j]!));
        publicChecked++;
      }
    }
    console.log(
      `node book server: ${seen} l4Book Updates replayed to the model's orders, ${l2Checked} full l2Books equal, ` +
        `${publicChecked} aggregated l2Books equal the public simulator's`,
    );
    expect(seen).toBeGreaterThan(100);
  });

  it('answers as the reference does: parse errors, invalid subscriptions, duplicates, unsubscribes', async () => {
    const { connect } = await setup();
    const c = await connect();
    const cases: [unknown, string][] = [
      [
        '{"method":"ping"}',
        '{"channel":"error","data":"Error parsing JSON into valid websocket request: {\\"method\\":\\"ping\\"}"}',
      ],
      [
        { method: 'subscribe', subscription: { type: 'bbo', coin: 'BTC' } },
        '{"channel":"error","data":"Error parsing JSON into valid websocket request: {\\"method\\":\\"subscribe\\",\\"subscription\\":{\\"type\\":\\"bbo\\",\\"coin\\":\\"BTC\\"}}"}',
      ],
      [
        { method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC', nLevels: 20 } },
        '{"channel":"error","data":"Invalid subscription: {\\"type\\":\\"l2Book\\",\\"coin\\":\\"BTC\\",\\"nSigFigs\\":null,\\"nLevels\\":20,\\"mantissa\\":null}"}',
      ],
      [
        { method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC', nLevels: 101 } },
        '{"channel":"error","data":"Invalid subscription: {\\"type\\":\\"l2Book\\",\\"coin\\":\\"BTC\\",\\"nSigFigs\\":null,\\"nLevels\\":101,\\"mantissa\\":null}"}',
      ],
      [
        { method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC', mantissa: 2 } },
        '{"channel":"error","data":"Invalid subscription: {\\"type\\":\\"l2Book\\",\\"coin\\":\\"BTC\\",\\"nSigFigs\\":null,\\"nLevels\\":null,\\"mantissa\\":2}"}',
      ],
      [
        { method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC', nSigFigs: 4, mantissa: 5 } },
        '{"channel":"error","data":"Invalid subscription: {\\"type\\":\\"l2Book\\",\\"coin\\":\\"BTC\\",\\"nSigFigs\\":4,\\"nLevels\\":null,\\"mantissa\\":5}"}',
      ],
      [
        { method: 'subscribe', subscription: { type: 'l4Book', coin: 'DOGE' } },
        '{"channel":"error","data":"Invalid subscription: {\\"type\\":\\"l4Book\\",\\"coin\\":\\"DOGE\\"}"}',
      ],
      [
        { method: 'subscribe', subscription: { type: 'trades', coin: 'ETH' } },
        '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"trades","coin":"ETH"}}}',
      ],
      [
        { method: 'subscribe', subscription: { type: 'trades', coin: 'ETH' } },
        '{"channel":"error","data":"Already subscribed: {\\"type\\":\\"trades\\",\\"coin\\":\\"ETH\\"}"}',
      ],
      [
        { method: 'unsubscribe', subscription: { type: 'l4Book', coin: 'ETH' } },
        '{"channel":"error","data":"Already unsubscribed: {\\"type\\":\\"l4Book\\",\\"coin\\":\\"ETH\\"}"}',
      ],
      [
        { method: 'unsubscribe', subscription: { type: 'trades', coin: 'ETH' } },
        '{"channel":"subscriptionResponse","data":{"method":"unsubscribe","subscription":{"type":"trades","coin":"ETH"}}}',
      ],
      [
        {
          method: 'subscribe',
          subscription: { type: 'l2Book', coin: 'SOL', nSigFigs: 5, mantissa: 5, nLevels: 100 },
        },
        '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"l2Book","coin":"SOL","nSigFigs":5,"nLevels":100,"mantissa":5}}}',
      ],
    ];
    for (let i = 0; i < cases.length; i++) {
      c.send(cases[i]![0]);
      await c.waitForCount(i + 1);
      expect(c.frames[i]).toBe(cases[i]![1]);
    }
  });

  it('a snapshot taken right after a skipped block carries that block: its height, and orders with its changes', async () => {
    const { connect, step, sim } = await setup(5);
    for (let i = 0; i < 4; i++) step();
    sim.faults.skipBlock({ files: false });
    const skipped = step(); // height 5: not sent, but the book moved
    const c = await connect();
    c.subscribe({ type: 'l4Book', coin: 'BTC' });
    await c.waitForCount(2);
    const snap = data(c.frames[1]!).Snapshot as Json;
    expect(snap.height).toBe(skipped.height);
    expect(snap.time).toBe(skipped.time);
    const [bids] = snap.levels as Json[][];
    const m = sim.model.market('BTC');
    expect(bids!.map((o) => o.oid)).toEqual(sim.model.orders('BTC')[0].map((o) => o.oid));
    expect(bids![0]!.sz).toBe(obsNumber(m.formatSz(sim.model.orders('BTC')[0][0]!.lots)));
    step();
    await c.waitFor((f) => f.includes('"Updates"'));
    expect((data(c.frames[2]!).Updates as Json).height).toBe(skipped.height + 1);
    expect(sim.server!.stats()).toMatchObject({ blocksSkipped: 1, blocksPublished: 5 });
  });

  it('faults: a skipped block is a height hole on l4Book; a restart drops, refuses, turns away while not ready, then snapshots anew', async () => {
    const { connect, step, sim, clock } = await setup(4);
    const c = await connect();
    c.subscribe({ type: 'l4Book', coin: 'BTC' });
    await c.waitForCount(2);
    const heightsOf = () => l4Frames(c).flatMap((d) => ('Updates' in d ? [(d.Updates as Json).height] : []));
    for (let i = 0; i < 5; i++) step();
    sim.faults.skipBlock({ files: false });
    step();
    for (let i = 0; i < 3; i++) step();
    await c.waitFor((f) => f.includes('"height":9,'));
    expect(heightsOf()).toEqual([1, 2, 3, 4, 5, 7, 8, 9]);

    const restarted = sim.faults.restartBookServer({ downMs: 2_000, notReadyMs: 3_000 });
    const closed = await c.waitClosed();
    expect(closed.code).toBe(1006); // dropped, no close frame
    while (clock.pending() === 0) await new Promise<void>((r) => setImmediate(r));
    await expect(TestClient.connect(sim.server!.url)).rejects.toThrow(/ECONNREFUSED/);
    step(); // blocks go on while it is down
    clock.advance(2_000);
    await restarted;
    const early = await connect();
    const turnedAway = await early.waitClosed();
    expect(early.frames).toEqual([
      '{"channel":"error","data":"Order book not ready for streaming (waiting for snapshot)"}',
    ]);
    expect(turnedAway.code).toBe(1006);
    clock.advance(3_000);
    const again = await connect();
    again.subscribe({ type: 'l4Book', coin: 'BTC' });
    await again.waitForCount(2);
    const snap = data(again.frames[1]!).Snapshot as Json;
    expect(snap.height).toBe(10);
    step();
    await again.waitFor((f) => f.includes('"Updates"'));
    expect((data(again.frames[2]!).Updates as Json).height).toBe(11);
    expect(sim.server!.stats()).toMatchObject({ restarts: 1, notReadyRejected: 1 });
    expect(sim.faults.injected).toEqual({ skipBlock: 1, restartBookServer: 1 });
  });
});
