/** Shared helpers for the journal tests: temp dirs and deterministic records of every kind. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSource, type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';

export const L2BOOK = new Uint8Array(
  readFileSync(
    new URL('../../../shared/fixtures/hyperliquid/ws/l2Book_BTC_1751427259657.json', import.meta.url),
  ),
);
export const TRADES = new Uint8Array(
  readFileSync(
    new URL('../../../shared/fixtures/hyperliquid/ws/trades_BTC_1751430933565.json', import.meta.url),
  ),
);

export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `journal-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** mulberry32: a tiny seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const T0 = 1751427259657.25;

/**
 * The record for `seq`, a pure function of seq: kinds cycle frame/conn/tick/decision/frame(binary);
 * frames are the real l2Book and trades fixtures or non-UTF-8 bytes.
 */
export function recordFor(seq: number, epoch = 1): JournalRecord {
  const time = T0 + seq * 1.5 + (seq % 7) * 0.001;
  switch (seq % 6) {
    case 0:
      return { seq, time, epoch, kind: RecordKind.Frame, channel: 'l2Book', data: L2BOOK };
    case 1:
      return { seq, time, epoch, kind: RecordKind.Frame, channel: 'trades', data: TRADES };
    case 2:
      return {
        seq,
        time,
        epoch,
        kind: RecordKind.Conn,
        channel: 'conn',
        data: jsonBytes(
          seq % 12 === 2
            ? { type: 'gap', key: 'l2Book:BTC', lost: 3, reason: 'ring overflow' }
            : { type: 'open', url: 'ws://127.0.0.1' },
        ),
      };
    case 3:
      return {
        seq,
        time,
        epoch,
        kind: RecordKind.Tick,
        channel: 'tick',
        data: jsonBytes({ version: seq, cause: 'timer' }),
      };
    case 4:
      return {
        seq,
        time,
        epoch,
        kind: RecordKind.Decision,
        channel: 'regime',
        data: jsonBytes({ regime: 'SIDEWAYS', seq }),
      };
    default: {
      // bytes that are not valid UTF-8 (and contain the sync marker's bytes), length varies with seq
      const r = prng(seq);
      const n = 1 + Math.floor(r() * 300);
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.floor(r() * 256);
      data[0] = 0xff;
      if (n > 8) data.set([0xf7, 0x4a, 0x52, 0x1d], 4);
      return { seq, time, epoch, kind: RecordKind.Frame, channel: '', data };
    }
  }
}

export function sameRecord(a: JournalRecord, b: JournalRecord): boolean {
  if (
    a.seq !== b.seq ||
    a.time !== b.time ||
    a.epoch !== b.epoch ||
    a.kind !== b.kind ||
    a.channel !== b.channel ||
    (a.source ?? defaultSource(a.kind)) !== (b.source ?? defaultSource(b.kind))
  ) {
    return false;
  }
  return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
    Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
  );
}
