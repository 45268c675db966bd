/**
 * Child process for the crash test: opens (and so recovers) a journal, appends `crashRecordFor(seq)` records as
 * fast as it can and prints `ack <seq>` for every acknowledged (fsynced) seq. The parent SIGKILLs it.
 * argv: dir segmentBytes mode maxRecords pace (0: bursts of 16 records per event-loop turn; N: N records a ms)
 */
import { JournalWriter } from '../../actors/journal/writer.ts';
import { SystemClock } from '../../actors/journal/system-clock.ts';
import { crashRecordFor } from './crash-records.ts';

const [dir, segBytes, mode, maxRecords, pace] = process.argv.slice(2);
if (!dir) throw new Error('usage: crash-writer.ts dir segmentBytes mode maxRecords');
const clock = new SystemClock();
const perTurn = Number(pace ?? 0);
const w = new JournalWriter({
  dir,
  clock,
  segmentBytes: Number(segBytes),
  mode: mode === 'every-record' ? 'every-record' : 'group',
  onPersisted: (seq) => process.stdout.write(`ack ${seq}\n`),
  onError: (e) => process.stderr.write(`writer error: ${e.message}\n`),
});
let seq = w.nextSeq;
const end = seq + Number(maxRecords);
process.stdout.write(`ready ${seq}\n`);
while (seq < end) {
  for (let i = 0; i < (perTurn || 16) && seq < end; i++) w.append(crashRecordFor(seq++));
  if (perTurn === 0) await new Promise<void>((r) => setImmediate(r));
  else await new Promise<void>((r) => clock.setTimeout(r, 1));
}
await w.close();
process.stdout.write('done\n');
