/**
 * A sweep's configs from its spec file (`sweep.json`): a grid (the cartesian product of each key's
 * values) or a seeded random search, over the decision side's parameters — strategy, regime, risk,
 * paper execution and health — which do not change the market state (so every config can run from one
 * tick tape of the range). Keys are dotted config paths (`risk.riskPerTrade`,
 * `strategies.geometry.enabled`); a key outside those sections is an error naming it, and every config is
 * validated by the config schema (through the injected `validate`: the schema lives above this layer), so
 * an unknown key or a value out of bounds is an error naming the key and the config.
 *
 *   { "grid":   { "risk.riskPerTrade": [0.0025, 0.005], "regime.confirmTicks": [2, 3, 4] },
 *     "random": { "risk.riskPerTrade": { "min": 0.001, "max": 0.01 },
 *                 "regime.confirmTicks": { "min": 1, "max": 6, "int": true },
 *                 "strategies.geometry.enabled": [true, false] },
 *     "fixed":  { "risk.startEquity": 50000 } }
 */
import { z } from 'zod';
import { setPath } from './backtest.ts';

/** The config sections a sweep may vary: the decision side's, none that changes the market state. */
export const SWEEP_SECTIONS = ['strategy', 'strategies', 'regime', 'risk', 'paper', 'health'] as const;

const scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);
const range = z
  .object({ min: z.number(), max: z.number(), int: z.boolean().optional(), log: z.boolean().optional() })
  .strict()
  .refine((r) => Number.isFinite(r.min) && Number.isFinite(r.max) && r.min <= r.max, 'min must be ≤ max')
  .refine((r) => !r.log || r.min > 0, 'a log range needs min > 0');

export const SweepSpecSchema = z
  .object({
    grid: z.record(z.string(), z.array(scalar).min(1)).optional(),
    random: z.record(z.string(), z.union([z.array(scalar).min(1), range])).optional(),
    fixed: z.record(z.string(), scalar).optional(),
  })
  .strict()
  .refine((s) => s.grid !== undefined || s.random !== undefined, 'a sweep needs "grid" or "random"');

export type SweepSpec = z.infer<typeof SweepSpecSchema>;

/** One config of a sweep: dotted key → value. */
export type ParamSet = Record<string, string | number | boolean | null>;

export class SweepSpecError extends Error {}

/** Parse and check a spec (JSON text or value): its shape, and that every key is a sweepable path. */
export function parseSweepSpec(input: unknown, source = 'sweep spec'): SweepSpec {
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      throw new SweepSpecError(`${source} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const r = SweepSpecSchema.safeParse(raw);
  if (!r.success)
    throw new SweepSpecError(
      `invalid ${source}:\n  ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n  ')}`,
    );
  const bad: string[] = [];
  for (const part of ['grid', 'random', 'fixed'] as const)
    for (const key of Object.keys(r.data[part] ?? {})) {
      const path = key.split('.');
      if (path.length < 2 || path.some((p) => p === ''))
        bad.push(`${part}.${key}: not a dotted config path (e.g. risk.riskPerTrade)`);
      else if (!(SWEEP_SECTIONS as readonly string[]).includes(path[0]!))
        bad.push(
          `${part}.${key}: section '${path[0]}' cannot be swept (only ${SWEEP_SECTIONS.join(', ')}: parameters that do not change the market state)`,
        );
    }
  if (bad.length) throw new SweepSpecError(`invalid ${source}:\n  ${bad.join('\n  ')}`);
  return r.data;
}

/** The grid's configs: the cartesian product of its keys' values, first key slowest, each with `fixed`. */
export function gridSets(spec: SweepSpec): ParamSet[] {
  const keys = Object.keys(spec.grid ?? {});
  let out: ParamSet[] = [{ ...(spec.fixed ?? {}) }];
  for (const k of keys) {
    const next: ParamSet[] = [];
    for (const s of out) for (const v of spec.grid![k]!) next.push({ ...s, [k]: v });
    out = next;
  }
  return out;
}

/** A seeded PRNG (mulberry32): the same seed draws the same configs on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` configs drawn with `seed`: each key of `random` (or, without it, of `grid`) drawn independently —
 * a list uniformly, a range uniformly (log-uniformly with `log`, rounded with `int`). Duplicates are kept
 * once (the result cache would answer them anyway), so fewer than `n` may come back from a small space.
 */
export function randomSets(spec: SweepSpec, n: number, seed: number): ParamSet[] {
  if (!Number.isInteger(n) || n < 1) throw new SweepSpecError(`--random ${n}: must be a whole number ≥ 1`);
  const space = spec.random ?? spec.grid ?? {};
  const rnd = mulberry32(seed);
  const seen = new Set<string>();
  const out: ParamSet[] = [];
  for (let i = 0; i < n; i++) {
    const s: ParamSet = { ...(spec.fixed ?? {}) };
    for (const [k, d] of Object.entries(space)) {
      if (Array.isArray(d)) s[k] = d[Math.min(d.length - 1, Math.floor(rnd() * d.length))]!;
      else {
        const u = rnd();
        let v = d.log
          ? Math.exp(Math.log(d.min) + u * (Math.log(d.max) - Math.log(d.min)))
          : d.min + u * (d.max - d.min);
        v = d.int ? Math.round(v) : Number(v.toPrecision(6));
        s[k] = v;
      }
    }
    const id = JSON.stringify(s);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(s);
  }
  return out;
}

/** `{ 'risk.riskPerTrade': 0.01 }` → `{ risk: { riskPerTrade: 0.01 } }`. */
export function nestSet(set: ParamSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(set)) {
    const path = key.split('.');
    setPath(out, path, v);
  }
  return out;
}
