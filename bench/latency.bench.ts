/**
 * Frame → hot-state publish latency over loopback: the simulator at ×110 offers about 5 000 frames/s (its
 * realistic mix of l2Book, bbo, trades, activeAssetCtx), the real feed stamps and rings them, and the real
 * ingest worker journals, parses, builds and publishes each one. Latency is the worker's publish time minus
 * the frame's receive stamp. Five runs of 11 s, the first 3 s of each (connection, subscription snapshots,
 * JIT warm-up) not counted; medians over runs of each run's p50 / p99 / max.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SystemClock } from '../actors/journal/system-clock.ts';
import { startSystem } from '../runtime/system.ts';
import { parseConfig } from '../runtime/config.ts';
import { startSim } from '../sim/server.ts';
import { type BenchFigure, median, round } from './lib.ts';

const WARMUP_MS = 3_000;
// the simulator's pace giving about 5 000 frames/s of its default mix (BTC, ETH, SOL)
const SPEED = 110;

async function once(
  seconds: number,
  speed: number,
): Promise<{ p50: number; p99: number; max: number; fps: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-lat-'));
  const clock = new SystemClock();
  const sim = await startSim({ seed: 5, scenario: 'default', speed, clock });
  const config = parseConfig({ dataDir: dir });
  const system = await startSystem({
    config,
    url: sim.wsUrl,
    clock,
    journalDir: join(dir, 'journal'),
    logger: pino({ level: 'silent' }),
    decide: false,
  });
  const samples: Array<{ p50: number; p99: number; max: number; count: number }> = [];
  const t0 = clock.now();
  let f0 = 0;
  await new Promise<void>((resolve) => {
    const poll = () => {
      const s = system.stats();
      // steady state only: skip the first 3 s (connection, subscription snapshots, JIT warm-up)
      if (s && s.latencyUs.count > 0 && clock.now() - t0 > WARMUP_MS) samples.push({ ...s.latencyUs });
      if (clock.now() - t0 >= WARMUP_MS && f0 === 0) f0 = system.summary().frames;
      if (clock.now() - t0 >= seconds * 1000) resolve();
      else setTimeout(poll, 1000);
    };
    setTimeout(poll, 1000);
  });
  const frames = system.summary().frames - f0;
  await system.stop();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
  const w = (k: 'p50' | 'p99') =>
    samples.reduce((a, s) => a + s[k] * s.count, 0) /
    Math.max(
      1,
      samples.reduce((a, s) => a + s.count, 0),
    );
  return {
    p50: w('p50'),
    p99: w('p99'),
    max: Math.max(...samples.map((s) => s.max)),
    fps: frames / (seconds - 1),
  };
}

export default async function ({ quick }: { quick: boolean }): Promise<BenchFigure[]> {
  const runs = quick ? 2 : 5;
  const seconds = quick ? 6 : 11;
  const res = [];
  for (let i = 0; i < runs; i++) res.push(await once(seconds, SPEED));
  return [
    {
      bench: 'ingest.latency',
      unit: 'us',
      median: round(median(res.map((r) => r.p50)), 1),
      p99: round(median(res.map((r) => r.p99)), 1),
      max: round(median(res.map((r) => r.max)), 1),
      runs,
      offeredFps: round(median(res.map((r) => r.fps)), 0),
      note: 'frame receive stamp (main thread) → hot-state publish (ingest worker), journal append included; p99/max are medians over runs of each run’s figure',
    },
  ];
}
