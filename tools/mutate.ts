/**
 * `npm run mutate [-- FILE ...]`: mutation testing (Stryker, vitest runner) of the pure decision logic.
 *
 * Without FILE it mutates every target of stryker.config.json; with FILE (a path, a glob, or Stryker's
 * `path:line-line` range) it passes FILE as Stryker's `--mutate`. Either way only the test files that
 * exercise the mutated files run (TESTS below, handed to tools/vitest.mutate.config.ts through
 * MUTATE_TESTS), with at most 2 workers (stryker.config.json `concurrency`). At the end it prints one
 * row per file (killed, survived, timed out, no coverage, score) in the table format of MUTATION.md.
 *
 * `--static` also tests the static mutants (ignored by default: each reloads the test environment).
 *
 * Not part of `npm test`. Reports: reports/mutation/ (git-ignored).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Stryker as StrykerClass } from '@stryker-mutator/core';

type PartialStrykerOptions = NonNullable<ConstructorParameters<typeof StrykerClass>[0]>;

/**
 * Stryker 10 declares Node ≥ 22, and its package entry loads the CLI module, whose first statement
 * throws below that. The engine itself runs on this project's Node 20.19+ (nothing it uses is newer),
 * so on Node 20 the Stryker class is loaded from its own module, past the CLI's version guard.
 */
async function loadStryker(): Promise<typeof StrykerClass> {
  if (Number(process.versions.node.split('.')[0]) >= 22)
    return (await import('@stryker-mutator/core')).Stryker;
  const file = pathToFileURL(resolve('node_modules/@stryker-mutator/core/dist/src/stryker.js')).href;
  return ((await import(file)) as { Stryker: typeof StrykerClass }).Stryker;
}

/** Which test files kill the mutants of which source files (globs, relative to the repository root). */
const TESTS: Array<{ source: RegExp; tests: string[] }> = [
  {
    source: /^machines\/regime\./,
    tests: [
      'test/machines/regime.rules.test.ts',
      'test/machines/regime.paths.test.ts',
      'test/machines/regime.property.test.ts',
    ],
  },
  { source: /^actors\/execution\/risk\.ts$/, tests: ['test/execution/risk.test.ts'] },
  { source: /^strategies\//, tests: ['test/strategies/**/*.test.ts'] },
  { source: /^machines\/strategy\./, tests: ['test/machines/strategy.*.test.ts'] },
  {
    source: /^machines\/execution\./,
    tests: ['test/machines/execution.paths.test.ts', 'test/execution/*.test.ts'],
  },
];

interface Row {
  file: string;
  killed: number;
  survived: number;
  timeout: number;
  noCoverage: number;
  ignored: number;
  score: number;
}

/** The test globs for a set of `--mutate` patterns (a glob matches every entry whose source it could name). */
export function testsFor(patterns: string[]): string[] {
  const out = new Set<string>();
  for (const raw of patterns) {
    const p = raw.replace(/:\d+(-\d+)?(:\d+)?$/, '').replace(/^\.\//, '');
    const prefix = p.split('*')[0] ?? '';
    const hits = TESTS.filter((t) => t.source.test(p) || (p.includes('*') && t.source.test(prefix + 'x')));
    if (hits.length === 0)
      throw new Error(`mutate: no test files are mapped for ${raw} (tools/mutate.ts TESTS)`);
    for (const h of hits) for (const t of h.tests) out.add(t);
  }
  return [...out];
}

function rows(reportFile: string): Row[] {
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
    files: Record<string, { mutants: Array<{ status: string }> }>;
  };
  return Object.entries(report.files)
    .map(([file, f]) => {
      const n = (s: string) => f.mutants.filter((m) => m.status === s).length;
      const killed = n('Killed');
      const timeout = n('Timeout');
      const survived = n('Survived');
      const noCoverage = n('NoCoverage');
      const detected = killed + timeout;
      const valid = detected + survived + noCoverage;
      return {
        file,
        killed,
        survived,
        timeout,
        noCoverage,
        ignored: n('Ignored'),
        score: valid === 0 ? 100 : (100 * detected) / valid,
      };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  // --static: also the static mutants (code run once at import, e.g. a machine's configuration object);
  // each one reloads the test environment and runs every covering test, so this is slow
  const withStatic = argv.includes('--static');
  const args = argv.filter((a) => a !== '--static');
  // Stryker reads stryker.config.json itself; only `mutate` is overridden here
  const base = JSON.parse(readFileSync(resolve('stryker.config.json'), 'utf8')) as PartialStrykerOptions;
  const mutate = args.length > 0 ? args : (base.mutate as string[]);
  const tests = testsFor(mutate);
  process.env.MUTATE_TESTS = tests.join(',');
  console.log(`mutate: ${mutate.join(' ')}\ntests:  ${tests.join(' ')}`);
  const options: PartialStrykerOptions = withStatic ? { mutate, ignoreStatic: false } : { mutate };
  const Stryker = await loadStryker();
  await new Stryker(options).runMutationTest();
  const table = rows(resolve('reports/mutation/mutation.json'));
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}  npm run mutate${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
  );
  console.log('| file | killed | timed out | survived | no coverage | ignored | score |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of table)
    console.log(
      `| ${r.file} | ${r.killed} | ${r.timeout} | ${r.survived} | ${r.noCoverage} | ${r.ignored} | ${r.score.toFixed(1)} % |`,
    );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
