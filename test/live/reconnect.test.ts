/**
 * A reconnect in the middle of an open order: the private WS is dropped (sim fault injection), the
 * order fills while the venue is blind, and after the reconnect the REST reconciliation recovers the
 * fill exactly once although the userFills snapshot of the new subscription carries it too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADDR_A, ADDR_AGENT, ADDR_B, bbo, KEY_AGENT, type LiveRig, startRig, turns, until } from './rig.ts';

let rig: LiveRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe('live venue reconnect and reconciliation', () => {
  it('recovers a fill made during a disconnect exactly once, before accepting new orders', async () => {
    rig = await startRig();
    const { venue, sim, clock } = rig;
    expect(venue.counters.reconciles).toBe(1);
    const { bid } = bbo(sim, 'ETH');
    venue.submit({
      clientId: 'o1',
      coin: 'ETH',
      side: 'BUY',
      size: 0.01,
      limitPx: bid,
      tif: 'Gtc',
      reduceOnly: false,
    });
    await until(() => rig!.of('o1', 'accepted').length === 1, 'o1 accepted');

    // drop the private-stream connection (the one that subscribed), not the WS post one
    const priv = sim
      .stats()
      .connections.find((c) => c.open && (c.framesByChannel.subscriptionResponse ?? 0) > 0)!;
    expect(sim.faults.terminate(priv.id)).toBe(1);
    await until(() => venue.state === 'connecting', 'venue sees the drop');

    // the market moves on while the client's clock stands still (so it cannot reconnect yet)
    const acct = sim.exchange.account(ADDR_A)!;
    for (let i = 0; i < 3_000 && acct.open.size > 0; i++) sim.advance(100);
    expect(acct.open.size).toBe(0);
    expect(acct.fills.length).toBeGreaterThanOrEqual(1);
    await turns(50);
    expect(rig.of('o1', 'fill')).toHaveLength(0); // nothing reached the venue

    venue.submit({
      clientId: 'o2',
      coin: 'ETH',
      side: 'BUY',
      size: 0.01,
      limitPx: bid,
      tif: 'Gtc',
      reduceOnly: false,
    });
    await until(() => rig!.of('o2', 'rejected').length === 1, 'o2 refused while not reconciled');

    // let the client's clock catch up: backoff fires, reconnect, resubscribe (snapshot), reconcile
    const recon = venue.counters.reconciles;
    while (clock.now() < sim.now()) {
      clock.advance(Math.min(100, sim.now() - clock.now()));
      await turns(5);
    }
    await until(() => venue.counters.reconciles === recon + 1 && venue.state === 'ready', 'reconciled again');
    await rig.step(2_000);

    const fills = rig.of('o1', 'fill');
    const venueFills = acct.fills.filter((f) => f.cloid !== undefined);
    expect(fills).toHaveLength(venueFills.length);
    const total = fills.reduce((s, r) => s + (r.type === 'fill' ? r.sz : 0), 0);
    expect(total).toBeCloseTo(0.01, 9);
    expect(fills.at(-1)).toMatchObject({ remaining: 0, liquidity: 'maker' });
    // REST returned it, the snapshot carried it too: one of them was dropped as a duplicate
    expect(venue.counters.reconcileFillsReturned).toBeGreaterThanOrEqual(venueFills.length);
    expect(venue.counters.snapshots).toBeGreaterThanOrEqual(2);
    expect(venue.counters.duplicateFills).toBeGreaterThanOrEqual(venueFills.length);
    expect(venue.venuePositions().get('ETH')).toBeCloseTo(0.01, 9);
    // no canceled / rejected for o1, and orders are accepted again
    expect(rig.of('o1').map((r) => r.type)).toEqual(['accepted', ...fills.map(() => 'fill')]);
    venue.submit({
      clientId: 'o3',
      coin: 'ETH',
      side: 'BUY',
      size: 0.01,
      limitPx: Math.round(bid * 0.9),
      tif: 'Gtc',
      reduceOnly: false,
    });
    await until(() => rig!.of('o3', 'accepted').length === 1, 'o3 accepted after reconcile');
  });

  it('REST alone recovers the fill when no snapshot carries it (userFills resubscribe refused)', async () => {
    rig = await startRig();
    const { venue, sim, clock } = rig;
    const { bid } = bbo(sim, 'ETH');
    venue.submit({
      clientId: 'p1',
      coin: 'ETH',
      side: 'BUY',
      size: 0.01,
      limitPx: bid,
      tif: 'Gtc',
      reduceOnly: false,
    });
    await until(() => rig!.of('p1', 'accepted').length === 1, 'p1 accepted');
    const priv = sim
      .stats()
      .connections.find((c) => c.open && (c.framesByChannel.subscriptionResponse ?? 0) > 0)!;
    sim.faults.rejectNextSubscribe({ type: 'userFills' });
    sim.faults.terminate(priv.id);
    await until(() => venue.state === 'connecting', 'drop seen');
    const acct = sim.exchange.account(ADDR_A)!;
    for (let i = 0; i < 3_000 && acct.open.size > 0; i++) sim.advance(100);
    expect(acct.open.size).toBe(0);
    const n = venue.counters.reconciles;
    while (clock.now() < sim.now()) {
      clock.advance(Math.min(100, sim.now() - clock.now()));
      await turns(5);
    }
    await until(() => venue.counters.reconciles === n + 1, 'reconciled');
    await rig.step(1_000);
    const venueFills = acct.fills.length;
    expect(sim.faults.injected.rejectSubscribe).toBe(1);
    expect(venue.counters.snapshots).toBe(1); // only the first session's
    expect(venue.counters.recoveredFills).toBe(venueFills);
    expect(rig.of('p1', 'fill')).toHaveLength(venueFills);
    expect(rig.of('p1', 'fill').at(-1)).toMatchObject({ remaining: 0 });
  });

  it('an agent wallet signs for the master; reconciliation queries the master', async () => {
    rig = await startRig({ key: KEY_AGENT, account: ADDR_B });
    const { venue, sim } = rig;
    expect(venue.signerAddress).toBe(ADDR_AGENT);
    expect(venue.account).toBe(ADDR_B);
    const { ask } = bbo(sim, 'BTC');
    venue.submit({
      clientId: 'a1',
      coin: 'BTC',
      side: 'BUY',
      size: 0.001,
      limitPx: Math.round(ask * 1.001),
      tif: 'Ioc',
      reduceOnly: false,
    });
    await until(() => rig!.of('a1', 'fill').length === 1, 'a1 filled');
    expect(sim.exchange.account(ADDR_B)!.position('BTC')).toBe(100);
    expect(sim.exchange.account(ADDR_A)!.position('BTC')).toBe(0);
    // a reconnect reconciles against the master: the position is the master's
    const priv = sim
      .stats()
      .connections.find((c) => c.open && (c.framesByChannel.subscriptionResponse ?? 0) > 0)!;
    sim.faults.terminate(priv.id);
    await until(() => venue.state === 'connecting', 'drop seen');
    const n = venue.counters.reconciles;
    for (let i = 0; i < 100 && venue.counters.reconciles === n; i++) await rig.step(100);
    expect(venue.counters.reconciles).toBe(n + 1);
    expect(venue.venuePositions().get('BTC')).toBeCloseTo(0.001, 9);
    expect(rig.of('a1', 'fill')).toHaveLength(1);
  });
});
