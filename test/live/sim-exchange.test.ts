/**
 * The simulator's /exchange and private /info: malformed bodies get the venue's 422, private info
 * answers validate against the venue schemas, the dead-man switch cancels everything when due, and
 * the WS post transport maps `too many pending post requests id=N` to that request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WsPostTransport } from '../../actors/venue/live/ws-post.ts';
import {
  ExchangeClient,
  HttpActionTransport,
  inlineSigner,
  TransportError,
} from '../../hyperliquid/exchange.ts';
import { InfoClient } from '../../hyperliquid/info.ts';
import { NonceManager } from '../../hyperliquid/nonces.ts';
import { SIM_EPOCH } from '../../sim/engine.ts';
import { type SimServer, startSim } from '../../sim/server.ts';
import { ManualClock } from '../../state/clock.ts';
import { ADDR_A, KEY_A } from './rig.ts';

let sim: SimServer | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

async function boot() {
  const clock = new ManualClock(SIM_EPOCH);
  sim = await startSim({
    seed: 9,
    speed: 'manual',
    clock,
    coins: ['BTC', 'ETH'],
    accounts: [{ address: ADDR_A, equity: 50_000 }],
  });
  const f = (u: string, i: Parameters<typeof fetch>[1]) => fetch(u, i);
  const client = new ExchangeClient({
    transport: new HttpActionTransport(f, sim.httpUrl),
    signer: inlineSigner(KEY_A),
    nonces: new NonceManager(() => clock.now()),
    isMainnet: false,
    now: () => clock.now(),
  });
  return { clock, sim, client, info: new InfoClient({ fetch: f, baseUrl: sim.httpUrl }) };
}

describe('simulator /exchange and private info', () => {
  it('answers malformed /exchange bodies with 422 and never crashes', async () => {
    const { sim: s } = await boot();
    for (const body of ['not json', '{}', '{"action":{"type":"order"},"nonce":"x"}', '[1,2]']) {
      const r = await fetch(`${s.httpUrl}/exchange`, { method: 'POST', body });
      expect(r.status).toBe(422);
      expect(await r.text()).toBe('Failed to deserialize the JSON body into the target type');
    }
    expect(s.exchange.counters.malformed).toBe(3);
  });

  it('private info answers have the venue shapes; orderStatus follows an order to its end', async () => {
    const { sim: s, client, info } = await boot();
    const m = s.engine.market('ETH');
    const ask = Number(m.formatPx(m.asks[0]!.p));
    const bid = Number(m.formatPx(m.bids[0]!.p));
    const cloid = '0x0000000000000000000000000000abcd';
    const rest = await client.order([
      {
        asset: 1,
        isBuy: true,
        px: Math.round(bid * 0.9),
        sz: '0.01',
        reduceOnly: false,
        type: { limit: { tif: 'Gtc' } },
        cloid,
      },
    ]);
    expect(rest.ok && rest.statuses[0]).toMatchObject({ kind: 'resting', cloid });
    const take = await client.order([
      {
        asset: 1,
        isBuy: true,
        px: Math.round(ask * 1.01),
        sz: '0.01',
        reduceOnly: false,
        type: { limit: { tif: 'Ioc' } },
      },
    ]);
    expect(take.ok && take.statuses[0]).toMatchObject({ kind: 'filled', totalSz: '0.01' });
    const open = await info.openOrders(ADDR_A);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ coin: 'ETH', side: 'B', cloid });
    const fills = await info.userFillsByTime(ADDR_A, SIM_EPOCH);
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({
      coin: 'ETH',
      side: 'B',
      sz: '0.01',
      crossed: true,
      dir: 'Open Long',
      feeToken: 'USDC',
    });
    const ch = await info.clearinghouseState(ADDR_A);
    expect(ch.assetPositions[0]!.position).toMatchObject({ coin: 'ETH', szi: '0.01' });
    expect(Number(ch.marginSummary.accountValue)).toBeGreaterThan(49_000);
    const st = await info.orderStatus(ADDR_A, cloid);
    expect(st.status === 'order' && st.order.status).toBe('open');
    const c = await client.cancelByCloid([{ asset: 1, cloid }]);
    expect(c.ok && c.statuses[0]).toEqual({ kind: 'success' });
    const again = await client.cancelByCloid([{ asset: 1, cloid }]);
    expect(again.ok && again.statuses[0]).toMatchObject({ kind: 'error', errorKind: 'cancelMissingOrder' });
    const st2 = await info.orderStatus(ADDR_A, cloid);
    expect(st2.status === 'order' && st2.order.status).toBe('canceled');
    expect((await info.orderStatus(ADDR_A, 424242)).status).toBe('unknownOid');
    // an unknown user has no orders
    expect(await info.openOrders('0x000000000000000000000000000000000000dead')).toEqual([]);
  });

  it('the dead-man switch cancels every open order when due', async () => {
    const { sim: s, client, clock } = await boot();
    const m = s.engine.market('BTC');
    const bid = Number(m.formatPx(m.bids[0]!.p));
    for (let i = 0; i < 3; i++) {
      const o = await client.order([
        {
          asset: 0,
          isBuy: true,
          px: Math.round(bid * 0.8) - i,
          sz: '0.001',
          reduceOnly: false,
          type: { limit: { tif: 'Alo' } },
        },
      ]);
      expect(o.ok).toBe(true);
    }
    const early = await client.scheduleCancel(clock.now() + 1_000);
    expect(early.ok).toBe(false);
    const armed = await client.scheduleCancel(clock.now() + 10_000);
    expect(armed.ok).toBe(true);
    s.advance(9_000);
    expect(s.exchange.account(ADDR_A)!.open.size).toBe(3);
    s.advance(2_000);
    expect(s.exchange.account(ADDR_A)!.open.size).toBe(0);
    expect(s.exchange.counters.scheduledCancelTriggers).toBe(1);
    const statuses = [...s.exchange.account(ADDR_A)!.statuses.values()].map((x) => x.status);
    expect(statuses).toEqual(['scheduledCancel', 'scheduledCancel', 'scheduledCancel']);
  });

  it('ws post: at most N in flight, queue beyond, "too many pending" rejects that id, timeouts on the clock', async () => {
    const clock = new ManualClock(0);
    const sent: { id: number }[] = [];
    let deliver: (t: string) => void = () => {};
    const channel = {
      send: (t: string) => sent.push(JSON.parse(t) as { id: number }),
      onMessage: (fn: (t: string) => void) => {
        deliver = fn;
        return () => {};
      },
    };
    const ws = new WsPostTransport(channel, clock, { maxInFlight: 2, timeoutMs: 1_000 });
    const body = {
      action: { type: 'scheduleCancel' },
      nonce: 1,
      signature: { r: '0x1', s: '0x1', v: 27 },
      vaultAddress: null,
      expiresAfter: null,
    };
    const ps = [ws.postAction(body), ws.postAction(body), ws.postAction(body)].map((p) =>
      p.catch((e: unknown) => e),
    );
    expect(sent.map((s) => s.id)).toEqual([1, 2]);
    expect(ws.queuedCount).toBe(1);
    deliver('{"channel":"error","data":"too many pending post requests id=1"}');
    expect(sent.map((s) => s.id)).toEqual([1, 2, 3]);
    deliver(
      '{"channel":"post","data":{"id":2,"response":{"type":"action","payload":{"status":"ok","response":{"type":"default"}}}}}',
    );
    deliver('not json at all');
    deliver('{"channel":"post","data":{"id":99,"response":{"type":"action","payload":{}}}}');
    clock.advance(1_000);
    const [r1, r2, r3] = await Promise.all(ps);
    expect(r1).toBeInstanceOf(TransportError);
    expect((r1 as TransportError).code).toBe('overloaded');
    expect(r2).toEqual({ status: 'ok', response: { type: 'default' } });
    expect((r3 as TransportError).code).toBe('timeout');
    expect(ws.counters).toMatchObject({
      sent: 3,
      answered: 1,
      timeouts: 1,
      errors: 1,
      unmatched: 1,
      maxInFlight: 2,
    });
  });
});
