/**
 * The node-files source against the simulator's node (sim/node): its hourly files written block by block
 * from a seeded market, with each file fault, tailed on the same simulated clock, through the ingest
 * pipeline. Each fault is detected within a stated bound (or, for the harmless ones, reads clean).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NODE_STREAMS, startNodeTail } from '../../actors/node/tail.ts';
import { Engine, SIM_EPOCH } from '../../sim/engine.ts';
import { NodeSim } from '../../sim/node/node-sim.ts';
import { StateBuilder } from '../../state/builder.ts';
import { ManualClock } from '../../state/clock.ts';
import { IngestPipeline } from '../../state/pipeline.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';

const STALE_MS = 2_000;
const TICK_MS = 250;
const POLL_MS = 50;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Seen {
  time: number;
  key: string;
  reason: string;
}

/** The simulator's node writing files, our tail reading them, the pipeline judging them: one clock. */
function rig(seed: number, start: number) {
  const dir = mkdtempSync(join(tmpdir(), 'node-sim-faults-'));
  dirs.push(dir);
  const engine = new Engine({ seed, startTime: start });
  const sim = new NodeSim(engine, dir);
  const blockTimes = new Map<number, number>();
  sim.onNodeBlock = (b) => blockTimes.set(b.height, b.time);
  const clock = new ManualClock(engine.time);
  const p = new IngestPipeline({
    builder: new StateBuilder({ coins: ['BTC', 'ETH', 'SOL'] }),
    staleMs: STALE_MS,
  });
  let seq = 0;
  const gaps: Seen[] = [];
  const drain = () => {
    for (const e of p.drainEvents())
      if (e.type === 'GAP') gaps.push({ time: e.time, key: e.key, reason: e.reason });
  };
  const emitted: Record<string, number[]> = {};
  const tail = startNodeTail({
    dir,
    clock,
    pollMs: POLL_MS,
    startAt: 'begin',
    emit: (l) => {
      (emitted[l.stream] ??= []).push(l.height);
      p.process({
        seq: ++seq,
        time: clock.now(),
        epoch: 0,
        kind: RecordKind.Frame,
        channel: l.stream,
        data: l.bytes,
        source: 'node',
      });
    },
    onEvent: (e) => {
      if (e.type === 'truncated')
        p.process({
          seq: ++seq,
          time: clock.now(),
          epoch: 0,
          kind: RecordKind.Conn,
          channel: 'gap',
          data: jsonBytes({ type: 'gap', key: e.stream, reason: `truncated line in ${e.file}` }),
          source: 'node',
        });
    },
  });
  const tick = () => {
    p.process({
      seq: ++seq,
      time: clock.now(),
      epoch: 0,
      kind: RecordKind.Tick,
      channel: 'tick',
      data: jsonBytes({ cause: 'timer' }),
    });
    drain();
    clock.setTimeout(tick, TICK_MS);
  };
  clock.setTimeout(tick, TICK_MS);
  /** One block of the simulated market, written by the node; our clock follows to its time. */
  const step = (n = 1) => {
    for (let i = 0; i < n; i++) {
      engine.step();
      sim.onBlock();
      clock.advanceTo(engine.time);
    }
  };
  return { dir, engine, sim, clock, p, gaps, step, tail, emitted, blockTimes };
}

describe('node files from the simulator, with its faults', () => {
  it('a clean run: every block of every stream once, in order, no gap, nothing malformed; fills become trades', () => {
    const r = rig(11, SIM_EPOCH);
    r.step(150);
    r.clock.advance(200);
    r.tail.stop();
    for (const s of NODE_STREAMS) expect(r.emitted[s]).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(r.gaps).toEqual([]);
    expect(r.p.counters.rejected).toBe(0);
    expect(r.p.sources.counters.unpairedFills).toBe(0);
    expect(r.p.sources.counters.fillTrades).toBeGreaterThan(0);
    console.log(
      `sim node files clean: 150 blocks × 3 streams, ${r.p.sources.counters.fillTrades} trades from fills, ${r.tail.counters.bytes} bytes`,
    );
  });

  it('a skipped block: a gap naming the height on every stream, within one block and one poll of the next', () => {
    const r = rig(12, SIM_EPOCH);
    r.step(50);
    r.sim.faults.skipBlock();
    r.step(20);
    r.tail.stop();
    const holes = r.gaps.filter((g) => g.reason.startsWith('height 51 missing'));
    expect(holes.map((g) => g.key).sort()).toEqual(NODE_STREAMS.map((s) => `node:${s}`).sort());
    // the hole shows when the next block's line is read: within one block interval and one poll
    const skipped = r.blockTimes.get(51)!;
    const interval = r.blockTimes.get(52)! - skipped;
    const latency = Math.max(...holes.map((g) => g.time - skipped));
    console.log(
      `skipped block: detected ${latency} ms after the missing block's time (bound: the next block, ${interval} ms later, + a ${POLL_MS} ms poll)`,
    );
    expect(latency).toBeLessThanOrEqual(interval + POLL_MS);
    expect(r.gaps.length).toBe(3);
  });

  it('a stalled writer: stale within the bound plus one tick, gated while stalled, then every held block once', () => {
    const r = rig(13, SIM_EPOCH);
    r.step(20);
    const stallAt = r.engine.time;
    r.sim.faults.stallWriter(6_000);
    while (r.engine.nextBlockTime() < stallAt + 6_000) r.step();
    r.step(5);
    r.clock.advance(200);
    r.tail.stop();
    const stale = r.gaps.filter((g) => g.reason.startsWith('source node stale: nothing for'));
    expect(stale.length).toBeGreaterThan(10);
    const lastBefore = r.blockTimes.get(20)!;
    const latency = stale[0]!.time - lastBefore;
    console.log(
      `stalled writer: stale ${latency} ms after the last block (bound ${STALE_MS} + ${TICK_MS} ms), ${stale.length} gated ticks`,
    );
    expect(latency).toBeGreaterThan(STALE_MS);
    expect(latency).toBeLessThanOrEqual(STALE_MS + TICK_MS + POLL_MS);
    // the writer catches up: nothing missing, nothing twice
    const n = r.blockTimes.size;
    for (const s of NODE_STREAMS) expect(r.emitted[s]).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(r.gaps.filter((g) => g.reason.includes('missing'))).toEqual([]);
  });

  it('a truncated line never completed: counted malformed, its block missing: a gap on each stream', () => {
    const r = rig(14, SIM_EPOCH);
    r.step(10);
    r.sim.faults.truncateLine({ completeAfterMs: null });
    r.step(10);
    r.clock.advance(200);
    r.tail.stop();
    expect(r.p.counters.rejectedByCode['node.malformed']).toBe(3);
    expect(r.gaps.map((g) => `${g.key}: ${g.reason}`).sort()).toEqual(
      NODE_STREAMS.map((s) => `node:${s}: height 11 missing on node:${s}`).sort(),
    );
  });

  it('a truncated line completed later: held until its newline, no gap, nothing malformed', () => {
    const r = rig(15, SIM_EPOCH);
    r.step(10);
    r.sim.faults.truncateLine({ streams: ['node_order_statuses_by_block'], completeAfterMs: 1_000 });
    r.step(40);
    r.clock.advance(200);
    r.tail.stop();
    expect(r.p.counters.rejected).toBe(0);
    expect(r.gaps).toEqual([]);
    expect(r.emitted.node_order_statuses_by_block).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('an hour rollover inside a block: both files followed, every block once, no gap', () => {
    const r = rig(16, SIM_EPOCH - 3_000);
    r.sim.faults.hourRolloverMidBlock();
    r.step(80);
    r.clock.advance(200);
    r.tail.stop();
    expect(r.tail.counters.files).toBe(6);
    for (const s of NODE_STREAMS) expect(r.emitted[s]).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(r.gaps).toEqual([]);
    expect(r.tail.counters.truncated).toBe(0);
  });
});
