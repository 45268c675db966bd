/** `runtime record --source <url|sim> --coins BTC,ETH --data DIR [--duration S]`: feed + journal only. */
import { join } from 'node:path';
import { journalDirFor } from '../../actors/journal/format.ts';
import { startSim, type SimServer } from '../../sim/server.ts';
import { SystemClock } from '../clocks.ts';
import { lockDataDir } from '../lock.ts';
import { startSystem } from '../system.ts';
import { runUntilDone } from '../signals.ts';
import { formatSummary } from './start.ts';
import { COMMON_OPTIONS, configFrom, guarded, type Io, loggerFrom, num, parse } from './common.ts';

export const RECORD_USAGE = `usage: runtime record --source <url|sim> [options]

Runs the feed and the journal only (no decisions): every frame is stamped and journaled.

options:
  --source URL|sim      the WebSocket URL to record, or 'sim' for the built-in simulator (default sim)
  --coins BTC,ETH       coins (default BTC,ETH,SOL)
  --data DIR            data directory (journal under DIR/journal/<date>)
  --duration S          stop after S seconds
  --scenario NAME --seed N --speed N|max   simulator settings (with --source sim)
`;

export async function recordCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, RECORD_USAGE, async () => {
    const { values } = parse(argv, { ...COMMON_OPTIONS, source: { type: 'string' } });
    if (values.help) {
      io.stdout(RECORD_USAGE);
      return 0;
    }
    const config = configFrom(values);
    const logger = loggerFrom(values);
    const lock = lockDataDir(config.dataDir, 'runtime record');
    try {
      const clock = new SystemClock();
      let sim: SimServer | null = null;
      let url = values.source ?? 'sim';
      if (url === 'sim') {
        sim = await startSim({
          seed: num(values.seed, 'seed', 7),
          scenario: values.scenario ?? 'default',
          coins: config.coins,
          speed: values.speed === 'max' ? 'max' : num(values.speed, 'speed', 1),
        });
        url = sim.wsUrl;
        io.stdout(`sim: ${url}`);
      }
      const system = await startSystem({
        config,
        url,
        clock,
        journalDir: journalDirFor(join(config.dataDir, 'journal'), clock.now()),
        logger,
        decide: false,
      });
      io.stdout(`recording ${url} → ${system.summary().journal.dir}`);
      const s = await runUntilDone(
        system,
        values.duration !== undefined ? num(values.duration, 'duration', 0) : null,
      );
      await sim?.close();
      io.stdout(formatSummary(s));
      return 0;
    } finally {
      lock.release();
    }
  });
}
