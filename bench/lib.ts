/**
 * Benchmark helpers. Every figure is one JSON object on its own line:
 *   {"bench":"hotstate.read","unit":"ns","median":180,"p99":420,"runs":5,...}
 * `median` is the median over `runs` independent runs of the per-run figure; where an issue names a
 * baseline it is measured in the same run and reported as `baseline` with `ratio`.
 */
import os from 'node:os';

export interface BenchFigure {
  bench: string;
  unit: string;
  median: number;
  runs: number;
  p99?: number;
  min?: number;
  max?: number;
  baseline?: { bench: string; unit: string; median: number; runs: number };
  ratio?: number;
  [extra: string]: unknown;
}

export interface BenchModule {
  /** Run the benchmark and return its figures. */
  default: (opts: { quick: boolean }) => Promise<BenchFigure[]>;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >>> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

/** Percentile over a Float64Array in place (sorts it). */
export function percentileSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Wall time of the host for a benchmark: the only place benchmarks read the real clock. */
export function hrNowNs(): bigint {
  return process.hrtime.bigint();
}

export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
  };
}

/**
 * Time `fn` for `runs` runs of `iterations` calls each; the per-run figure is ns per call.
 * Returns the median and p99 over runs plus min/max.
 */
export function timePerCall(fn: () => void, iterations: number, runs: number): { perRun: number[] } {
  const perRun: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = hrNowNs();
    for (let i = 0; i < iterations; i++) fn();
    const t1 = hrNowNs();
    perRun.push(Number(t1 - t0) / iterations);
  }
  return { perRun };
}

export function figure(
  bench: string,
  unit: string,
  perRun: readonly number[],
  extra: Record<string, unknown> = {},
): BenchFigure {
  return {
    bench,
    unit,
    median: round(median(perRun)),
    min: round(Math.min(...perRun)),
    max: round(Math.max(...perRun)),
    runs: perRun.length,
    ...extra,
  };
}

/** Attach a baseline figure measured in the same run; ratio = median / baseline.median. */
export function withBaseline(main: BenchFigure, base: BenchFigure): BenchFigure {
  return {
    ...main,
    baseline: { bench: base.bench, unit: base.unit, median: base.median, runs: base.runs },
    ratio: round(main.median / base.median, 4),
  };
}
