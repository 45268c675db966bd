/**
 * The simulated node's info server (sim/node/info-server.ts): exchangeStatus follows the blocks,
 * fileSnapshot writes the node's L4 snapshot file of the last block (its orders equal the book
 * server's l4Book Snapshot at the same height), bad requests are 400/404 with a reason, an unwritable
 * outPath is 500, and none of it stops the simulator. Loopback only; blocks are stepped by hand.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNodeL4FileSnapshot, parseObsMessage } from '../../hyperliquid/node-parse.ts';
import { NodeOrder } from '../../hyperliquid/node-schemas.ts';
import { runSimCommand } from '../../sim/cli.ts';
import { Engine, SIM_EPOCH } from '../../sim/engine.ts';
import { obsNumber } from '../../sim/node/format.ts';
import { NODE_INFO_MAX_BODY } from '../../sim/node/info-server.ts';
import { type NodeSim, startNodeSim } from '../../sim/node/node-sim.ts';

const dirs: string[] = [];
let sim: NodeSim | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'node-info-'));
  dirs.push(d);
  return d;
}

async function started(seed = 5): Promise<{ sim: NodeSim; engine: Engine; url: string }> {
  const engine = new Engine({ seed, startTime: SIM_EPOCH });
  sim = await startNodeSim({ engine });
  if (sim.info === null) throw new Error('no info server');
  return { sim, engine, url: sim.info.url };
}

async function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

const snapshotReq = (outPath: string, over: Record<string, unknown> = {}) => ({
  type: 'fileSnapshot',
  request: { type: 'l4Snapshots', includeUsers: true, includeTriggerOrders: false },
  outPath,
  includeHeightInOutput: true,
  ...over,
});

function step(s: NodeSim, engine: Engine, n: number): void {
  for (let i = 0; i < n; i++) {
    engine.step();
    s.onBlock();
  }
}

describe('sim node info server', () => {
  it('is served beside the book server on loopback; exchangeStatus time is the last block’s, skipped book-server blocks too', async () => {
    const { sim: s, engine, url } = await started();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/info$/);
    expect(url).not.toContain(String(s.server!.port));
    const first = await post(url, { type: 'exchangeStatus' });
    expect(first).toEqual({ status: 200, text: `{"time":${engine.time},"specialStatuses":null}` });
    step(s, engine, 3);
    expect(JSON.parse((await post(url, { type: 'exchangeStatus' })).text)).toEqual({
      time: engine.time,
      specialStatuses: null,
    });
    // a block the book server never sends is still the node's last block
    s.faults.skipBlock();
    step(s, engine, 1);
    expect(s.server!.stats().blocksSkipped).toBe(1);
    expect(JSON.parse((await post(url, { type: 'exchangeStatus' })).text).time).toBe(engine.time);
    expect(s.info!.lastBlock()).toEqual({ time: engine.time, height: engine.height });
    expect(s.info!.stats()).toMatchObject({ requests: 3, exchangeStatus: 3, badRequests: 0 });
  });

  it('not started with info:false or without serving; closed with the sim', async () => {
    const engine = new Engine({ seed: 1, startTime: SIM_EPOCH });
    const a = await startNodeSim({ engine, info: false });
    expect(a.info).toBeNull();
    await a.close();
    const b = await startNodeSim({ engine, serve: false });
    expect(b.info).toBeNull();
    await b.close();
    const c = await startNodeSim({ engine });
    const url = c.info!.url;
    await c.close();
    await expect(post(url, { type: 'exchangeStatus' })).rejects.toThrow();
  });

  it('fileSnapshot writes the node’s L4 file of the last block: it parses, and its orders are the book server’s snapshot', async () => {
    const { sim: s, engine, url } = await started(9);
    step(s, engine, 25);
    const dir = tmp();
    const out = join(dir, 'out.json');
    expect(await post(url, snapshotReq(out))).toEqual({ status: 200, text: 'null' });
    const text = readFileSync(out, 'utf8');
    const r = parseNodeL4FileSnapshot(text);
    if (!r.ok) throw new Error(r.error.message);
    const [height, books] = r.value;
    expect(height).toBe(engine.height);
    expect(books.map((b) => b[0])).toEqual(engine.coins);
    let orders = 0;
    for (const [coin, [bids, asks]] of books) {
      const snap = parseObsMessage(s.server!.snapshotFrame(coin));
      if (!snap.ok || snap.value.channel !== 'l4Book' || !('Snapshot' in snap.value.data))
        throw new Error('no book server snapshot');
      const obs = snap.value.data.Snapshot;
      expect(obs.height).toBe(height);
      for (const [ix, side] of [bids, asks].entries()) {
        const want = obs.levels[ix]!;
        expect(side.length).toBe(want.length);
        expect(side.length).toBeGreaterThan(0);
        side.forEach(([user, o], i) => {
          const w = want[i]!;
          expect(user).toBe(user.toLowerCase()); // the node's own files: lowercase hex
          expect(user).toBe(w.user?.toLowerCase());
          expect([o.oid, o.side, o.timestamp, o.tif ?? null, o.cloid ?? null]).toEqual([
            w.oid,
            w.side,
            w.timestamp,
            w.tif ?? null,
            w.cloid ?? null,
          ]);
          // the node prints venue decimals ("106217.0"), OBS its own ("106217"): the same numbers
          expect(obsNumber(o.limitPx)).toBe(w.limitPx);
          expect(obsNumber(o.sz)).toBe(w.sz);
          expect(o.children).toEqual([]);
          expect(o.origSz).toBeDefined();
          orders++;
        });
      }
    }
    console.log(`info-server fileSnapshot: ${books.length} coins, ${orders} orders at height ${height}`);
    expect(orders).toBeGreaterThan(50);
    expect(s.info!.stats().snapshots).toBe(1);
  });

  it('includeHeightInOutput:false drops the height; includeUsers:false gives bare orders', async () => {
    const { sim: s, engine, url } = await started(3);
    step(s, engine, 5);
    const dir = tmp();
    const a = join(dir, 'a.json');
    expect((await post(url, snapshotReq(a, { includeHeightInOutput: false }))).status).toBe(200);
    const noHeight = JSON.parse(readFileSync(a, 'utf8')) as [string, [unknown[], unknown[]]][];
    expect(noHeight.map((e) => e[0])).toEqual(engine.coins);
    // the same books as with the height
    const b = join(dir, 'b.json');
    expect((await post(url, snapshotReq(b))).status).toBe(200);
    expect(JSON.parse(readFileSync(b, 'utf8'))).toEqual([engine.height, noHeight]);
    const c = join(dir, 'c.json');
    const req = snapshotReq(c, {
      request: { type: 'l4Snapshots', includeUsers: false, includeTriggerOrders: true },
    });
    expect((await post(url, req)).status).toBe(200);
    const [h, bare] = JSON.parse(readFileSync(c, 'utf8')) as [number, [string, [unknown[], unknown[]]][]];
    expect(h).toBe(engine.height);
    const firstBid = bare[0]![1][0][0];
    expect(NodeOrder.safeParse(firstBid).success).toBe(true);
    expect((noHeight[0]![1][0][0] as [string, unknown])[1]).toEqual(firstBid);
  });

  it('404 for another path or method; 400 with the reason for a body it does not answer; the sim goes on', async () => {
    const { sim: s, engine, url } = await started();
    const base = url.replace(/\/info$/, '');
    expect((await fetch(`${base}/info`)).status).toBe(404);
    expect((await fetch(`${base}/exchange`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${base}/`, { method: 'POST', body: '{"type":"exchangeStatus"}' })).status).toBe(404);
    const cases: [unknown, RegExp][] = [
      ['{"type":', /^body is not JSON: /],
      ['[1,2]', /body must be a JSON object with a "type"/],
      [{ type: 'l2Book', coin: 'BTC' }, /unsupported request type "l2Book"/],
      [{ type: 'fileSnapshot' }, /"request" must be an object/],
      [
        snapshotReq('/tmp/x.json', { request: { type: 'referrerStates' } }),
        /request type "referrerStates": the simulated node writes only "l4Snapshots"/,
      ],
      [
        snapshotReq('/tmp/x.json', { request: { type: 'l4Snapshots', includeUsers: true } }),
        /"request\.includeTriggerOrders" must be true or false/,
      ],
      [snapshotReq('/tmp/x.json', { includeHeightInOutput: 'yes' }), /"includeHeightInOutput" must be true/],
      [snapshotReq(''), /"outPath" must be a non-empty path/],
      [snapshotReq(7 as unknown as string), /"outPath" must be a non-empty path/],
      ['x'.repeat(NODE_INFO_MAX_BODY + 1), /exceeds 65536/],
    ];
    for (const [body, msg] of cases) {
      const r = await post(url, body);
      expect(r.status, String(body).slice(0, 40)).toBe(400);
      expect(r.text).toMatch(msg);
    }
    expect(existsSync('/tmp/x.json')).toBe(false);
    expect(s.info!.stats()).toMatchObject({ notFound: 3, badRequests: cases.length });
    step(s, engine, 2);
    expect(JSON.parse((await post(url, { type: 'exchangeStatus' })).text).time).toBe(engine.time);
  });

  it('an outPath that cannot be written: 500 with the error; the next good request is answered', async () => {
    const { sim: s, engine, url } = await started();
    const dir = tmp();
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const r = await post(url, snapshotReq(join(blocker, 'out.json')));
    expect(r.status).toBe(500);
    expect(r.text).toMatch(/^fileSnapshot: cannot write .*a-file\/out\.json: ENOTDIR/);
    const missing = await post(url, snapshotReq(join(dir, 'no', 'such', 'out.json')));
    expect(missing.status).toBe(500);
    expect(missing.text).toMatch(/ENOENT/);
    expect(s.info!.stats()).toMatchObject({ writeErrors: 2, snapshots: 0 });
    expect(s.info!.stats().lastError).toMatch(/^500 fileSnapshot: cannot write/);
    step(s, engine, 1);
    expect((await post(url, snapshotReq(join(dir, 'ok.json')))).status).toBe(200);
    expect((JSON.parse(readFileSync(join(dir, 'ok.json'), 'utf8')) as [number])[0]).toBe(engine.height);
  });

  it('runtime sim --node-dir prints the info server’s URL on its own line, on --node-info-port when given', async () => {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
      });
    });
    const dir = tmp();
    const printed: string[] = [];
    const h = await runSimCommand(
      { port: 0, seed: 7, scenario: 'default', speed: 1, nodeDir: dir, nodeInfoPort: port },
      (l) => printed.push(l),
    );
    try {
      expect(h.nodeInfoUrl).toBe(`http://127.0.0.1:${port}/info`);
      expect(printed[1]).toBe(`sim: node order_book_server ${h.bookServerUrl} node files under ${dir}`);
      expect(printed[2]).toBe(`sim: node info server ${h.nodeInfoUrl}`);
      const r = await post(h.nodeInfoUrl!, { type: 'exchangeStatus' });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text)).toMatchObject({ specialStatuses: null });
    } finally {
      await h.close();
    }
  });
});
