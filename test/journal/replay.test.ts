import { afterEach, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { readJournal } from '../../actors/journal/reader.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { type ReplayDone, type ReplayInput, replayDriver, runReplay } from '../../replay/driver.ts';
import { ManualClock } from '../../state/clock.ts';
import type { JournalRecord } from '../../state/records.ts';
import { recordFor, sameRecord, T0, tempDir } from './helpers.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function sample(n: number): Promise<string> {
  const t = tempDir('replay');
  cleanups.push(t.cleanup);
  const w = new JournalWriter({ dir: t.dir, clock: new ManualClock(T0), segmentBytes: 16_000 });
  for (let s = 0; s < n; s++) w.append(recordFor(s));
  await w.close();
  return t.dir;
}

function runActor(input: ReplayInput): Promise<{ done: ReplayDone; progress: number }> {
  return new Promise((resolve, reject) => {
    const actor = createActor(replayDriver, { input });
    let progress = 0;
    actor.on('replay.progress', () => progress++);
    actor.on('replay.done', (d) => {
      resolve({ done: d as ReplayDone, progress });
      actor.stop();
    });
    actor.on('replay.error', (e) => reject(new Error((e as { error: string }).error)));
    actor.start();
  });
}

describe('replay driver', () => {
  it('delivers every record in order with the clock set from the records', async () => {
    const dir = await sample(300);
    const clock = new ManualClock(0);
    const seen: Array<{ r: JournalRecord; now: number }> = [];
    const { done, progress } = await runActor({
      dir,
      clock,
      sink: (r) => seen.push({ r, now: clock.now() }),
      batch: 64,
      progressEvery: 100,
    });
    expect(done.records).toBe(300);
    expect(done.corrupt).toEqual([]);
    expect(done.firstTime).toBe(recordFor(0).time);
    expect(done.lastTime).toBe(recordFor(299).time);
    expect(progress).toBe(4); // at 100, 200, 300 and the final one
    expect(seen.length).toBe(300);
    for (let i = 0; i < 300; i++) {
      expect(sameRecord(seen[i]!.r, recordFor(i))).toBe(true);
      expect(seen[i]!.now).toBe(seen[i]!.r.time);
    }
    expect(done.bytes).toBe([...readJournal(dir)].reduce((a, e) => a + e.size, 0));
  });

  it('fires timers between records at their own due times', async () => {
    const dir = await sample(60);
    const clock = new ManualClock(0);
    const log: string[] = [];
    const events: Array<{ kind: 'rec' | 'timer'; t: number; now: number }> = [];
    await runReplay({
      dir,
      clock,
      sink: (r) => {
        events.push({ kind: 'rec', t: r.time, now: clock.now() });
        // each record arms a timer 2.2 ms later (records are 1.5 ms apart): it fires between records
        if (r.seq % 10 === 0) {
          const due = clock.now() + 2.2;
          clock.setTimeout(() => {
            events.push({ kind: 'timer', t: due, now: clock.now() });
            log.push(`timer@${r.seq}`);
          }, 2.2);
        }
      },
    });
    const timers = events.filter((e) => e.kind === 'timer');
    expect(timers.length).toBe(6);
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      expect(e.now).toBe(e.t);
      if (e.kind === 'timer') {
        // every record before the timer is not later than its due time, every record after it is later
        expect(events.slice(0, i).every((x) => x.kind === 'timer' || x.t <= e.t)).toBe(true);
        expect(events.slice(i + 1).every((x) => x.kind === 'timer' || x.t > e.t)).toBe(true);
      }
    }
    // the timer armed at record 50 is due after the last record (59 is at +88.5 ms > 50's +75 +2.2): it fired
    expect(log).toEqual(['timer@0', 'timer@10', 'timer@20', 'timer@30', 'timer@40', 'timer@50']);
  });

  it('replays a time range, and is deterministic', async () => {
    const dir = await sample(200);
    const trace = async () => {
      const clock = new ManualClock(0);
      const out: string[] = [];
      const done = await runReplay({
        dir,
        clock,
        range: { fromTime: recordFor(50).time, toTime: recordFor(150).time },
        sink: (r) => out.push(`${r.seq}@${clock.now()}`),
        batch: 7,
      });
      return { out, done };
    };
    const a = await trace();
    const b = await trace();
    expect(a.done.records).toBe(100);
    expect(a.out[0]).toBe(`50@${recordFor(50).time}`);
    expect(a.out[99]).toBe(`149@${recordFor(149).time}`);
    expect(b.out).toEqual(a.out);
  });

  it('paces ×N against the real clock', async () => {
    const dir = await sample(40);
    const clock = new ManualClock(0);
    const real = new ManualClock(5_000);
    const at: Array<{ t: number; real: number }> = [];
    const p = runReplay({
      dir,
      clock,
      speed: 10,
      realClock: real,
      sink: (r) => at.push({ t: r.time, real: real.now() }),
    });
    let finished = false;
    p.then(() => {
      finished = true;
    });
    // drive the "real" clock: whenever the driver waits, move to its next wake-up
    while (!finished) {
      await new Promise<void>((r) => setImmediate(r));
      if (real.pending() > 0) real.advanceTo(real.nextDue());
    }
    const done = await p;
    expect(done.records).toBe(40);
    const t0 = at[0]!.t;
    for (const x of at) {
      const due = 5_000 + (x.t - t0) / 10;
      expect(x.real).toBeGreaterThanOrEqual(due - 0.5);
      expect(x.real).toBeLessThanOrEqual(due + 0.5);
    }
    expect(at[39]!.real - at[0]!.real).toBeCloseTo((recordFor(39).time - recordFor(0).time) / 10, 0);
  });

  it('stops on replay.stop', async () => {
    const dir = await sample(500);
    const clock = new ManualClock(0);
    let n = 0;
    const done = await new Promise<ReplayDone>((resolve) => {
      const actor = createActor(replayDriver, {
        input: { dir, clock, sink: () => n++, batch: 10, progressEvery: 10 },
      });
      actor.on('replay.progress', () => actor.send({ type: 'replay.stop' }));
      actor.on('replay.done', (d) => resolve(d as ReplayDone));
      actor.start();
    });
    expect(done.stopped).toBe(true);
    expect(done.records).toBe(n);
    expect(n).toBeLessThan(500);
    expect(n).toBeGreaterThanOrEqual(10);
  });

  it('reports an unreadable journal as replay.error', async () => {
    const clock = new ManualClock(0);
    await expect(runActor({ dir: '/nonexistent/journal', clock, sink: () => {} })).rejects.toThrow(/ENOENT/);
  });
});
