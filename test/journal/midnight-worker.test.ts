/**
 * The ingest worker on a data dir's day folder (`<data>/journal/<YYYY-MM-DD>`, as `runtime start` gives it)
 * rolls to the next day's folder at midnight (record time), keeps the record's source, and a second worker
 * started on a later day continues the sequence.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startIngest } from '../../actors/ingest/host.ts';
import { journalDays, readDays } from '../../actors/journal/days.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';
import { until } from '../feed/local-venue.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const journalOpts = (dir: string) => ({
  dir,
  mode: 'group' as const,
  fsyncIntervalMs: 1,
  segmentBytes: 1 << 20,
  segmentMs: 3_600_000,
  lagBytes: 1 << 26,
});

async function ingestOn(dir: string) {
  let records = 0;
  const host = await startIngest({
    coins: ['BTC'],
    ringBytes: 1 << 16,
    journal: journalOpts(dir),
    statsEveryMs: 0,
    spinUs: 0,
    onTick: () => {},
    onStats: (s) => {
      records = s.records;
    },
  });
  return { host, records: () => records };
}

describe('ingest worker: the journal across midnight', () => {
  it('rolls to the next day folder with contiguous seqs, sources kept; a later start continues them', async () => {
    const data = mkdtempSync(join(tmpdir(), 'midnight-worker-'));
    dirs.push(data);
    const root = join(data, 'journal');
    const t0 = Date.parse('2026-03-14T23:59:58Z');
    const a = await ingestOn(join(root, '2026-03-14'));
    const first = a.host.nextSeq;
    let seq = first;
    const N = 400;
    for (let i = 0; i < N; i++) {
      const ok = a.host.producer.tryWriteParts(
        seq++,
        t0 + i * 10, // 4 s: crosses 00:00:00 at i = 200
        1,
        i % 50 === 0 ? RecordKind.Venue : RecordKind.Frame,
        i % 50 === 0 ? 'orderUpdates' : 'trades',
        jsonBytes({ i }),
        i % 3 === 0 ? 'node' : undefined,
      );
      if (!ok) {
        await until(() => a.records() >= i, 'ring space');
        i--;
        seq--;
      }
    }
    await until(() => a.records() === N, `all ${N} records`);
    await a.host.stop();
    expect(readdirSync(root).sort()).toEqual(['2026-03-14', '2026-03-15']);
    const recs = [...readDays(journalDays(data))].map((e) => e.record);
    expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: N }, (_, i) => first + i));
    expect(recs.filter((r) => r.kind === RecordKind.Venue)).toHaveLength(8);
    expect(recs.filter((r) => r.source === 'node')).toHaveLength(Math.ceil(N / 3));
    const day2 = [...readDays([join(root, '2026-03-15')])].map((e) => e.record);
    expect(day2[0]).toMatchObject({ seq: first + 200, time: Date.parse('2026-03-15T00:00:00Z') });

    // the next start, two days later: a new folder, the same sequence
    const b = await ingestOn(join(root, '2026-03-17'));
    expect(b.host.nextSeq).toBe(first + N);
    await b.host.stop();
  });
});
