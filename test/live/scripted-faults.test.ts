/**
 * The simulator's scripted order faults and seeded positions (used by the live-trading parity test), seen
 * through the live venue: a scripted reject is the venue's error status, a scripted partial fills exactly
 * its cap (an Ioc's remainder canceled), the hook runs once the order was executed, faults are used in
 * order, once each; a seeded position is what a reduce-only close reduces and what reconciliation reads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADDR_A, bbo, type LiveRig, startRig, until } from './rig.ts';

let rig: LiveRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe('simulator /exchange: scripted order faults and seeded positions', () => {
  it('reject, then a capped partial with its hook, then a normal order; a seeded position is closed reduce-only', async () => {
    rig = await startRig();
    const { venue, sim } = rig;
    const acct = sim.exchange.account(ADDR_A)!;
    const { bid } = bbo(sim, 'BTC');
    sim.exchange.seedPosition(ADDR_A, 'BTC', 0.05, bid);
    expect(acct.position('BTC')).toBe(5_000); // lots at 5 szDecimals
    const hooked: number[] = [];
    sim.exchange.scriptOrder({ kind: 'reject', message: 'Insufficient margin to place order. asset=0' });
    sim.exchange.scriptOrder({
      kind: 'partial',
      maxSz: 0.02,
      afterPlace: () => hooked.push(acct.position('BTC')),
    });
    const close = (clientId: string) =>
      venue.submit({
        clientId,
        coin: 'BTC',
        side: 'SELL',
        size: 0.05,
        limitPx: Math.round(bid * 0.99),
        tif: 'Ioc',
        reduceOnly: true,
      });

    close('c1');
    await until(() => rig!.of('c1', 'rejected').length === 1, 'c1 rejected');
    expect(rig.of('c1', 'rejected')[0]).toMatchObject({
      reason: 'Insufficient margin to place order. asset=0',
    });
    expect(acct.position('BTC')).toBe(5_000); // nothing placed

    close('c2');
    await until(() => rig!.of('c2', 'canceled').length === 1, 'c2 remainder canceled');
    const fills = rig.of('c2', 'fill');
    expect(fills.reduce((s, r) => s + (r.type === 'fill' ? r.sz : 0), 0)).toBeCloseTo(0.02, 9);
    expect(rig.of('c2', 'canceled')[0]).toMatchObject({ reason: 'ioc remainder' });
    // the hook ran after the order was executed, before the answer went back
    expect(hooked).toEqual([3_000]);
    expect(sim.exchange.faultsApplied).toEqual({ reject: 1, partial: 1 });
    expect(sim.exchange.orderFaults).toEqual([]);

    // no fault left: the rest closes (reduce-only caps it at the position), the account is flat
    close('c3');
    await until(() => acct.position('BTC') === 0 && rig!.of('c3', 'fill').length > 0, 'c3 closes the rest');
    // the venue took 0.03 of the 0.05 asked (reduce-only): the live venue ends the order with the Ioc remainder
    await until(() => rig!.of('c3', 'canceled').length === 1, 'c3 ended');
    expect(rig.of('c3', 'fill').reduce((s, r) => s + (r.type === 'fill' ? r.sz : 0), 0)).toBeCloseTo(0.03, 9);
  });

  it('seedPosition: an unknown account is an error; zero removes the position', async () => {
    rig = await startRig();
    const { sim } = rig;
    expect(() =>
      sim.exchange.seedPosition('0x0000000000000000000000000000000000000001', 'BTC', 1, 1),
    ).toThrow(/unknown account/);
    sim.exchange.seedPosition(ADDR_A, 'ETH', -0.5, 3_000);
    expect(sim.exchange.account(ADDR_A)!.position('ETH')).toBe(-5_000);
    sim.exchange.seedPosition(ADDR_A, 'ETH', 0, 3_000);
    expect(sim.exchange.account(ADDR_A)!.positions.has('ETH')).toBe(false);
  });
});
