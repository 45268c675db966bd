/**
 * The ingest worker end to end, in both wait modes (sleep on the ring; busy-poll after activity): every
 * frame written to the ring is journaled, applied to the hot state and counted in the latency histogram,
 * bursts separated by idle gaps included, and the worker stops promptly while polling.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startIngest } from '../../actors/ingest/host.ts';
import { readJournal } from '../../actors/journal/reader.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';
import { until } from '../feed/local-venue.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function bbo(i: number): Uint8Array {
  const px = 100_000 + (i % 50);
  return jsonBytes({
    channel: 'bbo',
    data: {
      coin: 'BTC',
      time: 1_700_000_000_000 + i,
      bbo: [
        { px: `${px}.0`, sz: '1.5', n: 3 },
        { px: `${px + 1}.0`, sz: '2.0', n: 4 },
      ],
    },
  });
}

describe.each([
  ['sleeps whenever the ring is empty', 0],
  ['busy-polls after activity', 2_000],
])('ingest worker that %s', (_name, spinUs) => {
  it('journals, applies and measures every frame, in bursts with idle gaps, and stops promptly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ingest-worker-'));
    dirs.push(dir);
    let frames = 0;
    let measured = 0;
    const host = await startIngest({
      coins: ['BTC'],
      ringBytes: 1 << 20,
      journal: {
        dir,
        mode: 'group',
        fsyncIntervalMs: 1,
        segmentBytes: 1 << 26,
        segmentMs: 3_600_000,
        lagBytes: 1 << 26,
      },
      statsEveryMs: 0,
      spinUs,
      onTick: () => {},
      onStats: (s) => {
        frames = s.frames;
        measured += s.latencyUs.count;
      },
    });
    const N = 3_000;
    let seq = host.nextSeq;
    for (let i = 0; i < N; i++) {
      const ok = host.producer.tryWrite({
        seq: seq++,
        time: performance.timeOrigin + performance.now(),
        epoch: 1,
        kind: RecordKind.Frame,
        channel: 'bbo',
        data: bbo(i),
      });
      expect(ok).toBe(true);
      // bursts of 100, then let the worker drain and go idle (poll or sleep) before the next one
      if (i % 100 === 99) await until(() => frames >= i + 1, `the worker to take frame ${i + 1}`);
    }
    await until(() => frames === N, `all ${N} frames`);
    expect(host.reader.version()).toBeGreaterThanOrEqual(N);
    const last = await host.stop();
    expect(last?.frames).toBe(N);
    expect(last?.pipeline.applied).toBe(N);
    expect(last?.pipeline.rejected).toBe(0);
    expect(measured + (last?.latencyUs.count ?? 0)).toBe(N);

    let journaled = 0;
    for (const e of readJournal(dir)) if (e.record.kind === RecordKind.Frame) journaled++;
    expect(journaled).toBe(N);
    // the worker's garbage collections are counted (each a stop on the frame path)
    const gc = last!.gc;
    expect(gc.minor + gc.major + gc.other).toBeGreaterThan(0);
    expect(gc.pauseMs).toBeGreaterThan(0);
    expect(gc.maxPauseMs).toBeLessThanOrEqual(gc.pauseMs);
  });
});

describe('the ingest worker’s heap', () => {
  it('starts with the configured old generation (ingest.oldSpaceMb, default 64 MB; 0 = V8’s own sizing)', async () => {
    const { INGEST_OLD_SPACE_MB } = await import('../../actors/ingest/protocol.ts');
    const { parseConfig } = await import('../../runtime/config.ts');
    expect(INGEST_OLD_SPACE_MB).toBe(64);
    expect(parseConfig({}).ingest.oldSpaceMb).toBe(64);
    expect(parseConfig({ ingest: { oldSpaceMb: 0 } }).ingest.oldSpaceMb).toBe(0);
    expect(() => parseConfig({ ingest: { oldSpaceMb: -1 } })).toThrow(/ingest\.oldSpaceMb/);
  });
});
