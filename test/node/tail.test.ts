import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createRingBuffer, RingConsumer, RingProducer } from '../../actors/feed/ring.ts';
import { Stamper } from '../../actors/feed/stamper.ts';
import { type NodeLine, type NodeStream, startNodeTail, type TailEvent } from '../../actors/node/tail.ts';
import { ManualClock } from '../../state/clock.ts';
import { type JournalRecord, RecordKind } from '../../state/records.ts';

const FILLS: NodeStream = 'node_fills_by_block';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'node-tail-'));
  dirs.push(d);
  return d;
}

/** A by-block line as the node writes it (block time = height × 70 ms after a base). */
function line(height: number): string {
  const t = new Date(Date.UTC(2025, 10, 25, 8) + height * 70).toISOString().replace('Z', '123456');
  return `{"local_time":"${t}","block_time":"${t}","block_number":${height},"events":[["0xabc",{"coin":"BTC","px":"1","tid":${height}}]]}\n`;
}

function hourFile(dir: string, stream: string, day: string, hour: number): string {
  const d = join(dir, stream, 'hourly', day);
  mkdirSync(d, { recursive: true });
  const f = join(d, String(hour));
  appendFileSync(f, '');
  return f;
}

function rig(dir: string, opts: Partial<Parameters<typeof startNodeTail>[0]> = {}) {
  const clock = opts.clock instanceof ManualClock ? opts.clock : new ManualClock(1_000_000);
  const lines: NodeLine[] = [];
  const events: TailEvent[] = [];
  const tail = startNodeTail({
    dir,
    clock,
    streams: [FILLS],
    pollMs: 50,
    startAt: 'begin',
    emit: (l) => lines.push(l),
    onEvent: (e) => events.push(e),
    ...opts,
  });
  return { clock, tail, lines, events, heights: () => lines.map((l) => l.height) };
}

describe('node files tail', () => {
  it('follows a file being written: a partial last line is held until its newline arrives', () => {
    const dir = tempDir();
    const f = hourFile(dir, FILLS, '20251125', 8);
    const r = rig(dir);
    appendFileSync(f, line(1) + line(2));
    const third = line(3);
    appendFileSync(f, third.slice(0, 40));
    r.clock.advance(50);
    expect(r.heights()).toEqual([1, 2]);
    r.clock.advance(500);
    expect(r.heights()).toEqual([1, 2]);
    appendFileSync(f, third.slice(40));
    r.clock.advance(50);
    expect(r.heights()).toEqual([1, 2, 3]);
    // each line is handed on byte for byte, without its newline
    expect(new TextDecoder().decode(r.lines[2]!.bytes)).toBe(third.slice(0, -1));
    expect(r.lines[2]!.file).toBe(join(FILLS, 'hourly', '20251125', '8'));
    r.tail.stop();
  });

  it('follows the hour rollover, across days too (hours are not zero-padded)', () => {
    const dir = tempDir();
    const h22 = hourFile(dir, FILLS, '20251125', 22);
    const r = rig(dir);
    appendFileSync(h22, line(1) + line(2));
    r.clock.advance(50);
    const h23 = hourFile(dir, FILLS, '20251125', 23);
    appendFileSync(h23, line(3));
    r.clock.advance(50);
    const h0 = hourFile(dir, FILLS, '20251126', 0);
    appendFileSync(h0, line(4) + line(5));
    // a file of hour 9 sorts after hour 10 as text: the order is numeric
    hourFile(dir, FILLS, '20251126', 9);
    const h10 = hourFile(dir, FILLS, '20251126', 10);
    r.clock.advance(50);
    appendFileSync(h10, line(6));
    r.clock.advance(50);
    expect(r.heights()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.events.filter((e) => e.type === 'file').map((e) => (e.type === 'file' ? e.file : ''))).toEqual(
      ['20251125/22', '20251125/23', '20251126/0', '20251126/9', '20251126/10'].map((p) =>
        join(FILLS, 'hourly', p),
      ),
    );
    r.tail.stop();
  });

  it('a truncated last line, never completed, is reported after the grace and never handed on', () => {
    const dir = tempDir();
    const h8 = hourFile(dir, FILLS, '20251125', 8);
    appendFileSync(h8, line(1) + line(2) + line(3).slice(0, 30));
    const r = rig(dir, { truncateAfterMs: 1_000 });
    r.clock.advance(50);
    expect(r.heights()).toEqual([1, 2]);
    const h9 = hourFile(dir, FILLS, '20251125', 9);
    appendFileSync(h9, line(4) + line(5));
    // within the grace the partial line is still waited for
    r.clock.advance(500);
    expect(r.heights()).toEqual([1, 2]);
    expect(r.tail.counters.truncated).toBe(0);
    r.clock.advance(600);
    expect(r.heights()).toEqual([1, 2, 4, 5]);
    expect(r.tail.counters.truncated).toBe(1);
    expect(r.events).toContainEqual({
      type: 'truncated',
      stream: FILLS,
      file: join(FILLS, 'hourly', '20251125', '8'),
      bytes: 30,
    });
    // a late write to the left file is never read
    appendFileSync(h8, `${line(3).slice(30)}`);
    r.clock.advance(200);
    expect(r.heights()).toEqual([1, 2, 4, 5]);
    r.tail.stop();
  });

  it('a partial line completed just after the next hour file appears is not lost', () => {
    const dir = tempDir();
    const h8 = hourFile(dir, FILLS, '20251125', 8);
    appendFileSync(h8, line(1) + line(2).slice(0, 30));
    const r = rig(dir, { truncateAfterMs: 1_000 });
    r.clock.advance(50);
    hourFile(dir, FILLS, '20251125', 9);
    r.clock.advance(200);
    appendFileSync(h8, line(2).slice(30));
    appendFileSync(join(dir, FILLS, 'hourly', '20251125', '9'), line(3));
    r.clock.advance(100);
    expect(r.heights()).toEqual([1, 2, 3]);
    expect(r.tail.counters.truncated).toBe(0);
    r.tail.stop();
  });

  it('a restart mid-hour resumes after the last journaled height: every block exactly once', () => {
    const dir = tempDir();
    const h8 = hourFile(dir, FILLS, '20251125', 8);
    for (let h = 1; h <= 10; h++) appendFileSync(h8, line(h));
    const first = rig(dir);
    first.clock.advance(50);
    expect(first.heights()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    first.tail.stop();
    // the writer goes on while we are down, into the next hour too
    for (let h = 11; h <= 15; h++) appendFileSync(h8, line(h));
    const h9 = hourFile(dir, FILLS, '20251125', 9);
    for (let h = 16; h <= 20; h++) appendFileSync(h9, line(h));
    // the journal persisted up to height 7 only (the rest was not durable): resume after 7
    const second = rig(dir, { resume: { [FILLS]: 7 } });
    second.clock.advance(50);
    expect(second.heights()).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(second.tail.counters.duplicates).toBe(7);
    // resuming inside the later file starts there (the earlier file is not read)
    second.tail.stop();
    const third = rig(dir, { resume: { [FILLS]: 17 } });
    third.clock.advance(50);
    expect(third.heights()).toEqual([18, 19, 20]);
    expect(third.tail.counters.duplicates).toBe(2);
    third.tail.stop();
  });

  it('starting live (no resume) begins at the newest file end, skipping the line being written', () => {
    const dir = tempDir();
    const h8 = hourFile(dir, FILLS, '20251125', 8);
    appendFileSync(h8, line(1));
    const h9 = hourFile(dir, FILLS, '20251125', 9);
    appendFileSync(h9, line(2) + line(3).slice(0, 25));
    const r = rig(dir, { startAt: 'end' });
    r.clock.advance(50);
    appendFileSync(h9, line(3).slice(25) + line(4));
    r.clock.advance(50);
    expect(r.heights()).toEqual([4]);
    r.tail.stop();
  });

  it('a line without a block height is handed on (the parser counts it), never fatal; files appear late', () => {
    const dir = tempDir();
    const r = rig(dir);
    r.clock.advance(200);
    expect(r.lines).toEqual([]);
    const h8 = hourFile(dir, FILLS, '20251125', 8);
    writeFileSync(h8, `${line(1)}not json at all\n\n{"block_number":"x"}\n${line(2)}`);
    r.clock.advance(50);
    expect(r.heights()).toEqual([1, Number.NaN, Number.NaN, 2]);
    expect(r.tail.counters.noHeight).toBe(2);
    r.tail.stop();
  });

  it('holds off while the inlet is backed up: nothing read, nothing lost, then everything in order', () => {
    const dir = tempDir();
    const h8 = hourFile(dir, FILLS, '20251125', 8);
    for (let h = 1; h <= 50; h++) appendFileSync(h8, line(h));
    let backedUp = true;
    const r = rig(dir, { holdOff: () => backedUp });
    r.clock.advance(500);
    expect(r.lines).toEqual([]);
    expect(r.tail.counters.heldOff).toBe(11);
    backedUp = false;
    r.clock.advance(50);
    expect(r.heights()).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    r.tail.stop();
  });

  it('lines enter the journal inlet tagged with source node and their stream as channel', () => {
    const dir = tempDir();
    const h8 = hourFile(dir, FILLS, '20251125', 8);
    appendFileSync(h8, line(1) + line(2));
    const clock = new ManualClock(5_000);
    const sab = createRingBuffer(1 << 16);
    const stamper = new Stamper({ clock, sink: new RingProducer(sab) });
    stamper.setEpoch(3);
    const tail = startNodeTail({
      dir,
      clock,
      streams: [FILLS],
      startAt: 'begin',
      emit: (l) => stamper.sourced(RecordKind.Frame, 'node', l.stream, l.bytes, 0),
    });
    clock.advance(50);
    tail.stop();
    const c = new RingConsumer(sab);
    const out: JournalRecord[] = [];
    for (let r = c.readOne(); r !== null; r = c.readOne()) out.push(r);
    expect(out.map((r) => [r.seq, r.kind, r.source, r.channel, r.epoch])).toEqual([
      [1, RecordKind.Frame, 'node', FILLS, 0],
      [2, RecordKind.Frame, 'node', FILLS, 0],
    ]);
    expect(new TextDecoder().decode(out[1]!.data)).toBe(line(2).slice(0, -1));
    expect(stamper.counters.bySource.node).toBe(2);
  });

  it('property: any split of the writes, rollovers and restarts hands on every block exactly once', () => {
    let runs = 0;
    let blocks = 0;
    let restarts = 0;
    let rollovers = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 9 })), {
          minLength: 5,
          maxLength: 60,
        }),
        (steps) => {
          runs++;
          const dir = mkdtempSync(join(tmpdir(), 'node-tail-p-'));
          try {
            const clock = new ManualClock(0);
            const seen: number[] = [];
            let text = '';
            let height = 0;
            let hour = 0;
            let written = 0; // bytes of `text` written to the current hour file
            const file = () => hourFile(dir, FILLS, '20251125', hour);
            let path = file();
            let journaled: number | undefined;
            const start = () =>
              startNodeTail({
                dir,
                clock,
                streams: [FILLS],
                startAt: 'begin',
                pollMs: 50,
                ...(journaled !== undefined ? { resume: { [FILLS]: journaled } } : {}),
                emit: (l) => {
                  seen.push(l.height);
                  journaled = l.height;
                },
              });
            let tail = start();
            for (const [bytes, action] of steps) {
              // the writer appends some blocks, then writes `bytes` more of them
              while (text.length - written < bytes) text += line(++height);
              appendFileSync(path, text.slice(written, written + bytes));
              written += bytes;
              if (action === 0) {
                // the writer ends its line, then rolls over to the next hour
                appendFileSync(path, text.slice(written));
                hour++;
                rollovers++;
                path = file();
                text = '';
                written = 0;
              } else if (action === 1) {
                tail.stop();
                restarts++;
                tail = start();
              }
              clock.advance(50);
            }
            // the writer finishes its last line
            appendFileSync(path, text.slice(written));
            clock.advance(50);
            tail.stop();
            blocks += seen.length;
            expect(seen).toEqual(Array.from({ length: height }, (_, i) => i + 1));
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 60, seed: 17 },
    );
    console.log(
      `node tail property: ${runs} runs, ${blocks} blocks, ${restarts} restarts, ${rollovers} rollovers`,
    );
    expect(runs).toBe(60);
    expect(restarts).toBeGreaterThan(20);
    expect(rollovers).toBeGreaterThan(5);
    expect(blocks).toBeGreaterThan(500);
  });
});
