/** The node's sources wired together: resume from the journal, the restart checked by height, flags and config. */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRingBuffer, RingConsumer, RingProducer } from '../../actors/feed/ring.ts';
import { SequenceCounter, Stamper } from '../../actors/feed/stamper.ts';
import { openJournalWriter } from '../../actors/journal/writer.ts';
import { startInfoPoll } from '../../actors/node/info-poll.ts';
import { journalRootOfDay, lastJournaledHeights } from '../../actors/node/resume.ts';
import { nodeConfigProblem, startNodeSources } from '../../actors/node/sources.ts';
import { NODE_STREAMS } from '../../actors/node/tail.ts';
import { sourceOverrides } from '../../runtime/commands/start.ts';
import { parseConfig } from '../../runtime/config.ts';
import { StateBuilder } from '../../state/builder.ts';
import { ManualClock } from '../../state/clock.ts';
import { IngestPipeline } from '../../state/pipeline.ts';
import { bytesJson, type ConnEvent, type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';

const FILLS = 'node_fills_by_block';
const STATUSES = 'node_order_statuses_by_block';
const DAY_MS = Date.UTC(2025, 10, 25, 8);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'node-src-'));
  dirs.push(d);
  return d;
}

function line(height: number): string {
  const t = new Date(DAY_MS + height * 70).toISOString().replace('Z', '000001');
  return `{"local_time":"${t}","block_time":"${t}","block_number":${height},"events":[]}\n`;
}

function write(dir: string, stream: string, hour: number, from: number, to: number): void {
  const d = join(dir, stream, 'hourly', '20251125');
  mkdirSync(d, { recursive: true });
  for (let h = from; h <= to; h++) appendFileSync(join(d, String(hour)), line(h));
}

const NODE_CFG = {
  streams: [FILLS, STATUSES] as const,
  pollMs: 50,
  nLevels: 20,
  infoPollMs: 2_000,
  staleMs: 5_000,
};

/** A run: the node sources through a stamper into a ring, drained into a journal day folder. */
async function run(nodeDir: string, journalRoot: string, steps: (clock: ManualClock) => void) {
  const clock = new ManualClock(DAY_MS);
  const sab = createRingBuffer(1 << 20);
  const consumer = new RingConsumer(sab);
  const dayDir = join(journalRoot, '2025-11-25');
  const writer = openJournalWriter({ dir: dayDir, rollDaily: true, clock, mode: 'every-record' });
  // the journal continues its sequence across restarts, as the system's does
  const stamper = new Stamper({
    clock,
    sink: new RingProducer(sab),
    seq: new SequenceCounter(writer.nextSeq),
  });
  const src = startNodeSources({
    config: { ...NODE_CFG, dir: nodeDir },
    coins: ['BTC'],
    clock,
    inlet: stamper,
    journalRoot: journalRootOfDay(dayDir),
  });
  steps(clock);
  src.stop();
  const recs: JournalRecord[] = [];
  for (let r = consumer.readOne(); r !== null; r = consumer.readOne()) recs.push({ ...r });
  for (const r of recs) writer.append(r);
  await writer.close();
  return { recs, resumedFrom: src.resumedFrom };
}

const heightsOf = (recs: JournalRecord[], stream: string) =>
  recs
    .filter((r) => r.kind === RecordKind.Frame && r.channel === stream)
    .map((r) => bytesJson<{ block_number: number }>(r.data).block_number);

describe('node sources', () => {
  it('a restart mid-hour resumes from the journal: every block exactly once across the two runs, by height', async () => {
    const nodeDir = tempDir();
    const journalRoot = join(tempDir(), 'journal');
    write(nodeDir, FILLS, 8, 1, 40);
    write(nodeDir, STATUSES, 8, 1, 40);
    const a = await run(nodeDir, journalRoot, (clock) => clock.advance(50));
    expect(a.resumedFrom).toEqual({});
    // a fresh start begins at the newest file's end: nothing of what was there
    expect(heightsOf(a.recs, FILLS)).toEqual([]);
    const b0 = await run(nodeDir, journalRoot, (clock) => {
      clock.advance(50);
      write(nodeDir, FILLS, 8, 41, 60);
      write(nodeDir, STATUSES, 8, 41, 55);
      clock.advance(50);
    });
    expect(heightsOf(b0.recs, FILLS)).toEqual(Array.from({ length: 20 }, (_, i) => 41 + i));
    // the node writes on while we are down, into the next hour
    write(nodeDir, FILLS, 8, 61, 70);
    write(nodeDir, FILLS, 9, 71, 80);
    write(nodeDir, STATUSES, 8, 56, 80);
    expect(lastJournaledHeights(journalRoot, [FILLS, STATUSES])).toEqual({ [FILLS]: 60, [STATUSES]: 55 });
    const c = await run(nodeDir, journalRoot, (clock) => clock.advance(50));
    expect(c.resumedFrom).toEqual({ [FILLS]: 60, [STATUSES]: 55 });
    const all = [...b0.recs, ...c.recs];
    expect(heightsOf(all, FILLS)).toEqual(Array.from({ length: 40 }, (_, i) => 41 + i));
    expect(heightsOf(all, STATUSES)).toEqual(Array.from({ length: 40 }, (_, i) => 41 + i));
    // and the journal read as one stream shows no hole and no duplicate to the pipeline
    const p = new IngestPipeline({ builder: new StateBuilder({ coins: ['BTC'] }) });
    let seq = 0;
    for (const r of all) p.process({ ...r, seq: ++seq });
    expect(p.drainEvents().filter((e) => e.type === 'GAP')).toEqual([]);
    expect(p.sources.heights.counters).toMatchObject({ blocks: 80, gaps: 0, duplicates: 0 });
  });

  it('blocks missing across a restart are a gap with their range; a truncated line is one too', async () => {
    const nodeDir = tempDir();
    const journalRoot = join(tempDir(), 'journal');
    write(nodeDir, FILLS, 8, 1, 5);
    await run(nodeDir, journalRoot, (clock) => {
      clock.advance(50);
      write(nodeDir, FILLS, 8, 6, 10);
      clock.advance(50);
    });
    // the node's files lost blocks 11-13 while we were down (a new hour file starts at 14)
    write(nodeDir, FILLS, 9, 14, 15);
    appendFileSync(join(nodeDir, FILLS, 'hourly', '20251125', '9'), line(16).slice(0, 30));
    write(nodeDir, FILLS, 10, 17, 17);
    const r = await run(nodeDir, journalRoot, (clock) => clock.advance(2_000));
    const conns = r.recs
      .filter((x) => x.kind === RecordKind.Conn)
      .map((x) => `${x.source} ${bytesJson<ConnEvent>(x.data).key}: ${bytesJson<ConnEvent>(x.data).reason}`);
    expect(conns).toEqual([
      `node ${FILLS}: heights 11-13 missing on node:${FILLS} (since the restart)`,
      `node ${FILLS}: a truncated line (30 bytes) at the end of ${join(FILLS, 'hourly', '20251125', '9')}`,
    ]);
    expect(heightsOf(r.recs, FILLS)).toEqual([14, 15, 17]);
  });

  it('the info server poll journals each answer and a failure as the source’s connection error', async () => {
    const clock = new ManualClock(DAY_MS);
    const sab = createRingBuffer(1 << 16);
    const consumer = new RingConsumer(sab);
    const stamper = new Stamper({ clock, sink: new RingProducer(sab) });
    const answers: Array<() => Promise<{ ok: boolean; status: number; text(): Promise<string> }>> = [
      async () => ({
        ok: true,
        status: 200,
        text: async () => JSON.stringify({ time: DAY_MS - 10, specialStatuses: null }),
      }),
      async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:3001');
      },
      async () => ({ ok: false, status: 502, text: async () => 'bad gateway' }),
      async () => ({ ok: true, status: 200, text: async () => JSON.stringify({ time: DAY_MS + 3_990 }) }),
    ];
    const bodies: string[] = [];
    const poll = startInfoPoll({
      url: 'http://localhost:3001/info',
      clock,
      inlet: stamper,
      everyMs: 1_000,
      fetch: (_url, init) => {
        bodies.push(init.body);
        return answers.shift()!();
      },
    });
    for (let i = 0; i < 4; i++) {
      clock.advance(i === 0 ? 0 : 1_000);
      for (let k = 0; k < 5; k++) await Promise.resolve();
    }
    poll.stop();
    const recs: JournalRecord[] = [];
    for (let r = consumer.readOne(); r !== null; r = consumer.readOne()) recs.push({ ...r });
    expect(bodies).toEqual(Array(4).fill('{"type":"exchangeStatus"}'));
    expect(
      recs.map(
        (r) => `${r.source} ${r.kind === RecordKind.Frame ? r.channel : bytesJson<ConnEvent>(r.data).type}`,
      ),
    ).toEqual([
      'node-info open',
      'node-info exchangeStatus',
      'node-info error',
      'node-info open',
      'node-info exchangeStatus',
    ]);
    expect(poll.counters).toMatchObject({ requests: 4, answers: 2, failures: 2 });
    expect(poll.counters.lastError).toBe('exchangeStatus: HTTP 502');
    // in the pipeline: the failure is a gap on the node-info source
    const p = new IngestPipeline({ builder: new StateBuilder({ coins: ['BTC'] }) });
    for (const r of recs) p.process(r);
    expect(p.drainEvents()).toEqual([
      {
        type: 'GAP',
        time: DAY_MS + 1_000,
        key: 'node-info:*',
        reason: 'node-info error: exchangeStatus: connect ECONNREFUSED 127.0.0.1:3001: a gap on its channels',
      },
    ]);
  });

  it('flags: --source, --node-dir (~ expanded), --book-server, --node-info add the node beside the config’s sources', () => {
    expect(sourceOverrides({}, ['public'])).toBeNull();
    expect(
      sourceOverrides(
        { source: ['node'], 'node-dir': '~/hl/data', 'book-server': 'ws://127.0.0.1:8000/ws' },
        ['public'],
      ),
    ).toEqual({
      sources: ['public', 'node'],
      node: { dir: join(homedir(), 'hl/data'), bookServer: 'ws://127.0.0.1:8000/ws' },
    });
    expect(sourceOverrides({ 'node-info': 'http://localhost:3001/info' }, ['public', 'node'])).toEqual({
      sources: ['public', 'node'],
      node: { infoUrl: 'http://localhost:3001/info' },
    });
    expect(sourceOverrides({ source: ['public,node'] }, ['public'])).toEqual({ sources: ['public', 'node'] });
    // --node-l4 names the L4 book that drives the hot-state book; the config's schema judges the value
    const l4 = sourceOverrides({ 'node-dir': '/hl', 'node-l4': 'files' }, ['public']);
    expect(l4).toEqual({ sources: ['public', 'node'], node: { dir: '/hl', l4: 'files' } });
    expect(parseConfig(l4 ?? {}).node.l4).toBe('files');
    expect(() => parseConfig(sourceOverrides({ 'node-l4': 'l3' }, ['public']) ?? {})).toThrow(/node\.l4/);
  });

  it('config: sources default to public; node settings are checked and named', () => {
    const c = parseConfig({});
    expect(c.sources).toEqual(['public']);
    expect(c.node).toMatchObject({
      streams: [...NODE_STREAMS],
      nLevels: 20,
      staleMs: 5_000,
      l4: 'auto',
      snapshotMs: 60_000,
    });
    expect(() => parseConfig({ sources: ['public', 'public'] })).toThrow(/a source named twice/);
    expect(() => parseConfig({ sources: ['carrier-pigeon'] })).toThrow(/sources/);
    expect(() => parseConfig({ node: { nLevels: 101 } })).toThrow(/node\.nLevels/);
    expect(() => parseConfig({ node: { streams: ['node_trades'] } })).toThrow(/node\.streams/);
    expect(nodeConfigProblem({ ...NODE_CFG })).toMatch(/neither node.dir \(--node-dir\) nor node.bookServer/);
    expect(
      nodeConfigProblem({ ...NODE_CFG, dir: '/x', infoUrl: 'http://l/info', infoPollMs: 5_000 }),
    ).toMatch(/node.infoPollMs \(5000\) must be below node.staleMs \(5000\)/);
    expect(nodeConfigProblem({ ...NODE_CFG, bookServer: 'ws://x/ws' })).toBeNull();
  });

  it('the staleness bound comes from the run’s config in its run.start record (live and replay alike)', () => {
    const p = new IngestPipeline({ builder: new StateBuilder({ coins: ['BTC'] }) });
    expect(p.sources.heights.staleMs).toBe(5_000);
    p.process({
      seq: 1,
      time: 0,
      epoch: 0,
      kind: RecordKind.Decision,
      channel: 'run.start',
      data: jsonBytes({ restore: [], run: { coins: ['BTC'], config: { node: { staleMs: 1_500 } } } }),
    });
    expect(p.sources.heights.staleMs).toBe(1_500);
  });
});
