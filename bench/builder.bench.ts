/**
 * State-builder throughput in frames/s on a realistic mix (bbo 50 %, trades 30 %, l2Book 12 %,
 * activeAssetCtx 8 %; 3 coins; 20-level books) from a seeded generator, as JSON text:
 * `JSON.parse` + builder (publishing to the hot state) beside `JSON.parse` alone on the same frames in
 * the same run (the floor). ratio = builder throughput / parse-only throughput.
 */
import { StateBuilder } from '../state/builder.ts';
import { HotStateWriter } from '../state/hotstate.ts';
import { dispatch, generateFrames } from '../test/state/frames.ts';
import { type BenchFigure, figure, hrNowNs, median, round, withBaseline } from './lib.ts';

export default async ({ quick }: { quick: boolean }): Promise<BenchFigure[]> => {
  const runs = 5;
  const coins = ['BTC', 'ETH', 'SOL'];
  const frames = generateFrames({ seed: 1, coins, durationMs: quick ? 60_000 : 600_000, rate: 200 });
  const n = frames.length;
  const texts = frames.map((f) => f.text);
  const channels = frames.map((f) => f.channel);
  const times = frames.map((f) => f.recvTime);
  let sink = 0;

  const parseOnce = (): number => {
    const t0 = hrNowNs();
    for (let i = 0; i < n; i++) {
      const m = JSON.parse(texts[i]!);
      if (m.channel === 'x') sink++;
    }
    return n / (Number(hrNowNs() - t0) / 1e9);
  };
  const buildOnce = (): number => {
    const hot = HotStateWriter.create(coins);
    const b = new StateBuilder({ coins, hot });
    const t0 = hrNowNs();
    for (let i = 0; i < n; i++) {
      const m = JSON.parse(texts[i]!);
      dispatch(b, m.channel, m.data, times[i]!, i);
    }
    const fps = n / (Number(hrNowNs() - t0) / 1e9);
    if (b.counters.badInputs !== 0)
      throw new Error(`builder rejected ${b.counters.badInputs} frames: ${b.counters.lastError}`);
    sink += hot.version();
    return fps;
  };

  // warm-up, then interleave so both see the same machine conditions
  parseOnce();
  buildOnce();
  const parse: number[] = [];
  const build: number[] = [];
  for (let r = 0; r < runs; r++) {
    parse.push(parseOnce());
    build.push(buildOnce());
  }
  if (sink < 0) console.error(sink);
  const mix: Record<string, number> = {};
  for (const c of channels) mix[c] = (mix[c] ?? 0) + 1;
  const base = figure('builder.parse-only', 'frames/s', parse, { frames: n });
  const main = figure('builder.throughput', 'frames/s', build, {
    frames: n,
    mix,
    builderNsPerFrame: round(1e9 / median(build) - 1e9 / median(parse), 1),
    method: 'JSON.parse + StateBuilder.on* + hot-state publish per frame; baseline = JSON.parse alone',
  });
  return [withBaseline(main, base), base];
};
