/**
 * Which journal folders a path names: a day folder (it holds segments), a data dir (`<data>/journal/<day>/`),
 * or a journal root (`<root>/<day>/`). Every command that reads a journal accepts all three, so a trader can
 * point it at what they passed to `--data`. Nothing found is an error that says where it looked — never a
 * silent "0 records".
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { listSegments } from './recovery.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class NoJournalError extends Error {}

function hasSegments(dir: string): boolean {
  return listSegments(dir).length > 0;
}

/** The day folders (oldest first) that `path` names; throws `NoJournalError` when there is none. */
export function journalDays(path: string, range: { from?: string; to?: string } = {}): string[] {
  if (!existsSync(path) || !statSync(path).isDirectory())
    throw new NoJournalError(`${path} is not a directory`);
  if (hasSegments(path)) return [path];
  const root = existsSync(join(path, 'journal')) ? join(path, 'journal') : path;
  const days = readdirSync(root)
    .filter(
      (d) =>
        DAY.test(d) &&
        (range.from === undefined || d >= range.from) &&
        (range.to === undefined || d <= range.to),
    )
    .sort()
    .map((d) => join(root, d))
    .filter((d) => statSync(d).isDirectory() && hasSegments(d));
  if (days.length === 0)
    throw new NoJournalError(
      `no journal in ${path}: looked for segments there, in ${join(path, 'journal')}/<YYYY-MM-DD>/ and in ${path}/<YYYY-MM-DD>/` +
        (range.from || range.to ? ` (days ${range.from ?? '…'} to ${range.to ?? '…'})` : ''),
    );
  return days;
}
