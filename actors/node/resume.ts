/**
 * Where the node-files tail resumes after a restart: the last block height journaled per stream (records of
 * source `node`, channel = the stream). Reads the journal from its newest segment backwards (day folders,
 * then segments, each scanned whole) and stops as soon as every stream has a height, so a restart reads
 * about one segment, not the days behind it.
 */
import { basename, dirname } from 'node:path';
import { isDayName, NoJournalError, journalDays } from '../journal/days.ts';
import { listSegments } from '../journal/recovery.ts';
import { SegmentScanner } from '../journal/scan.ts';
import { blockStamp } from '../../state/heights.ts';
import { RecordKind } from '../../state/records.ts';
import { isNodeStream, type NodeStream } from './tail.ts';

const utf8 = new TextDecoder('utf-8');

export function lastJournaledHeights(
  journalRoot: string,
  streams: readonly NodeStream[],
  source = 'node',
): Partial<Record<NodeStream, number>> {
  const out: Partial<Record<NodeStream, number>> = {};
  let days: string[];
  try {
    days = journalDays(journalRoot);
  } catch (e) {
    if (e instanceof NoJournalError) return out; // a first start: nothing journaled
    throw e;
  }
  const wanted = new Set<string>(streams);
  for (let d = days.length - 1; d >= 0; d--) {
    const segs = listSegments(days[d]!);
    for (let k = segs.length - 1; k >= 0; k--) {
      const scanner = new SegmentScanner(segs[k]!.path);
      try {
        for (let item = scanner.next(); item !== null; item = scanner.next()) {
          if (item.type !== 'record') continue;
          const r = item.record;
          if (r.kind !== RecordKind.Frame || r.source !== source) continue;
          const s = r.channel;
          if (!isNodeStream(s) || !wanted.has(s)) continue;
          const head = r.data.length > 512 ? r.data.subarray(0, 512) : r.data;
          let h = blockStamp(utf8.decode(head)).height;
          if (Number.isNaN(h) && r.data.length > 512) h = blockStamp(utf8.decode(r.data)).height;
          if (!Number.isNaN(h) && !(h <= (out[s] ?? Number.NEGATIVE_INFINITY))) out[s] = h;
        }
      } finally {
        scanner.close();
      }
      if (streams.every((s) => out[s] !== undefined)) return out;
    }
  }
  return out;
}

/** The journal root of a run's journal folder: its parent when it is a day folder (`<data>/journal/<YYYY-MM-DD>`). */
export function journalRootOfDay(journalDir: string): string {
  return isDayName(basename(journalDir)) ? dirname(journalDir) : journalDir;
}
