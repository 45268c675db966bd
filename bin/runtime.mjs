#!/usr/bin/env node
// `runtime` bin: runs the TypeScript CLI through tsx so `npx runtime …` works in a clone.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsxCli = require.resolve('tsx/cli', { paths: [root] });
const res = spawnSync(process.execPath, [tsxCli, join(root, 'runtime', 'cli.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(res.status ?? 1);
