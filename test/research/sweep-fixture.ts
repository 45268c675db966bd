/**
 * A multi-day simulated data dir for the sweep tests and benchmark: each day a run of the simulator's offline
 * generator (as `replay/sim-session.ts` produces it: connection events, every frame stamped on arrival, a
 * control tick every `tickMs`) journaled under `<dir>/journal/<day>/`, opened by a `run.start` record naming
 * the coins and config it ran with, one sequence across the days (as restarts write it).
 */
import { join } from 'node:path';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { generate } from '../../sim/generate.ts';
import { ManualClock } from '../../state/clock.ts';
import {
  type ConnEvent,
  type JournalRecord,
  jsonBytes,
  RecordKind,
  sniffChannel,
} from '../../state/records.ts';

const enc = new TextEncoder();

export interface SimDataDirOptions {
  dir: string;
  days: readonly string[];
  /** Market minutes each day, from `startHour` UTC. */
  minutes: number;
  startHour?: number;
  scenario: string;
  seed: number;
  coins: string[];
  tickMs?: number;
  /**
   * Journal from this minute of each day's session on (the simulator still plays the minutes before, so the
   * market is the same; the journal, and so the replays, start later — e.g. past the scenario's quiet hour).
   */
  fromMinute?: number;
  /** Operator commands journaled (as the runtime journals them: `operator` decision records) at a day's minute. */
  operator?: { day: number; minute: number; command: Record<string, unknown> }[];
  /** The venue each day's run names (default paper; `live` runs are answered from venue records). */
  venue?: 'paper' | 'live';
}

export interface SimDataDir {
  records: number;
  frames: number;
  ticks: number;
  /** Market time covered, all days (ms). */
  marketMs: number;
}

export async function simDataDir(o: SimDataDirOptions): Promise<SimDataDir> {
  const tickMs = o.tickMs ?? 1_000;
  let seq = 1;
  let records = 0;
  let frames = 0;
  let ticks = 0;
  let marketMs = 0;
  for (const [d, day] of o.days.entries()) {
    const start = Date.parse(`${day}T${String(o.startHour ?? 10).padStart(2, '0')}:00:00Z`);
    const from = start + (o.fromMinute ?? 0) * 60_000;
    const w = new JournalWriter({
      dir: join(o.dir, 'journal', day),
      rollDaily: true,
      clock: new ManualClock(from),
    });
    let last = from - 10;
    const emit = (kind: JournalRecord['kind'], channel: string, data: Uint8Array, time: number) => {
      records++;
      last = Math.max(last, time);
      if (!w.append({ seq: seq++, time: last, epoch: d + 1, kind, channel, data }))
        throw new Error(`journal refused record ${seq - 1}`);
    };
    emit(
      RecordKind.Decision,
      'run.start',
      jsonBytes({
        restore: [],
        run: {
          coins: o.coins,
          venue: o.venue ?? 'paper',
          network: 'sim',
          config: { coins: o.coins, control: { tickMs } },
        },
      }),
      from - 10,
    );
    const conn = (ev: ConnEvent, time: number) => emit(RecordKind.Conn, ev.type, jsonBytes(ev), time);
    let nextTick = Number.NaN;
    const commands = (o.operator ?? [])
      .filter((c) => c.day === d)
      .map((c) => ({ time: start + c.minute * 60_000, command: c.command }))
      .sort((a, b) => a.time - b.time);
    const tickUpTo = (time: number) => {
      while (nextTick <= time) {
        while (commands.length > 0 && commands[0]!.time <= nextTick) {
          const c = commands.shift()!;
          emit(RecordKind.Decision, 'operator', jsonBytes(c.command), c.time);
        }
        ticks++;
        emit(RecordKind.Tick, 'tick', jsonBytes({ cause: 'timer' }), nextTick);
        nextTick += tickMs;
      }
    };
    let started = false;
    const r = generate({
      seed: o.seed + d,
      scenario: o.scenario,
      coins: o.coins,
      fast: true,
      startTime: start,
      durationMs: o.minutes * 60_000,
      onFrame: (text, timeMs) => {
        if (timeMs < from) return;
        const t = timeMs + 0.2;
        if (!started) {
          started = true;
          conn({ type: 'connecting', url: 'sim://offline' }, timeMs - 5);
          conn({ type: 'open', url: 'sim://offline' }, timeMs - 4);
          conn({ type: 'subscribed', key: '*' }, timeMs - 3);
          nextTick = Math.ceil((timeMs - 5) / tickMs) * tickMs;
        }
        tickUpTo(t);
        const data = enc.encode(text);
        frames++;
        emit(RecordKind.Frame, sniffChannel(data), data, t);
      },
    });
    tickUpTo(r.endTime);
    marketMs += r.endTime - Math.max(from, r.startTime);
    await w.close();
  }
  return { records, frames, ticks, marketMs };
}
