/**
 * Issue 20 item 14: health names what it is waiting for. With a channel that never arrives (a source
 * that never serves activeAssetCtx) health stays WARMING, and now says why: a `waiting` event when the
 * wait starts and every waitingReportMs on the actor's clock, and describeWaiting(context, now).
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { describeWaiting, healthMachine } from '../../machines/health.machine.ts';
import type { HealthInput, HealthTransition, HealthWaiting } from '../../machines/health.types.ts';
import { ManualClock } from '../../state/clock.ts';

const T = 1_767_607_200_000;
const CHANNELS = ['l2Book:BTC', 'bbo:BTC', 'activeAssetCtx:BTC'];

function harness(input: Partial<HealthInput> = {}) {
  const clock = new ManualClock(T);
  const actor = createActor(healthMachine, {
    clock,
    input: {
      channels: {
        'l2Book:BTC': { cadenceMs: 500 },
        'bbo:BTC': { cadenceMs: 500 },
        'activeAssetCtx:BTC': { cadenceMs: 1_000 },
      },
      validationMs: 5_000,
      ...input,
    },
  });
  const waits: HealthWaiting[] = [];
  const transitions: HealthTransition[] = [];
  actor.on('waiting', (e) => waits.push(e));
  actor.on('health', (e) => transitions.push(e));
  actor.start();
  const last: Record<string, number | null> = {};
  /** Advance the clock to `t` (timers fire on the way) and tick with the channels' last updates. */
  const tickAt = (t: number, ...fed: string[]) => {
    clock.advanceTo(t);
    for (const c of fed) last[c] = t;
    actor.send({ type: 'TICK', now: t, lastUpdate: { ...last } });
  };
  /** Ticks every 250 ms over [from, to], feeding the given channels on each. */
  const run = (from: number, to: number, ...fed: string[]) => {
    for (let t = from; t <= to; t += 250) tickAt(t, ...fed);
  };
  const ctx = () => actor.getSnapshot().context;
  return { clock, actor, waits, transitions, tickAt, run, ctx, last };
}

describe('health: what it is waiting for', () => {
  it('a channel that never arrives: WARMING for ever, a waiting report at the start and every 30 s naming it', () => {
    const h = harness();
    h.actor.send({ type: 'CONNECTION_LIVE', time: T, epoch: 1 });
    h.run(T + 250, T + 120_000, 'l2Book:BTC', 'bbo:BTC'); // never activeAssetCtx
    expect(h.ctx().status).toBe('WARMING');
    expect(h.transitions).toEqual([]);
    // the first tick, then every 30 s from the start of WARMING (the timer fires before that instant's
    // tick, so a periodic report is as of the latest tick: 250 ms earlier)
    console.log(`reports in 120 s: ${h.waits.length}; first: ${h.waits[0]?.summary}`);
    expect(h.waits.map((w) => w.time - T)).toEqual([250, 29_750, 59_750, 89_750, 119_750]);
    for (const w of h.waits) {
      expect(w).toMatchObject({ type: 'waiting', status: 'WARMING', since: T + 250, connected: true });
      expect(w.waitingFor).toEqual([
        { channel: 'activeAssetCtx', coin: 'BTC', never: true, ageMs: null, why: 'never', maxAgeMs: 3_000 },
      ]);
      expect(w.validation).toBeNull();
    }
    expect(h.waits.map((w) => w.report)).toEqual([1, 2, 3, 4, 5]);
    expect(h.waits[0]!.summary).toBe('WARMING for 0 ms: waiting for activeAssetCtx BTC never received');
    const d = describeWaiting(h.ctx(), T + 121_000);
    expect(d.since).toBe(T + 250);
    expect(d.summary).toBe('WARMING for 120750 ms: waiting for activeAssetCtx BTC never received');
  });

  it('once it arrives and stays fresh, the validation window is what is left; then HEALTHY and the reports stop', () => {
    const h = harness();
    h.actor.send({ type: 'CONNECTION_LIVE', time: T, epoch: 1 });
    h.run(T + 250, T + 10_000, 'l2Book:BTC', 'bbo:BTC');
    h.run(T + 10_250, T + 12_250, ...CHANNELS);
    const d = describeWaiting(h.ctx(), T + 12_250);
    expect(d.waitingFor).toEqual([]);
    expect(d.validation).toEqual({ validationMs: 5_000, freshSince: T + 10_250, remainingMs: 3_000 });
    expect(d.summary).toContain('the validation window: every channel fresh for 5000 ms, 3000 ms to go');
    h.run(T + 12_500, T + 15_250, ...CHANNELS);
    expect(h.ctx().status).toBe('HEALTHY');
    expect(describeWaiting(h.ctx(), T + 15_250)).toMatchObject({ since: null, waitingFor: [] });
    const n = h.waits.length;
    h.run(T + 15_500, T + 200_000, ...CHANNELS);
    expect(h.waits.length).toBe(n); // nothing while HEALTHY
  });

  it('without a connection: says so; a channel that stopped is named with its age', () => {
    const h = harness();
    h.tickAt(T + 1_000, ...CHANNELS);
    expect(h.waits[0]!.connected).toBe(false);
    expect(h.waits[0]!.summary).toBe('WARMING for 0 ms: waiting for the feed connection to be live');
    h.actor.send({ type: 'CONNECTION_LIVE', time: T + 1_000, epoch: 1 });
    h.run(T + 1_250, T + 8_000, 'l2Book:BTC', 'bbo:BTC'); // activeAssetCtx stopped at T + 1 000
    const d = describeWaiting(h.ctx(), T + 8_000);
    expect(d.waitingFor).toEqual([
      // received before the connection went live: it does not count as fresh since then
      { channel: 'activeAssetCtx', coin: 'BTC', never: false, ageMs: 7_000, why: 'stale', maxAgeMs: 3_000 },
    ]);
    expect(d.summary).toContain('activeAssetCtx BTC 7000 ms old > 3000 ms');
  });

  it('leaving HEALTHY starts a new wait at once: a gap names the channels with nothing since the disruption', () => {
    const h = harness();
    h.actor.send({ type: 'CONNECTION_LIVE', time: T, epoch: 1 });
    h.run(T + 250, T + 6_000, ...CHANNELS);
    expect(h.ctx().status).toBe('HEALTHY');
    const n = h.waits.length;
    h.clock.advanceTo(T + 6_100);
    h.actor.send({ type: 'GAP', time: T + 6_100, key: '*', reason: 'lost 3 frames' });
    expect(h.ctx().status).toBe('DEGRADED');
    expect(h.waits.length).toBe(n + 1);
    const w = h.waits.at(-1)!;
    expect(w).toMatchObject({ status: 'DEGRADED', since: T + 6_100, time: T + 6_100 });
    expect(w.waitingFor.map((c) => [c.channel, c.why, c.ageMs])).toEqual([
      ['l2Book', 'disrupted', 100],
      ['bbo', 'disrupted', 100],
      ['activeAssetCtx', 'disrupted', 100],
    ]);
    // the periodic report re-enters DEGRADED without announcing a transition again
    const t0 = h.transitions.length;
    const transitions0 = h.ctx().transitions;
    h.run(T + 6_250, T + 70_000, 'l2Book:BTC', 'bbo:BTC'); // activeAssetCtx never again
    expect(h.transitions.length).toBe(t0);
    expect(h.ctx().transitions).toBe(transitions0);
    // every 30 s from entering DEGRADED (as of the latest tick before the timer)
    expect(h.waits.slice(n).map((x) => x.time - T)).toEqual([6_100, 36_000, 66_000]);
    expect(h.waits.at(-1)!.waitingFor).toEqual([
      expect.objectContaining({ channel: 'activeAssetCtx', why: 'disrupted', never: false }),
    ]);
    // HALTED while still waiting: the same wait goes on (no new start report), the transition is announced
    h.clock.advanceTo(T + 70_100);
    h.actor.send({ type: 'CONNECTION_LOST', time: T + 70_100, reason: 'socket closed' });
    expect(h.ctx().status).toBe('HALTED');
    expect(h.waits.length).toBe(n + 3);
    expect(describeWaiting(h.ctx(), T + 70_100).since).toBe(T + 6_100);
  });

  it('waitingReportMs is an input (with a floor); a wait with no tick at all still reports', () => {
    const h = harness({ waitingReportMs: 10_000 });
    h.clock.advanceTo(T + 35_000); // no event at all: the timer still fires
    expect(h.waits.length).toBe(3);
    expect(h.waits[0]!.summary).toContain('the feed connection to be live');
    expect(h.waits[0]!.waitingFor.every((c) => c.never)).toBe(true);
    const tiny = harness({ waitingReportMs: 0 });
    tiny.clock.advanceTo(T + 5_000);
    expect(tiny.waits.length).toBe(5); // at least 1 000 ms apart
    const bad = harness({ waitingReportMs: Number.NaN });
    expect(bad.ctx().waitingReportMs).toBe(30_000);
  });
});
