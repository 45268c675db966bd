/**
 * Child process for the midnight crash test: a writer on the day folder `<root>/2026-03-14` with rollDaily
 * (as the ingest worker opens a data dir's journal) appends `midnightRecordFor(seq)` — the crash records
 * with times that cross 00:00 UTC at seq MIDNIGHT_SEQ — and prints `ack <seq>` for every acknowledged
 * seq. The parent SIGKILLs it. argv: root pace (records per ms)
 */
import { join } from 'node:path';
import { SystemClock } from '../../actors/journal/system-clock.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { midnightRecordFor } from './crash-records.ts';

const [root, pace] = process.argv.slice(2);
if (!root) throw new Error('usage: crash-midnight-writer.ts root pace');
const clock = new SystemClock();
const w = new JournalWriter({
  dir: join(root, '2026-03-14'),
  rollDaily: true,
  clock,
  segmentBytes: 16 * 1024,
  onPersisted: (seq) => process.stdout.write(`ack ${seq}\n`),
  onError: (e) => process.stderr.write(`writer error: ${e.message}\n`),
});
let seq = w.nextSeq;
process.stdout.write(`ready ${seq}\n`);
for (;;) {
  for (let i = 0; i < Number(pace); i++) w.append(midnightRecordFor(seq++));
  await new Promise<void>((r) => clock.setTimeout(r, 1));
}
