/**
 * The simulator's node output read by the system's own readers: every file line and every
 * order_book_server frame through the node parsers (hyperliquid/node-parse.ts), and the L4 book
 * (state/l4book.ts) fed from them — from the files' statuses + diffs, and from the WebSocket's
 * snapshot + Updates — equal to the simulator's own book order for order after every block, its
 * L2 view equal to the simulator's public l2Book. A part-written line is the only line refused.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNodeBlockLine, parseObsMessage } from '../../hyperliquid/node-parse.ts';
import type { ObsL4Snapshot, ObsL4Updates } from '../../hyperliquid/node-schemas.ts';
import { Engine, SIM_EPOCH } from '../../sim/engine.ts';
import { l2BookFrame } from '../../sim/frames.ts';
import { NODE_STREAMS } from '../../sim/node/format.ts';
import { type NodeSim, startNodeSim } from '../../sim/node/node-sim.ts';
import { nodeBlockLine, nodeDiffJson, nodeStatusJson } from '../../sim/node/wire.ts';
import { ASK, BID, L4Apply, L4Book, L4Books } from '../../state/l4book.ts';
import { TestClient } from './client.ts';

const dirs: string[] = [];
const sims: NodeSim[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const s of sims.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Json = Record<string, unknown>;

function modelOrders(sim: NodeSim, coin: string): string[][] {
  const m = sim.model.market(coin);
  return sim.model
    .orders(coin)
    .map((os) => os.map((o) => `${o.oid}:${Number(m.formatPx(o.pxTicks))}:${Number(m.formatSz(o.lots))}`));
}

function bookOrders(b: L4Book): string[][] {
  return ([BID, ASK] as const).map((ix) => b.ordersOf(ix).map((o) => `${o.oid}:${o.px}:${o.sz}`));
}

describe('sim/node output through the node parsers and the L4 book', () => {
  it('files and WebSocket parse; the L4 book from either equals the simulator book after every block', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'node-parse-'));
    dirs.push(dir);
    const engine = new Engine({ seed: 31, startTime: SIM_EPOCH });
    const sim = await startNodeSim({ engine, dir });
    sims.push(sim);
    const coins = engine.coins;
    // the WebSocket: BTC's l4Book and its full l2Book
    const c = await TestClient.connect(sim.server!.url);
    clients.push(c);
    c.subscribe({ type: 'l4Book', coin: 'BTC' });
    c.subscribe({ type: 'l2Book', coin: 'BTC', nLevels: 100 });
    await c.waitForCount(3);
    const parsed = c.frames.map((f) => parseObsMessage(f));
    expect(parsed.every((p) => p.ok)).toBe(true);
    const snapMsg = parsed[1]!;
    if (!snapMsg.ok || snapMsg.value.channel !== 'l4Book' || !('Snapshot' in snapMsg.value.data))
      throw new Error('expected the l4Book snapshot second');
    const wsBook = new L4Book('BTC');
    expect(wsBook.loadSnapshot(snapMsg.value.data.Snapshot as ObsL4Snapshot)).toBe(L4Apply.Ok);
    // the files: every coin's book from the same snapshot point (height 0), through L4Books
    const fileBooks = new L4Books(coins);
    for (const coin of coins) {
      const snap = parseObsMessage(sim.server!.snapshotFrame(coin));
      if (!snap.ok || snap.value.channel !== 'l4Book' || !('Snapshot' in snap.value.data))
        throw new Error('snapshot frame did not parse');
      expect(fileBooks.get(coin)!.loadSnapshot(snap.value.data.Snapshot as ObsL4Snapshot)).toBe(L4Apply.Ok);
    }
    let blocks = 0;
    let wsUpdates = 0;
    let l2Equal = 0;
    for (let i = 0; i < 150; i++) {
      engine.step();
      const b = sim.onBlock();
      // the block's two lines as the writer writes them, parsed by the system's parser
      const st = parseNodeBlockLine(
        'node_order_statuses_by_block',
        nodeBlockLine(
          '2026-01-01T00:00:00.1',
          '2026-01-01T00:00:00',
          b.height,
          b.statuses.map(nodeStatusJson),
        ),
      );
      const df = parseNodeBlockLine(
        'node_raw_book_diffs_by_block',
        nodeBlockLine('2026-01-01T00:00:00.1', '2026-01-01T00:00:00', b.height, b.diffs.map(nodeDiffJson)),
      );
      if (!st.ok || !df.ok) throw new Error(`block ${b.height} did not parse`);
      expect(fileBooks.applyNodeBlock(st.value, df.value)).toBe(0);
      for (const coin of coins) expect(bookOrders(fileBooks.get(coin)!)).toEqual(modelOrders(sim, coin));
      // the WebSocket's Updates, then the l2Book of the same block
      const from = c.frames.length;
      const l2 = await c.waitFor(
        (f) => f.startsWith('{"channel":"l2Book"') && f.includes(`"time":${b.time},`),
        from,
      );
      for (const f of c.frames.slice(from)) {
        const p = parseObsMessage(f);
        expect(p.ok).toBe(true);
        if (p.ok && p.value.channel === 'l4Book' && 'Updates' in p.value.data) {
          expect(wsBook.applyUpdates(p.value.data.Updates as ObsL4Updates)).toBe(L4Apply.Ok);
          wsUpdates++;
        }
      }
      expect(wsBook.height).toBe(b.height);
      expect(bookOrders(wsBook)).toEqual(modelOrders(sim, 'BTC'));
      // the L4 book's L2 view is OBS's l2Book, and (as numbers) the public simulator's
      const view = wsBook.l2({ nLevels: 100 });
      const sent = parseObsMessage(l2);
      if (!sent.ok || sent.value.channel !== 'l2Book') throw new Error('l2Book did not parse');
      expect(view.levels).toEqual(sent.value.data.levels);
      const pub = JSON.parse(l2BookFrame(engine, 'BTC', { nLevels: 100, nSigFigs: null, mantissa: null }))
        .data as Json;
      const num = (levels: unknown) =>
        (levels as { px: string; sz: string; n: number }[][]).map((s) =>
          s.map((l) => [Number(l.px), Number(l.sz), l.n]),
        );
      expect(num(view.levels)).toEqual(num(pub.levels));
      l2Equal++;
      blocks++;
    }
    // the files on disk: every line parses with the system's parser, heights consecutive
    sim.faults.truncateLine({ completeAfterMs: null });
    for (let i = 0; i < 5; i++) {
      engine.step();
      sim.onBlock();
    }
    sim.files!.close();
    let lines = 0;
    const refused: string[] = [];
    for (const stream of NODE_STREAMS) {
      const hs: number[] = [];
      const root = join(dir, stream, 'hourly');
      for (const day of readdirSync(root).sort())
        for (const h of readdirSync(join(root, day)).sort((x, y) => Number(x) - Number(y)))
          for (const line of readFileSync(join(root, day, h), 'utf8').split('\n')) {
            if (line === '') continue;
            lines++;
            const r = parseNodeBlockLine(stream, line);
            if (r.ok) hs.push(r.value.block_number);
            else refused.push(`${stream}:${r.error.code}`);
          }
      expect(hs).toEqual([...Array.from({ length: 150 }, (_, i) => i + 1), 152, 153, 154, 155]);
    }
    expect(refused).toEqual(NODE_STREAMS.map((s) => `${s}:not_json`));
    console.log(
      `node output parsed: ${lines} file lines (${refused.length} part-written refused), ${blocks} blocks into ` +
        `L4Books from the files (${coins.length} coins) and ${wsUpdates} l4Book Updates into an L4Book, each equal ` +
        `to the simulator's orders; ${l2Equal} L2 views equal OBS's l2Book and the public l2Book`,
    );
    expect(wsUpdates).toBe(150);
  });
});
