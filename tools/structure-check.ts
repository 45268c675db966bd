/**
 * `npm run check:structure` — the roadmap's Phase 0 as a command.
 *  1. enumerates the modules imported at load time and their transitive graph (dependency-cruiser);
 *  2. fails on any import cycle;
 *  3. enforces the layer arrows of DESIGN.md ("Layout"): nothing imports upward, `hyperliquid/` imports
 *     nothing of ours, strategies cannot reach signing or anything holding a key;
 *  4. imports every module under machines/, strategies/, state/, hyperliquid/ in a fresh worker and
 *     fails if that opened a socket, file, timer or worker (active handles/resources before vs after,
 *     plus traps on the calls that open them);
 *  5. fails on any silencing cast — `as never` or `as unknown as T` (or their `<never>` / `<unknown>`
 *     forms) — in production code: every folder but test/ and bench/ (issue 20 item 13: a cast hid a
 *     setting that never reached its machine). Found in the syntax tree, so a comment or a string
 *     that says "as never" is not a cast.
 * Prints `STRUCTURE OK — PROCEED` on success. `--root DIR` checks another tree (used by its tests).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { cruise, type IForbiddenRuleType } from 'dependency-cruiser';
import ts from 'typescript';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export const LAYERS = [
  'hyperliquid',
  'state',
  'sim',
  'machines',
  'actors',
  'strategies',
  'decision',
  'replay',
  'research',
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
  decision: ['hyperliquid', 'state', 'machines', 'actors', 'strategies'],
  replay: ['hyperliquid', 'state', 'sim', 'machines', 'actors', 'strategies', 'decision'],
  research: ['hyperliquid', 'state', 'sim', 'machines', 'actors', 'strategies', 'decision', 'replay'],
  runtime: [
    'hyperliquid',
    'state',
    'sim',
    'machines',
    'actors',
    'strategies',
    'decision',
    'replay',
    'research',
  ],
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

/** A cast that silences the type checker instead of stating a type. */
export interface SilencingCast {
  /** Relative to the checked root. */
  file: string;
  /** 1-based. */
  line: number;
  cast: 'as never' | 'as unknown as';
  /** The cast expression as written (first line, trimmed to 120 characters). */
  text: string;
}

export interface StructureReport {
  modules: number;
  dependencies: number;
  violations: Array<{ rule: string; from: string; to: string; cycle?: string[] }>;
  sideEffects: Array<{ module: string; opened: string[] }>;
  casts: SilencingCast[];
}

/** Folders that are not production code (or not ours): never scanned for casts. */
export const CAST_EXEMPT_DIRS = new Set(['test', 'bench', 'node_modules', 'dist', 'coverage', 'data', 'tmp']);
const TS_SOURCE = /\.(?:ts|mts|cts|tsx)$/;

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

export async function checkGraph(root: string): Promise<Omit<StructureReport, 'sideEffects' | 'casts'>> {
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

/** Production TypeScript files under `root`: everything but the exempt folders and dot-folders. */
function productionSources(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) {
        if (!f.startsWith('.') && !(d === root && CAST_EXEMPT_DIRS.has(f)) && f !== 'node_modules') walk(p);
      } else if (TS_SOURCE.test(f) && !f.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(root);
  return out;
}

function castKind(node: ts.Node): SilencingCast['cast'] | null {
  if (!ts.isAsExpression(node) && !ts.isTypeAssertionExpression(node)) return null;
  if (node.type.kind === ts.SyntaxKind.NeverKeyword) return 'as never';
  let inner: ts.Expression = node.expression;
  while (ts.isParenthesizedExpression(inner)) inner = inner.expression;
  if (
    (ts.isAsExpression(inner) || ts.isTypeAssertionExpression(inner)) &&
    inner.type.kind === ts.SyntaxKind.UnknownKeyword
  )
    return 'as unknown as';
  return null;
}

/** Every `as never` / `as unknown as` in one source text (`file` names it in the report). */
export function findSilencingCasts(file: string, text: string): SilencingCast[] {
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const out: SilencingCast[] = [];
  const visit = (node: ts.Node) => {
    const cast = castKind(node);
    if (cast) {
      const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      const first = node.getText(sf).split('\n')[0]!.trim();
      out.push({ file, line, cast, text: first.length > 120 ? `${first.slice(0, 117)}...` : first });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Silencing casts in the production code under `root`, by file and line. */
export function checkCasts(root: string): SilencingCast[] {
  return productionSources(root).flatMap((p) =>
    findSilencingCasts(relative(root, p), readFileSync(p, 'utf8')),
  );
}

export async function checkStructure(root: string): Promise<StructureReport> {
  const graph = await checkGraph(root);
  const sideEffects = await checkSideEffects(root);
  const casts = checkCasts(root);
  return { ...graph, sideEffects, casts };
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
  for (const c of report.casts) {
    console.error(`SILENCING CAST ${c.file}:${c.line}: ${c.cast} — state the real type (${c.text})`);
  }
  if (report.violations.length || report.sideEffects.length || report.casts.length) {
    console.error(
      `STRUCTURE FAILED — ${report.violations.length} violation(s), ${report.sideEffects.length} module(s) with side effects, ${report.casts.length} silencing cast(s)`,
    );
    process.exit(1);
  }
  console.log('STRUCTURE OK — PROCEED');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
