/**
 * The simulator's node files (sim/node/files.ts): the node's layout (`<stream>/hourly/<YYYYMMDD>/<H>`),
 * one parseable block per line with consecutive heights, the hour from each line's `local_time`,
 * and each fault doing what it says (a height hole, a stall, a part-written line completed later
 * or never, an hour boundary inside a block).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, SIM_EPOCH } from '../../sim/engine.ts';
import { hourlyRelPath, NODE_STREAMS, type NodeStream, naiveTime, obsNumber } from '../../sim/node/format.ts';
import { NodeSim } from '../../sim/node/node-sim.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'node-files-'));
  dirs.push(d);
  return d;
}

/** OBS `Batch<E>` keys, in the order the node writes them (server/src/types/node_data.rs). */
const BATCH_KEYS = ['local_time', 'block_time', 'block_number', 'events'];
/** docs/hyperliquid-protocol.md §6.1 items 2–4 and OBS types/mod.rs `Fill`, `L4Order`. */
const FILL_KEYS = [
  'coin',
  'px',
  'sz',
  'side',
  'time',
  'startPosition',
  'dir',
  'closedPnl',
  'hash',
  'oid',
  'crossed',
  'fee',
  'tid',
  'feeToken',
  'liquidation',
];
const STATUS_KEYS = ['time', 'user', 'status', 'order'];
const ORDER_KEYS = [
  'coin',
  'side',
  'limitPx',
  'sz',
  'oid',
  'timestamp',
  'triggerCondition',
  'isTrigger',
  'triggerPx',
  'children',
  'isPositionTpsl',
  'reduceOnly',
  'orderType',
  'origSz',
  'tif',
  'cloid',
];
const DIFF_KEYS = ['user', 'oid', 'coin', 'side', 'px', 'raw_book_diff'];
const NAIVE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6}|\.\d{9})?$/;

interface FileLine {
  file: string;
  /** `YYYYMMDD/H` of the file. */
  hour: string;
  text: string;
  value: Record<string, unknown> | null;
}

/** Every line of a stream, files in time order (date folder, then hour as a number). */
function readStream(dir: string, stream: NodeStream): { lines: FileLine[]; endsWithNewline: boolean[] } {
  const root = join(dir, stream, 'hourly');
  const out: FileLine[] = [];
  const ends: boolean[] = [];
  if (!existsSync(root)) return { lines: out, endsWithNewline: ends };
  for (const day of readdirSync(root).sort()) {
    const hours = readdirSync(join(root, day)).sort((a, b) => Number(a) - Number(b));
    for (const h of hours) {
      expect(h).toMatch(/^(0|[1-9]|1\d|2[0-3])$/); // not zero-padded
      const file = join(root, day, h);
      const text = readFileSync(file, 'utf8');
      ends.push(text.endsWith('\n'));
      for (const line of text.split('\n')) {
        if (line === '') continue;
        let value: Record<string, unknown> | null = null;
        try {
          value = JSON.parse(line) as Record<string, unknown>;
        } catch {
          value = null;
        }
        out.push({ file, hour: `${day}/${h}`, text: line, value });
      }
    }
  }
  return { lines: out, endsWithNewline: ends };
}

function hourOf(naive: string): string {
  const t = Date.parse(naive.slice(0, 23) + 'Z');
  const d = new Date(t);
  const day = d.toISOString().slice(0, 10).replaceAll('-', '');
  return `${day}/${d.getUTCHours()}`;
}

function heights(lines: FileLine[]): number[] {
  return lines.filter((l) => l.value !== null).map((l) => l.value!.block_number as number);
}

function run(opts: {
  seed: number;
  start: number;
  blocks: number;
  dir: string;
  script?: (s: NodeSim) => void;
}) {
  const engine = new Engine({ seed: opts.seed, startTime: opts.start });
  const sim = new NodeSim(engine, opts.dir);
  const times = new Map<number, number>();
  sim.onNodeBlock = (b) => times.set(b.height, b.time);
  opts.script?.(sim);
  return {
    sim,
    times,
    step(n = 1) {
      for (let i = 0; i < n; i++) {
        engine.step();
        sim.onBlock();
      }
    },
  };
}

describe('sim/node hourly files', () => {
  it('formats as the node and OBS do: chrono naive times, OBS numbers, the unpadded hour path', () => {
    expect(naiveTime(SIM_EPOCH)).toBe('2026-01-01T00:00:00');
    expect(naiveTime(SIM_EPOCH + 120)).toBe('2026-01-01T00:00:00.120');
    expect(naiveTime(SIM_EPOCH + 123, 456_000)).toBe('2026-01-01T00:00:00.123456');
    expect(naiveTime(SIM_EPOCH + 123, 456_789)).toBe('2026-01-01T00:00:00.123456789');
    expect(naiveTime(SIM_EPOCH, 7)).toBe('2026-01-01T00:00:00.000000007');
    expect(obsNumber('106217.0')).toBe('106217');
    expect(obsNumber('0.00100')).toBe('0.001');
    expect(obsNumber('3512.50')).toBe('3512.5');
    expect(obsNumber('0.00000001')).toBe('0.00000001');
    expect(hourlyRelPath('node_fills_by_block', SIM_EPOCH + 8 * 3_600_000 + 5)).toBe(
      'node_fills_by_block/hourly/20260101/8',
    );
    expect(hourlyRelPath('node_raw_book_diffs_by_block', SIM_EPOCH - 1)).toBe(
      'node_raw_book_diffs_by_block/hourly/20251231/23',
    );
  });

  it('one parseable block per line, consecutive heights, the node layout, across an hour boundary', () => {
    const dir = tmp();
    const r = run({ seed: 7, start: SIM_EPOCH - 20_000, blocks: 0, dir });
    r.step(400);
    r.sim.files!.close();
    let lines = 0;
    let events = 0;
    const files = new Set<string>();
    for (const stream of NODE_STREAMS) {
      const { lines: ls, endsWithNewline } = readStream(dir, stream);
      expect(endsWithNewline.every(Boolean)).toBe(true);
      expect(ls.every((l) => l.value !== null)).toBe(true);
      expect(heights(ls)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
      // local_time never goes back (chrono's text compares as its time: fractions are left-aligned)
      const locals = ls.map((l) => l.value!.local_time as string);
      expect(locals).toEqual([...locals].sort());
      for (const l of ls) {
        files.add(l.file);
        const v = l.value!;
        expect(Object.keys(v)).toEqual(BATCH_KEYS);
        expect(v.local_time).toMatch(NAIVE);
        expect(v.block_time).toMatch(NAIVE);
        // the file is the hour of the line's local time; block_time reads back to the block's ms
        expect(l.hour).toBe(hourOf(v.local_time as string));
        expect(Date.parse((v.block_time as string).slice(0, 23) + 'Z')).toBe(
          r.times.get(v.block_number as number),
        );
        expect(Date.parse((v.local_time as string).slice(0, 23) + 'Z')).toBeGreaterThan(
          Date.parse((v.block_time as string).slice(0, 23) + 'Z'),
        );
        const evs = v.events as unknown[];
        events += evs.length;
        for (const e of evs.slice(0, 5)) {
          if (stream === 'node_fills_by_block') {
            const [user, fill] = e as [string, Record<string, unknown>];
            expect(user).toMatch(/^0x[0-9a-f]{40}$/);
            expect(Object.keys(fill)).toEqual(FILL_KEYS);
          } else if (stream === 'node_order_statuses_by_block') {
            const s = e as Record<string, unknown>;
            expect(Object.keys(s)).toEqual(STATUS_KEYS);
            expect(s.time).toMatch(NAIVE);
            expect(Object.keys(s.order as object)).toEqual(ORDER_KEYS);
          } else {
            const d = e as Record<string, unknown>;
            expect(Object.keys(d)).toEqual(DIFF_KEYS);
            const raw = d.raw_book_diff;
            expect(
              raw === 'remove' ||
                (typeof raw === 'object' && raw !== null && ['new', 'update'].includes(Object.keys(raw)[0]!)),
            ).toBe(true);
          }
        }
      }
      lines += ls.length;
    }
    const hours = [...files].map((f) => f.split('/').slice(-2).join('/'));
    console.log(
      `node files: ${lines} lines, ${events} events, ${files.size} files (${[...new Set(hours)].join(', ')})`,
    );
    expect(new Set(hours)).toEqual(new Set(['20251231/23', '20260101/0']));
  });

  it('the same seed writes the same bytes; another seed does not', () => {
    const bytes = (seed: number) => {
      const dir = tmp();
      const r = run({ seed, start: SIM_EPOCH, blocks: 0, dir });
      r.step(60);
      r.sim.files!.close();
      return NODE_STREAMS.map((s) =>
        readStream(dir, s)
          .lines.map((l) => l.text)
          .join('\n'),
      );
    };
    const a = bytes(21);
    expect(a.every((t) => t.length > 0)).toBe(true);
    expect(bytes(21)).toEqual(a);
    const c = bytes(22);
    for (let i = 0; i < 3; i++) expect(c[i]).not.toBe(a[i]);
  });

  it('skipBlock: the block is in no stream (a height hole), the rest consecutive', () => {
    const dir = tmp();
    const r = run({ seed: 3, start: SIM_EPOCH, blocks: 0, dir });
    r.step(50);
    r.sim.faults.skipBlock();
    r.step(50);
    r.sim.files!.close();
    const want = Array.from({ length: 100 }, (_, i) => i + 1).filter((h) => h !== 51);
    for (const stream of NODE_STREAMS) expect(heights(readStream(dir, stream).lines)).toEqual(want);
    expect(r.sim.files!.stats.blocksSkipped).toBe(1);
    expect(r.sim.faults.injected.skipBlock).toBe(1);
  });

  it('stallWriter: no line for the stall, then every held block at once, in order, written late', () => {
    const dir = tmp();
    const r = run({ seed: 4, start: SIM_EPOCH, blocks: 0, dir });
    r.step(20);
    const count = () => heights(readStream(dir, 'node_fills_by_block').lines).length;
    expect(count()).toBe(20);
    const stallStart = r.sim.engine.time;
    let until = Number.POSITIVE_INFINITY;
    r.sim.faults.at(stallStart + 1, (f) => {
      until = r.sim.engine.time + 5_000; // from the block that runs it
      f.stallWriter(5_000);
    });
    let held = 0;
    while (r.sim.engine.nextBlockTime() < Math.min(until, stallStart + 20_000)) {
      r.step();
      expect(count()).toBe(20); // nothing written during the stall
      held++;
    }
    expect(held).toBeGreaterThan(40);
    r.step(); // the first block after the stall writes everything
    r.sim.files!.close();
    for (const stream of NODE_STREAMS) {
      const ls = readStream(dir, stream).lines;
      expect(heights(ls)).toEqual(Array.from({ length: 20 + held + 1 }, (_, i) => i + 1));
      // the held lines carry the time they were written, after the stall
      for (const l of ls.slice(20)) {
        expect(Date.parse((l.value!.local_time as string).slice(0, 23) + 'Z')).toBeGreaterThanOrEqual(until);
      }
    }
    expect(r.sim.files!.stats.stalledBlocks).toBe(held);
  });

  it('truncateLine, completed later: the file ends mid-line until the rest arrives, then every line parses', () => {
    const dir = tmp();
    const r = run({ seed: 5, start: SIM_EPOCH, blocks: 0, dir });
    r.step(10);
    r.sim.faults.truncateLine({ streams: ['node_order_statuses_by_block'], completeAfterMs: 1_000 });
    r.step();
    const s1 = readStream(dir, 'node_order_statuses_by_block');
    expect(s1.endsWithNewline.at(-1)).toBe(false);
    expect(s1.lines.at(-1)!.value).toBeNull(); // the part-written line does not parse
    expect(heights(s1.lines)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    // the other streams are not held
    expect(heights(readStream(dir, 'node_fills_by_block').lines).length).toBe(11);
    const t0 = r.sim.engine.time;
    let waited = 0;
    while (r.sim.engine.nextBlockTime() < t0 + 1_000) {
      r.step();
      waited++;
      const s = readStream(dir, 'node_order_statuses_by_block');
      expect(s.lines.at(-1)!.value).toBeNull(); // later lines wait behind the part
    }
    r.step();
    r.sim.files!.close();
    const s2 = readStream(dir, 'node_order_statuses_by_block');
    expect(s2.endsWithNewline.every(Boolean)).toBe(true);
    expect(s2.lines.every((l) => l.value !== null)).toBe(true);
    expect(heights(s2.lines)).toEqual(Array.from({ length: 11 + waited + 1 }, (_, i) => i + 1));
    expect(r.sim.files!.stats.partialCompleted).toBe(1);
  });

  it('truncateLine, never completed: one malformed line stays, that block is missing there, the next lines parse', () => {
    const dir = tmp();
    const r = run({ seed: 6, start: SIM_EPOCH, blocks: 0, dir });
    r.step(10);
    r.sim.faults.truncateLine({ completeAfterMs: null });
    r.step(10);
    r.sim.files!.close();
    for (const stream of NODE_STREAMS) {
      const s = readStream(dir, stream);
      const bad = s.lines.filter((l) => l.value === null);
      expect(bad.length).toBe(1);
      expect(bad[0]!.text.startsWith('{"local_time":')).toBe(true);
      expect(s.lines.indexOf(bad[0]!)).toBe(10);
      expect(heights(s.lines)).toEqual([
        ...Array.from({ length: 10 }, (_, i) => i + 1),
        12,
        13,
        14,
        15,
        16,
        17,
        18,
        19,
        20,
      ]);
    }
    expect(r.sim.files!.stats.partialAbandoned).toBe(3);
  });

  it('hourRolloverMidBlock: the boundary block has its fills in the old hour and its statuses and diffs in the new', () => {
    const split = (script: boolean) => {
      const dir = tmp();
      const r = run({
        seed: 8,
        start: SIM_EPOCH - 3_000,
        blocks: 0,
        dir,
        ...(script ? { script: (s: NodeSim) => s.faults.hourRolloverMidBlock() } : {}),
      });
      r.step(80);
      r.sim.files!.close();
      const where = new Map<number, string[]>();
      for (const stream of NODE_STREAMS) {
        const s = readStream(dir, stream);
        expect(heights(s.lines)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
        for (const l of s.lines) {
          const h = l.value!.block_number as number;
          where.set(h, [...(where.get(h) ?? []), l.hour]);
          expect(l.hour).toBe(hourOf(l.value!.local_time as string));
        }
      }
      return { where, stats: r.sim.files!.stats };
    };
    const plain = split(false);
    const straddling = [...plain.where].filter(([, hs]) => new Set(hs).size > 1);
    expect(straddling).toEqual([]); // without the fault a block's three lines share an hour
    const faulted = split(true);
    const mid = [...faulted.where].filter(([, hs]) => new Set(hs).size > 1);
    expect(mid.length).toBe(1);
    expect(mid[0]![1]).toEqual(['20251231/23', '20260101/0', '20260101/0']);
    expect(faulted.stats.midBlockRollovers).toBe(1);
    console.log(
      `node files: hour rollover inside block ${mid[0]![0]} (fills / statuses / diffs: ${mid[0]![1].join(' / ')})`,
    );
  });
});
