/** The free-space floor at start (issue 16): below `journal.minFreeBytes` the system refuses to start. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../runtime/config.ts';
import { startSystem } from '../../runtime/system.ts';
import { ManualClock } from '../../state/clock.ts';

const dir = mkdtempSync(join(tmpdir(), 'disk-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('start below the disk floor', () => {
  it('is refused with a ConfigError naming the path, the free space and the floor; nothing is started', async () => {
    const journalDir = join(dir, 'journal', '2026-11-20');
    const config = parseConfig({ dataDir: dir, journal: { minFreeBytes: 2 ** 52 } });
    const err = await startSystem({
      config,
      url: 'ws://127.0.0.1:9/never',
      clock: new ManualClock(Date.parse('2026-11-20T10:00:00Z')),
      journalDir,
      logger: pino({ level: 'silent' }),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(
      new RegExp(
        `^runtime: ${dir}.* free, below the journal's floor of 4096\\.0 TiB .*journal\\.minFreeBytes`,
      ),
    );
    expect((err as ConfigError).issues).toEqual(['journal.minFreeBytes']);
    expect(existsSync(journalDir)).toBe(false); // no journal opened, no worker started
  });

  it('the default floor is 1 GiB and 0 turns the check off', () => {
    expect(parseConfig({}).journal.minFreeBytes).toBe(2 ** 30);
    expect(parseConfig({ journal: { minFreeBytes: 0 } }).journal.minFreeBytes).toBe(0);
    expect(() => parseConfig({ journal: { minFreeBytes: -1 } })).toThrow(ConfigError);
  });
});
