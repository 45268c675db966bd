/**
 * `runtime import` throughput per format, lines/s, beside `JSON.parse` of the same lines in the same run:
 *  - import.<format>: the whole import of the files (decompression, parsing and validation, merge, journal
 *    writes with group commit, until durable), lines read per second;
 *  - baseline `json_parse.<format>`: `JSON.parse` of the same lines, decompressed and in memory. For
 *    hftbacktest the frame after `<recv_ns> `; for asset-ctxs, whose CSV rows are not JSON, the
 *    activeAssetCtx frames the rows become.
 * The files are the simulator's market written in the exact formats (test/research/import-files.ts: LZ4 frames,
 * gzip, plain node files), three coins over 20 minutes; asset-ctxs a day of rows for 100 coins made from the
 * simulator's rows. `ratio` = import / JSON.parse (below 1: slower). The import also journals what a recorder
 * would: a control tick every second while data flows — for asset-ctxs (one row per coin per minute) that is
 * 60 tick records a minute beside its rows, counted in its cost, not in its lines.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { journalDays, readDays } from '../actors/journal/days.ts';
import type { ImportFormat } from '../research/import/formats.ts';
import { importFiles } from '../research/import/import.ts';
import { writeSimHistory } from '../test/research/import-files.ts';
import { type BenchFigure, figure, hrNowNs, withBaseline } from './lib.ts';

function linesOf(path: string): string[] {
  const raw = readFileSync(path);
  const text = path.endsWith('.lz4')
    ? decompressFrameSync(raw).toString()
    : path.endsWith('.gz')
      ? gunzipSync(raw).toString()
      : raw.toString();
  return text.split('\n').filter((l) => l !== '');
}

function parseRate(jsons: readonly string[], reps: number): number {
  let sink = 0;
  const t0 = hrNowNs();
  for (let r = 0; r < reps; r++)
    for (const s of jsons) {
      const o = JSON.parse(s) as unknown;
      if (o !== null) sink++;
    }
  const secs = Number(hrNowNs() - t0) / 1e9;
  if (sink === 0) throw new Error('nothing parsed');
  return (jsons.length * reps) / secs;
}

export default async function importBench({ quick }: { quick: boolean }): Promise<BenchFigure[]> {
  const root = mkdtempSync(join(tmpdir(), 'bench-import-'));
  try {
    const start = Date.UTC(2025, 10, 24, 12);
    const hist = writeSimHistory(join(root, 'src'), {
      seed: 3,
      coins: ['BTC', 'ETH', 'SOL'],
      segments: [{ startTime: start, durationMs: (quick ? 5 : 20) * 60_000 }],
    });
    // a day of asset contexts as the archive has it (one row per coin per minute), for 100 coins: the simulator's
    // rows, each minute's values taken in turn from them, under coin names C0…C99
    const simRows = hist.ctxs.flatMap(linesOf);
    const header = simRows[0]!;
    const body = simRows.slice(1).map((r) => r.split(','));
    const day: string[] = [header];
    const nCoins = quick ? 20 : 100;
    for (let m = 0; m < 1440; m++) {
      const t = new Date(start + m * 60_000).toISOString().replace('.000Z', 'Z');
      for (let c = 0; c < nCoins; c++) {
        const row = body[(m * nCoins + c) % body.length]!;
        day.push([t, `C${c}`, ...row.slice(2)].join(','));
      }
    }
    const ctxPath = join(root, 'src', 'asset_ctxs', '20251124.csv.lz4');
    writeFileSync(ctxPath, compressFrameSync(Buffer.from(`${day.join('\n')}\n`)));
    hist.ctxs = [ctxPath];
    // the frames the CSV rows become (the baseline for asset-ctxs), from a first import
    const probe = await importFiles({
      inputs: hist.ctxs.map((path) => ({ format: 'asset-ctxs', path })),
      dataDir: join(root, 'probe'),
    });
    const ctxFrames: string[] = [];
    const dec = new TextDecoder();
    for (const { record } of readDays(journalDays(join(root, 'probe'))))
      if (record.channel === 'activeAssetCtx') ctxFrames.push(dec.decode(record.data));
    if (ctxFrames.length !== probe.frames) throw new Error('asset-ctxs probe: frame count mismatch');
    const formats: Array<{ format: ImportFormat; files: string[]; json: (lines: string[]) => string[] }> = [
      { format: 'archive-l2book', files: hist.archive, json: (l) => l },
      { format: 'asset-ctxs', files: hist.ctxs, json: () => ctxFrames },
      { format: 'node-fills', files: hist.fills, json: (l) => l },
      { format: 'hftbacktest', files: hist.hft, json: (l) => l.map((x) => x.slice(x.indexOf(' ') + 1)) },
    ];
    const runs = quick ? 2 : 5;
    const out: BenchFigure[] = [];
    let k = 0;
    for (const f of formats) {
      const lines = f.files.flatMap(linesOf);
      const jsons = f.json(lines);
      const importRates: number[] = [];
      const parseRates: number[] = [];
      let frames = 0;
      for (let r = 0; r < runs; r++) {
        // alternate the two in each run, so both see the same machine state
        const reps = Math.max(1, Math.round(20_000 / jsons.length));
        parseRates.push(parseRate(jsons, reps));
        const t0 = hrNowNs();
        const rep = await importFiles({
          inputs: f.files.map((path) => ({ format: f.format, path })),
          dataDir: join(root, `d${k++}`),
        });
        const secs = Number(hrNowNs() - t0) / 1e9;
        if (rep.lines !== lines.length || rep.corrupt.lines !== 0)
          throw new Error(
            `${f.format}: read ${rep.lines} of ${lines.length} lines, ${rep.corrupt.lines} corrupt`,
          );
        frames = rep.frames;
        importRates.push(rep.lines / secs);
      }
      const base = figure(`json_parse.${f.format}`, 'lines/s', parseRates, { lines: jsons.length });
      out.push(
        withBaseline(
          figure(`import.${f.format}`, 'lines/s', importRates, {
            lines: lines.length,
            frames,
            files: f.files.length,
          }),
          base,
        ),
      );
    }
    return out;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
