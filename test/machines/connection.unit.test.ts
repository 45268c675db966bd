import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback } from 'xstate';
import {
  backoffDelay,
  connectionMachine,
  nextRandom,
  resolveTimings,
} from '../../machines/connection.machine.ts';
import type { SocketCommand } from '../../machines/connection.events.ts';
import type { ConnectionEmitted, ConnectionInput } from '../../machines/connection.types.ts';
import { ManualClock } from '../../state/clock.ts';

function harness(input: Partial<ConnectionInput> = {}) {
  const clock = new ManualClock(1_000_000);
  const commands: Array<SocketCommand & { at: number; epoch: number }> = [];
  let sockets = 0;
  let socketsOpen = 0;
  const machine = connectionMachine.provide({
    actors: {
      socket: fromCallback<SocketCommand, { url: string; epoch: number }>(({ receive, input }) => {
        sockets++;
        socketsOpen++;
        receive((c) => commands.push({ ...c, at: clock.now(), epoch: input.epoch }));
        return () => {
          socketsOpen--;
        };
      }),
    },
  });
  const actor = createActor(machine, { clock, input: { url: 'ws://x/ws', ...input } });
  const emitted: Array<ConnectionEmitted & { at: number }> = [];
  actor.on('*', (e) => emitted.push({ ...(e as ConnectionEmitted), at: clock.now() }));
  actor.start();
  const toLive = () => {
    actor.send({ type: 'OPEN' });
    actor.send({ type: 'SUBSCRIBED_ALL' });
  };
  return {
    clock,
    actor,
    commands,
    emitted,
    toLive,
    sockets: () => sockets,
    socketsOpen: () => socketsOpen,
    conn: () => emitted.filter((e) => e.type === 'conn').map((e) => (e.type === 'conn' ? e.event : null)),
  };
}

describe('connection machine: backoff', () => {
  it('full jitter stays within [minMs, min(maxMs, baseMs·2^attempt)] for every attempt and random value', () => {
    const t = resolveTimings({ backoff: { baseMs: 250, maxMs: 20_000, minMs: 50 } });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (a, r) => {
          const d = backoffDelay(t, a, r);
          expect(d).toBeGreaterThanOrEqual(50);
          expect(d).toBeLessThanOrEqual(Math.min(20_000, 250 * 2 ** a));
        },
      ),
    );
    expect(backoffDelay(t, 0, 0)).toBe(50);
    expect(backoffDelay(t, 0, 0.999999)).toBe(250);
    expect(backoffDelay(t, 10, 0.999999)).toBe(20_000);
  });

  it('the PRNG is deterministic per seed, uniform-ish, and different seeds differ', () => {
    const run = (seed: number) => {
      let s = seed;
      const out: number[] = [];
      for (let i = 0; i < 2000; i++) {
        const [r, n] = nextRandom(s);
        out.push(r);
        s = n;
      }
      return out;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    const xs = run(42);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it('reconnects forever: delays grow to the cap, are jittered, and each reconnect is a new epoch and a gap', () => {
    const h = harness({ seed: 3, timings: { backoff: { baseMs: 100, maxMs: 5_000, minMs: 10 } } });
    h.actor.send({ type: 'START' });
    const delays: number[] = [];
    for (let i = 0; i < 40; i++) {
      expect(h.actor.getSnapshot().matches({ session: 'connecting' })).toBe(true);
      h.actor.send({ type: 'CLOSED', code: 1006, reason: 'refused' });
      expect(h.actor.getSnapshot().value).toBe('backoff');
      const d = h.actor.getSnapshot().context.backoffMs;
      delays.push(d);
      expect(d).toBeGreaterThanOrEqual(10);
      expect(d).toBeLessThanOrEqual(Math.min(5_000, 100 * 2 ** i));
      h.clock.advance(d - 1);
      expect(h.actor.getSnapshot().value).toBe('backoff');
      h.clock.advance(1);
    }
    expect(h.actor.getSnapshot().context.epoch).toBe(41);
    expect(new Set(delays.slice(10)).size).toBeGreaterThan(20); // jittered, not a fixed schedule
    expect(Math.max(...delays)).toBeLessThanOrEqual(5_000);
    const gaps = h.conn().filter((e) => e?.type === 'gap');
    expect(gaps).toHaveLength(40);
    expect(gaps[0]).toMatchObject({ key: '*', reason: 'reconnect: epoch 2' });
    const closed = h.conn().filter((e) => e?.type === 'closed');
    expect(closed).toHaveLength(40);
    expect(closed[0]?.reason).toContain('code 1006');
    expect(h.sockets()).toBe(41);
    expect(h.socketsOpen()).toBe(1);
  });

  it('the same seed gives the same reconnect schedule', () => {
    const schedule = (seed: number) => {
      const h = harness({ seed });
      h.actor.send({ type: 'START' });
      const out: number[] = [];
      for (let i = 0; i < 10; i++) {
        h.actor.send({ type: 'CLOSED', reason: 'x' });
        out.push(h.actor.getSnapshot().context.backoffMs);
        h.clock.advance(out[i]!);
      }
      return out;
    };
    expect(schedule(11)).toEqual(schedule(11));
    expect(schedule(11)).not.toEqual(schedule(12));
  });

  it('a connection that stayed live for stableAfterMs resets the attempt counter; a short one does not', () => {
    const h = harness({ timings: { stableAfterMs: 30_000, pingAfterMs: 1e9, receiveTimeoutMs: 1e9 } });
    h.actor.send({ type: 'START' });
    for (let i = 0; i < 3; i++) {
      h.actor.send({ type: 'CLOSED', reason: 'x' });
      h.clock.advance(h.actor.getSnapshot().context.backoffMs);
    }
    expect(h.actor.getSnapshot().context.attempt).toBe(3);
    h.toLive();
    h.clock.advance(29_999);
    expect(h.actor.getSnapshot().context.attempt).toBe(3);
    h.clock.advance(1);
    expect(h.actor.getSnapshot().context.attempt).toBe(0);
  });
});

describe('connection machine: heartbeat and timeouts', () => {
  const timings = { pingAfterMs: 20_000, pongTimeoutMs: 10_000, receiveTimeoutMs: 60_000 };

  it('pings after pingAfterMs of silence, and any frame postpones the ping', () => {
    const h = harness({ timings });
    h.actor.send({ type: 'START' });
    h.toLive();
    const t0 = h.clock.now();
    h.clock.advance(15_000);
    h.actor.send({ type: 'ACTIVITY' });
    h.clock.advance(19_999);
    expect(h.commands.filter((c) => c.type === 'PING')).toHaveLength(0);
    h.clock.advance(1);
    const pings = h.commands.filter((c) => c.type === 'PING');
    expect(pings).toHaveLength(1);
    expect(pings[0]!.at).toBe(t0 + 35_000);
    h.actor.send({ type: 'PONG' });
    expect(h.actor.getSnapshot().matches({ session: { live: { heartbeat: 'listening' } } })).toBe(true);
    h.clock.advance(20_000);
    expect(h.commands.filter((c) => c.type === 'PING')).toHaveLength(2);
  });

  it('reconnects exactly when the pong is pongTimeoutMs overdue, with the reason journaled', () => {
    const h = harness({ timings });
    h.actor.send({ type: 'START' });
    h.toLive();
    h.clock.advance(20_000); // ping
    h.actor.send({ type: 'ACTIVITY' }); // data still flowing does not excuse a missing pong
    h.clock.advance(9_999);
    expect(h.actor.getSnapshot().matches({ session: 'live' })).toBe(true);
    h.clock.advance(1);
    expect(h.actor.getSnapshot().value).toBe('backoff');
    expect(h.actor.getSnapshot().context.lastCause).toBe('pongOverdue');
    const closed = h.conn().find((e) => e?.type === 'closed');
    expect(closed?.reason).toBe('pong overdue: none within 10000 ms of the ping');
    expect(h.emitted.find((e) => e.type === 'down')).toMatchObject({ cause: 'pongOverdue', epoch: 1 });
    expect(h.socketsOpen()).toBe(0); // the socket actor was stopped: its cleanup closes the socket
  });

  it('reconnects when no frame at all arrived for receiveTimeoutMs even while pongs keep coming', () => {
    const h = harness({ timings: { pingAfterMs: 20_000, pongTimeoutMs: 10_000, receiveTimeoutMs: 45_000 } });
    h.actor.send({ type: 'START' });
    h.toLive();
    // a PONG without any frame (the watchdog only counts frames: ACTIVITY) cannot keep a half-open socket
    h.clock.advance(20_000);
    h.actor.send({ type: 'PONG' });
    h.clock.advance(24_999);
    expect(h.actor.getSnapshot().matches({ session: 'live' })).toBe(true);
    h.clock.advance(1);
    expect(h.actor.getSnapshot().value).toBe('backoff');
    expect(h.actor.getSnapshot().context.lastCause).toBe('receiveTimeout');
  });

  it('frames keep the watchdog quiet', () => {
    const h = harness({ timings: { pingAfterMs: 1e9, pongTimeoutMs: 10_000, receiveTimeoutMs: 45_000 } });
    h.actor.send({ type: 'START' });
    h.toLive();
    for (let i = 0; i < 100; i++) {
      h.clock.advance(44_999);
      h.actor.send({ type: 'ACTIVITY' });
    }
    expect(h.actor.getSnapshot().matches({ session: 'live' })).toBe(true);
  });

  it('connect and subscribe timeouts reconnect', () => {
    const h = harness({ timings: { connectTimeoutMs: 5_000, subscribeTimeoutMs: 7_000 } });
    h.actor.send({ type: 'START' });
    h.clock.advance(5_000);
    expect(h.actor.getSnapshot().context.lastCause).toBe('connectTimeout');
    h.clock.advance(h.actor.getSnapshot().context.backoffMs);
    h.actor.send({ type: 'OPEN' });
    expect(h.commands.at(-1)).toMatchObject({ type: 'SUBSCRIBE_ALL', epoch: 2 });
    h.clock.advance(7_000);
    expect(h.actor.getSnapshot().context.lastCause).toBe('subscribeTimeout');
  });

  it('emits the connection events in order, and STOP closes the session for good', () => {
    const h = harness();
    h.actor.send({ type: 'START' });
    h.actor.send({ type: 'OPEN' });
    h.actor.send({ type: 'SUB_ACK', key: 'k1' });
    h.actor.send({ type: 'SUB_REJECTED', key: 'k2', message: 'Invalid subscription {}' });
    h.actor.send({ type: 'SUBSCRIBED_ALL' });
    h.actor.send({ type: 'STOP' });
    expect(h.conn()).toEqual([
      { type: 'connecting', url: 'ws://x/ws' },
      { type: 'open', url: 'ws://x/ws' },
      { type: 'subscribed', key: 'k1' },
      { type: 'error', key: 'k2', reason: 'Invalid subscription {}' },
      { type: 'closed', url: 'ws://x/ws', reason: 'stopped by owner' },
    ]);
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.socketsOpen()).toBe(0);
    expect(h.clock.pending()).toBe(0); // no timer left behind
  });

  it('context stays serialisable (JSON round trip)', () => {
    const h = harness();
    h.actor.send({ type: 'START' });
    h.toLive();
    const c = h.actor.getSnapshot().context;
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });
});
