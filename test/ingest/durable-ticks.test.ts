/**
 * The decision side acts only on durable records (issue 20, defect 5): a control tick reaches the main
 * thread only once the journal holds it — and every record before it — on disk, so a SIGKILL right after a
 * decision leaves a journal that reproduces it. The journal is read from disk inside the tick callback.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startIngest } from '../../actors/ingest/host.ts';
import type { TickMessage } from '../../actors/ingest/protocol.ts';
import { readJournal } from '../../actors/journal/reader.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';
import { until } from '../feed/local-venue.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('durable ticks', () => {
  it('every tick handed to the decision side is already on disk with all records before it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'durable-ticks-'));
    dirs.push(dir);
    const seen: Array<{ tick: number; onDisk: boolean; before: number; expectedBefore: number }> = [];
    let written = 0;
    const host = await startIngest({
      coins: ['BTC'],
      ringBytes: 1 << 20,
      // a long group-commit interval: a tick handed on before its fsync would not be on disk yet
      journal: {
        dir,
        mode: 'group',
        fsyncIntervalMs: 10,
        segmentBytes: 1 << 26,
        segmentMs: 3_600_000,
        lagBytes: 1 << 26,
      },
      statsEveryMs: 0,
      spinUs: 0,
      onTick: (m: TickMessage) => {
        let onDisk = false;
        let before = 0;
        for (const { record } of readJournal(dir, { onCorrupt: () => {} })) {
          if (record.seq === m.seq) onDisk = true;
          else if (record.seq < m.seq) before++;
        }
        seen.push({ tick: m.seq, onDisk, before, expectedBefore: m.seq - firstSeq });
      },
    });
    const firstSeq = host.nextSeq;
    let seq = firstSeq;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) {
        host.producer.tryWrite({
          seq: seq++,
          time: 1_700_000_000_000 + seq,
          epoch: 1,
          kind: RecordKind.Frame,
          channel: 'bbo',
          data: jsonBytes({
            channel: 'bbo',
            data: { coin: 'BTC', time: 1_700_000_000_000 + seq, bbo: [null, null] },
          }),
        });
        written++;
      }
      host.producer.tryWrite({
        seq: seq++,
        time: 1_700_000_000_000 + seq,
        epoch: 0,
        kind: RecordKind.Tick,
        channel: 'tick',
        data: jsonBytes({ cause: 'timer' }),
      });
      await until(() => seen.length === round + 1, `tick ${round + 1}`);
    }
    await host.stop();
    expect(written).toBe(250);
    expect(seen).toHaveLength(5);
    for (const s of seen) {
      expect(s.onDisk, `tick ${s.tick} on disk when handed on`).toBe(true);
      expect(s.before, `records before tick ${s.tick} on disk`).toBe(s.expectedBefore);
    }
  });

  it('journal files are created 0600 and their folder 0700 (issue 20, defect 11)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'journal-modes-'));
    dirs.push(root);
    const dir = join(root, 'journal', '2026-11-30');
    const host = await startIngest({
      coins: ['BTC'],
      ringBytes: 1 << 16,
      journal: {
        dir,
        mode: 'group',
        fsyncIntervalMs: 1,
        segmentBytes: 1 << 20,
        segmentMs: 3_600_000,
        lagBytes: 1 << 20,
      },
      statsEveryMs: 0,
      spinUs: 0,
      onTick: () => {},
    });
    host.producer.tryWrite({
      seq: host.nextSeq,
      time: 1_700_000_000_000,
      epoch: 0,
      kind: RecordKind.Decision,
      channel: 'x',
      data: jsonBytes({}),
    });
    await host.stop();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
  });
});
