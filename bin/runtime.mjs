#!/usr/bin/env node
// `runtime` bin (also `npm start`, `npm run runtime -- …`, `npx runtime …`): runs the CLI compiled by
// `npm run build` (dist/, built by `npm ci` through `prepare`) in THIS process — no loader, no child
// process — so a signal sent to this PID reaches the trading process itself and runs its graceful shutdown.
//
// It never runs stale code: when dist/ is missing, or a source file, tsconfig or diagram changed after the
// last build began, it says which and exits 2 (`npm run build` fixes it; `npm start` builds first).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');
// what tsconfig.build.json compiles, and what the build copies
const SOURCE_DIRS = ['machines', 'actors', 'state', 'strategies', 'hyperliquid', 'sim', 'replay', 'runtime'];
const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json', 'diagrams/strategy.json'];
// commands that run until stopped: their signals are taken before anything starts (runtime/signals.ts)
const LONG_RUNNING = new Set(['start', 'record', 'sim']);

/** The first source newer than the build, or null. */
function newerThanBuild() {
  const built = statSync(stamp).mtimeMs;
  const newer = (p) => statSync(p).mtimeMs > built;
  for (const f of SOURCE_FILES) if (existsSync(join(root, f)) && newer(join(root, f))) return f;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        const hit = walk(p);
        if (hit) return hit;
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        if (newer(p) || !existsSync(join(dist, relative(root, p)).replace(/\.ts$/, '.js'))) return p;
      }
    }
    return null;
  };
  for (const d of SOURCE_DIRS) {
    const hit = existsSync(join(root, d)) ? walk(join(root, d)) : null;
    if (hit) return relative(root, hit);
  }
  return null;
}

function refuse(why) {
  process.stderr.write(
    `runtime: ${why}; refusing to run stale code. Run \`npm run build\` (or \`npm start\`, which builds first).\n`,
  );
  process.exit(2);
}

if (!existsSync(stamp)) refuse(`no compiled build in ${relative(process.cwd(), dist) || 'dist'}/`);
const stale = newerThanBuild();
if (stale) refuse(`${stale} changed after the last build`);

process.setSourceMapsEnabled(true);
const argv = process.argv.slice(2);
if (LONG_RUNNING.has(argv[0] ?? '')) {
  const { installStopSignals } = await import(pathToFileURL(join(dist, 'runtime', 'signals.js')).href);
  installStopSignals();
}
const { main } = await import(pathToFileURL(join(dist, 'runtime', 'cli.js')).href);
const line = (s) => (s.endsWith('\n') || s === '' ? s : `${s}\n`);
const io = {
  stdout: (s) => void process.stdout.write(line(s)),
  stderr: (s) => void process.stderr.write(line(s)),
};
let code;
try {
  code = await main(argv, io);
} catch (e) {
  process.stderr.write(`runtime: ${e?.stack ?? String(e)}\n`);
  code = 1;
}
process.exitCode = code;
// The command is done: the process ends when its last handle closes. Should one stay open by mistake,
// say so and exit rather than linger (unref'd: this timer alone keeps nothing alive).
setTimeout(() => {
  process.stderr.write(
    `runtime: the command finished but handles are still open after 10 s; exiting (${code})\n`,
  );
  process.exit(code);
}, 10_000).unref();
