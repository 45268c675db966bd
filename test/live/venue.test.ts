/**
 * End to end: LiveVenue → exchange client → signed → the simulator verifies the signature and the
 * nonce, matches against its book → answers and private pushes → VenueReports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cloidFor, LIVE_REASONS } from '../../actors/venue/live/venue.ts';
import { ORDER_ERRORS } from '../../hyperliquid/errors.ts';
import { ADDR_A, bbo, type LiveRig, startRig, until } from './rig.ts';

let rig: LiveRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe('live venue against the simulator', () => {
  it('places a resting order, modifies it, cancels it', async () => {
    rig = await startRig();
    const { venue, sim } = rig;
    expect(venue.state).toBe('ready');
    const { bid } = bbo(sim, 'BTC');
    const px = Math.round(bid * 0.98);
    venue.submit({
      clientId: 'r1',
      coin: 'BTC',
      side: 'BUY',
      size: 0.001,
      limitPx: px,
      tif: 'Gtc',
      reduceOnly: false,
    });
    await until(() => rig!.of('r1', 'accepted').length === 1, 'r1 accepted');
    const acct = sim.exchange.account(ADDR_A)!;
    const open = [...acct.open.values()];
    expect(open).toHaveLength(1);
    expect(open[0]!.cloid).toBe(cloidFor('r1'));
    expect(open[0]!.pxU / 10).toBe(px);
    const accepted = rig.of('r1', 'accepted')[0] as { oid: string };
    expect(accepted.oid).toBe(String(open[0]!.oid));

    const newPx = Math.round(bid * 0.97);
    const m = await venue.modify('r1', { limitPx: newPx, size: 0.002 });
    expect(m.ok).toBe(true);
    const after = [...acct.open.values()];
    expect(after).toHaveLength(1);
    expect(after[0]!.oid).toBe(open[0]!.oid);
    expect(after[0]!.pxU / 10).toBe(newPx);
    expect(after[0]!.lots).toBe(200);

    venue.cancel('r1');
    await until(() => rig!.of('r1', 'canceled').length === 1, 'r1 canceled');
    expect(acct.open.size).toBe(0);
    await rig.step(1_000);
    expect(rig.of('r1')).toHaveLength(2); // accepted, canceled: nothing twice
    expect(sim.exchange.counters.nonceRejected).toBe(0);
    expect(sim.exchange.counters.unknownSigner).toBe(0);
  });

  it('fills an Ioc that crosses the book (taker), once, and rejects one that cannot match', async () => {
    rig = await startRig();
    const { venue, sim } = rig;
    const { ask, bid } = bbo(sim, 'BTC');
    venue.submit({
      clientId: 'i1',
      coin: 'BTC',
      side: 'BUY',
      size: 0.001,
      limitPx: Math.round(ask * 1.001),
      tif: 'Ioc',
      reduceOnly: false,
    });
    await until(() => rig!.of('i1', 'fill').length === 1, 'i1 filled');
    const f = rig.of('i1', 'fill')[0]!;
    expect(f).toMatchObject({
      type: 'fill',
      coin: 'BTC',
      side: 'BUY',
      sz: 0.001,
      liquidity: 'taker',
      remaining: 0,
    });
    if (f.type === 'fill') {
      expect(f.px).toBe(ask);
      expect(f.fee).toBeGreaterThan(0);
    }
    expect(sim.exchange.account(ADDR_A)!.position('BTC')).toBe(100); // lots of 1e-5
    venue.submit({
      clientId: 'i2',
      coin: 'BTC',
      side: 'BUY',
      size: 0.001,
      limitPx: Math.round(bid * 0.9),
      tif: 'Ioc',
      reduceOnly: false,
    });
    await until(() => rig!.of('i2', 'rejected').length === 1, 'i2 rejected');
    expect(rig.of('i2')[0]).toMatchObject({ reason: ORDER_ERRORS.iocCancel });
    await rig.step(1_000);
    // the fill came on userFills AND on user (userEvents): reported once
    expect(rig.of('i1', 'fill')).toHaveLength(1);
    expect(venue.counters.duplicateFills).toBeGreaterThanOrEqual(1);
    expect(rig.of('i1')).toHaveLength(1);
  });

  it('a resting order fills (maker) when the market trades through it', async () => {
    rig = await startRig();
    const { venue, sim } = rig;
    const { bid } = bbo(sim, 'ETH');
    venue.submit({
      clientId: 'g1',
      coin: 'ETH',
      side: 'BUY',
      size: 0.01,
      limitPx: bid,
      tif: 'Gtc',
      reduceOnly: false,
    });
    await until(() => rig!.of('g1', 'accepted').length === 1, 'g1 accepted');
    for (let i = 0; i < 600 && rig.of('g1', 'fill').length === 0; i++) await rig.step(200);
    const fills = rig.of('g1', 'fill');
    expect(fills.length).toBeGreaterThanOrEqual(1);
    expect(fills.every((r) => r.type === 'fill' && r.liquidity === 'maker' && r.px === bid)).toBe(true);
    await until(
      () =>
        rig!.of('g1', 'fill').reduce((s, r) => s + (r.type === 'fill' ? r.sz : 0), 0) >= 0.01 - 1e-9 ||
        sim.exchange.account(ADDR_A)!.open.size === 1,
      'g1 settled',
    );
  });

  it('rejects venue rule violations with the venue string, and refuses orders before reconciliation', async () => {
    rig = await startRig();
    const { venue, sim } = rig;
    const { bid } = bbo(sim, 'BTC');
    // $1 notional
    venue.submit({
      clientId: 'n1',
      coin: 'BTC',
      side: 'BUY',
      size: 0.00001,
      limitPx: Math.round(bid * 0.9),
      tif: 'Gtc',
      reduceOnly: false,
    });
    await until(() => rig!.of('n1', 'rejected').length === 1, 'n1 rejected');
    expect(rig.of('n1')[0]).toMatchObject({ reason: ORDER_ERRORS.minTradeNtl });
    venue.submit({
      clientId: 'n2',
      coin: 'BTC',
      side: 'SELL',
      size: 0.001,
      limitPx: Math.round(bid * 1.1),
      tif: 'Gtc',
      reduceOnly: true,
    });
    await until(() => rig!.of('n2', 'rejected').length === 1, 'n2 rejected');
    expect(rig.of('n2')[0]).toMatchObject({ reason: ORDER_ERRORS.reduceOnly });
    venue.submit({
      clientId: 'n3',
      coin: 'DOGE',
      side: 'BUY',
      size: 1,
      limitPx: 1,
      tif: 'Gtc',
      reduceOnly: false,
    });
    await until(() => rig!.of('n3', 'rejected').length === 1, 'n3 rejected');
    expect(rig.of('n3')[0]).toMatchObject({ reason: LIVE_REASONS.unknownCoin('DOGE') });
    // while the private streams are down, nothing new is accepted
    const conn = sim
      .stats()
      .connections.find((c) => c.open && (c.framesByChannel.subscriptionResponse ?? 0) > 0)!;
    sim.faults.terminate(conn.id);
    await until(() => venue.state === 'connecting', 'venue sees the drop');
    venue.submit({
      clientId: 'n4',
      coin: 'BTC',
      side: 'BUY',
      size: 0.001,
      limitPx: Math.round(bid * 0.9),
      tif: 'Gtc',
      reduceOnly: false,
    });
    await until(() => rig!.of('n4', 'rejected').length === 1, 'n4 rejected');
    expect(rig.of('n4')[0]).toMatchObject({ reason: LIVE_REASONS.notReconciled });
    expect(sim.exchange.counters.ordersPlaced).toBe(0);
  });

  it('keeps the dead-man switch armed while trading and clears it on close', async () => {
    rig = await startRig({ deadMan: { refreshMs: 30_000, aheadMs: 60_000 } });
    const { venue, sim, clock } = rig;
    const acct = sim.exchange.account(ADDR_A)!;
    await until(() => acct.scheduledCancel !== null, 'dead-man armed');
    const first = acct.scheduledCancel!;
    expect(first).toBe(clock.now() + 60_000);
    await rig.step(30_000, 1_000);
    await until(() => acct.scheduledCancel !== first, 'dead-man refreshed');
    expect(acct.scheduledCancel).toBe(first + 30_000);
    expect(venue.counters.deadManRefreshes).toBeGreaterThanOrEqual(2);
    await venue.close();
    expect(acct.scheduledCancel).toBeNull();
    expect(sim.exchange.counters.scheduledCancelTriggers).toBe(0);
  });

  it('a lost answer is reported as timeout, then resolved by orderStatus', async () => {
    rig = await startRig({ requestTimeoutMs: 1_000, deadMan: false });
    const { venue, sim } = rig;
    const { bid } = bbo(sim, 'BTC');
    // open the WS post connection with a first order, then make it half-open (the venue hears nothing)
    venue.submit({
      clientId: 't0',
      coin: 'BTC',
      side: 'BUY',
      size: 0.001,
      limitPx: Math.round(bid * 0.9),
      tif: 'Gtc',
      reduceOnly: false,
    });
    await until(() => rig!.of('t0', 'accepted').length === 1, 't0 accepted');
    const post = sim.stats().connections.find((c) => c.open && (c.framesByChannel.post ?? 0) > 0)!;
    sim.faults.stall(post.id);
    venue.submit({
      clientId: 't1',
      coin: 'BTC',
      side: 'BUY',
      size: 0.001,
      limitPx: Math.round(bid * 0.9),
      tif: 'Gtc',
      reduceOnly: false,
    });
    await until(
      () => sim.stats().connections.find((c) => c.id === post.id)!.messagesReceived >= 2,
      'request reached the stalled socket',
    );
    await rig.step(1_000);
    await until(() => rig!.of('t1', 'timeout').length === 1, 't1 timeout');
    await until(() => rig!.of('t1', 'rejected').length === 1, 't1 resolved');
    expect(rig.of('t1').map((r) => r.type)).toEqual(['timeout', 'rejected']);
    expect(rig.of('t1', 'rejected')[0]).toMatchObject({ reason: LIVE_REASONS.notPlaced });
    expect(venue.counters.statusLookups).toBe(1);
  });

  it('works with actions over HTTP POST /exchange too', async () => {
    rig = await startRig({ actions: 'http' });
    const { venue, sim } = rig;
    const { ask } = bbo(sim, 'BTC');
    venue.submit({
      clientId: 'h1',
      coin: 'BTC',
      side: 'BUY',
      size: 0.002,
      limitPx: Math.round(ask * 1.001),
      tif: 'Ioc',
      reduceOnly: false,
    });
    await until(
      () => rig!.of('h1', 'fill').length >= 1 && rig!.of('h1', 'fill').at(-1)!.type === 'fill',
      'h1 filled',
    );
    await rig.step(500);
    const total = rig.of('h1', 'fill').reduce((s, r) => s + (r.type === 'fill' ? r.sz : 0), 0);
    expect(total).toBeCloseTo(0.002, 9);
    expect(sim.stats().connections.every((c) => (c.framesByChannel.post ?? 0) === 0)).toBe(true);
  });
});
