/**
 * A simulated data dir for backtests: the simulator's offline generator from a chosen start time (so a run
 * can cross midnight and the venue's funding hours), journaled as a live recorder does — connection
 * records, every frame stamped on arrival, a control tick every `tickMs` — into day folders that roll at
 * midnight UTC. (`replay/sim-session.ts` does the same from the simulator's fixed epoch; it takes no start.)
 */
import { join } from 'node:path';
import { SystemClock as JournalClock } from '../../actors/journal/system-clock.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { dayOf } from '../../actors/journal/days.ts';
import { generate } from '../../sim/generate.ts';
import { type JournalRecord, jsonBytes, RecordKind, sniffChannel } from '../../state/records.ts';

export interface SimJournal {
  records: number;
  firstTime: number;
  lastTime: number;
  days: string[];
}

export async function writeSimJournal(opts: {
  dataDir: string;
  seed: number;
  scenario: string;
  coins: string[];
  tickMs: number;
  fast: boolean;
  startTime: number;
  durationMs?: number;
  /** Every record as written (e.g. to find the asset contexts a funding payment used). */
  onRecord?: (r: JournalRecord) => void;
}): Promise<SimJournal> {
  const t0 = opts.startTime - 5;
  const w = new JournalWriter({
    dir: join(opts.dataDir, 'journal', dayOf(t0)),
    rollDaily: true,
    clock: new JournalClock(),
  });
  const enc = new TextEncoder();
  const days = new Set<string>();
  let seq = 1;
  let last = Number.NEGATIVE_INFINITY;
  let first = Number.NaN;
  let records = 0;
  let nextTick = Math.ceil(t0 / opts.tickMs) * opts.tickMs;
  const emit = (kind: JournalRecord['kind'], channel: string, data: Uint8Array, time: number): void => {
    const r: JournalRecord = { seq: seq++, time, epoch: 1, kind, channel, data };
    if (Number.isNaN(first)) first = time;
    last = time;
    records++;
    days.add(dayOf(time));
    w.append(r);
    opts.onRecord?.(r);
  };
  const tickUpTo = (t: number): void => {
    while (nextTick <= t) {
      emit(RecordKind.Tick, 'tick', jsonBytes({ cause: 'timer' }), nextTick);
      nextTick += opts.tickMs;
    }
  };
  let started = false;
  const gen: Parameters<typeof generate>[0] = {
    seed: opts.seed,
    scenario: opts.scenario,
    coins: opts.coins,
    fast: opts.fast,
    startTime: opts.startTime,
    onFrame: (text, timeMs) => {
      if (!started) {
        started = true;
        emit(RecordKind.Conn, 'connecting', jsonBytes({ type: 'connecting', url: 'sim://offline' }), t0);
        emit(RecordKind.Conn, 'open', jsonBytes({ type: 'open', url: 'sim://offline' }), t0 + 1);
        emit(RecordKind.Conn, 'subscribed', jsonBytes({ type: 'subscribed', key: '*' }), t0 + 2);
      }
      const t = timeMs + 0.2;
      tickUpTo(t);
      const data = enc.encode(text);
      emit(RecordKind.Frame, sniffChannel(data), data, Math.max(t, last));
    },
  };
  if (opts.durationMs !== undefined) gen.durationMs = opts.durationMs;
  const r = generate(gen);
  tickUpTo(r.endTime);
  await w.close();
  return { records, firstTime: first, lastTime: last, days: [...days].sort() };
}
