/**
 * Which journal folders a path names: a day folder (it holds segments), a data dir (`<data>/journal/<day>/`),
 * or a journal root (`<root>/<day>/`). Every command that reads a journal accepts all three, so a trader can
 * point it at what they passed to `--data`. Nothing found is an error that says where it looked — never a
 * silent "0 records". `readDays` reads the days found as one stream, in order.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadOptions } from './reader.ts';
import { type JournalEntry, readJournal } from './reader.ts';
import { listSegments } from './recovery.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class NoJournalError extends Error {}

/** Is `name` a day folder's name (YYYY-MM-DD)? */
export function isDayName(name: string): boolean {
  if (!DAY.test(name)) return false;
  const t = Date.parse(`${name}T00:00:00Z`);
  // a calendar day: Date.parse takes 2026-11-31 as 12-01
  return !Number.isNaN(t) && dayOf(t) === name;
}

/** The UTC day (YYYY-MM-DD) of a record time (ms since epoch). */
export function dayOf(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** The day folder names under a journal root, oldest first (none when it does not exist). */
export function dayFolders(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => isDayName(d) && statSync(join(root, d)).isDirectory())
    .sort();
}

function hasSegments(dir: string): boolean {
  return listSegments(dir).length > 0;
}

/** The journal root a path names: `<path>/journal` when it is a data dir, else the path itself. */
export function journalRootOf(path: string): string {
  return existsSync(join(path, 'journal')) ? join(path, 'journal') : path;
}

/** The day folders (oldest first) that `path` names; throws `NoJournalError` when there is none. */
export function journalDays(path: string, range: { from?: string; to?: string } = {}): string[] {
  for (const [flag, v] of [
    ['--from', range.from],
    ['--to', range.to],
  ] as const) {
    if (v !== undefined && !isDayName(v))
      throw new NoJournalError(`${flag} ${v}: not a day (expected YYYY-MM-DD)`);
  }
  if (!existsSync(path)) throw new NoJournalError(`${path} does not exist`);
  if (!statSync(path).isDirectory()) throw new NoJournalError(`${path} is not a directory`);
  if (hasSegments(path)) return [path];
  const root = journalRootOf(path);
  const all = dayFolders(root);
  const days = all
    .filter((d) => (range.from === undefined || d >= range.from) && (range.to === undefined || d <= range.to))
    .map((d) => join(root, d))
    .filter((d) => hasSegments(d));
  if (days.length === 0) {
    const found = existsSync(root)
      ? readdirSync(root)
          .sort()
          .slice(0, 8)
          .map((f) => (statSync(join(root, f)).isDirectory() ? `${f}/` : f))
      : [];
    throw new NoJournalError(
      `no journal in ${path}: looked for segments (seg-<seq>.jrnl) there, in ${join(path, 'journal')}/<YYYY-MM-DD>/ and in ${path}/<YYYY-MM-DD>/` +
        (range.from || range.to ? ` (days ${range.from ?? '…'} to ${range.to ?? '…'})` : '') +
        `; found ${
          all.length > 0
            ? `day folders ${all[0]}${all.length > 1 ? ` … ${all.at(-1)}` : ''} (${all.length})${range.from || range.to ? ', none in that range with segments' : ' with no segments'}`
            : found.length > 0
              ? `only ${found.join(', ')}${found.length === 8 ? ', …' : ''} in ${root}`
              : `nothing in ${root}`
        }`,
    );
  }
  return days;
}

/** The records of several day folders as one stream, in order (each read as `readJournal` reads a day). */
export function* readDays(days: readonly string[], opts: ReadOptions = {}): Generator<JournalEntry> {
  for (const d of days) yield* readJournal(d, opts);
}
