/**
 * Node and public sources together, as a trader runs them from two terminals (issue 17): `runtime sim
 * --node-dir DIR --node-faults S` plays the venue, its order_book_server and the node's hourly files (with
 * seeded faults: skipped blocks, a stalled writer, truncated lines, a book-server restart); `runtime start live
 * --source node --node-dir DIR --book-server URL` runs against it; `runtime replay` of the data dir writes a
 * decision log byte-identical to the live run's. The journal holds every source, tagged, and the node's
 * faults reached the decision side (health left HEALTHY at least once on a node gap or went through
 * validation again).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, lastJson, ROOT, spawnRuntime } from '../setup/runtime-bin.ts';

const dir = mkdtempSync(join(tmpdir(), 'node-parity-'));
beforeAll(ensureBuilt, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runtime(args: string[], timeoutMs = 180_000) {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, LOG_FORMAT: 'json' },
  });
}

describe('node + public sources: live → replay parity', () => {
  it('the replay of the data dir equals the live decision log, with every source in the journal', async () => {
    const nodeDir = join(dir, 'hl-data');
    const data = join(dir, 'data');
    const sim = spawnRuntime([
      'sim',
      '--seed',
      '7',
      '--speed',
      '5',
      '--node-dir',
      nodeDir,
      '--node-faults',
      '8',
    ]);
    try {
      await sim.waitForOutput(
        (o) => /node order_book_server (ws:\/\/\S+)/.test(o),
        'the simulator URLs',
        60_000,
      );
      const url = /serving (ws:\/\/\S+)/.exec(sim.stdout())![1]!;
      const book = /node order_book_server (ws:\/\/\S+)/.exec(sim.stdout())![1]!;
      const live = join(dir, 'live.jsonl');
      // the seeded node faults come every few seconds of wall time: a 1 s validation window lets health
      // turn HEALTHY between them (the default 5 s may never fit), so the log has health transitions to compare
      const cfg = join(dir, 'config.json');
      writeFileSync(cfg, JSON.stringify({ health: { validationMs: 1_000 } }));
      const r = runtime([
        'start',
        'live',
        '--config',
        cfg,
        '--network',
        'sim',
        '--url',
        url,
        '--coins',
        'BTC,ETH',
        '--source',
        'node',
        '--node-dir',
        nodeDir,
        '--book-server',
        book,
        '--data',
        data,
        '--duration',
        '25',
        '--decisions',
        live,
        '--no-dashboard',
        '--log-level',
        'warn',
        '--json',
      ]);
      expect(r.status, r.stderr).toBe(0);
      const summary = lastJson(r.stdout);
      // every source reached the journal through the one inlet
      expect(Object.keys(summary.sources).sort()).toEqual(
        expect.arrayContaining(['book', 'feed', 'local', 'node']),
      );
      expect(summary.sources.node.records).toBeGreaterThan(0);
      expect(summary.sources.book.records).toBeGreaterThan(0);
      // the status names the book each coin's hot state had last: the node's L4 book or the public l2Book
      expect(summary.sources['node-l4book'].connection).toMatch(
        /^book server l4Book drives .*; \d+ snapshots, \d+ losses/,
      );
      const replayed = join(dir, 'replay.jsonl');
      const rr = runtime(['replay', data, '--decisions', replayed]);
      expect(rr.status, rr.stderr).toBe(0);
      // the order_book_server's L4 book drove the hot-state book (the public l2Book shadowed), and the node's
      // seeded faults took it out of service and back
      const replaySummary = JSON.parse(rr.stderr.slice(rr.stderr.indexOf('replay: {') + 'replay: '.length));
      console.log(`replay nodeBooks: ${JSON.stringify(replaySummary.nodeBooks)}`);
      expect(replaySummary.nodeBooks.from).toBe('book');
      expect(replaySummary.nodeBooks.published).toBeGreaterThan(100);
      expect(replaySummary.nodeBooks.publicL2Shadowed).toBeGreaterThan(0);
      const a = readFileSync(live, 'utf8');
      const b = readFileSync(replayed, 'utf8');
      expect(a.length).toBeGreaterThan(0);
      expect(b).toBe(a);
      const kinds = a
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { kind: string }).kind);
      console.log(
        JSON.stringify({
          decisionLines: kinds.length,
          health: kinds.filter((k) => k === 'health').length,
          sources: Object.fromEntries(
            Object.entries(summary.sources as Record<string, { records: number }>).map(([k, v]) => [
              k,
              v.records,
            ]),
          ),
        }),
      );
      expect(kinds).toContain('health');
    } finally {
      sim.child.kill('SIGTERM');
      await sim.exited;
    }
  }, 240_000);
});
