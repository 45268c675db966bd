/**
 * Queryable results (issue 19): a data dir's journal, its decision log's reading and its sweep results as
 * Parquet tables, and SQL over them with embedded DuckDB.
 *
 * `exportParquet` streams the journal once (`readDays`) and stages one JSON-lines file per table, written
 * in batches of about `batchBytes` (memory stays bounded by a batch, whatever the journal's size; only the
 * `exec.fill` decisions are kept whole, for the round trips), then has DuckDB read each staged file with a
 * fixed schema (`read_json(…, columns=…)`: an empty table has its columns too) and write it as Parquet
 * (`COPY … TO … (FORMAT PARQUET)`). The tables:
 * - `decisions`: every decision record of the journal (run.start and operator records included): its seq,
 *   journal time, kind (the record's channel), source, the line's own `t`, the coin and strategy it names,
 *   and the JSON;
 * - `fills` and `trades`: `analyseDecisions` of the journal's `exec.fill` decisions (the decision log's
 *   fills, with their entry/exit role, and its round trips, net of fees);
 * - `market`: one row per venue frame: seq, time, source, channel, coin; best bid/ask (l2Book, bbo); the
 *   frame's trade count and its first trade's px/sz/side (trades); funding, open interest, mark and oracle
 *   (activeAssetCtx); and the raw frame text. `market_trades` has one row per trade of a trades frame;
 * - `runs`: each `run.start`: time, venue, network, coins, the SHA-256 of its recorded config (as the
 *   backtest hashes a config), the records it restored, the JSON;
 * - `sweep_results`: every stored sweep result (`<data>/sweep/results/<range>/<key>.json`): its key, config
 *   hash, range key and days, the swept parameters (JSON) and figures, the JSON.
 * A frame or decision that is not JSON still gets its row (raw text, no fields), and is counted.
 *
 * `queryDataDir` runs SQL over those tables, exported on demand into `<data>/query/` and exported again
 * when the source changed: the fingerprint is the journal range's key (the day folders, each segment's
 * name and size, as `cache.ts` keys a sweep) and the sweep result files' names and sizes. A SQL error is a
 * `QueryError` with DuckDB's message.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { isDayName, journalDays, readDays } from '../actors/journal/days.ts';
import { analyseDecisions } from '../replay/decision-log.ts';
import { RecordKind, type JournalRecord, defaultSource } from '../state/records.ts';
import { configHash } from './backtest.ts';
import { journalRange, sha256 } from './cache.ts';

/** Bumped when a table's columns change: a cached export of another version is exported again. */
export const EXPORT_VERSION = 1;

/** Each table's columns, in order, as DuckDB types (the schema `read_json` reads the staged lines with). */
export const TABLES = {
  decisions: {
    seq: 'BIGINT',
    time: 'DOUBLE',
    kind: 'VARCHAR',
    source: 'VARCHAR',
    t: 'DOUBLE',
    coin: 'VARCHAR',
    strategy: 'VARCHAR',
    json: 'VARCHAR',
  },
  fills: {
    time: 'DOUBLE',
    coin: 'VARCHAR',
    strategy: 'VARCHAR',
    side: 'VARCHAR',
    px: 'DOUBLE',
    size: 'DOUBLE',
    fee: 'DOUBLE',
    liquidity: 'VARCHAR',
    role: 'VARCHAR',
  },
  trades: {
    coin: 'VARCHAR',
    strategy: 'VARCHAR',
    side: 'VARCHAR',
    open_time: 'DOUBLE',
    close_time: 'DOUBLE',
    entry_px: 'DOUBLE',
    exit_px: 'DOUBLE',
    size: 'DOUBLE',
    fills: 'BIGINT',
    fees: 'DOUBLE',
    gross: 'DOUBLE',
    pnl: 'DOUBLE',
  },
  market: {
    seq: 'BIGINT',
    time: 'DOUBLE',
    epoch: 'BIGINT',
    source: 'VARCHAR',
    channel: 'VARCHAR',
    coin: 'VARCHAR',
    bid_px: 'DOUBLE',
    bid_sz: 'DOUBLE',
    ask_px: 'DOUBLE',
    ask_sz: 'DOUBLE',
    trades: 'BIGINT',
    px: 'DOUBLE',
    sz: 'DOUBLE',
    side: 'VARCHAR',
    funding: 'DOUBLE',
    open_interest: 'DOUBLE',
    mark_px: 'DOUBLE',
    oracle_px: 'DOUBLE',
    raw: 'VARCHAR',
  },
  market_trades: {
    seq: 'BIGINT',
    time: 'DOUBLE',
    coin: 'VARCHAR',
    side: 'VARCHAR',
    px: 'DOUBLE',
    sz: 'DOUBLE',
    trade_time: 'DOUBLE',
    tid: 'BIGINT',
  },
  runs: {
    seq: 'BIGINT',
    time: 'DOUBLE',
    venue: 'VARCHAR',
    network: 'VARCHAR',
    coins: 'VARCHAR[]',
    config_hash: 'VARCHAR',
    restored: 'BIGINT',
    json: 'VARCHAR',
  },
  sweep_results: {
    key: 'VARCHAR',
    config_hash: 'VARCHAR',
    range_key: 'VARCHAR',
    days: 'VARCHAR[]',
    params: 'VARCHAR',
    records: 'BIGINT',
    ticks: 'BIGINT',
    decision_lines: 'BIGINT',
    entries: 'BIGINT',
    intents: 'BIGINT',
    fills: 'BIGINT',
    trades: 'BIGINT',
    wins: 'BIGINT',
    pnl: 'DOUBLE',
    fees: 'DOUBLE',
    equity: 'DOUBLE',
    realised_pnl: 'DOUBLE',
    trading_state: 'VARCHAR',
    digest: 'VARCHAR',
    json: 'VARCHAR',
  },
} as const satisfies Record<string, Record<string, string>>;

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** Tables with a journal time column also get `ts` (that time as a TIMESTAMP WITH TIME ZONE). */
const TIMED: ReadonlySet<TableName> = new Set(['decisions', 'fills', 'market', 'market_trades', 'runs']);

/** A SQL statement DuckDB refused (parse, bind or run time): its message, never a stack. */
export class QueryError extends Error {}

/** The export could not be written (a staged file, DuckDB's read or its Parquet write failed). */
export class ExportError extends Error {}

export interface ExportOptions {
  /** A data dir, a journal root or one day folder. */
  dataDir: string;
  from?: string;
  to?: string;
  /** Where the Parquet files go (created). */
  outDir: string;
  /** The sweep folder (default: `sweep/` beside the journal root, as `runtime sweep` keeps it). */
  sweepDir?: string;
  /** Staged bytes per table before a write (default 1 MiB). */
  batchBytes?: number;
  onProgress?: (records: number) => void;
}

export interface ExportResult {
  /** The day folders read (names, oldest first). */
  days: string[];
  outDir: string;
  /** Rows per table. */
  rows: Record<TableName, number>;
  /** Journal records read, and corrupt ranges skipped. */
  records: number;
  corrupt: number;
  /** Frames / decision records whose payload is not JSON (their rows carry the raw text only). */
  badFrames: number;
  badDecisions: number;
  /** Sweep result files that did not read as a result (skipped). */
  badResults: number;
  /** What the export was made from (see the file header). */
  fingerprint: string;
}

const utf8 = new TextDecoder();

const isObj = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x);
const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
/** A venue decimal string or a number as a float; null when it is neither. */
const dec = (x: unknown): number | null => {
  const n = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : Number.NaN;
  return Number.isFinite(n) ? n : null;
};

/** One table's staged JSON lines, written in batches. */
class Stage {
  rows = 0;
  private buf: string[] = [];
  private bytes = 0;
  private readonly fd: number;

  constructor(
    readonly path: string,
    private readonly batchBytes: number,
  ) {
    this.fd = openSync(path, 'w');
  }

  push(row: Record<string, unknown>): void {
    const line = `${JSON.stringify(row)}\n`;
    this.buf.push(line);
    this.bytes += line.length;
    this.rows++;
    if (this.bytes >= this.batchBytes) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, this.buf.join(''));
    this.buf = [];
    this.bytes = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** The sweep folder of a journal's days: `sweep/` beside the journal root (as `runtime sweep` keeps it). */
export function defaultSweepDir(days: readonly string[]): string {
  const first = days[0]!;
  return isDayName(basename(first)) ? join(dirname(dirname(first)), 'sweep') : join(dirname(first), 'sweep');
}

/** The stored sweep result files, in name order. */
function sweepResultFiles(sweepDir: string): string[] {
  const root = join(sweepDir, 'results');
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const range of readdirSync(root).sort()) {
    const d = join(root, range);
    if (!statSync(d).isDirectory()) continue;
    for (const f of readdirSync(d).sort()) if (f.endsWith('.json')) out.push(join(d, f));
  }
  return out;
}

/** What an export of these days and sweep results is made from: equal fingerprints, equal tables. */
export function exportFingerprint(days: readonly string[], sweepDir: string): string {
  const results = sweepResultFiles(sweepDir).map((f) => `${basename(f)}:${statSync(f).size}`);
  return sha256(`v${EXPORT_VERSION}|${journalRange(days).key}|${results.join(',')}`).slice(0, 24);
}

/** The coin a decision line names (its own `coin`, or its intent's, order's, fill's or position's). */
function coinOf(v: Record<string, unknown>): string | null {
  for (const k of ['intent', 'order', 'fill', 'position']) {
    const inner = v[k];
    if (isObj(inner) && typeof inner.coin === 'string') return inner.coin;
  }
  return str(v.coin);
}

function strategyOf(v: Record<string, unknown>): string | null {
  for (const k of ['intent', 'order', 'fill', 'position']) {
    const inner = v[k];
    if (isObj(inner) && typeof inner.strategy === 'string') return inner.strategy;
  }
  return str(v.strategy);
}

/** The l2Book / bbo best levels of a frame's data. */
function bestLevels(channel: string, data: Record<string, unknown>, row: Record<string, unknown>): void {
  let bid: unknown;
  let ask: unknown;
  if (channel === 'l2Book' && Array.isArray(data.levels)) {
    const [bids, asks] = data.levels as unknown[];
    bid = Array.isArray(bids) ? bids[0] : undefined;
    ask = Array.isArray(asks) ? asks[0] : undefined;
  } else if (channel === 'bbo' && Array.isArray(data.bbo)) {
    [bid, ask] = data.bbo as unknown[];
  }
  if (isObj(bid)) {
    row.bid_px = dec(bid.px);
    row.bid_sz = dec(bid.sz);
  }
  if (isObj(ask)) {
    row.ask_px = dec(ask.px);
    row.ask_sz = dec(ask.sz);
  }
}

interface Stages {
  decisions: Stage;
  market: Stage;
  market_trades: Stage;
  runs: Stage;
}

/** A frame record as its `market` row (and its trades as `market_trades` rows); false when not JSON. */
function marketRow(r: JournalRecord, s: Stages): boolean {
  const raw = utf8.decode(r.data);
  const row: Record<string, unknown> = {
    seq: r.seq,
    time: r.time,
    epoch: r.epoch,
    source: r.source ?? defaultSource(r.kind),
    channel: r.channel,
    raw,
  };
  let frame: unknown;
  try {
    frame = JSON.parse(raw);
  } catch {
    s.market.push(row);
    return false;
  }
  const data = isObj(frame) ? frame.data : undefined;
  if (isObj(data)) {
    row.coin = str(data.coin);
    bestLevels(r.channel, data, row);
    if (r.channel === 'activeAssetCtx' && isObj(data.ctx)) {
      row.funding = dec(data.ctx.funding);
      row.open_interest = dec(data.ctx.openInterest);
      row.mark_px = dec(data.ctx.markPx);
      row.oracle_px = dec(data.ctx.oraclePx);
    }
  } else if (r.channel === 'trades' && Array.isArray(data)) {
    row.trades = data.length;
    data.forEach((t, i) => {
      if (!isObj(t)) return;
      if (i === 0) {
        row.coin = str(t.coin);
        row.px = dec(t.px);
        row.sz = dec(t.sz);
        row.side = str(t.side);
      }
      s.market_trades.push({
        seq: r.seq,
        time: r.time,
        coin: str(t.coin),
        side: str(t.side),
        px: dec(t.px),
        sz: dec(t.sz),
        trade_time: dec(t.time),
        tid: typeof t.tid === 'number' && Number.isSafeInteger(t.tid) ? t.tid : null,
      });
    });
  }
  s.market.push(row);
  return true;
}

/** A decision record as its `decisions` row (and a `runs` row for run.start); the parsed line or null. */
function decisionRow(r: JournalRecord, s: Stages): Record<string, unknown> | null {
  const json = utf8.decode(r.data);
  const row: Record<string, unknown> = {
    seq: r.seq,
    time: r.time,
    kind: r.channel,
    source: r.source ?? defaultSource(r.kind),
    json,
  };
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    s.decisions.push(row);
    return null;
  }
  if (!isObj(v)) {
    s.decisions.push(row);
    return null;
  }
  row.t = dec(v.t);
  row.coin = coinOf(v);
  row.strategy = strategyOf(v);
  s.decisions.push(row);
  if (r.channel === 'run.start') {
    const run = isObj(v.run) ? v.run : {};
    s.runs.push({
      seq: r.seq,
      time: r.time,
      venue: str(run.venue),
      network: str(run.network),
      coins: Array.isArray(run.coins) ? run.coins.filter((c) => typeof c === 'string') : null,
      config_hash: isObj(run.config) ? configHash(run.config) : null,
      restored: Array.isArray(v.restore) ? v.restore.length : 0,
      json,
    });
  }
  return v;
}

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

function columnsSql(t: TableName): string {
  return `{${Object.entries(TABLES[t])
    .map(([c, ty]) => `${c}: ${sqlString(ty)}`)
    .join(', ')}}`;
}

/** DuckDB reads a staged table with its schema and writes it as Parquet (written whole: temp + rename). */
async function toParquet(c: DuckDBConnection, t: TableName, staged: string, outDir: string): Promise<void> {
  const cols = Object.keys(TABLES[t]).join(', ');
  const ts = TIMED.has(t) ? ', to_timestamp(time / 1000) AS ts' : '';
  const out = join(outDir, `${t}.parquet`);
  const tmp = `${out}.tmp`;
  await c.run(
    `COPY (SELECT ${cols}${ts} FROM read_json(${sqlString(staged)}, format = 'newline_delimited', ` +
      `columns = ${columnsSql(t)}, maximum_object_size = 268435456)) TO ${sqlString(tmp)} (FORMAT PARQUET)`,
  );
  renameSync(tmp, out);
}

async function withDuckDb<T>(f: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    return await f(c);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** Export the journal of `dataDir` (its days, or `from`/`to`), its decisions' reading and sweep results. */
export async function exportParquet(o: ExportOptions): Promise<ExportResult> {
  const range: { from?: string; to?: string } = {};
  if (o.from !== undefined) range.from = o.from;
  if (o.to !== undefined) range.to = o.to;
  const days = journalDays(o.dataDir, range);
  const sweepDir = o.sweepDir ?? defaultSweepDir(days);
  const fingerprint = exportFingerprint(days, sweepDir);
  const outDir = resolve(o.outDir);
  const stageDir = join(outDir, `.staging-${process.pid}`);
  try {
    mkdirSync(outDir, { recursive: true });
    rmSync(stageDir, { recursive: true, force: true });
    mkdirSync(stageDir, { recursive: true });
  } catch (e) {
    throw new ExportError(`cannot create ${outDir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const batch = o.batchBytes ?? 1 << 20;
  const stage = (t: TableName) => new Stage(join(stageDir, `${t}.jsonl`), batch);
  const s: Stages = {
    decisions: stage('decisions'),
    market: stage('market'),
    market_trades: stage('market_trades'),
    runs: stage('runs'),
  };
  const result: ExportResult = {
    days: days.map((d) => basename(d)),
    outDir,
    rows: Object.fromEntries(TABLE_NAMES.map((t) => [t, 0])) as Record<TableName, number>,
    records: 0,
    corrupt: 0,
    badFrames: 0,
    badDecisions: 0,
    badResults: 0,
    fingerprint,
  };
  try {
    const fills: unknown[] = [];
    for (const { record: r } of readDays(days, { onCorrupt: () => result.corrupt++ })) {
      result.records++;
      if (o.onProgress && result.records % 50_000 === 0) o.onProgress(result.records);
      if (r.kind === RecordKind.Frame) {
        if (!marketRow(r, s)) result.badFrames++;
      } else if (r.kind === RecordKind.Decision) {
        const v = decisionRow(r, s);
        if (v === null) result.badDecisions++;
        else if (r.channel === 'exec.fill') fills.push(v);
      }
    }
    // the decision log's reading: its fills (with their roles) and round trips
    const d = analyseDecisions(fills);
    const fillStage = stage('fills');
    for (const f of d.fills)
      fillStage.push({
        time: f.time,
        coin: f.coin,
        strategy: f.strategy,
        side: f.side > 0 ? 'BUY' : 'SELL',
        px: f.px,
        size: f.size,
        fee: f.fee,
        liquidity: f.liquidity,
        role: f.role,
      });
    const tradeStage = stage('trades');
    for (const t of d.trades)
      tradeStage.push({
        coin: t.coin,
        strategy: t.strategy,
        side: t.side,
        open_time: t.openTime,
        close_time: t.closeTime,
        entry_px: t.entryPx,
        exit_px: t.exitPx,
        size: t.size,
        fills: t.fills,
        fees: t.fees,
        gross: t.gross,
        pnl: t.pnl,
      });
    const sweepStage = stage('sweep_results');
    for (const f of sweepResultFiles(sweepDir)) {
      const row = sweepRow(f);
      if (row === null) result.badResults++;
      else sweepStage.push(row);
    }
    const all: Record<TableName, Stage> = {
      ...s,
      fills: fillStage,
      trades: tradeStage,
      sweep_results: sweepStage,
    };
    for (const t of TABLE_NAMES) {
      all[t].close();
      result.rows[t] = all[t].rows;
    }
    await withDuckDb(async (c) => {
      for (const t of TABLE_NAMES) {
        try {
          await toParquet(c, t, all[t].path, outDir);
        } catch (e) {
          throw new ExportError(
            `writing ${t}.parquet in ${outDir}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      }
    });
  } catch (e) {
    // the file system refused (no space, no permission): a clear error; anything else is a bug, thrown
    if (
      e instanceof Error &&
      typeof (e as NodeJS.ErrnoException).code === 'string' &&
      !(e instanceof ExportError)
    )
      throw new ExportError(`writing the export in ${outDir}: ${e.message}`);
    throw e;
  } finally {
    rmSync(stageDir, { recursive: true, force: true });
  }
  return result;
}

/** A stored sweep result as its row; null when the file is not a result. */
function sweepRow(file: string): Record<string, unknown> | null {
  let json: string;
  let v: unknown;
  try {
    json = readFileSync(file, 'utf8');
    v = JSON.parse(json);
  } catch {
    return null;
  }
  if (!isObj(v) || typeof v.key !== 'string' || typeof v.configHash !== 'string') return null;
  const range = isObj(v.range) ? v.range : {};
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  return {
    key: v.key,
    config_hash: v.configHash,
    range_key: str(range.key),
    days: Array.isArray(range.days) ? range.days.filter((d) => typeof d === 'string') : null,
    params: JSON.stringify(isObj(v.set) ? v.set : {}),
    records: n(v.records),
    ticks: n(v.ticks),
    decision_lines: n(v.decisionLines),
    entries: n(v.entries),
    intents: n(v.intents),
    fills: n(v.fills),
    trades: n(v.trades),
    wins: n(v.wins),
    pnl: n(v.pnl),
    fees: n(v.fees),
    equity: n(v.equity),
    realised_pnl: n(v.realisedPnl),
    trading_state: str(v.tradingState),
    digest: str(v.digest),
    json: json.trim(),
  };
}

// ------------------------------------------------------------------ queries

export interface QueryOptions {
  dataDir: string;
  sql: string;
  from?: string;
  to?: string;
  /** Where the export is cached (default `<data>/query/`, or `query-<from>-<to>/` for a day range). */
  cacheDir?: string;
  sweepDir?: string;
  /** Export again even when the cached export is current. */
  refresh?: boolean;
  /** Records read so far, while exporting. */
  onProgress?: (records: number) => void;
}

export interface QueryResult {
  columns: string[];
  /** DuckDB's type of each column. */
  types: string[];
  /**
   * Each row's values as JSON values: integers as numbers when they are safe (else as strings), decimals as
   * numbers, timestamps as text, lists as arrays, structs as objects.
   */
  rows: unknown[][];
  /** The export the query ran over, and whether it was made now (false: the cached one was current). */
  export: { dir: string; fingerprint: string; exported: boolean; rows: Record<TableName, number> };
}

interface Manifest {
  version: number;
  fingerprint: string;
  days: string[];
  rows: Record<TableName, number>;
}

function readManifest(path: string): Manifest | null {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (!(isObj(m) && m.version === EXPORT_VERSION && typeof m.fingerprint === 'string' && isObj(m.rows)))
      return null;
    const rows = m.rows;
    if (!TABLE_NAMES.every((t) => typeof rows[t] === 'number')) return null;
    return {
      version: EXPORT_VERSION,
      fingerprint: m.fingerprint,
      days: Array.isArray(m.days) ? m.days.filter((d): d is string => typeof d === 'string') : [],
      rows: Object.fromEntries(TABLE_NAMES.map((t) => [t, Number(rows[t])])) as Record<TableName, number>,
    };
  } catch {
    /* missing or damaged: exported again */
  }
  return null;
}

/**
 * The cache folder of a query's export, beside the journal root (where `runtime sweep` keeps `sweep/`):
 * `query/` for a whole data dir, `query-<from>-<to>/` for a day range (or one day folder named alone).
 */
export function defaultCacheDir(
  dataDir: string,
  days: readonly string[],
  from?: string,
  to?: string,
): string {
  const first = days[0]!;
  const whole = existsSync(join(dataDir, 'journal')) || resolve(first) !== resolve(dataDir);
  const base = existsSync(join(dataDir, 'journal'))
    ? dataDir
    : isDayName(basename(first))
      ? dirname(dirname(first))
      : dirname(first);
  if (whole && from === undefined && to === undefined) return join(base, 'query');
  const lo = from ?? basename(first);
  const hi = to ?? basename(days.at(-1)!);
  return join(base, `query-${lo}-${hi}`);
}

/**
 * The export of `dataDir` that a query reads: the cached one when its fingerprint is the source's, else a
 * new one (the manifest is written last, whole, so a half-made export is never taken for current).
 */
export async function ensureExport(
  o: Omit<QueryOptions, 'sql'>,
): Promise<{ dir: string; fingerprint: string; exported: boolean; rows: Record<TableName, number> }> {
  const range: { from?: string; to?: string } = {};
  if (o.from !== undefined) range.from = o.from;
  if (o.to !== undefined) range.to = o.to;
  const days = journalDays(o.dataDir, range);
  const dir = resolve(o.cacheDir ?? defaultCacheDir(o.dataDir, days, o.from, o.to));
  const sweepDir = o.sweepDir ?? defaultSweepDir(days);
  const fingerprint = exportFingerprint(days, sweepDir);
  const manifestPath = join(dir, 'manifest.json');
  const m = o.refresh ? null : readManifest(manifestPath);
  if (
    m !== null &&
    m.fingerprint === fingerprint &&
    TABLE_NAMES.every((t) => existsSync(join(dir, `${t}.parquet`)))
  )
    return { dir, fingerprint, exported: false, rows: m.rows };
  rmSync(manifestPath, { force: true });
  const e: ExportOptions = { dataDir: o.dataDir, outDir: dir, sweepDir };
  if (o.from !== undefined) e.from = o.from;
  if (o.to !== undefined) e.to = o.to;
  if (o.onProgress) e.onProgress = o.onProgress;
  const r = await exportParquet(e);
  const manifest: Manifest = {
    version: EXPORT_VERSION,
    fingerprint: r.fingerprint,
    days: r.days,
    rows: r.rows,
  };
  try {
    writeFileSync(`${manifestPath}.tmp`, `${JSON.stringify(manifest)}\n`);
    renameSync(`${manifestPath}.tmp`, manifestPath);
  } catch (e) {
    throw new ExportError(`writing ${manifestPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { dir, fingerprint: r.fingerprint, exported: true, rows: r.rows };
}

const INTEGER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
]);

/** Run SQL over Parquet tables (`<dir>/<table>.parquet`, each a view named after its table). */
export async function queryParquet(
  dir: string,
  sql: string,
): Promise<Pick<QueryResult, 'columns' | 'types' | 'rows'>> {
  return withDuckDb(async (c) => {
    for (const t of TABLE_NAMES) {
      const f = join(dir, `${t}.parquet`);
      if (existsSync(f)) await c.run(`CREATE VIEW ${t} AS SELECT * FROM read_parquet(${sqlString(f)})`);
    }
    let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
    try {
      reader = await c.runAndReadAll(sql);
    } catch (e) {
      throw new QueryError(e instanceof Error ? e.message : String(e));
    }
    const types = reader.columnTypes().map((t) => t.toString());
    // DuckDB's JSON form gives big integers and decimals as strings: numbers where a number holds them
    const rows = reader.getRowsJson().map((row) =>
      row.map((v, i) => {
        if (typeof v !== 'string') return v;
        const ty = types[i]!;
        if (INTEGER_TYPES.has(ty)) {
          const n = Number(v);
          return Number.isSafeInteger(n) ? n : v;
        }
        if (ty.startsWith('DECIMAL')) {
          const n = Number(v);
          return Number.isFinite(n) ? n : v;
        }
        return v;
      }),
    );
    return { columns: reader.columnNames(), types, rows };
  });
}

/** SQL over a data dir's tables (exported on demand, cached, exported again when the source changed). */
export async function queryDataDir(o: QueryOptions): Promise<QueryResult> {
  const { sql, ...rest } = o;
  if (sql.trim() === '') throw new QueryError('empty SQL');
  const exp = await ensureExport(rest);
  return { ...(await queryParquet(exp.dir, sql)), export: exp };
}

// ------------------------------------------------------------------ output

const cellText = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);

/** A plain-text table: a header, a rule, one line per row (cells cut at `maxWidth`), and the row count. */
export function formatTable(columns: readonly string[], rows: readonly unknown[][], maxWidth = 48): string {
  const cut = (s: string) => {
    const one = s.replace(/\s+/g, ' ');
    return one.length > maxWidth ? `${one.slice(0, maxWidth - 1)}…` : one;
  };
  const cells = rows.map((r) => r.map((v) => cut(cellText(v))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const numeric = columns.map(
    (_c, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === 'number'),
  );
  const line = (r: readonly string[]) =>
    r
      .map((s, i) => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(columns), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of cells) out.push(line(r));
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n');
}

/** CSV (RFC 4180): a header line, then one line per row; a cell with a comma, quote or newline is quoted. */
export function formatCsv(columns: readonly string[], rows: readonly unknown[][]): string {
  const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  return [columns.map(q).join(','), ...rows.map((r) => r.map((v) => q(cellText(v))).join(','))].join('\n');
}

/** JSON: an array of one object per row. */
export function formatJson(columns: readonly string[], rows: readonly unknown[][]): string {
  return JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))));
}
