/**
 * The node's L4 snapshot poller (actors/node/snapshot.ts): against the simulated node's info server
 * the journaled record parses, holds only the configured coins at the sim's last block, and loaded
 * into an L4Book equals the simulator's own book level for level and order for order; every failure
 * kind is counted with its message and journals nothing; the file is deleted after reading; a late
 * answer after stop journals nothing; and the cost of a 20 MB file is printed. ManualClock, loopback
 * and local files only.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceInlet } from '../../actors/node/book-server.ts';
import type { FetchLike } from '../../actors/node/info-poll.ts';
import {
  L4_SNAPSHOT_CHANNEL,
  l4SnapshotRequestBody,
  startL4SnapshotPoll,
  type L4SnapshotPollOptions,
} from '../../actors/node/snapshot.ts';
import { parseNodeL4FileSnapshot } from '../../hyperliquid/node-parse.ts';
import { Engine, SIM_EPOCH } from '../../sim/engine.ts';
import { obsNumber } from '../../sim/node/format.ts';
import { type NodeSim, startNodeSim } from '../../sim/node/node-sim.ts';
import { ManualClock } from '../../state/clock.ts';
import { ASK, BID, L4Apply, L4Book, l4SnapshotFromFile } from '../../state/l4book.ts';
import { RecordKind } from '../../state/records.ts';
import { until } from '../feed/local-venue.ts';

const dirs: string[] = [];
const sims: NodeSim[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'l4-snap-'));
  dirs.push(d);
  return d;
}

interface Rec {
  kind: number;
  source: string;
  channel: string;
  data: Uint8Array;
  epoch: number;
}

function recorder(): SourceInlet & { recs: Rec[] } {
  const recs: Rec[] = [];
  return {
    recs,
    sourced(kind, source, channel, data, epoch) {
      recs.push({ kind, source, channel, data, epoch });
    },
  };
}

function logs() {
  const lines: { level: string; msg: string; obj: object }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => lines.push({ level, msg: msg ?? '', obj });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

const globalFetch: FetchLike = (url, init) => globalThis.fetch(url, init);

/** A fake node: answers each request with `answer(outPath, signal)`. */
function fakeNode(
  answer: (outPath: string, signal?: AbortSignal) => Promise<{ status: number; body?: string }>,
) {
  const bodies: string[] = [];
  const fetch: FetchLike = async (_url, init) => {
    bodies.push(init.body);
    const outPath = (JSON.parse(init.body) as { outPath: string }).outPath;
    const r = await answer(outPath, init.signal);
    return { ok: r.status >= 200 && r.status < 300, status: r.status, text: async () => r.body ?? 'null' };
  };
  return { fetch, bodies };
}

function rig(over: Partial<L4SnapshotPollOptions> & Pick<L4SnapshotPollOptions, 'fetch'>) {
  const clock = new ManualClock(SIM_EPOCH);
  const inlet = recorder();
  const log = logs();
  const outDir = join(tmp(), 'snapshots');
  const poll = startL4SnapshotPoll({
    url: 'http://127.0.0.1:3001/info',
    outDir,
    coins: ['BTC', 'ETH'],
    clock,
    inlet,
    everyMs: 60_000,
    logger: log.logger,
    ...over,
  });
  /** Run the round due now (or after `ms`) to its end. */
  const round = async (ms = 0) => {
    clock.advance(ms);
    await poll.settled();
  };
  return { clock, inlet, log, poll, outDir: over.outDir ?? outDir, round };
}

const ORDER = (oid: number, side: 'A' | 'B', px: string) => ({
  coin: 'BTC',
  side,
  limitPx: px,
  sz: '0.5',
  oid,
  timestamp: 1_767_225_600_000,
  triggerCondition: 'N/A',
  isTrigger: false,
  triggerPx: '0.0',
  children: [],
  isPositionTpsl: false,
  reduceOnly: false,
  orderType: 'Limit',
  origSz: '0.5',
  tif: 'Alo',
  cloid: null,
});
const USER = '0x00000000000000000000000000000000000000aa';

describe('L4 snapshot poller against the simulated node', () => {
  it('journals one record of the configured coins at the sim’s last block; as an L4Book it is the sim’s own book; the file is deleted', async () => {
    const reach = { runs: 0, snapshots: 0, coins: 0, orders: 0, levels: 0 };
    for (const seed of [3, 8, 21]) {
      const engine = new Engine({ seed, startTime: SIM_EPOCH });
      const sim = await startNodeSim({ engine });
      sims.push(sim);
      const r = rig({ fetch: globalFetch, url: sim.info!.url, coins: ['ETH', 'SOL', 'DOGE'] });
      for (let n = 0; n < 3; n++) {
        for (let i = 0; i < 10 + 7 * n; i++) {
          engine.step();
          sim.onBlock();
        }
        await r.round(n === 0 ? 0 : 60_000);
        expect(r.poll.counters).toMatchObject({ requests: n + 1, snapshots: n + 1, failures: 0 });
        expect(r.inlet.recs).toHaveLength(n + 1);
        const rec = r.inlet.recs[n]!;
        expect([rec.kind, rec.source, rec.channel, rec.epoch]).toEqual([
          RecordKind.Frame,
          'node',
          L4_SNAPSHOT_CHANNEL,
          0,
        ]);
        const p = parseNodeL4FileSnapshot(rec.data);
        if (!p.ok) throw new Error(p.error.message);
        const file = p.value;
        expect(file[0]).toBe(engine.height);
        expect(r.poll.counters.lastHeight).toBe(engine.height);
        expect(r.poll.counters.lastKeptBytes).toBe(rec.data.byteLength);
        expect(r.poll.counters.lastBytes).toBeGreaterThan(rec.data.byteLength); // BTC was dropped
        // the configured coins the file has, in the file's order; DOGE is not simulated
        expect(file[1].map((e) => e[0])).toEqual(['ETH', 'SOL']);
        for (const coin of ['ETH', 'SOL']) {
          const snap = l4SnapshotFromFile(file, coin, engine.time);
          if (snap === undefined) throw new Error(`no ${coin}`);
          const book = new L4Book(coin);
          expect(book.loadSnapshot(snap)).toBe(L4Apply.Ok);
          expect(book.height).toBe(engine.height);
          const m = sim.model.market(coin);
          // the L2 view is the sim's own aggregate
          const l2 = book.l2({ nLevels: Number.POSITIVE_INFINITY });
          for (const [ix, side] of [
            [BID, 'B'],
            [ASK, 'A'],
          ] as const) {
            const want = sim.model
              .levels(coin, side)
              .map((l) => ({ px: obsNumber(m.formatPx(l.p)), sz: obsNumber(m.formatSz(l.q)), n: l.n }));
            expect(l2.levels[ix]).toEqual(want);
            reach.levels += want.length;
          }
          // order for order: oid, price, size, time, in priority order
          const [bids, asks] = sim.model.orders(coin);
          for (const [ix, orders] of [
            [BID, bids],
            [ASK, asks],
          ] as const) {
            const want = orders.map((o) => ({
              oid: o.oid,
              user: o.user.toLowerCase(),
              px: Number(m.formatPx(o.pxTicks)),
              sz: Number(m.formatSz(o.lots)),
              time: o.timestamp,
            }));
            const got = book
              .ordersOf(ix)
              .map((o) => ({ oid: o.oid, user: o.user, px: o.px, sz: o.sz, time: o.time }));
            expect(got).toEqual(want);
            reach.orders += want.length;
          }
          reach.coins++;
        }
        // the node's file is gone once read; nothing else was left in the folder
        expect(readdirSync(r.outDir)).toEqual([]);
        reach.snapshots++;
      }
      expect(r.log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
        expect.stringMatching(/no book for DOGE in the node's snapshot/),
        expect.stringMatching(/no book for DOGE/),
        expect.stringMatching(/no book for DOGE/),
      ]);
      r.poll.stop();
      reach.runs++;
    }
    console.log(
      `snapshot poller reach: ${reach.runs} seeded runs, ${reach.snapshots} snapshots, ${reach.coins} coin books, ${reach.levels} levels, ${reach.orders} orders compared`,
    );
    expect(reach).toMatchObject({ runs: 3, snapshots: 9, coins: 18 });
    expect(reach.orders).toBeGreaterThan(1_000);
  });

  it('sends the reference request with an absolute outPath per round, first at once then every everyMs, one at a time', async () => {
    let release: (() => void) | null = null;
    const node = fakeNode(async (outPath) => {
      writeFileSync(outPath, JSON.stringify([5, [['BTC', [[[USER, ORDER(1, 'B', '100.0')]], []]]]]));
      if (node.bodies.length === 2) await new Promise<void>((res) => (release = res));
      return { status: 200 };
    });
    const r = rig({
      fetch: node.fetch,
      everyMs: 1_000,
      timeoutMs: 10_000,
      outDir: join(tmp(), 'rel', '..', 'x'),
    });
    await r.round(0);
    expect(node.bodies).toHaveLength(1);
    expect(JSON.parse(node.bodies[0]!)).toEqual({
      type: 'fileSnapshot',
      request: { type: 'l4Snapshots', includeUsers: true, includeTriggerOrders: false },
      outPath: join(r.outDir, 'l4-snapshot-1.json'),
      includeHeightInOutput: true,
    });
    expect(node.bodies[0]).toBe(l4SnapshotRequestBody(join(r.outDir, 'l4-snapshot-1.json')));
    expect(node.bodies[0]).not.toContain('..');
    await r.round(999);
    expect(node.bodies).toHaveLength(1);
    r.clock.advance(1);
    await until(() => release !== null, 'the second request');
    expect(node.bodies).toHaveLength(2);
    expect(JSON.parse(node.bodies[1]!).outPath).toBe(join(r.outDir, 'l4-snapshot-2.json'));
    // the second round is still out: two more periods pass without a third request
    r.clock.advance(2_000);
    expect(node.bodies).toHaveLength(2);
    release!();
    await r.poll.settled();
    expect(r.poll.counters).toMatchObject({ requests: 2, snapshots: 2, failures: 0, lastHeight: 5 });
    await r.round(1_000);
    expect(node.bodies).toHaveLength(3);
    r.poll.stop();
    r.clock.advance(10_000);
    expect(node.bodies).toHaveLength(3);
  });
});

describe('L4 snapshot poller failures: counted, logged, nothing journaled, the next round tries again', () => {
  const good = JSON.stringify([
    7,
    [['BTC', [[[USER, ORDER(1, 'B', '100.0')]], [[USER, ORDER(2, 'A', '101.0')]]]]],
  ]);

  it('each failure kind has its message', async () => {
    const cases: {
      name: string;
      answer: (outPath: string, signal?: AbortSignal) => Promise<{ status: number; body?: string }>;
      msg: RegExp;
      advance?: number;
    }[] = [
      {
        name: 'network',
        answer: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:3001');
        },
        msg: /^l4Snapshot: POST http:\/\/127\.0\.0\.1:3001\/info failed: connect ECONNREFUSED 127\.0\.0\.1:3001 \(is the node running with --serve-info\?\)$/,
      },
      {
        name: 'HTTP status',
        answer: async () => ({ status: 500, body: 'fileSnapshot: cannot write /x: EACCES' }),
        msg: /^l4Snapshot: HTTP 500 from http:\/\/127\.0\.0\.1:3001\/info: fileSnapshot: cannot write \/x: EACCES$/,
      },
      {
        name: 'timeout',
        answer: (_p, signal) =>
          new Promise((_res, rej) => signal?.addEventListener('abort', () => rej(new Error('aborted')))),
        msg: /^l4Snapshot: no snapshot in 5000 ms from http:\/\/127\.0\.0\.1:3001\/info/,
        advance: 5_000,
      },
      {
        name: 'missing file',
        answer: async () => ({ status: 200 }),
        msg: /^l4Snapshot: the node answered but \/.*\/l4-snapshot-1\.json cannot be read \(ENOENT.*\): the node must write where this process reads/,
      },
      {
        name: 'not JSON',
        answer: async (p) => {
          writeFileSync(p, '[7, [["BTC", [[');
          return { status: 200 };
        },
        msg: /^l4Snapshot: \/.*l4-snapshot-1\.json is not JSON: /,
      },
      {
        name: 'no height (includeHeightInOutput:false shape)',
        answer: async (p) => {
          writeFileSync(p, JSON.stringify([['BTC', [[], []]]]));
          return { status: 200 };
        },
        msg: /is not \[height, \[\[coin, \[bids, asks\]\]…\]\] \(got an array of 1 starting \["BTC",\[\[\],\[\]\]\]\): was it written with includeHeightInOutput:true\?$/,
      },
      {
        name: 'an object',
        answer: async (p) => {
          writeFileSync(p, '{"height":7}');
          return { status: 200 };
        },
        msg: /is not \[height, .* \(got object\)/,
      },
      {
        name: 'a fractional height',
        answer: async (p) => {
          writeFileSync(p, '[7.5, []]');
          return { status: 200 };
        },
        msg: /\(got an array of 2 starting 7\.5\)/,
      },
      {
        name: 'a malformed order of a kept coin',
        answer: async (p) => {
          writeFileSync(p, JSON.stringify([7, [['BTC', [[[USER, { oid: 1 }]], []]]]]));
          return { status: 200 };
        },
        msg: /^l4Snapshot: \/.*l4-snapshot-1\.json at height 7: l4_snapshot: .*\[1\]\[0\]\[1\]\[0\]\[0\]\[1\]/,
      },
    ];
    for (const c of cases) {
      const node = fakeNode(c.answer);
      const r = rig({ fetch: node.fetch, everyMs: 60_000, timeoutMs: 5_000 });
      r.clock.advance(0);
      if (c.advance !== undefined) {
        await until(() => node.bodies.length === 1, 'the request');
        r.clock.advance(c.advance);
      }
      await r.poll.settled();
      expect(r.poll.counters, c.name).toMatchObject({ requests: 1, snapshots: 0, failures: 1 });
      expect(r.poll.counters.lastError, c.name).toMatch(c.msg);
      expect(r.inlet.recs, c.name).toEqual([]);
      expect(
        r.log.lines.map((l) => [l.level, l.msg]),
        c.name,
      ).toEqual([['warn', r.poll.counters.lastError]]);
      expect(r.log.lines[0]!.obj).toMatchObject({ source: 'node', round: 1, failures: 1 });
      // the file, where one was written, is gone
      expect(readdirSync(r.outDir), c.name).toEqual([]);
      r.poll.stop();
    }
  });

  it('a coin the poll does not keep may be malformed: only the kept part is checked and journaled', async () => {
    const node = fakeNode(async (p) => {
      writeFileSync(
        p,
        JSON.stringify([
          9,
          [['@1', [[['0x00', {}]], []]], ['BTC', [[[USER, ORDER(1, 'B', '100.0')]], []]], 'junk'],
        ]),
      );
      return { status: 200 };
    });
    const r = rig({ fetch: node.fetch, coins: ['BTC'] });
    await r.round();
    expect(r.poll.counters).toMatchObject({ snapshots: 1, failures: 0, lastHeight: 9 });
    const p = parseNodeL4FileSnapshot(r.inlet.recs[0]!.data);
    expect(p.ok && p.value[1].map((e) => e[0])).toEqual(['BTC']);
  });

  it('the round after a failure succeeds; a file the node finishes after a timeout is removed the round after', async () => {
    let n = 0;
    let late = '';
    const node = fakeNode((p, signal) => {
      n++;
      if (n === 1) {
        late = p;
        return new Promise((_res, rej) => signal?.addEventListener('abort', () => rej(new Error('aborted'))));
      }
      if (n === 2) return Promise.resolve({ status: 503, body: '' });
      writeFileSync(p, good);
      return Promise.resolve({ status: 200 });
    });
    const r = rig({ fetch: node.fetch, everyMs: 10_000, timeoutMs: 4_000 });
    r.clock.advance(0);
    await until(() => node.bodies.length === 1, 'the first request');
    r.clock.advance(4_000);
    await r.poll.settled();
    expect(r.poll.counters.lastError).toMatch(/no snapshot in 4000 ms/);
    // the node finishes writing round 1's file after the poller gave up on it
    writeFileSync(late, good);
    await r.round(6_000);
    expect(existsSync(late)).toBe(false);
    expect(r.poll.counters).toMatchObject({
      requests: 2,
      failures: 2,
      lastError: 'l4Snapshot: HTTP 503 from http://127.0.0.1:3001/info',
    });
    await r.round(10_000);
    expect(r.poll.counters).toMatchObject({ requests: 3, snapshots: 1, failures: 2, lastHeight: 7 });
    expect(r.inlet.recs).toHaveLength(1);
    expect(readdirSync(r.outDir)).toEqual([]);
  });

  it('an outDir that cannot be created is a counted failure, tried again each round', async () => {
    const blocker = join(tmp(), 'a-file');
    writeFileSync(blocker, 'x');
    const node = fakeNode(async () => ({ status: 200 }));
    const r = rig({ fetch: node.fetch, outDir: join(blocker, 'snaps'), everyMs: 1_000 });
    await r.round(0);
    await r.round(1_000);
    expect(node.bodies).toEqual([]);
    expect(r.poll.counters).toMatchObject({ requests: 2, failures: 2, snapshots: 0 });
    expect(r.poll.counters.lastError).toMatch(
      /^l4Snapshot: cannot create the snapshot folder .*a-file\/snaps: (EEXIST|ENOTDIR)/,
    );
  });

  it('an answer after stop() journals nothing and counts nothing; its file is deleted', async () => {
    let answer: ((v: { status: number }) => void) | null = null;
    let path = '';
    const node = fakeNode(
      (p) =>
        new Promise((res) => {
          path = p;
          answer = res;
        }),
    );
    const r = rig({ fetch: node.fetch });
    r.clock.advance(0);
    await until(() => answer !== null, 'the request');
    r.poll.stop();
    writeFileSync(path, good);
    answer!({ status: 200 });
    await r.poll.settled();
    expect(r.inlet.recs).toEqual([]);
    expect(r.poll.counters).toMatchObject({ requests: 1, snapshots: 0, failures: 0 });
    expect(existsSync(path)).toBe(false);
  });

  it('a stop() while the file is being read journals nothing; the file is deleted', async () => {
    let finish: (() => void) | null = null;
    const node = fakeNode(async (p) => {
      writeFileSync(p, good);
      return { status: 200 };
    });
    const r = rig({
      fetch: node.fetch,
      readFile: (p) =>
        new Promise((res) => {
          finish = () => res(readFileSync(p));
        }),
    });
    r.clock.advance(0);
    await until(() => finish !== null, 'the read');
    r.poll.stop();
    finish!();
    await r.poll.settled();
    expect(r.inlet.recs).toEqual([]);
    expect(r.poll.counters).toMatchObject({ requests: 1, snapshots: 0, failures: 0 });
    expect(readdirSync(r.outDir)).toEqual([]);
  });

  it('a network error from a real closed port: counted, never thrown', async () => {
    const engine = new Engine({ seed: 1, startTime: SIM_EPOCH });
    const sim = await startNodeSim({ engine });
    const url = sim.info!.url;
    await sim.close();
    const r = rig({ fetch: globalFetch, url });
    await r.round();
    expect(r.poll.counters).toMatchObject({ requests: 1, failures: 1, snapshots: 0 });
    expect(r.poll.counters.lastError).toMatch(
      /^l4Snapshot: POST http:\/\/127\.0\.0\.1:\d+\/info failed: fetch failed/,
    );
  });
});

describe('L4 snapshot poller: a mainnet-size file', () => {
  it('reads, parses and filters a 20 MB snapshot of 60 coins to 3 (cost printed)', async () => {
    const coins = Array.from({ length: 60 }, (_, i) => (i < 3 ? ['BTC', 'ETH', 'SOL'][i]! : `C${i}`));
    const perCoin = (20 * 2 ** 20) / 60;
    const orderText = (coin: string, oid: number, side: 'A' | 'B', px: number) =>
      JSON.stringify([USER, { ...ORDER(oid, side, `${px}.0`), coin }]);
    const entries: string[] = [];
    let oid = 1;
    for (const coin of coins) {
      const bids: string[] = [];
      const asks: string[] = [];
      let bytes = 0;
      for (let k = 0; bytes < perCoin; k++) {
        const b = orderText(coin, oid++, 'B', 10_000 - (k >> 2));
        const a = orderText(coin, oid++, 'A', 10_001 + (k >> 2));
        bids.push(b);
        asks.push(a);
        bytes += b.length + a.length + 2;
      }
      entries.push(`[${JSON.stringify(coin)},[[${bids.join(',')}],[${asks.join(',')}]]]`);
    }
    const text = Buffer.from(`[123456789,[${entries.join(',')}]]`);
    entries.length = 0;
    // the read is the injected one (the file's bytes already in memory): the figure is the parse,
    // filter, validation and journal write of one round; JSON.parse alone beside it
    const node = fakeNode(async () => ({ status: 200 }));
    const r = rig({ fetch: node.fetch, coins: ['BTC', 'ETH', 'SOL'], readFile: async () => text });
    const t0 = performance.now();
    await r.round();
    const ms = performance.now() - t0;
    const t1 = performance.now();
    const whole = JSON.parse(text.toString('utf8')) as unknown[];
    const parseMs = performance.now() - t1;
    expect(whole[0]).toBe(123456789);
    expect(r.poll.counters).toMatchObject({
      snapshots: 1,
      failures: 0,
      lastHeight: 123456789,
      lastBytes: text.byteLength,
    });
    const kept = r.inlet.recs[0]!.data.byteLength;
    const p = parseNodeL4FileSnapshot(r.inlet.recs[0]!.data);
    expect(p.ok && p.value[1].map((e) => e[0])).toEqual(['BTC', 'ETH', 'SOL']);
    console.log(
      `l4Snapshot ${(text.byteLength / 2 ** 20).toFixed(1)} MB file, ${coins.length} coins, ${oid - 1} orders: ` +
        `parse+filter+validate+journal of 3 coins (${(kept / 2 ** 20).toFixed(2)} MB) ${ms.toFixed(0)} ms; ` +
        `JSON.parse alone ${parseMs.toFixed(0)} ms`,
    );
    expect(text.byteLength).toBeGreaterThan(20 * 2 ** 20 - 1);
    expect(ms).toBeLessThan(20_000);
    expect(readdirSync(r.outDir)).toEqual([]);
  });
});
