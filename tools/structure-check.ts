/**
 * `npm run check:structure` — the roadmap's Phase 0 as a command.
 *  1. enumerates the modules imported at load time and their transitive graph (dependency-cruiser);
 *  2. fails on any import cycle;
 *  3. enforces the layer arrows of DESIGN.md ("Layout"): nothing imports upward, `hyperliquid/` imports
 *     nothing of ours, strategies cannot reach signing or anything holding a key;
 *  4. imports every module under machines/, strategies/, state/, hyperliquid/ in a fresh worker and
 *     fails if that opened a socket, file, timer or worker (active handles/resources before vs after,
 *     plus traps on the calls that open them).
 * Prints `STRUCTURE OK — PROCEED` on success. `--root DIR` checks another tree (used by its tests).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { cruise, type IForbiddenRuleType } from 'dependency-cruiser';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export const LAYERS = [
  'hyperliquid',
  'state',
  'sim',
  'machines',
  'actors',
  'strategies',
  'replay',
  'runtime',
] as const;

/** Which of our folders each folder may import (besides itself). */
export const ALLOWED: Record<string, string[]> = {
  hyperliquid: [],
  state: ['hyperliquid'],
  sim: ['hyperliquid'],
  machines: ['hyperliquid', 'state'],
  actors: ['machines', 'state', 'hyperliquid'],
  strategies: ['state', 'machines'],
  replay: ['hyperliquid', 'state', 'sim', 'machines', 'actors', 'strategies'],
  runtime: ['hyperliquid', 'state', 'sim', 'machines', 'actors', 'strategies', 'replay'],
};

/** Modules that hold or touch a private key; strategies must not reach them, even transitively. */
export const KEY_HOLDERS = ['^hyperliquid/signing\\.ts$', '^actors/venue/live', '^runtime/secrets'];

/** Folders whose modules must have no side effects on import. */
export const PURE_FOLDERS = ['machines', 'strategies', 'state', 'hyperliquid'];

function rules(): IForbiddenRuleType[] {
  const out: IForbiddenRuleType[] = [
    {
      name: 'no-circular',
      comment: 'import cycles make load order and initialisation fragile',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-test-or-bench-from-production',
      severity: 'error',
      from: { path: `^(${LAYERS.join('|')})/` },
      to: { path: '^(test|bench|tools)/' },
    },
  ];
  for (const layer of LAYERS) {
    const allowed = [layer, ...(ALLOWED[layer] ?? [])];
    const forbidden = LAYERS.filter((l) => !allowed.includes(l));
    if (forbidden.length === 0) continue;
    out.push({
      name: `layer-${layer}`,
      comment: `${layer}/ may import only ${allowed.join(', ')} (DESIGN.md, Layout)`,
      severity: 'error',
      from: { path: `^${layer}/` },
      to: { path: `^(${forbidden.join('|')})/` },
    });
  }
  out.push({
    name: 'strategies-never-reach-keys',
    comment: 'strategies never import signing or anything that holds a key, even transitively',
    severity: 'error',
    from: { path: '^strategies/' },
    to: { path: KEY_HOLDERS.join('|'), reachable: true } as any,
  });
  return out;
}

export interface StructureReport {
  modules: number;
  dependencies: number;
  violations: Array<{ rule: string; from: string; to: string; cycle?: string[] }>;
  sideEffects: Array<{ module: string; opened: string[] }>;
}

function listTs(root: string, folder: string): string[] {
  const dir = join(root, folder);
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.ts') && !f.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export async function checkGraph(root: string): Promise<Omit<StructureReport, 'sideEffects'>> {
  const present = LAYERS.filter((l) => existsSync(join(root, l)));
  const cwd = process.cwd();
  process.chdir(root); // dependency-cruiser reports paths relative to the working directory
  try {
    const result = await cruise(
      present,
      {
        validate: true,
        ruleSet: { forbidden: rules() },
        doNotFollow: { path: 'node_modules' },
        exclude: { path: '(^|/)node_modules/' },
        tsPreCompilationDeps: true,
        moduleSystems: ['es6', 'cjs'],
      } as any,
      { extensions: ['.ts', '.js', '.mjs', '.json'] } as any,
    );
    const out = result.output as any;
    const violations = (out.summary.violations as any[]).map((v) => ({
      rule: v.rule.name as string,
      from: v.from as string,
      to: v.to as string,
      ...(v.cycle ? { cycle: (v.cycle as any[]).map((c) => (typeof c === 'string' ? c : c.name)) } : {}),
    }));
    const modules = out.modules.filter((m: any) => !m.coreModule && !/node_modules/.test(m.source));
    const deps = modules.reduce((n: number, m: any) => n + m.dependencies.length, 0);
    return { modules: modules.length, dependencies: deps, violations };
  } finally {
    process.chdir(cwd);
  }
}

export async function checkSideEffects(root: string): Promise<StructureReport['sideEffects']> {
  const files = PURE_FOLDERS.flatMap((f) => listTs(root, f));
  if (files.length === 0) return [];
  const worker = new Worker(new URL('./structure-probe.mjs', import.meta.url), { workerData: { files } });
  const results = await new Promise<StructureReport['sideEffects']>((res, rej) => {
    worker.once('message', res);
    worker.once('error', rej);
  });
  await worker.terminate();
  return results.map((r) => ({ module: relative(root, r.module), opened: r.opened }));
}

export async function checkStructure(root: string): Promise<StructureReport> {
  const graph = await checkGraph(root);
  const sideEffects = await checkSideEffects(root);
  return { ...graph, sideEffects };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--root');
  const root = i > 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]!) : repoRoot;
  const report = await checkStructure(root);
  console.log(`modules loaded: ${report.modules}, import edges: ${report.dependencies}`);
  for (const v of report.violations) {
    console.error(
      `VIOLATION ${v.rule}: ${v.from} → ${v.to}${v.cycle ? ` (cycle: ${[v.from, ...v.cycle].join(' → ')})` : ''}`,
    );
  }
  for (const s of report.sideEffects) {
    console.error(`SIDE EFFECT on import of ${s.module}: ${s.opened.join(', ')}`);
  }
  if (report.violations.length || report.sideEffects.length) {
    console.error(
      `STRUCTURE FAILED — ${report.violations.length} violation(s), ${report.sideEffects.length} module(s) with side effects`,
    );
    process.exit(1);
  }
  console.log('STRUCTURE OK — PROCEED');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
