/**
 * `runtime sim --node-dir DIR` in process (sim/cli.ts `runSimCommand`): the public line is printed
 * as before, a second line names the order_book_server URL and the folder; both feeds come from
 * the same market, and the node's files fill in under DIR. And a folder that cannot be written
 * is counted per line, never stops the market.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSimCommand } from '../../sim/cli.ts';
import { Engine, SIM_EPOCH } from '../../sim/engine.ts';
import { NODE_STREAMS } from '../../sim/node/format.ts';
import { NodeSim } from '../../sim/node/node-sim.ts';
import { channelOf, TestClient } from './client.ts';

const dirs: string[] = [];
const clients: TestClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function lines(dir: string, stream: string): string[] {
  const root = join(dir, stream, 'hourly');
  const out: string[] = [];
  for (const day of readdirSync(root).sort())
    for (const h of readdirSync(join(root, day)).sort((a, b) => Number(a) - Number(b)))
      out.push(
        ...readFileSync(join(root, day, h), 'utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
  return out;
}

describe('runtime sim --node-dir', () => {
  it('prints the public URL as before and the order_book_server URL beside it; files and l4Book from the same market', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'node-cli-'));
    dirs.push(dir);
    const printed: string[] = [];
    const h = await runSimCommand(
      { port: 0, seed: 7, scenario: 'default', speed: 'max', nodeDir: dir },
      (l) => printed.push(l),
    );
    try {
      expect(printed[0]).toMatch(/^sim: serving ws:\/\/127\.0\.0\.1:\d+\/ws \(info http/);
      expect(printed[1]).toBe(`sim: node order_book_server ${h.bookServerUrl} node files under ${dir}`);
      expect(h.bookServerUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
      expect(h.bookServerUrl).not.toBe(h.url);
      const pub = await TestClient.connect(h.url);
      const obs = await TestClient.connect(h.bookServerUrl!);
      clients.push(pub, obs);
      pub.subscribe({ type: 'trades', coin: 'BTC' });
      obs.subscribe({ type: 'l4Book', coin: 'BTC' });
      obs.subscribe({ type: 'trades', coin: 'BTC' });
      await pub.waitFor((f) => channelOf(f) === 'trades');
      await obs.waitFor((f) => f.includes('"Updates"'));
      const obsTrade = await obs.waitFor((f) => channelOf(f) === 'trades');
      // a trade on the node's feed has its twin (same hash and price) on the public feed
      const t = (JSON.parse(obsTrade).data as { hash: string; px: string; tid: number }[])[0]!;
      await pub.waitFor((f) => f.includes(t.hash));
      const snap = JSON.parse(obs.frames.find((f) => f.includes('"Snapshot"'))!).data.Snapshot as {
        height: number;
      };
      expect(snap.height).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
    for (const s of NODE_STREAMS) {
      const ls = lines(dir, s);
      expect(ls.length).toBeGreaterThan(0);
      const hs = ls.map((l) => (JSON.parse(l) as { block_number: number }).block_number);
      expect(hs).toEqual(Array.from({ length: hs.length }, (_, i) => i + 1));
    }
  });

  it('a folder that cannot be written: the failed lines are counted, the other streams and the market go on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'node-cli-'));
    dirs.push(dir);
    // the next day's folder of the fills stream is a file: its lines from the new hour cannot be written
    mkdirSync(join(dir, 'node_fills_by_block', 'hourly'), { recursive: true });
    writeFileSync(join(dir, 'node_fills_by_block', 'hourly', '20260101'), 'in the way');
    const engine = new Engine({ seed: 2, startTime: SIM_EPOCH - 2_000 });
    const sim = new NodeSim(engine, dir);
    for (let i = 0; i < 60; i++) {
      engine.step();
      sim.onBlock();
    }
    sim.files!.close();
    const st = sim.files!.stats;
    expect(st.writeErrors).toBeGreaterThan(0);
    expect(st.lastWriteError).toMatch(/^node_fills_by_block: /);
    expect(st.linesWritten.node_fills_by_block + st.writeErrors).toBe(60);
    expect(st.linesWritten.node_order_statuses_by_block).toBe(60);
    expect(st.linesWritten.node_raw_book_diffs_by_block).toBe(60);
    expect(existsSync(join(dir, 'node_order_statuses_by_block', 'hourly', '20260101', '0'))).toBe(true);
    expect(engine.height).toBe(60);
  });
});

describe('seeded node faults', () => {
  it('the same seed injects the same faults at the same times; each kind does its part', () => {
    const play = (seed: number) => {
      const dir = mkdtempSync(join(tmpdir(), 'node-faults-'));
      dirs.push(dir);
      const engine = new Engine({ seed: 3, startTime: SIM_EPOCH - 60_000 });
      const sim = new NodeSim(engine, dir);
      const records: string[] = [];
      sim.faults.onFault = (r) => records.push(`${r.t} ${r.kind} ${r.detail}`);
      sim.faults.schedule({ seed, from: engine.time, everyMs: 3_000 });
      for (let i = 0; i < 700; i++) {
        engine.step();
        sim.onBlock();
      }
      sim.files!.close();
      return { records, injected: { ...sim.faults.injected }, stats: sim.files!.stats };
    };
    const a = play(5);
    const b = play(5);
    const c = play(6);
    expect(b.records).toEqual(a.records);
    expect(c.records).not.toEqual(a.records);
    console.log(
      `seeded node faults (seed 5, every ~3 s over ${a.stats.blocksWritten} blocks): ${a.records.join('; ')}`,
    );
    expect(a.records.length).toBeGreaterThan(10);
    const kinds = new Set(a.records.map((r) => r.split(' ')[1]));
    for (const k of ['skipBlock', 'stallWriter', 'truncateLine', 'restartBookServer'])
      expect(kinds.has(k)).toBe(true);
    expect(a.stats.blocksSkipped).toBe(a.injected.skipBlock ?? 0);
    expect(a.stats.partialLines).toBe(3 * (a.injected.truncateLine ?? 0));
    expect(a.stats.stalledBlocks).toBeGreaterThan(0);
  });
});
