/**
 * The feed against the simulator, one test per fault, all on one simulated clock: each fault is
 * detected within its bound, health leaves HEALTHY within one tick, the client reconnects and
 * resubscribes every subscription (where the fault ends a connection), health is HEALTHY again only
 * after the validation period of fresh data, and the frames handed on equal the frames the server sent
 * while connected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { subscriptionKey } from '../../actors/feed/registry.ts';
import { RecordKind } from '../../state/records.ts';
import { type Rig, RIG_SUBS, RIG_TIMINGS, startRig } from './sim-rig.ts';

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

const CHUNK = 100; // ms of simulated time per lockstep step (= one control tick)
const VALIDATION = 10_000;

async function healthyRig(opts: Parameters<typeof startRig>[0] = {}): Promise<Rig> {
  const r = await startRig({ validationMs: VALIDATION, ...opts });
  await r.stepUntil(() => r.health() === 'HEALTHY', 30_000);
  expect(r.health()).toBe('HEALTHY');
  return r;
}

/** Step until health has left HEALTHY; returns the simulated ms it took. */
async function leavesHealthy(r: Rig, maxMs: number): Promise<number> {
  const took = await r.stepUntil(() => r.health() !== 'HEALTHY', maxMs);
  expect(r.health()).not.toBe('HEALTHY');
  return took;
}

/** After a dropped connection: reconnect with a new epoch and every subscription acknowledged again. */
async function expectResubscribed(r: Rig, epochBefore: number): Promise<void> {
  await r.stepUntil(() => r.feed.actor.getSnapshot().matches({ session: 'live' }), 30_000);
  const epoch = r.feed.counters().epoch;
  expect(epoch).toBeGreaterThan(epochBefore);
  const acked = r
    .conns()
    .filter((c) => c.epoch === epoch && c.type === 'subscribed')
    .map((c) => c.key)
    .sort();
  expect(acked).toEqual(RIG_SUBS.map(subscriptionKey).sort());
  expect(r.conns().some((c) => c.epoch === epoch && c.type === 'gap' && c.key === '*')).toBe(true);
  expect(r.gapEvents.some((g) => g.kind === 'epoch')).toBe(true);
}

/** HEALTHY again, and not before the validation period of fresh data after the last disruption. */
async function expectHealthyAgain(r: Rig): Promise<void> {
  const lastBad = r.clock.now();
  await r.stepUntil(() => r.health() === 'HEALTHY', 40_000);
  expect(r.health()).toBe('HEALTHY');
  const back = r.healthLog.at(-1)!;
  expect(back.to).toBe('HEALTHY');
  expect(back.time - lastBad).toBeGreaterThanOrEqual(VALIDATION - CHUNK);
}

function expectNothingLostNorInvented(r: Rig): void {
  const c = r.feed.counters();
  expect(c.lost).toBe(0);
  expect(c.framesHandedOn).toBe(r.serverFramesSent());
  expect(r.records.filter((x) => x.kind === RecordKind.Frame)).toHaveLength(c.framesHandedOn);
  expect(r.gapEvents.filter((g) => g.kind === 'sequence')).toEqual([]);
}

describe('feed × simulator faults', () => {
  it('abrupt close: detected at once (HALTED on the same tick), reconnect, resubscribe, HEALTHY after validation', async () => {
    rig = await healthyRig();
    const epoch = rig.feed.counters().epoch;
    expect(rig.sim.faults.terminate()).toBe(1);
    const took = await leavesHealthy(rig, 1_000);
    expect(took).toBeLessThanOrEqual(CHUNK);
    expect(rig.health()).toBe('HALTED');
    expect(rig.conns().find((c) => c.type === 'closed')?.reason).toMatch(/1006/);
    await expectResubscribed(rig, epoch);
    await expectHealthyAgain(rig);
    expectNothingLostNorInvented(rig);
  });

  it('half-open stall: stale data degrades within 3 × cadence; the ping goes unanswered and the socket is replaced within 30 s', async () => {
    rig = await healthyRig();
    const epoch = rig.feed.counters().epoch;
    rig.sim.faults.stall();
    const degraded = await leavesHealthy(rig, 5_000);
    expect(degraded).toBeLessThanOrEqual(3_000 + CHUNK); // bbo/ctx: 3 × 1 s
    expect(rig.health()).toBe('DEGRADED');
    const dropped = await rig.stepUntil(() => rig!.state() === 'backoff', 40_000);
    // 20 s of silence → ping, 10 s later the pong is overdue (measured from the stall, less what was already quiet)
    expect(dropped + degraded).toBeLessThanOrEqual(
      RIG_TIMINGS.pingAfterMs + RIG_TIMINGS.pongTimeoutMs + CHUNK,
    );
    expect(rig.feed.actor.getSnapshot().context.lastCause).toBe('pongOverdue');
    expect(rig.health()).toBe('HALTED');
    await expectResubscribed(rig, epoch);
    await expectHealthyAgain(rig);
    expectNothingLostNorInvented(rig);
    expect(rig.sim.stats().connections[0]!.suppressed).toBeGreaterThan(0);
  });

  it('pong withheld (quiet connection): reconnect exactly when the pong is 10 s overdue', async () => {
    const subs = [{ type: 'l2Book', coin: 'BTC' }];
    rig = await healthyRig({
      subscriptions: subs,
      channels: { 'l2Book:BTC': { cadenceMs: 5_000 } },
      timings: { pingAfterMs: 3_000 },
    });
    const epoch = rig.feed.counters().epoch;
    const pingsBefore = rig.feed.counters().socket.pingsSent;
    expect(pingsBefore).toBeGreaterThan(0); // pings were answered until now
    rig.sim.faults.withholdPong();
    await rig.stepUntil(() => rig!.feed.counters().socket.pingsSent > pingsBefore, 10_000);
    const pingAt = rig.clock.now();
    const took = await rig.stepUntil(() => rig!.state() === 'backoff', 20_000);
    expect(took).toBe(RIG_TIMINGS.pongTimeoutMs);
    expect(rig.clock.now() - pingAt).toBe(10_000);
    expect(rig.health()).toBe('HALTED');
    expect(rig.healthLog.at(-1)!.reason).toMatch(/heartbeat timeout: pong overdue/);
    await rig.stepUntil(() => rig!.feed.actor.getSnapshot().matches({ session: 'live' }), 30_000);
    expect(rig.feed.counters().epoch).toBeGreaterThan(epoch);
    await expectHealthyAgain(rig);
    expectNothingLostNorInvented(rig);
  });

  it('server restart: every connection dropped; the client reconnects to the same address and resubscribes', async () => {
    rig = await healthyRig();
    const epoch = rig.feed.counters().epoch;
    await rig.sim.faults.restart();
    const took = await leavesHealthy(rig, 1_000);
    expect(took).toBeLessThanOrEqual(CHUNK);
    await expectResubscribed(rig, epoch);
    await expectHealthyAgain(rig);
    expectNothingLostNorInvented(rig);
    expect(rig.sim.stats().restarts).toBe(1);
  });

  it('subscription rejected: surfaced for that subscription, the rest go live; retried on the next connection', async () => {
    rig = await startRig({
      validationMs: VALIDATION,
      beforeFeed: (sim) => sim.faults.rejectNextSubscribe({ type: 'trades' }),
    });
    await rig.stepUntil(() => rig!.feed.actor.getSnapshot().matches({ session: 'live' }), 5_000);
    const err = rig.conns().find((c) => c.type === 'error');
    expect(err?.key).toBe(subscriptionKey({ type: 'trades', coin: 'BTC' }));
    expect(err?.reason).toMatch(/^Invalid subscription/);
    expect(rig.feed.registry.counts()).toMatchObject({ active: 3, rejected: 1 });
    await rig.stepUntil(() => rig!.health() === 'HEALTHY', 30_000);
    // the rejection is not silently forgotten: the next connection asks again (and now it is accepted)
    rig.sim.faults.terminate();
    await expectResubscribed(rig, 1);
    expect(rig.feed.registry.counts()).toMatchObject({ active: 4, rejected: 0 });
    expectNothingLostNorInvented(rig);
  });

  it('malformed JSON: handed on byte for byte, rejected by ingest and counted; health leaves HEALTHY within one tick', async () => {
    rig = await healthyRig();
    expect(rig.sim.faults.malformed()).toBe(1);
    const took = await leavesHealthy(rig, 1_000);
    expect(took).toBeLessThanOrEqual(CHUNK);
    expect(rig.rejected.malformed).toBe(1);
    const text = '{"channel":"l2Book","data":{"coin":"BTC","time":17672256';
    const raw = rig.records.filter(
      (r) => r.kind === RecordKind.Frame && new TextDecoder().decode(r.data) === text,
    );
    expect(raw).toHaveLength(1);
    expect(rig.feed.counters().epoch).toBe(1); // not a connection problem
    await expectHealthyAgain(rig);
    expectNothingLostNorInvented(rig);
  });

  it('schema-invalid frames: handed on, rejected by ingest per channel; health leaves HEALTHY within one tick', async () => {
    rig = await healthyRig();
    rig.sim.faults.schemaInvalid(undefined, 'l2Book', 'BTC');
    rig.sim.faults.schemaInvalid(undefined, 'activeAssetCtx', 'BTC');
    const took = await leavesHealthy(rig, 1_000);
    expect(took).toBeLessThanOrEqual(CHUNK);
    expect(rig.rejected.schema).toBe(2);
    await expectHealthyAgain(rig);
    expectNothingLostNorInvented(rig);
  });

  it('book time backwards: the regressing l2Book is dropped and counted; health leaves HEALTHY within one tick', async () => {
    rig = await healthyRig();
    expect(rig.sim.faults.bookTimeBackwards('BTC', 2_000)).toBe(1);
    const took = await leavesHealthy(rig, 1_000);
    expect(took).toBeLessThanOrEqual(CHUNK);
    expect(rig.gaps.counters.timeRegressions).toBe(1);
    expect(rig.dropped.at(-1)).toMatch(
      /l2Book:BTC: time \d+ is before the last accepted \d+ \(2000 ms back\)/,
    );
    await expectHealthyAgain(rig);
    expectNothingLostNorInvented(rig);
  });

  it('duplicate trades: deduplicated on (coin, time, tid); health leaves HEALTHY within one tick', async () => {
    rig = await healthyRig();
    const seenBefore = rig.gaps.counters.duplicateTrades;
    expect(rig.sim.faults.duplicateTrades('BTC')).toBe(1);
    const took = await leavesHealthy(rig, 1_000);
    expect(took).toBeLessThanOrEqual(CHUNK);
    expect(rig.gaps.counters.duplicateTrades).toBeGreaterThan(seenBefore);
    expect(rig.dropped.at(-1)).toMatch(/already seen/);
    await expectHealthyAgain(rig);
    expectNothingLostNorInvented(rig);
  });

  it('100 000-frame burst: the socket never blocks (the reader is paused), nothing is lost, all arrive in order', async () => {
    rig = await healthyRig({ ringBytes: 1 << 20 });
    rig.autoIngest = false; // the ingest worker is busy elsewhere: the ring fills, the overflow queue takes the rest
    const before = rig.feed.counters().framesReceived;
    expect(rig.sim.faults.burst(100_000, { coin: 'BTC' })).toBe(100_000);
    await rig.settle();
    const c = rig.feed.counters();
    expect(c.framesReceived - before).toBe(100_000);
    expect(c.overflowed).toBeGreaterThan(0);
    expect(c.lost).toBe(0);
    rig.autoIngest = true;
    await rig.step(CHUNK);
    await rig.settle();
    expect(rig.feed.counters().queued).toBe(0);
    expectNothingLostNorInvented(rig);
    const tradeFrames = rig.records.filter((r) => r.kind === RecordKind.Frame && r.channel === 'trades');
    expect(tradeFrames.length).toBeGreaterThanOrEqual(100_000);
  });

  it('slow reading past the overflow bound: the loss is counted, reported in-band, and health leaves HEALTHY within one tick', async () => {
    rig = await healthyRig({ ringBytes: 64 * 1024, overflowRecords: 1_000 });
    rig.autoIngest = false;
    rig.sim.faults.burst(5_000, { coin: 'BTC' });
    await rig.settle();
    const c = rig.feed.counters();
    expect(c.lost).toBeGreaterThan(0);
    expect(c.framesHandedOn + c.queued + c.lost).toBe(rig.serverFramesSent());
    rig.autoIngest = true;
    const took = await leavesHealthy(rig, 1_000);
    expect(took).toBeLessThanOrEqual(CHUNK);
    const lossGap = rig.conns().find((x) => x.type === 'gap' && x.lost !== undefined);
    expect(lossGap).toMatchObject({ key: '*', lost: c.lost, reason: 'overflow queue full' });
    expect(rig.gaps.counters.missingRecords).toBe(c.lost);
    await expectHealthyAgain(rig);
    const end = rig.feed.counters();
    expect(end.framesHandedOn + end.lost).toBe(rig.serverFramesSent());
  });
});
