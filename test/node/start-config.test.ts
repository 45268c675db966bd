/**
 * What `runtime start` refuses about the node before anything starts (issue 17): a run without the public
 * feed (the node serves no asset contexts: mark, funding, open interest), and an explicit `node.l4` that the
 * rest of the node config cannot feed. Each is a ConfigError naming the setting; no journal is opened.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../runtime/config.ts';
import { startSystem } from '../../runtime/system.ts';
import { ManualClock } from '../../state/clock.ts';

const dir = mkdtempSync(join(tmpdir(), 'node-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(raw: Record<string, unknown>): Promise<ConfigError> {
  const journalDir = join(dir, 'journal', '2026-11-20');
  const err = await startSystem({
    config: parseConfig({ dataDir: dir, journal: { minFreeBytes: 0 }, ...raw }),
    url: 'ws://127.0.0.1:9/never',
    clock: new ManualClock(Date.parse('2026-11-20T10:00:00Z')),
    journalDir,
    logger: pino({ level: 'silent' }),
  }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  expect(existsSync(journalDir)).toBe(false);
  return err as ConfigError;
}

describe('the documented node flags run with the defaults', () => {
  it('--node-dir with --node-info (the files’ L4 book) and --book-server with --node-info: no config problem', async () => {
    const { nodeConfigProblem } = await import('../../actors/node/sources.ts');
    const { sourceOverrides } = await import('../../runtime/commands/start.ts');
    for (const flags of [
      { 'node-dir': '/hl/data', 'node-info': 'http://localhost:3001/info' },
      {
        'node-dir': '/hl/data',
        'book-server': 'ws://127.0.0.1:8000/ws',
        'node-info': 'http://localhost:3001/info',
      },
    ]) {
      const c = parseConfig(sourceOverrides(flags, ['public']) ?? {});
      expect(nodeConfigProblem(c.node, c.sources)).toBeNull();
    }
  });
});

describe('runtime start refuses a node config it cannot run', () => {
  it('sources without public: the asset contexts come only from the venue’s API', async () => {
    const e = await refusal({ sources: ['node'], node: { bookServer: 'ws://127.0.0.1:8000/ws' } });
    expect(e.message).toMatch(
      /sources must include public: mark, funding and open interest \(activeAssetCtx\)/,
    );
    expect(e.issues).toEqual(['sources']);
  });

  it('node.l4 files without the info server for its snapshots; node.l4 book without a book server', async () => {
    const files = await refusal({ sources: ['public', 'node'], node: { dir: '/hl/data', l4: 'files' } });
    expect(files.message).toMatch(/node\.l4 is files: it needs .*node\.infoUrl \(--node-info/);
    expect(files.issues).toEqual(['node']);
    const book = await refusal({ sources: ['public', 'node'], node: { dir: '/hl/data', l4: 'book' } });
    expect(book.message).toMatch(/node\.l4 is book but node\.bookServer \(--book-server\) is not set/);
  });
});
