/**
 * Sweep results keyed by (config hash, journal range), so nothing is recomputed: a run whose key has a
 * stored result is read back, not replayed. The config hash is the SHA-256 of the decision side's config
 * as stable JSON (keys sorted at every level: the same config gives the same hash whatever order it was
 * written in); the range key names the day folders read, each segment file's name and size (a journal
 * that grew or was compacted is a new range) and the cut time. Files are written whole (temp + rename), so
 * a reader or a second writer never sees half a result; one folder per range holds one JSON file per config.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { listSegments } from '../actors/journal/recovery.ts';

export { configHash, stableJson } from './backtest.ts';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface JournalRange {
  /** Day folder names, oldest first. */
  days: string[];
  toTime: number | null;
  /** SHA-256 of the days, their segment files (name and size) and the cut (first 24 hex digits). */
  key: string;
}

/** The range a replay of `dayDirs` (cut at `toTime`) reads. */
export function journalRange(dayDirs: readonly string[], toTime?: number): JournalRange {
  const parts: string[] = [];
  for (const d of dayDirs) {
    // the segments only: anything else kept in the folder (an index, a sweep folder) is not the range
    const files = listSegments(d).map((s) => `${s.file}:${statSync(s.path).size}`);
    parts.push(`${basename(d)}[${files.join(',')}]`);
  }
  const cut = toTime ?? null;
  return {
    days: dayDirs.map((d) => basename(d)),
    toTime: cut,
    key: sha256(`${parts.join(';')}|${cut ?? ''}`).slice(0, 24),
  };
}

/** The key of one result: config hash and range. */
export function resultKey(configHashHex: string, rangeKey: string): string {
  return `${rangeKey}-${configHashHex.slice(0, 24)}`;
}

function writeWhole(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${Math.floor(Math.random() * 1e9)}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Results and tapes under one folder (`<data dir>/research/sweep` or `--out`). */
export class ResultCache<R extends { key: string } = { key: string }> {
  /** Results read back instead of recomputed, and stored, since this cache was opened. */
  hits = 0;
  stored = 0;
  /** Result files that did not parse (counted and recomputed, never a crash). */
  bad = 0;

  constructor(readonly dir: string) {}

  private resultPath(key: string): string {
    const range = key.split('-')[0]!;
    return join(this.dir, 'results', range, `${key}.json`);
  }

  get(key: string): R | null {
    const p = this.resultPath(key);
    if (!existsSync(p)) return null;
    try {
      const r = JSON.parse(readFileSync(p, 'utf8')) as R;
      if (r.key !== key) throw new Error('key mismatch');
      this.hits++;
      return r;
    } catch {
      this.bad++;
      return null;
    }
  }

  put(r: R): void {
    const p = this.resultPath(r.key);
    mkdirSync(join(p, '..'), { recursive: true });
    writeWhole(p, `${JSON.stringify(r)}\n`);
    this.stored++;
  }

  /** Where the tick tape of a range is kept. */
  tapePath(rangeKey: string): string {
    mkdirSync(join(this.dir, 'tapes'), { recursive: true });
    return join(this.dir, 'tapes', `${rangeKey}.tape`);
  }
}
