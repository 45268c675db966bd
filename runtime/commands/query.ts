/**
 * `runtime query <data dir> "<SQL>" [--json|--csv]` and `runtime export <data dir> --out DIR`: a data dir's
 * journal, decision log reading and sweep results as Parquet tables, and SQL over them (embedded DuckDB,
 * `research/query.ts`). Exit codes: 0 fine, 1 the SQL failed (DuckDB's message), 2 usage or no journal.
 */
import { NoJournalError } from '../../actors/journal/days.ts';
import {
  ExportError,
  exportParquet,
  formatCsv,
  formatJson,
  formatTable,
  QueryError,
  queryDataDir,
  TABLE_NAMES,
  TABLES,
} from '../../research/query.ts';
import { createProgress } from '../progress.ts';
import { guarded, type Io, parse, UsageError } from './common.ts';

/** Each table and its columns, wrapped at 100 characters. */
const TABLE_HELP = TABLE_NAMES.map((t) => {
  const lines: string[] = [];
  let line = `  ${t.padEnd(14)}`;
  for (const c of Object.keys(TABLES[t])) {
    if (line.length + c.length + 2 > 100) {
      lines.push(line.trimEnd());
      line = ' '.repeat(16);
    }
    line += ` ${c},`;
  }
  lines.push(line.slice(0, -1));
  return lines.join('\n');
}).join('\n');

export const QUERY_USAGE = `usage: runtime query <data dir | journal day folder> "<SQL>" [options]

Runs SQL (DuckDB's dialect) over the data dir's tables and prints a table. The tables are exported to
Parquet on demand into <data dir>/query/ and exported again when the journal (a segment's size or a new
day) or the stored sweep results changed.

tables (each with ts, its time as a timestamp, where it has a time):
${TABLE_HELP}
times are ms since epoch (journal time); decisions.json, market.raw, runs.json and sweep_results.json hold
the record as JSON (query them with DuckDB's JSON functions, e.g. json->>'$.fill.px'). runs.config_hash is
the SHA-256 of the config the run recorded, as recorded (stable JSON); sweep_results.config_hash is the
sweep's own key (the decision side's resolved config).

options:
  --json                print an array of one object per row
  --csv                 print CSV with a header line
  --from DAY --to DAY   only the days from / to these (YYYY-MM-DD; cached in its own folder)
  --refresh             export again even when the cached export is current
  --sweep DIR           the sweep folder whose results to read (default: sweep/ in the data dir, where
                        'runtime sweep' keeps them without --out)

exit codes: 0 fine, 1 the SQL or the export failed (the message says why), 2 usage or no journal found
`;

export const EXPORT_USAGE = `usage: runtime export <data dir | journal day folder> --out DIR [options]

Writes the data dir's tables as Parquet files (DIR/<table>.parquet), streaming the journal once:
${TABLE_HELP}

options:
  --out DIR             where the Parquet files go (created)
  --from DAY --to DAY   only the days from / to these (YYYY-MM-DD)
  --sweep DIR           the sweep folder whose results to read (default: sweep/ in the data dir)
  --json                print the rows per table as JSON
`;

export async function queryCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, QUERY_USAGE, async () => {
    const { values, positionals } = parse(argv, {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
      from: { type: 'string' },
      to: { type: 'string' },
      refresh: { type: 'boolean' },
      sweep: { type: 'string' },
    });
    if (values.help) {
      io.stdout(QUERY_USAGE);
      return 0;
    }
    const [dir, sql, ...extra] = positionals;
    if (!dir) throw new UsageError('missing <data dir>');
    if (sql === undefined || sql.trim() === '') throw new UsageError('missing "<SQL>"');
    if (extra.length > 0)
      throw new UsageError(`one SQL argument expected (quote it), got also: ${extra.join(' ')}`);
    if (values.json && values.csv) throw new UsageError('--json and --csv: choose one');
    const opts: Parameters<typeof queryDataDir>[0] = { dataDir: dir, sql };
    if (values.from !== undefined) opts.from = values.from;
    if (values.to !== undefined) opts.to = values.to;
    if (values.refresh) opts.refresh = true;
    if (values.sweep !== undefined) opts.sweepDir = values.sweep;
    // progress only while an export runs (a query over a current export prints nothing but its answer)
    const shown = exportProgress();
    opts.onProgress = shown.update;
    let r: Awaited<ReturnType<typeof queryDataDir>>;
    try {
      r = await queryDataDir(opts);
    } catch (e) {
      if (e instanceof NoJournalError) throw new UsageError(e.message);
      if (e instanceof QueryError || e instanceof ExportError) {
        io.stderr(`query: ${e.message}`);
        return 1;
      }
      throw e;
    } finally {
      shown.finish();
    }
    if (r.export.exported)
      io.stderr(
        `query: exported ${TABLE_NAMES.map((t) => `${t} ${r.export.rows[t]}`).join(', ')} to ${r.export.dir}`,
      );
    io.stdout(
      values.json
        ? formatJson(r.columns, r.rows)
        : values.csv
          ? formatCsv(r.columns, r.rows)
          : formatTable(r.columns, r.rows),
    );
    return 0;
  });
}

/** The export's progress line on stderr, shown from its first report on (nothing when nothing is exported). */
function exportProgress(): { update: (records: number) => void; finish: () => void } {
  let progress: ReturnType<typeof createProgress> | null = null;
  return {
    update: (records) => {
      progress ??= createProgress({ total: 0, label: 'export', stream: process.stderr, unit: 'records' });
      progress.update(records);
    },
    finish: () => progress?.finish(),
  };
}

export async function exportCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, EXPORT_USAGE, async () => {
    const { values, positionals } = parse(argv, {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      sweep: { type: 'string' },
    });
    if (values.help) {
      io.stdout(EXPORT_USAGE);
      return 0;
    }
    const dir = positionals[0];
    if (!dir) throw new UsageError('missing <data dir>');
    if (positionals.length > 1) throw new UsageError(`one <data dir> expected, got ${positionals.join(' ')}`);
    if (!values.out) throw new UsageError('missing --out DIR');
    const opts: Parameters<typeof exportParquet>[0] = { dataDir: dir, outDir: values.out };
    if (values.sweep !== undefined) opts.sweepDir = values.sweep;
    if (values.from !== undefined) opts.from = values.from;
    if (values.to !== undefined) opts.to = values.to;
    const shown = exportProgress();
    opts.onProgress = shown.update;
    let r: Awaited<ReturnType<typeof exportParquet>>;
    try {
      r = await exportParquet(opts);
    } catch (e) {
      if (e instanceof NoJournalError) throw new UsageError(e.message);
      if (e instanceof ExportError) {
        io.stderr(`export: ${e.message}`);
        return 1;
      }
      throw e;
    } finally {
      shown.finish();
    }
    if (values.json) io.stdout(JSON.stringify(r));
    else {
      const lines = [
        `exported ${r.records} records of ${r.days[0]}${r.days.length > 1 ? ` … ${r.days.at(-1)}` : ''} (${r.days.length} days) to ${r.outDir}`,
      ];
      for (const t of TABLE_NAMES) lines.push(`  ${t.padEnd(14)} ${r.rows[t]} rows`);
      const bad = [
        r.corrupt && `${r.corrupt} corrupt ranges skipped`,
        r.badFrames && `${r.badFrames} frames not JSON (raw only)`,
        r.badDecisions && `${r.badDecisions} decision records not JSON (raw only)`,
        r.badResults && `${r.badResults} sweep result files unreadable (skipped)`,
      ].filter(Boolean);
      if (bad.length) lines.push(`  ${bad.join('; ')}`);
      io.stdout(lines.join('\n'));
    }
    return 0;
  });
}
