import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { healthMachine } from '../../machines/health.machine.ts';
import { FAST_BOOK, type HealthTransition, SLOW_BOOK } from '../../machines/health.types.ts';

function harness() {
  const actor = createActor(healthMachine, {
    input: {
      channels: {
        'l2Book:BTC': FAST_BOOK,
        'l2Book:ETH': SLOW_BOOK,
        'bbo:BTC': { cadenceMs: 400, staleFactor: 5 },
      },
      validationMs: 5_000,
    },
  });
  const log: HealthTransition[] = [];
  actor.on('health', (e) => log.push(e));
  actor.start();
  const last: Record<string, number> = {};
  const tick = (now: number) => actor.send({ type: 'TICK', now, lastUpdate: { ...last } });
  const feed = (now: number, ...channels: string[]) => {
    for (const c of channels) last[c] = now;
  };
  const all = ['l2Book:BTC', 'l2Book:ETH', 'bbo:BTC'];
  /** Fresh data on every channel every 250 ms from `from` to `to`, ticking each time. */
  const run = (from: number, to: number) => {
    for (let t = from; t <= to; t += 250) {
      feed(t, ...all);
      tick(t);
    }
  };
  return { actor, log, tick, feed, run, all, status: () => actor.getSnapshot().value };
}

describe('health machine', () => {
  it('starts WARMING (not HEALTHY) and becomes HEALTHY only after the validation period of fresh data', () => {
    const h = harness();
    expect(h.status()).toBe('WARMING');
    h.run(0, 10_000); // fresh data, but no live connection yet
    expect(h.status()).toBe('WARMING');
    h.actor.send({ type: 'CONNECTION_LIVE', time: 10_000, epoch: 1 });
    h.run(10_250, 15_000);
    expect(h.status()).toBe('WARMING'); // 4 750 ms of validation so far
    h.run(15_250, 15_250);
    expect(h.status()).toBe('HEALTHY');
    expect(h.log).toHaveLength(1);
    expect(h.log[0]).toMatchObject({ from: 'WARMING', to: 'HEALTHY', time: 15_250 });
    expect(h.log[0]!.reason).toContain('every channel fresh for 5000 ms');
  });

  it('the HEALTHY reason gives whole milliseconds (journal times carry fractions)', () => {
    const h = harness();
    h.actor.send({ type: 'CONNECTION_LIVE', time: 0.4, epoch: 1 });
    for (let t = 0.4; t <= 5_300; t += 250.3) {
      h.feed(t, ...h.all);
      h.tick(t);
    }
    expect(h.status()).toBe('HEALTHY');
    expect(h.log[0]!.reason).toMatch(/^every channel fresh for \d+ ms \(validation 5000 ms\)$/);
  });

  it('a fast book goes stale after 3 × 500 ms: DEGRADED on that very tick, with the evidence', () => {
    const h = harness();
    h.actor.send({ type: 'CONNECTION_LIVE', time: 0, epoch: 1 });
    h.run(0, 6_000);
    expect(h.status()).toBe('HEALTHY');
    h.feed(7_000, 'l2Book:ETH', 'bbo:BTC');
    h.tick(7_500); // BTC book last at 6 000: 1 500 ms old = the limit, still fresh
    expect(h.status()).toBe('HEALTHY');
    h.feed(7_501, 'l2Book:ETH', 'bbo:BTC');
    h.tick(7_501);
    expect(h.status()).toBe('DEGRADED');
    const t = h.log.at(-1)!;
    expect(t).toMatchObject({ from: 'HEALTHY', to: 'DEGRADED', time: 7_501 });
    expect(t.reason).toBe('stale: l2Book:BTC: 1501 ms old > 1500 ms');
    expect(t.evidence).toEqual({
      now: 7_501,
      stale: [{ channel: 'l2Book:BTC', ageMs: 1_501, maxAgeMs: 1_500 }],
    });
  });

  it('a slow book is allowed 15 s, a configured bbo 5 × 400 ms', () => {
    const h = harness();
    h.actor.send({ type: 'CONNECTION_LIVE', time: 0, epoch: 1 });
    h.run(0, 6_000);
    h.feed(21_000, 'l2Book:BTC', 'bbo:BTC');
    h.tick(21_000); // ETH slow book: 15 000 ms old, at the limit
    expect(h.status()).toBe('HEALTHY');
    h.feed(21_001, 'l2Book:BTC');
    h.tick(21_001); // bbo 1 ms old: fine; ETH 15 001 ms: stale
    expect(h.log.at(-1)!.reason).toBe('stale: l2Book:ETH: 15001 ms old > 15000 ms');
  });

  it('a gap degrades at once; data from before the gap does not validate; fresh data after it does', () => {
    const h = harness();
    h.actor.send({ type: 'CONNECTION_LIVE', time: 0, epoch: 1 });
    h.run(0, 6_000);
    h.actor.send({ type: 'GAP', time: 6_100, key: '*', reason: 'lost 7 frames (overflow)' });
    expect(h.status()).toBe('DEGRADED');
    expect(h.log.at(-1)!.reason).toBe('gap on *: lost 7 frames (overflow)');
    h.tick(6_200); // last updates (6 000) predate the gap
    expect(h.actor.getSnapshot().context.freshSince).toBeNull();
    h.run(6_250, 11_000);
    expect(h.status()).toBe('DEGRADED');
    h.run(11_250, 11_250);
    expect(h.status()).toBe('HEALTHY');
  });

  it('connection loss and heartbeat timeouts HALT; after the reconnect it validates again (DEGRADED → HEALTHY)', () => {
    const h = harness();
    h.actor.send({ type: 'CONNECTION_LIVE', time: 0, epoch: 1 });
    h.run(0, 6_000);
    h.actor.send({ type: 'HEARTBEAT_TIMEOUT', time: 6_100, reason: 'pong overdue: none within 10000 ms' });
    expect(h.status()).toBe('HALTED');
    h.run(6_250, 20_000); // data without a live connection never validates
    expect(h.status()).toBe('HALTED');
    h.actor.send({ type: 'CONNECTION_LIVE', time: 20_100, epoch: 2 });
    expect(h.status()).toBe('DEGRADED');
    h.run(20_250, 25_250);
    expect(h.status()).toBe('HEALTHY');
    expect(h.log.map((t) => `${t.from}→${t.to}`)).toEqual([
      'WARMING→HEALTHY',
      'HEALTHY→HALTED',
      'HALTED→DEGRADED',
      'DEGRADED→HEALTHY',
    ]);
  });

  it('a stale tick during validation restarts the validation period', () => {
    const h = harness();
    h.actor.send({ type: 'CONNECTION_LIVE', time: 0, epoch: 1 });
    h.run(0, 4_000);
    h.feed(6_000, 'l2Book:ETH', 'bbo:BTC');
    h.tick(6_000); // BTC book 2 s old: stale
    h.run(6_250, 11_000);
    expect(h.status()).toBe('WARMING');
    h.run(11_250, 11_250);
    expect(h.status()).toBe('HEALTHY');
  });
});
