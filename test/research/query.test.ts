/**
 * Issue 19, queryable results: `runtime export` and `runtime query` over a small simulated data dir whose
 * journal holds what a live run journals — the market frames and, interleaved at their times, the decision
 * records of the decision side (here from a replay of the same market through the real decision side), a
 * frame that is not JSON — and the results of a small sweep stored beside it.
 * - every Parquet table read back by DuckDB has the journal's counts (`journal stats`: per decision kind,
 *   per frame channel, one run per run.start) and the sweep's results;
 * - `fills` and `trades` equal the decision log's reading (`analyseDecisions`) of the replay's lines;
 * - the market columns are the raw frame's values;
 * - a query reads the cached export until the journal changes, then exports again;
 * - a bad SQL exits 1 with DuckDB's message (no stack); an empty or wrong data dir exits 2 naming what
 *   it looked for; staging in tiny batches gives the same tables.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalDays, readDays } from '../../actors/journal/days.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import { analyseDecisions } from '../../replay/decision-log.ts';
import { replayJournal } from '../../replay/replay-journal.ts';
import { exportParquet, TABLE_NAMES, type TableName } from '../../research/query.ts';
import { main } from '../../runtime/cli.ts';
import { backtestConfigResolver } from '../../runtime/commands/backtest.ts';
import { type JournalStats, journalStats } from '../../runtime/commands/journal.ts';
import { parseConfig } from '../../runtime/config.ts';
import { ManualClock } from '../../state/clock.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';
import { tempDir } from '../journal/helpers.ts';
import { simDataDir } from './sweep-fixture.ts';

const t = tempDir('query');
const src = join(t.dir, 'src');
const data = join(t.dir, 'data');
const enc = new TextEncoder();
const lines: DecisionLine[] = [];
let stats: JournalStats;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += `${s}\n`;
    },
  });
  return { code, out, err };
}

async function sql<T = Record<string, unknown>>(q: string): Promise<T[]> {
  const r = await run(['query', data, q, '--json']);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as T[];
}

/**
 * The market of `src` (a quarter of its frames) with the decision side's lines (replayed over the whole
 * market) interleaved at their times, as a live run journals them.
 */
async function journalWithDecisions(): Promise<void> {
  const days = journalDays(src);
  const resolve = backtestConfigResolver();
  const r = replayJournal({
    dir: days,
    config: engineConfigFrom(parseConfig({ coins: ['BTC'] })),
    configFor: (run) => engineConfigFrom(resolve(run.config, {})),
    out: (l) => lines.push(l),
  });
  expect(r.versionMismatches).toBe(0);
  const w = new JournalWriter({
    dir: join(data, 'journal', '2026-11-18'),
    rollDaily: true,
    clock: new ManualClock(0),
  });
  let seq = 1;
  let i = 0;
  let junk = false;
  const decision = (l: DecisionLine) =>
    w.append({
      seq: seq++,
      time: l.t,
      epoch: 1,
      kind: RecordKind.Decision,
      channel: l.kind,
      data: jsonBytes(l),
    });
  let frames = 0;
  for (const { record } of readDays(days)) {
    while (i < lines.length && lines[i]!.t < record.time) decision(lines[i++]!);
    // a quarter of the market frames, to keep the test short: the export reads frames, it replays nothing
    if (record.kind === RecordKind.Frame && frames++ % 4 !== 0) continue;
    w.append({ ...record, seq: seq++ });
    if (!junk && record.kind === RecordKind.Frame) {
      junk = true; // a frame that is not JSON: its row carries the raw text, and it is counted
      w.append({ ...record, seq: seq++, channel: '', data: enc.encode('not json {') });
    }
  }
  while (i < lines.length) decision(lines[i++]!);
  await w.close();
}

beforeAll(async () => {
  await simDataDir({
    dir: src,
    days: ['2026-11-18', '2026-11-19'],
    minutes: 96,
    scenario: 'exhaustion',
    seed: 7,
    coins: ['BTC'],
    tickMs: 5_000,
  });
  await journalWithDecisions();
  stats = journalStats(data, journalDays(data));
  // a small sweep over the same data: its results stored under <data>/sweep
  const grid = join(t.dir, 'grid.json');
  writeFileSync(grid, JSON.stringify({ grid: { 'risk.riskPerTrade': [0.005, 0.01] } }));
  const s = await run(['sweep', data, '--grid', grid, '--threads', '1', '--json']);
  expect(s.code, s.err).toBe(0);
  console.log(
    `query data: ${stats.records} records over ${stats.days.length} days, ${lines.length} decision lines, ` +
      `${analyseDecisions(lines).fills.length} fills`,
  );
}, 120_000);

afterAll(() => t.cleanup());

async function parquetCounts(dir: string): Promise<Record<TableName, number>> {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  const out: Record<string, number> = {};
  for (const tb of TABLE_NAMES) {
    const r = await c.runAndReadAll(`SELECT count(*) FROM read_parquet('${join(dir, `${tb}.parquet`)}')`);
    out[tb] = Number(r.getRowsJson()[0]![0]);
  }
  c.closeSync();
  inst.closeSync();
  return out as Record<TableName, number>;
}

describe('runtime export', () => {
  it('writes every table as Parquet, read back with the journal’s counts', async () => {
    const out = join(t.dir, 'parquet');
    const t0 = Date.now();
    const r = await run(['export', data, '--out', out, '--json']);
    const ms = Date.now() - t0;
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as {
      rows: Record<TableName, number>;
      badFrames: number;
      records: number;
    };
    const counts = await parquetCounts(out);
    console.log(
      `export: ${summary.records} records (${counts.market} frames, ${counts.decisions} decisions) to Parquet ` +
        `in ${ms} ms: ${Math.round(summary.records / (ms / 1000))} records/s`,
    );
    expect(counts).toEqual(summary.rows);
    expect(summary.records).toBe(stats.records);
    expect(counts.decisions).toBe(stats.byKind.decision);
    expect(counts.market).toBe(stats.byKind.frame);
    expect(counts.runs).toBe(stats.byChannel.decision!['run.start']);
    expect(counts.runs).toBe(2);
    expect(summary.badFrames).toBe(1);
    expect(counts.sweep_results).toBe(2);
    const d = analyseDecisions(lines);
    expect(d.fills.length).toBeGreaterThan(0);
    expect(counts.fills).toBe(d.fills.length);
    expect(counts.trades).toBe(d.trades.length);
    expect(readdirSync(out).sort()).toEqual(TABLE_NAMES.map((tb) => `${tb}.parquet`).sort());
  });

  it('stages in tiny batches to the same tables (bounded memory does not change the result)', async () => {
    // one day (2026-11-19) flushed every few rows: its counts are the journal's for that day
    const day = journalDays(data, { from: '2026-11-19' });
    const s = journalStats(data, day);
    const a = await exportParquet({
      dataDir: data,
      from: '2026-11-19',
      outDir: join(t.dir, 'tiny'),
      batchBytes: 256,
    });
    const counts = await parquetCounts(join(t.dir, 'tiny'));
    expect(a.rows).toEqual(counts);
    expect(a.days).toEqual(['2026-11-19']);
    expect(counts.market).toBe(s.byKind.frame);
    expect(counts.decisions).toBe(s.byKind.decision);
    expect(counts.runs).toBe(1);
  });

  it('an --out that cannot be a folder exits 1 naming it, no stack', async () => {
    const file = join(t.dir, 'a-file');
    writeFileSync(file, 'x');
    const r = await run(['export', data, '--out', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^export: cannot create ${file}`));
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('a sweep result file that is not a result is counted and skipped (--sweep DIR)', async () => {
    const sweep = join(t.dir, 'sweep-copy');
    const range = readdirSync(join(data, 'sweep', 'results'))[0]!;
    const good = readdirSync(join(data, 'sweep', 'results', range))[0]!;
    mkdirSync(join(sweep, 'results', range), { recursive: true });
    writeFileSync(
      join(sweep, 'results', range, good),
      readFileSync(join(data, 'sweep', 'results', range, good)),
    );
    writeFileSync(join(sweep, 'results', range, 'broken.json'), '{"key": 1');
    writeFileSync(join(sweep, 'results', range, 'other.json'), '{"not": "a result"}');
    const out = join(t.dir, 'swp');
    const cli = await run(['export', data, '--from', '2026-11-19', '--out', out, '--sweep', sweep, '--json']);
    expect(cli.code, cli.err).toBe(0);
    const r = JSON.parse(cli.out) as { badResults: number; rows: Record<TableName, number> };
    expect(r.badResults).toBe(2);
    expect(r.rows.sweep_results).toBe(1);
    expect((await parquetCounts(out)).sweep_results).toBe(1);
  });

  it('without --out is a usage error', async () => {
    const r = await run(['export', data]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('missing --out DIR');
  });
});

describe('runtime query', () => {
  it('counts per decision kind and per frame channel equal journal stats', async () => {
    const kinds = await sql<{ kind: string; n: number }>(
      'SELECT kind, count(*) AS n FROM decisions GROUP BY kind',
    );
    expect(Object.fromEntries(kinds.map((k) => [k.kind, k.n]))).toEqual(stats.byChannel.decision);
    const chans = await sql<{ channel: string; n: number }>(
      'SELECT channel, count(*) AS n FROM market GROUP BY channel',
    );
    expect(Object.fromEntries(chans.map((k) => [k.channel, k.n]))).toEqual(stats.byChannel.frame);
  });

  it('fills and trades equal the decision log’s reading', async () => {
    const d = analyseDecisions(lines);
    const fills = await sql<Record<string, unknown>>(
      'SELECT time, coin, strategy, side, px, size, fee, liquidity, role FROM fills ORDER BY time, px',
    );
    const want = [...d.fills]
      .sort((a, b) => a.time - b.time || a.px - b.px)
      .map((f) => ({
        time: f.time,
        coin: f.coin,
        strategy: f.strategy,
        side: f.side > 0 ? 'BUY' : 'SELL',
        px: f.px,
        size: f.size,
        fee: f.fee,
        liquidity: f.liquidity,
        role: f.role,
      }));
    expect(fills).toEqual(want);
    const trades = await sql<{ open_time: number; pnl: number | null; fills: number }>(
      'SELECT open_time, pnl, fills FROM trades ORDER BY open_time',
    );
    expect(trades).toEqual(d.trades.map((x) => ({ open_time: x.openTime, pnl: x.pnl, fills: x.fills })));
    // the same fills read from the decision records' JSON by SQL
    const viaJson = await sql<{ n: number }>(
      `SELECT count(*) AS n FROM decisions WHERE kind = 'exec.fill' AND (json->>'$.fill.coin') = 'BTC'`,
    );
    expect(viaJson[0]!.n).toBe(d.fills.length);
  });

  it('market columns are the raw frame’s values', async () => {
    const bad = await sql<{ n: number }>(
      `SELECT count(*) AS n FROM market WHERE (channel = 'l2Book' AND (bid_px IS DISTINCT FROM
         CAST(raw->>'$.data.levels[0][0].px' AS DOUBLE) OR ask_px IS DISTINCT FROM
         CAST(raw->>'$.data.levels[1][0].px' AS DOUBLE) OR NOT bid_px < ask_px))
       OR (channel = 'activeAssetCtx' AND (funding IS DISTINCT FROM CAST(raw->>'$.data.ctx.funding' AS DOUBLE)
         OR mark_px IS NULL OR open_interest IS NULL))
       OR (channel IN ('l2Book', 'activeAssetCtx', 'trades', 'bbo') AND coin IS DISTINCT FROM 'BTC')`,
    );
    expect(bad[0]!.n).toBe(0);
    const trades = await sql<{ frames: number; n: number; rows: number }>(
      `SELECT count(*) AS frames, sum(trades) AS n, (SELECT count(*) FROM market_trades) AS rows
       FROM market WHERE channel = 'trades'`,
    );
    expect(trades[0]!.frames).toBe(stats.byChannel.frame!.trades);
    expect(trades[0]!.n).toBe(trades[0]!.rows);
    const junk = await sql<{ raw: string }>(`SELECT raw FROM market WHERE channel = ''`);
    expect(junk).toEqual([{ raw: 'not json {' }]);
  });

  it('runs and sweep results', async () => {
    const runs = await sql<{ venue: string; coins: string[]; config_hash: string }>(
      'SELECT venue, coins, config_hash FROM runs ORDER BY time',
    );
    expect(runs.map((r) => r.venue)).toEqual(['paper', 'paper']);
    expect(runs[0]!.coins).toEqual(['BTC']);
    expect(runs[0]!.config_hash).toMatch(/^[0-9a-f]{64}$/);
    const res = await sql<{ params: string; pnl: number; key: string }>(
      'SELECT params, pnl, key FROM sweep_results ORDER BY params',
    );
    expect(res.map((r) => JSON.parse(r.params))).toEqual([
      { 'risk.riskPerTrade': 0.005 },
      { 'risk.riskPerTrade': 0.01 },
    ]);
    for (const r of res) {
      const range = r.key.split('-')[0]!;
      const stored = JSON.parse(readFileSync(join(data, 'sweep', 'results', range, `${r.key}.json`), 'utf8'));
      expect(r.pnl).toBe(stored.pnl);
    }
  });

  it('reads the cached export until the journal changes, then exports again', async () => {
    const first = await run(['query', data, 'SELECT count(*) AS n FROM decisions', '--csv']);
    expect(first.code).toBe(0);
    expect(first.err).not.toContain('exported');
    expect(first.out).toBe(`n\n${stats.byKind.decision}`);
    // the journal grows (a later run's operator command)
    const w = new JournalWriter({
      dir: join(data, 'journal', '2026-11-19'),
      rollDaily: true,
      clock: new ManualClock(0),
    });
    w.append({
      seq: stats.lastSeq! + 1,
      time: stats.lastTime! + 1,
      epoch: 3,
      kind: RecordKind.Decision,
      channel: 'operator',
      data: jsonBytes({ cmd: 'pause' }),
    });
    await w.close();
    const second = await run(['query', data, 'SELECT count(*) AS n FROM decisions']);
    expect(second.code).toBe(0);
    expect(second.err).toContain('exported');
    const n = String(stats.byKind.decision! + 1);
    expect(second.out).toBe([' n'.padStart(n.length), '-'.repeat(n.length), n, '(1 row)'].join('\n'));
  });

  it('--refresh exports again even when the cached export is current', async () => {
    const r = await run(['query', data, 'SELECT count(*) AS n FROM runs', '--csv', '--refresh']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('exported');
    expect(r.out).toBe('n\n2');
    const again = await run(['query', data, 'SELECT count(*) AS n FROM runs', '--csv']);
    expect(again.err).not.toContain('exported');
  });

  it('a bad SQL exits 1 with DuckDB’s message, no stack', async () => {
    const r = await run(['query', data, 'SELEC * FROM fills']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^query: Parser Error: syntax error at or near "SELEC"/);
    expect(r.err).not.toMatch(/\n\s+at /);
    const unknown = await run(['query', data, 'SELECT * FROM nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('Table with name nope does not exist');
  });

  it('an empty or wrong data dir exits 2 naming what it looked for', async () => {
    const empty = join(t.dir, 'empty');
    mkdirSync(empty);
    const r = await run(['query', empty, 'SELECT 1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no journal in ${empty}: looked for segments (seg-<seq>.jrnl)`);
    const missing = await run(['query', join(t.dir, 'nowhere'), 'SELECT 1']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`${join(t.dir, 'nowhere')} does not exist`);
    const noSql = await run(['query', data]);
    expect(noSql.code).toBe(2);
    expect(noSql.err).toContain('missing "<SQL>"');
  });
});
