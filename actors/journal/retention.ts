/**
 * Retention of a journal root's day folders: `compactDay` compresses a finished day's segments in place
 * (brotli, each `seg-N.jrnl` becomes `seg-N.jrnl.br`, read transparently by every reader), `removeDay`
 * deletes one. Which days may be touched (never today's, never the one a running instance writes) is the
 * caller's decision (`runtime journal compact|prune`).
 *
 * A compaction is crash safe: the compressed copy is written to a temporary file, fsynced, decompressed
 * and compared with the original, renamed into place and its directory fsynced before the original is
 * removed. Interrupted anywhere, the day reads the same (`listSegments` prefers the original while both
 * exist) and compacting it again finishes the job.
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { COMPRESSED_SUFFIX, indexFileName, isCompressedSegment } from './format.ts';
import { fsyncDir, listSegments } from './recovery.ts';

export interface CompactResult {
  dir: string;
  /** Segments compressed now (already compressed ones are skipped). */
  segments: number;
  /** Bytes of the segments compressed now, before and after. */
  bytesIn: number;
  bytesOut: number;
  /** Segments that were compressed before. */
  alreadyCompressed: number;
}

/**
 * Brotli quality 9 with a 16 MiB window: most of quality 11's ratio on journal JSON (repeating keys and
 * prices) at a fraction of its time (a 64 MiB segment in seconds, not minutes).
 */
const BROTLI = {
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 9,
    [constants.BROTLI_PARAM_LGWIN]: 24,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_GENERIC,
  },
};

/** Compress every plain segment of a day folder (see the file header). */
export function compactDay(dir: string): CompactResult {
  const out: CompactResult = { dir, segments: 0, bytesIn: 0, bytesOut: 0, alreadyCompressed: 0 };
  for (const seg of listSegments(dir)) {
    if (isCompressedSegment(seg.path)) {
      out.alreadyCompressed++;
      continue;
    }
    const raw = readFileSync(seg.path);
    const packed = brotliCompressSync(raw, {
      ...BROTLI,
      params: { ...BROTLI.params, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
    });
    const target = `${seg.path}${COMPRESSED_SUFFIX}`;
    const tmp = `${target}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, packed);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // what is on disk must give back the segment byte for byte before the original goes
    if (!brotliDecompressSync(readFileSync(tmp)).equals(raw)) {
      rmSync(tmp, { force: true });
      throw new Error(
        `${seg.path}: the compressed copy does not read back identical; segment left as it was`,
      );
    }
    renameSync(tmp, target);
    fsyncDir(dir);
    rmSync(seg.path);
    rmSync(join(dir, indexFileName(seg.file)), { force: true });
    fsyncDir(dir);
    out.segments++;
    out.bytesIn += raw.length;
    out.bytesOut += packed.length;
  }
  return out;
}

/** Bytes the files of a day folder take. */
export function dayBytes(dir: string): number {
  let n = 0;
  for (const seg of listSegments(dir)) n += statSync(seg.path).size;
  return n;
}

/** Delete a day folder and everything in it. */
export function removeDay(root: string, day: string): void {
  rmSync(join(root, day), { recursive: true, force: true });
  fsyncDir(root);
}
