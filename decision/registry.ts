/**
 * The strategy registry: every file in `strategies/` that exports a `strategy` definition
 * (`strategies/definition.ts`) is a strategy of this system — adding one is adding that one file. The
 * decision engine, the config (`strategies.<name>.*`, env, `--help`), the diagrams, the dashboard and the
 * reports iterate this list, in name order. Tests make their own registry with `registryWith`.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FAMILY_REGIME, type AnyStrategy } from '../strategies/definition.ts';

export type Registry = readonly AnyStrategy[];

const NAME = /^[a-z][a-z0-9]*$/;

function isDefinition(x: unknown): x is AnyStrategy {
  if (x === null || typeof x !== 'object') return false;
  const d: Partial<Record<keyof AnyStrategy, unknown>> = x;
  return (
    typeof d.name === 'string' &&
    (d.family === 'SLBRS' || d.family === 'EFFCS') &&
    typeof d.view === 'function' &&
    typeof d.setup === 'function' &&
    typeof d.trigger === 'function' &&
    typeof d.exit === 'function' &&
    d.params !== undefined
  );
}

/** Checks a list of definitions: names valid and unique, parameters parse to their defaults. */
export function checkRegistry(defs: readonly AnyStrategy[]): Registry {
  const seen = new Set<string>();
  for (const d of defs) {
    if (!NAME.test(d.name))
      throw new Error(`strategy name "${d.name}" must be lower-case letters and digits`);
    if (seen.has(d.name)) throw new Error(`two strategies are named "${d.name}"`);
    seen.add(d.name);
    if (!(d.family in FAMILY_REGIME)) throw new Error(`strategy ${d.name}: unknown family ${d.family}`);
    const p = d.params.safeParse({});
    if (!p.success) throw new Error(`strategy ${d.name}: its parameters have no complete defaults`);
  }
  return [...defs].sort((a, b) => a.name.localeCompare(b.name));
}

/** The definitions exported by the modules of a folder (`strategy` exports), in name order. */
export async function discoverStrategies(dir: URL): Promise<Registry> {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const files = readdirSync(fileURLToPath(dir))
    .filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`) && f !== `definition${ext}`)
    .sort();
  const defs: AnyStrategy[] = [];
  for (const f of files) {
    const mod: Record<string, unknown> = await import(new URL(f, dir).href);
    if (isDefinition(mod.strategy)) defs.push(mod.strategy);
  }
  return checkRegistry(defs);
}

/** Every strategy in `strategies/`. */
export const STRATEGIES: Registry = await discoverStrategies(new URL('../strategies/', import.meta.url));

/** The registry plus `extra` (a test's throwaway strategy, say). */
export function registryWith(...extra: AnyStrategy[]): Registry {
  return checkRegistry([...STRATEGIES, ...extra]);
}

export function strategyNamed(registry: Registry, name: string): AnyStrategy | undefined {
  return registry.find((d) => d.name === name);
}
