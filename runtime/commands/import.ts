/** `runtime import <format> <files…> [<format> <files…>…] --data DIR [--json]`: historical files into a journal. */
import { formatCoverage } from '../../research/import/coverage.ts';
import { IMPORT_FORMATS, type ImportFormat, isImportFormat } from '../../research/import/formats.ts';
import { ImportError, type ImportInput, importFiles } from '../../research/import/import.ts';
import { lockDataDir } from '../lock.ts';
import { guarded, type Io, num, parse, UsageError } from './common.ts';

export const IMPORT_USAGE = `usage: runtime import <format> <files…> [<format> <files…> …] --data DIR [options]

Imports real Hyperliquid history into DIR's journal (DIR/journal/<YYYY-MM-DD>/), every record stamped with the
time the data carries and tagged with the import as its source, all files merged in time order — so replay,
backtests and the journal tools read it like a recorded run. Prints a coverage report: time range, frames per
channel and coin, corrupt lines (counted and skipped), holes (missing hours) and what the data cannot provide.

formats (docs/hyperliquid-protocol.md §6):
  archive-l2book   market_data/<YYYYMMDD>/<H>/l2Book/<COIN>.lz4 of the venue's archive (LZ4 frames)
  asset-ctxs       asset_ctxs/<YYYYMMDD>.csv.lz4 (one row per coin per minute → activeAssetCtx frames)
  node-fills       node_fills_by_block/hourly/<YYYYMMDD>/<H> (trades rebuilt from fill pairs, liquidations kept)
  hftbacktest      <coin>_<YYYYMMDD>.gz of hftbacktest's collector (<recv_ns> <frame> lines)
A format name among the files starts a new group: import book, contexts and fills of the same hours together,
in one command (a journal is one stream in time order; a later import cannot go back before it).
Files ending in .lz4 are read as LZ4 frames, .gz as gzip, anything else as text.

options:
  --data DIR       data directory (default ./data)
  --json           print the coverage report as JSON
  --tick-ms MS     control tick period journaled while data flows (default 1000)
  --hole-s S       no data for longer than S seconds is a hole: journaled as a closed connection
                   (default 60; 180 for asset-ctxs alone)
  --source NAME    source tag of the records (default import:<format>[+<format>…])
`;

/** `archive-l2book a b asset-ctxs c` → the files with their formats. */
export function importInputs(positionals: readonly string[]): ImportInput[] {
  const out: ImportInput[] = [];
  let format: ImportFormat | null = null;
  for (const p of positionals) {
    if (isImportFormat(p)) {
      format = p;
      continue;
    }
    if (format === null)
      throw new UsageError(`unknown format '${p}' (expected one of ${IMPORT_FORMATS.join(', ')})`);
    out.push({ format, path: p });
  }
  if (format === null) throw new UsageError(`a format is required (one of ${IMPORT_FORMATS.join(', ')})`);
  if (out.length === 0) throw new UsageError('no files to import');
  return out;
}

export async function importCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, IMPORT_USAGE, async () => {
    const { values, positionals } = parse(argv, {
      data: { type: 'string' },
      json: { type: 'boolean' },
      'tick-ms': { type: 'string' },
      'hole-s': { type: 'string' },
      source: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(IMPORT_USAGE);
      return 0;
    }
    const inputs = importInputs(positionals);
    const dataDir = values.data ?? './data';
    const lock = lockDataDir(dataDir, 'runtime import');
    try {
      const opts: Parameters<typeof importFiles>[0] = { inputs, dataDir };
      if (values['tick-ms'] !== undefined) opts.tickMs = num(values['tick-ms'], 'tick-ms', 1000);
      if (values['hole-s'] !== undefined) opts.holeMs = num(values['hole-s'], 'hole-s', 60) * 1000;
      if (values.source !== undefined) opts.source = values.source;
      const report = await importFiles(opts);
      io.stdout(values.json ? JSON.stringify(report) : formatCoverage(report));
      return report.frames > 0 ? 0 : 1;
    } catch (e) {
      if (e instanceof ImportError) {
        io.stderr(`runtime import: ${e.message}`);
        return 1;
      }
      throw e;
    } finally {
      lock.release();
    }
  });
}
