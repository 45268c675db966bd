/**
 * `npm run bench [-- NAME ...] [-- --quick]`: runs every `bench/*.bench.ts` (or those whose name
 * contains one of NAME) each in a fresh child process, and prints one JSON object a line per figure.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => names.length === 0 || names.some((n) => f.includes(n)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${names.join(', ')}; have: ${readdirSync(here).join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  const res = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(here, 'one.ts'), join(here, f), quick ? '1' : '0'],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (res.status !== 0) {
    failed++;
    console.error(`bench ${f} failed with status ${res.status}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
