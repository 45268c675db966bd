/**
 * `npm run chaos -- [--seed N] [--steps M] [--speed X] [--trade-s S] [--keep]`: the operator chaos test
 * (test/chaos/rig.ts) for longer runs than the short one in `npm test`. Builds first if needed; prints each
 * step, the reach and the seed; exits 1 on a broken invariant (the message names the seed and the step).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt } from '../setup/runtime-bin.ts';
import { runChaos } from './rig.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    steps: { type: 'string' },
    speed: { type: 'string' },
    'trade-s': { type: 'string' },
    keep: { type: 'boolean' },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const dir = mkdtempSync(join(tmpdir(), 'chaos-'));
console.log(`chaos: seed ${seed}, data in ${dir}`);
await ensureBuilt();
const t0 = performance.now();
try {
  const r = await runChaos({
    seed,
    steps: Number(values.steps ?? 60),
    dir,
    speed: Number(values.speed ?? 30),
    tradeS: Number(values['trade-s'] ?? 20),
    log: (l) => console.log(l),
  });
  console.log(
    JSON.stringify({ ...r, steps: r.steps.length, seconds: Math.round((performance.now() - t0) / 1000) }),
  );
  console.log(`chaos: seed ${seed}: every invariant held`);
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
} catch (e) {
  console.error((e as Error).message);
  console.error(`chaos: seed ${seed} FAILED; data kept in ${dir}`);
  process.exitCode = 1;
}
