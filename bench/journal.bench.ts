/**
 * Journal throughput next to the raw disk, measured in the same run:
 *  - journal.append: records/s appended with group commit (5 ms) for l2Book frames (real fixture,
 *    1609 bytes), until all are acknowledged; baseline: the same bytes written with plain fs + fdatasync
 *    in batches of the same size the journal flushed.
 *  - journal.read: records/s read back (CRC + decode); baseline: plain chunked read of the same files.
 *  - journal.replay: records/s through the replay driver (ManualClock advanced, no-op sink); same baseline.
 * Files go to a temp dir under os.tmpdir().
 */
import {
  closeSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '../actors/journal/reader.ts';
import { SystemClock } from '../actors/journal/system-clock.ts';
import { JournalWriter } from '../actors/journal/writer.ts';
import { runReplay } from '../replay/driver.ts';
import { ManualClock } from '../state/clock.ts';
import { RecordKind } from '../state/records.ts';
import { type BenchFigure, figure, hrNowNs, withBaseline } from './lib.ts';

const FRAME = new Uint8Array(
  readFileSync(
    new URL('../../shared/fixtures/hyperliquid/ws/l2Book_BTC_1751427259657.json', import.meta.url),
  ),
);

async function appendRun(dir: string, n: number): Promise<{ rps: number; batches: number; bytes: number }> {
  const clock = new SystemClock();
  const w = new JournalWriter({ dir, clock, fsyncIntervalMs: 5 });
  const t0 = hrNowNs();
  let t = clock.now();
  for (let s = 0; s < n; s++) {
    t += 0.05;
    w.append({ seq: s, time: t, epoch: 1, kind: RecordKind.Frame, channel: 'l2Book', data: FRAME });
    // let the flush callbacks run now and then, as the ingest worker's event loop would
    if ((s & 1023) === 1023) await new Promise<void>((r) => setImmediate(r));
  }
  await w.close();
  const secs = Number(hrNowNs() - t0) / 1e9;
  return { rps: n / secs, batches: w.stats.flushes, bytes: w.stats.bytesWritten };
}

/** Raw baseline: write the same number of bytes in `batches` equal writes, fdatasync after each. */
function rawWriteRun(dir: string, n: number, bytes: number, batches: number): number {
  const chunk = Buffer.alloc(Math.ceil(bytes / batches), 0x61);
  const fd = openSync(join(dir, 'raw.bin'), 'w');
  const t0 = hrNowNs();
  let left = bytes;
  while (left > 0) {
    const k = Math.min(left, chunk.length);
    writeSync(fd, chunk, 0, k);
    fdatasyncSync(fd);
    left -= k;
  }
  closeSync(fd);
  const secs = Number(hrNowNs() - t0) / 1e9;
  return n / secs;
}

function readRun(dir: string): number {
  const t0 = hrNowNs();
  let n = 0;
  for (const _ of readJournal(dir)) n++;
  return n / (Number(hrNowNs() - t0) / 1e9);
}

async function replayRun(dir: string): Promise<number> {
  const t0 = hrNowNs();
  let sink = 0;
  const done = await runReplay({
    dir,
    clock: new ManualClock(0),
    sink: () => sink++,
    batch: 8192,
    progressEvery: 1e9,
  });
  return done.records / (Number(hrNowNs() - t0) / 1e9);
}

/** Raw baseline: read the journal's files in 1 MiB chunks; rate expressed in records/s of the same data. */
function rawReadRun(dir: string, n: number): number {
  const buf = Buffer.allocUnsafe(1 << 20);
  const t0 = hrNowNs();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.jrnl'))) {
    const fd = openSync(join(dir, f), 'r');
    let pos = 0;
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, pos);
      if (got <= 0) break;
      pos += got;
    }
    closeSync(fd);
  }
  return n / (Number(hrNowNs() - t0) / 1e9);
}

export default async ({ quick }: { quick: boolean }): Promise<BenchFigure[]> => {
  const runs = 5;
  const n = quick ? 20_000 : 100_000;
  const root = mkdtempSync(join(tmpdir(), 'journal-bench-'));
  const app: number[] = [];
  const rawW: number[] = [];
  const rd: number[] = [];
  const rp: number[] = [];
  const rawR: number[] = [];
  let lastBatches = 0;
  try {
    for (let r = 0; r < runs; r++) {
      const dir = join(root, `run${r}`);
      const a = await appendRun(dir, n);
      app.push(a.rps);
      lastBatches = a.batches;
      rawW.push(rawWriteRun(root, n, a.bytes, a.batches));
      rmSync(join(root, 'raw.bin'), { force: true });
      rd.push(readRun(dir));
      rp.push(await replayRun(dir));
      rawR.push(rawReadRun(dir, n));
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const extra = { records: n, frameBytes: FRAME.length, fsyncIntervalMs: 5, flushesLastRun: lastBatches };
  const rawWrite = figure('journal.raw_write_fdatasync', 'records/s', rawW, extra);
  const rawRead = figure('journal.raw_read', 'records/s', rawR, extra);
  return [
    withBaseline(figure('journal.append_group_commit', 'records/s', app, extra), rawWrite),
    withBaseline(figure('journal.read', 'records/s', rd, extra), rawRead),
    withBaseline(figure('journal.replay', 'records/s', rp, extra), rawRead),
  ];
};
