/**
 * The node's files as the hot-state book's source, wired as `runtime start live --source node --node-dir DIR
 * --node-info URL` wires them (actors/node/sources.ts): the tail and the L4 snapshot poll against the
 * simulator's node (its hourly files and its info server's `fileSnapshot`), through one stamper into the ring,
 * read by the ingest pipeline with the run's config. The first snapshot makes the books whole; from then on,
 * after every block, each coin's hot-state book equals the simulator's own book (its top 20 levels); later
 * snapshots check the books (no difference); a skipped block takes them out of service until the next one.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRingBuffer, RingConsumer, RingProducer } from '../../actors/feed/ring.ts';
import { Stamper } from '../../actors/feed/stamper.ts';
import { startNodeSources } from '../../actors/node/sources.ts';
import { NODE_STREAMS } from '../../actors/node/tail.ts';
import { Engine, SIM_EPOCH } from '../../sim/engine.ts';
import { type NodeSim, startNodeSim } from '../../sim/node/node-sim.ts';
import { StateBuilder } from '../../state/builder.ts';
import { ManualClock } from '../../state/clock.ts';
import { IngestPipeline } from '../../state/pipeline.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';

const dirs: string[] = [];
let sim: NodeSim | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('node files + info-server snapshots drive the hot-state book (as the live system wires them)', () => {
  it('whole from the first snapshot, equal to the simulator after every block, checked by later snapshots, out of service after a skipped block until the next', async () => {
    const root = mkdtempSync(join(tmpdir(), 'node-files-l4-'));
    dirs.push(root);
    const nodeDir = join(root, 'hl-data');
    const coins = ['BTC', 'ETH'];
    const engine = new Engine({ seed: 9, startTime: SIM_EPOCH });
    const clock = new ManualClock(SIM_EPOCH);
    sim = await startNodeSim({ engine, dir: nodeDir, clock });
    const node = sim;
    const expected = new Map<number, Map<string, string>>();
    node.onNodeBlock = (b) => {
      const byCoin = new Map<string, string>();
      for (const coin of coins) {
        const m = node.model.market(coin);
        const side = (s: 'B' | 'A') =>
          node.model
            .levels(coin, s)
            .slice(0, 20)
            .map((l) => `${Number(m.formatSz(l.q))}@${Number(m.formatPx(l.p))}`);
        byCoin.set(coin, JSON.stringify([side('B'), side('A')]));
      }
      expected.set(b.height, byCoin);
    };
    const sab = createRingBuffer(1 << 24);
    const consumer = new RingConsumer(sab);
    const stamper = new Stamper({ clock, sink: new RingProducer(sab) });
    const config = {
      dir: nodeDir,
      streams: [...NODE_STREAMS],
      pollMs: 50,
      nLevels: 20,
      infoUrl: node.info!.url,
      // the liveness poll is another test's (its real loopback answers cannot keep pace with this clock)
      infoPollMs: 500_000,
      staleMs: 600_000,
      l4: 'auto' as const,
      snapshotMs: 2_000,
    };
    const sources = startNodeSources({
      config,
      sources: ['public', 'node'],
      coins,
      clock,
      inlet: stamper,
      journalRoot: join(root, 'data', 'journal'),
    });
    expect(sources.snapshots).not.toBeNull();
    const builder = new StateBuilder({ coins });
    const p = new IngestPipeline({ builder });
    p.process({
      seq: 0,
      time: clock.now(),
      epoch: 0,
      kind: RecordKind.Decision,
      channel: 'run.start',
      data: jsonBytes({ run: { config: { sources: ['public', 'node'], node: config } } }),
    });
    const nb = p.nodeBooks!;
    expect(nb.from).toBe('files');
    const gaps: string[] = [];
    let compared = 0;
    const mismatches: string[] = [];
    const read = () => {
      for (let r = consumer.readOne(); r !== null; r = consumer.readOne()) {
        p.process({ ...r });
        for (const coin of coins) {
          if (!nb.drives(coin)) continue;
          const want = expected.get(nb.book(coin)!.height)?.get(coin);
          if (want === undefined) continue;
          const b = builder.coin(coin)!.book;
          const side = (s: { n: number; px: Float64Array; sz: Float64Array }) =>
            Array.from({ length: s.n }, (_, i) => `${s.sz[i]}@${s.px[i]}`);
          compared++;
          if (JSON.stringify([side(b.bids), side(b.asks)]) !== want)
            mismatches.push(`${coin}@${nb.book(coin)!.height}`);
        }
      }
      for (const e of p.drainEvents()) if (e.type === 'GAP') gaps.push(`${e.key} | ${e.reason}`);
    };
    const settle = async (cond: () => boolean, what: string) => {
      for (let i = 0; i < 20_000; i++) {
        read();
        if (cond()) return;
        await new Promise<void>((r) => setImmediate(r));
      }
      throw new Error(`timed out waiting for: ${what}`);
    };
    /** Blocks of the simulated market; the tail polls on the same clock. */
    const step = async (n: number) => {
      for (let i = 0; i < n; i++) {
        engine.step();
        node.onBlock();
        // a snapshot round in flight is answered (real loopback I/O) before the clock moves on
        await sources.snapshots!.settled();
        clock.advanceTo(Math.max(clock.now(), engine.time));
        read();
      }
      await sources.snapshots!.settled();
      read();
    };
    await step(5);
    // the first snapshot (asked at once) makes the books whole
    await settle(() => coins.every((c) => nb.drives(c)), 'whole books');
    expect(sources.snapshots!.counters.snapshots).toBeGreaterThanOrEqual(1);
    await step(120);
    await settle(() => nb.book('BTC')!.height === engine.height, 'caught up');
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(100 * coins.length);
    expect(nb.counters.checks).toBeGreaterThan(0);
    expect(nb.counters.mismatches).toBe(0);
    expect(gaps).toEqual([]);
    // the node skips a block: the books go out of service, the public book drives, until the next snapshot
    node.faults.skipBlock();
    await step(3);
    await settle(() => gaps.some((g) => g.startsWith('node:l4Book:BTC')), 'the books broken');
    expect(coins.some((c) => nb.drives(c))).toBe(false);
    await step(60);
    await settle(() => coins.every((c) => nb.drives(c)), 'whole again');
    const n0 = compared;
    await step(20);
    expect(compared).toBeGreaterThan(n0);
    expect(mismatches).toEqual([]);
    // the snapshot files were read and removed
    expect(readdirSync(join(root, 'data', 'node-snapshots'))).toEqual([]);
    sources.stop();
    console.log(
      `node files + snapshots → hot book: ${compared} block×coin views equal the simulator; ${sources.snapshots!.counters.snapshots} snapshots journaled, ${nb.counters.snapshots} loaded, ${nb.counters.checks} checks, ${nb.counters.broken} losses; gaps: ${gaps.length}`,
    );
  });
});
