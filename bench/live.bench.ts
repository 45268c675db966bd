/**
 * Live venue hot paths, against the simulator on loopback ('manual' speed):
 *  - live.worker.sign: an order signed by the signer worker (build + hash + sign in the worker,
 *    postMessage both ways), 500 concurrent, µs per order;
 *  - live.order.ws: an order through the exchange client over one WS post connection (sign in the
 *    worker, send, the simulator recovers the signer, checks the nonce, matches, answers), 500
 *    concurrent (≤ 100 in flight), µs per order. Baseline: inline signing only, µs per order.
 */
import { startWorkerSigner } from '../actors/venue/live/signer.ts';
import { WsChannel, WsPostTransport } from '../actors/venue/live/ws-post.ts';
import { ExchangeClient, inlineSigner } from '../hyperliquid/exchange.ts';
import { NonceManager } from '../hyperliquid/nonces.ts';
import { addressFromPrivateKey } from '../hyperliquid/signing.ts';
import { orderAction } from '../hyperliquid/wire.ts';
import { SIM_EPOCH } from '../sim/engine.ts';
import { startSim } from '../sim/server.ts';
import { ManualClock } from '../state/clock.ts';
import { type BenchFigure, figure, hrNowNs, withBaseline } from './lib.ts';

const KEY = '0x0123456789012345678901234567890123456789012345678901234567890123';

export default async ({ quick }: { quick: boolean }): Promise<BenchFigure[]> => {
  const runs = quick ? 5 : 7;
  const n = quick ? 200 : 500;
  const holder = { withKey: <T>(fn: (k: string) => T): T => fn(KEY) };
  const worker = await startWorkerSigner(holder);
  const inline = inlineSigner(KEY);
  const order = (i: number) =>
    orderAction([
      {
        asset: 0,
        isBuy: true,
        px: 50_000 - i,
        sz: '0.001',
        reduceOnly: false,
        type: { limit: { tif: 'Alo' } },
      },
    ]);
  const req = (i: number) => ({
    action: order(i),
    nonce: SIM_EPOCH + i,
    vaultAddress: null,
    expiresAfter: null,
    isMainnet: false,
  });

  const timeBatch = async (fn: (i: number) => Promise<unknown>): Promise<number> => {
    const t0 = hrNowNs();
    await Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
    return Number(hrNowNs() - t0) / n / 1000;
  };
  await timeBatch((i) => worker.signL1(req(i))); // warm-up
  const workerRuns: number[] = [];
  const inlineRuns: number[] = [];
  for (let r = 0; r < runs; r++) {
    workerRuns.push(await timeBatch((i) => worker.signL1(req(i))));
    inlineRuns.push(await timeBatch((i) => inline.signL1(req(i))));
  }

  const wsRuns: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    const clock = new ManualClock(SIM_EPOCH);
    const sim = await startSim({
      seed: 1,
      speed: 'manual',
      clock,
      coins: ['BTC'],
      accounts: [{ address: addressFromPrivateKey(KEY), equity: 1e12 }],
    });
    const channel = new WsChannel(sim.wsUrl);
    await channel.ready();
    const client = new ExchangeClient({
      transport: new WsPostTransport(channel, clock, { timeoutMs: 600_000 }),
      signer: worker,
      nonces: new NonceManager(() => clock.now()),
      isMainnet: false,
      now: () => clock.now(),
    });
    const us = await timeBatch(async (i) => {
      const o = await client.order([
        {
          asset: 0,
          isBuy: true,
          px: 50_000 - i,
          sz: '0.001',
          reduceOnly: false,
          type: { limit: { tif: 'Alo' } },
        },
      ]);
      if (!o.ok) throw new Error(`order refused: ${o.message}`);
    });
    if (r > 0) wsRuns.push(us); // first run: connection and JIT warm-up
    channel.close();
    await sim.close();
  }
  await worker.close();
  const inlineFig = figure('live.inline.sign', 'us', inlineRuns, { orders: n });
  return [
    withBaseline(figure('live.worker.sign', 'us', workerRuns, { orders: n, concurrent: n }), inlineFig),
    withBaseline(
      figure('live.order.ws', 'us', wsRuns, { orders: n, concurrent: n, maxInFlight: 100 }),
      inlineFig,
    ),
  ];
};
