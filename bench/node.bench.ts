/**
 * The node as a source (issue 17): its by-block hourly files through the real tail, parser and L4 book.
 *  - node.tail_parse_l4: lines/s of `startNodeTail` (reading the files from disk) + the ingest pipeline as the
 *    worker runs it (heights, parse, statuses and diffs paired by height into the L4 books, fills into trades,
 *    each coin's L2 view published into the hot state), beside `JSON.parse` alone on the same lines in the same
 *    run (baseline; ratio = tail+pipeline / JSON.parse in lines/s).
 *  - node.block_latency[.x50]: block → L4 book latency on the wall clock: a writer appends each block's three
 *    lines at the venue's pace (the simulator's block times) or ×50 and the tail, polling on the system clock
 *    (`node.pollMs`, 50 ms by default, and 5 ms), reads them and the pipeline applies them; latency = the block's
 *    L2 view published in the hot state minus its last line written. The hop from the inlet through the ring to
 *    the ingest worker is the one every frame takes, measured by `ingest.latency`.
 * The blocks come from the simulator's seeded order model (sim/node), written once before timing.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SystemClock } from '../actors/journal/system-clock.ts';
import { type NodeLine, startNodeTail } from '../actors/node/tail.ts';
import { parseObsMessage } from '../hyperliquid/node-parse.ts';
import type { ObsL4Snapshot } from '../hyperliquid/node-schemas.ts';
import { Engine, SIM_EPOCH } from '../sim/engine.ts';
import { hourlyRelPath, naiveTime } from '../sim/node/format.ts';
import { type NodeBookOrder, OrderModel } from '../sim/node/orders.ts';
import {
  nodeBlockLine,
  nodeDiffJson,
  nodeFillJson,
  nodeStatusJson,
  obsBookOrderJson,
  obsL4SnapshotFrame,
} from '../sim/node/wire.ts';
import { ManualClock } from '../state/clock.ts';
import { StateBuilder } from '../state/builder.ts';
import { HotStateWriter } from '../state/hotstate.ts';
import { IngestPipeline } from '../state/pipeline.ts';
import { type JournalRecord, jsonBytes, RecordKind } from '../state/records.ts';
import { type BenchFigure, figure, median, percentile, round, withBaseline } from './lib.ts';

const STREAMS = [
  'node_order_statuses_by_block',
  'node_raw_book_diffs_by_block',
  'node_fills_by_block',
] as const;

interface Block {
  height: number;
  /** Block time, ms. */
  time: number;
  /** One line per stream, in STREAMS order. */
  lines: [string, string, string];
}

/** `n` blocks of the seeded market as node lines, and the L4 snapshot they start from. */
function generate(n: number): { blocks: Block[]; coins: string[]; snaps: Map<string, ObsL4Snapshot> } {
  const engine = new Engine({ seed: 7, scenario: 'default', startTime: SIM_EPOCH });
  const model = new OrderModel(engine);
  const snaps = new Map<string, ObsL4Snapshot>();
  for (const coin of engine.coins) {
    const [bids, asks] = model.orders(coin);
    const m = model.market(coin);
    const j = (o: NodeBookOrder) => obsBookOrderJson(o, m.formatPx(o.pxTicks), m.formatSz(o.lots));
    const r = parseObsMessage(obsL4SnapshotFrame(coin, engine.time, engine.height, bids.map(j), asks.map(j)));
    if (!r.ok || r.value.channel !== 'l4Book' || !('Snapshot' in r.value.data))
      throw new Error(`snapshot ${coin}`);
    snaps.set(coin, r.value.data.Snapshot);
  }
  const blocks: Block[] = [];
  for (let i = 0; i < n; i++) {
    engine.step();
    const b = model.onBlock();
    const t = naiveTime(b.time);
    blocks.push({
      height: b.height,
      time: b.time,
      lines: [
        nodeBlockLine(t, t, b.height, b.statuses.map(nodeStatusJson)),
        nodeBlockLine(t, t, b.height, b.diffs.map(nodeDiffJson)),
        nodeBlockLine(t, t, b.height, b.fills.map(nodeFillJson)),
      ],
    });
  }
  return { blocks, coins: [...engine.coins], snaps };
}

/**
 * Follows the tail's lines through the ingest pipeline as the live worker runs it (issue 17): each line is a
 * `node` frame record; the pipeline checks heights, pairs statuses and diffs by height into the L4 books
 * (state/node-books.ts, from the L4 snapshot journaled first), makes trades of the fills, and publishes each
 * coin's L2 view into the hot state (a HotStateWriter). `onApplied(height)` fires when a block is in the hot state.
 */
class Consumer {
  readonly pipeline: IngestPipeline;
  readonly hot: HotStateWriter;
  private readonly coin: string;
  private seq = 0;
  private lastHeight = Number.NaN;
  applied = 0;
  refused = 0;
  fills = 0;
  onApplied: ((height: number) => void) | null = null;

  constructor(coins: string[], snaps: Map<string, ObsL4Snapshot>) {
    this.coin = coins[0]!;
    this.hot = HotStateWriter.create(coins);
    this.pipeline = new IngestPipeline({ builder: new StateBuilder({ coins, hot: this.hot }) });
    const node = { dir: '/node', infoUrl: 'http://127.0.0.1:3001/info', l4: 'files', nLevels: 20 };
    this.record(
      RecordKind.Decision,
      'run.start',
      jsonBytes({ run: { config: { sources: ['public', 'node'], node } } }),
    );
    // the node's L4 snapshot file of the blocks' start, as actors/node/snapshot.ts journals it
    const first = snaps.get(this.coin)!;
    const pairs = (os: readonly { user?: string | null | undefined }[]) =>
      os.map(({ user, ...order }) => [user ?? '0x0000000000000000000000000000000000000000', order]);
    const file = [
      first.height,
      coins.map((c) => [c, [pairs(snaps.get(c)!.levels[0]), pairs(snaps.get(c)!.levels[1])]]),
    ];
    this.record(RecordKind.Frame, 'l4Snapshot', jsonBytes(file), 'node');
  }

  private record(kind: RecordKind, channel: string, data: Uint8Array, source?: 'node'): void {
    const rec: JournalRecord = { seq: ++this.seq, time: 0, epoch: 0, kind, channel, data };
    if (source !== undefined) rec.source = source;
    this.pipeline.process(rec);
  }

  line(l: NodeLine): void {
    const fillsBefore = this.pipeline.sources.counters.fillTrades;
    this.record(RecordKind.Frame, l.stream, l.bytes, 'node');
    if (l.stream === 'node_fills_by_block') {
      this.fills += this.pipeline.sources.counters.fillTrades - fillsBefore;
      return;
    }
    const h = this.pipeline.nodeBooks?.book(this.coin)?.height ?? Number.NaN;
    if (h !== this.lastHeight && this.pipeline.nodeBooks?.drives(this.coin)) {
      this.lastHeight = h;
      this.applied++;
      this.onApplied?.(h);
    }
    this.refused = (this.pipeline.nodeBooks?.counters.broken ?? 0) + this.pipeline.counters.rejected;
  }
}

function writeAll(dir: string, blocks: Block[]): void {
  for (const b of blocks)
    STREAMS.forEach((stream, k) => {
      const f = join(dir, hourlyRelPath(stream, b.time));
      mkdirSync(dirname(f), { recursive: true });
      appendFileSync(f, `${b.lines[k]}\n`);
    });
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

function throughput(quick: boolean): BenchFigure[] {
  const { blocks, coins, snaps } = generate(quick ? 120 : 400);
  const dir = mkdtempSync(join(tmpdir(), 'bench-node-'));
  try {
    writeAll(dir, blocks);
    const texts = filesUnder(dir).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    );
    const lines = texts.length;
    const bytes = texts.reduce((a, l) => a + Buffer.byteLength(l), 0);
    const parseOnly = (): number => {
      const t0 = performance.now();
      let sink = 0;
      for (const t of texts) sink += (JSON.parse(t) as { block_number: number }).block_number;
      if (sink === 0) throw new Error('no blocks');
      return lines / ((performance.now() - t0) / 1000);
    };
    let check = { applied: 0, refused: 0, fills: 0 };
    const full = (): number => {
      const clock = new ManualClock(blocks[0]!.time);
      const c = new Consumer(coins, snaps);
      let seen = 0;
      const t0 = performance.now();
      const tail = startNodeTail({
        dir,
        clock,
        startAt: 'begin',
        emit: (l) => {
          seen++;
          c.line(l);
        },
      });
      // poll until every line is in (the files are complete: no waiting on the wall clock)
      for (let k = 0; seen < lines && k < 100_000; k++) clock.advance(50);
      const dt = (performance.now() - t0) / 1000;
      tail.stop();
      if (seen !== lines) throw new Error(`tail read ${seen} of ${lines} lines`);
      check = { applied: c.applied, refused: c.refused, fills: c.fills };
      return lines / dt;
    };
    parseOnly();
    full();
    const base: number[] = [];
    const main: number[] = [];
    for (let r = 0; r < 5; r++) {
      base.push(parseOnly());
      main.push(full());
    }
    if (check.applied !== blocks.length || check.refused !== 0)
      throw new Error(`L4 applied ${check.applied} of ${blocks.length} blocks, ${check.refused} refused`);
    return [
      withBaseline(
        figure('node.tail_parse_l4', 'lines/s', main, {
          lines,
          blocks: blocks.length,
          meanLineBytes: Math.round(bytes / lines),
          fillsParsed: check.fills,
          method:
            'startNodeTail over the hourly files (ManualClock polls) → IngestPipeline as the ingest worker runs it: heights checked, lines parsed, statuses and diffs paired by height into the L4 books (NodeBooks, from a journaled L4 snapshot), fills made trades into the flow windows, each coin’s L2 view published into the hot state',
        }),
        figure('node.json_parse', 'lines/s', base, {
          method: 'JSON.parse of the same lines, read into memory',
        }),
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Block → L4 latency on the wall clock with the writer at `speed` × the venue's pace. */
async function latency(speed: number, pollMs: number, nBlocks: number): Promise<Record<string, number>> {
  const { blocks, coins, snaps } = generate(nBlocks + 1);
  const dir = mkdtempSync(join(tmpdir(), 'bench-node-lat-'));
  try {
    // the first block's files exist before the tail starts (it follows from their end)
    writeAll(dir, blocks.slice(0, 1));
    const c = new Consumer(coins, snaps);
    // …so the pipeline takes the first block's lines directly: the L4 books then continue from it
    const b0 = blocks[0]!;
    STREAMS.forEach((stream, k) => {
      c.line({ stream, bytes: Buffer.from(b0.lines[k] ?? ''), height: b0.height, file: '' });
    });
    const written = new Map<number, number>();
    const lat: number[] = [];
    c.onApplied = (h) => {
      const w = written.get(h);
      if (w !== undefined) lat.push(performance.now() - w);
    };
    const clock = new SystemClock();
    const tail = startNodeTail({ dir, clock, pollMs, emit: (l) => c.line(l) });
    // the tail starts at the files' end on its first poll: write nothing before it has polled
    await new Promise((r) => setTimeout(r, pollMs * 3 + 20));
    const t0 = performance.now();
    const sim0 = blocks[1]!.time;
    for (let i = 1; i < blocks.length; i++) {
      const b = blocks[i]!;
      const due = t0 + (b.time - sim0) / speed;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      STREAMS.forEach((stream, k) => {
        const f = join(dir, hourlyRelPath(stream, b.time));
        mkdirSync(dirname(f), { recursive: true });
        appendFileSync(f, `${b.lines[k]}\n`);
      });
      written.set(b.height, performance.now());
    }
    const deadline = performance.now() + 5_000;
    while (lat.length < blocks.length - 1 && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    tail.stop();
    const span = (blocks[blocks.length - 1]!.time - sim0) / speed / 1000;
    return {
      blocks: lat.length,
      blocksPerS: round((blocks.length - 1) / span, 1),
      p50: round(percentile(lat, 50), 2),
      p99: round(percentile(lat, 99), 2),
      max: round(Math.max(...lat), 2),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function ({ quick }: { quick: boolean }): Promise<BenchFigure[]> {
  const out = throughput(quick);
  const runs = quick ? 1 : 3;
  for (const [name, speed, blocks] of [
    ['node.block_latency', 1, quick ? 40 : 120],
    ['node.block_latency.x50', 50, quick ? 200 : 600],
  ] as const) {
    for (const pollMs of [50, 5]) {
      const rs: Record<string, number>[] = [];
      for (let r = 0; r < runs; r++) rs.push(await latency(speed, pollMs, blocks));
      const med = (k: string) => round(median(rs.map((x) => x[k]!)), 2);
      out.push({
        bench: `${name}${pollMs === 50 ? '' : `.poll${pollMs}`}`,
        unit: 'ms',
        median: med('p50'),
        p99: med('p99'),
        max: med('max'),
        runs,
        blocksPerRun: rs[0]!.blocks!,
        blocksPerS: med('blocksPerS'),
        pollMs,
        speed,
        method:
          "block written (its three lines appended) → the block's L2 view published in the hot state after the tail read it and the ingest pipeline parsed it and applied it to the L4 books (same thread; the live inlet → ring → worker hop is ingest.latency's); wall clock; medians over runs of each run's p50 / p99 / max",
      });
    }
  }
  return out;
}
