/**
 * The exchange client against the simulator: 1 000 concurrent signed submissions over one WS post
 * connection (nonces unique and strictly increasing, all accepted by the simulator's nonce check,
 * at most 100 in flight), the simulator's duplicate-nonce refusal, bad signatures / unknown wallets
 * rejected with the venue's string, and the rate budgets refusing before anything is signed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startWorkerSigner, type WorkerSigner } from '../../actors/venue/live/signer.ts';
import { WsChannel, WsPostTransport } from '../../actors/venue/live/ws-post.ts';
import { classifyExchangeError, unknownSignerError } from '../../hyperliquid/errors.ts';
import {
  type ActionSigner,
  AddressBudget,
  ExchangeClient,
  HttpActionTransport,
  inlineSigner,
  RateBudget,
} from '../../hyperliquid/exchange.ts';
import { NonceManager } from '../../hyperliquid/nonces.ts';
import { recoverL1Signer } from '../../hyperliquid/signing.ts';
import { exchangeBody, orderAction } from '../../hyperliquid/wire.ts';
import { PrivateKeyHolder } from '../../runtime/secrets.ts';
import { NONCE_ERRORS } from '../../sim/exchange.ts';
import { SIM_EPOCH } from '../../sim/engine.ts';
import { type SimServer, startSim } from '../../sim/server.ts';
import { ManualClock } from '../../state/clock.ts';
import { ADDR_A, KEY_A, KEY_STRANGER } from './rig.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  signer: ActionSigner,
  opts: { budget?: RateBudget; addressBudget?: AddressBudget } = {},
) {
  const clock = new ManualClock(SIM_EPOCH);
  const sim: SimServer = await startSim({
    seed: 3,
    speed: 'manual',
    clock,
    coins: ['BTC'],
    accounts: [{ address: ADDR_A, equity: 1e9 }],
  });
  cleanups.push(() => sim.close());
  const channel = new WsChannel(sim.wsUrl);
  cleanups.push(() => channel.close());
  const ws = new WsPostTransport(channel, clock, { timeoutMs: 600_000 });
  const nonces = new NonceManager(() => clock.now());
  const client = new ExchangeClient({
    transport: ws,
    signer,
    nonces,
    isMainnet: false,
    now: () => clock.now(),
    ...opts,
  });
  return { clock, sim, ws, client, nonces };
}

const restingBuy = (sim: SimServer, i: number) => {
  const m = sim.engine.market('BTC');
  const px = Math.round(m.bids[0]!.p * m.tick * 0.5) - i; // far below the market: rests
  return {
    asset: 0,
    isBuy: true,
    px,
    sz: '0.001',
    reduceOnly: false,
    type: { limit: { tif: 'Alo' as const } },
  };
};

describe('exchange client', () => {
  it('1 000 concurrent submissions: unique increasing nonces, all accepted, <= 100 in flight (worker signer)', async () => {
    const signer: WorkerSigner = await startWorkerSigner(new PrivateKeyHolder(KEY_A, 'test'));
    cleanups.push(() => signer.close());
    expect(signer.address).toBe(ADDR_A);
    const { sim, ws, client } = await setup(signer);
    // no budget in the way of this test: 1 000 actions of weight 1 fit 1 200/min
    const outcomes = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => client.order([restingBuy(sim, i)])),
    );
    const nonces = outcomes.map((o) => o.nonce);
    expect(new Set(nonces).size).toBe(1_000);
    for (let i = 1; i < nonces.length; i++) expect(nonces[i]!).toBeGreaterThan(nonces[i - 1]!);
    const bad = outcomes.filter((o) => !o.ok || o.statuses[0]?.kind !== 'resting');
    expect(bad).toEqual([]);
    expect(sim.exchange.counters.nonceRejected).toBe(0);
    expect(sim.exchange.counters.unknownSigner).toBe(0);
    expect(sim.exchange.account(ADDR_A)!.open.size).toBe(1_000);
    expect(ws.counters.maxInFlight).toBeLessThanOrEqual(100);
    expect(ws.counters.queued).toBeGreaterThan(0);
    expect(ws.counters.answered).toBe(1_000);
    expect(signer.pending).toBe(0);
  });

  it('the simulator refuses a replayed nonce with the venue string', async () => {
    const { sim, clock } = await setup(inlineSigner(KEY_A));
    const http = new HttpActionTransport((u, i) => fetch(u, i), sim.httpUrl);
    const signer = inlineSigner(KEY_A);
    const action = orderAction([restingBuy(sim, 0)]);
    const nonce = clock.now();
    const sig = await signer.signL1({
      action,
      nonce,
      vaultAddress: null,
      expiresAfter: null,
      isMainnet: false,
    });
    const body = exchangeBody({ action, nonce, signature: sig });
    const first = (await http.postAction(body)) as { status: string };
    expect(first.status).toBe('ok');
    const again = (await http.postAction(body)) as { status: string; response: string };
    expect(again).toEqual({ status: 'err', response: NONCE_ERRORS.duplicate(nonce) });
    expect(sim.exchange.counters.nonceRejected).toBe(1);
  });

  it('an unknown wallet is rejected with the venue string', async () => {
    const { sim, client } = await setup(inlineSigner(KEY_STRANGER));
    const o = await client.order([restingBuy(sim, 0)]);
    expect(o.ok).toBe(false);
    if (o.ok) return;
    expect(o.code).toBe('venue');
    expect(o.message).toBe(unknownSignerError(client.signerAddress));
    expect(o.errorKind).toBe('unknownSigner');
    expect(sim.exchange.counters.unknownSigner).toBe(1);
  });

  it('a bad signature recovers to another address and is rejected as an unknown wallet', async () => {
    const good = inlineSigner(KEY_A);
    const tampered: ActionSigner = {
      address: good.address,
      async signL1(req) {
        const s = await good.signL1(req);
        // flip one bit of s: still a valid-looking signature, of some other key
        const flipped = (BigInt(s.s) ^ 1n).toString(16).padStart(64, '0');
        return { ...s, s: `0x${flipped}` };
      },
    };
    const { sim, client } = await setup(tampered);
    const o = await client.order([restingBuy(sim, 0)]);
    expect(o.ok).toBe(false);
    if (o.ok) return;
    expect(o.code).toBe('venue');
    expect(classifyExchangeError(o.message)).toBe('unknownSigner');
    expect(o.message).not.toContain(ADDR_A);
    expect(sim.exchange.account(ADDR_A)!.open.size).toBe(0);
    // and the wrong network (mainnet source "a" against a testnet venue) is just as unknown
    const mainnet: ActionSigner = {
      address: good.address,
      signL1: (r) => good.signL1({ ...r, isMainnet: true }),
    };
    const { sim: sim2, client: c2 } = await setup(mainnet);
    const o2 = await c2.order([restingBuy(sim2, 0)]);
    expect(!o2.ok && o2.errorKind).toBe('unknownSigner');
  });

  it('signatures verify: the simulator recovers exactly the signer for what it executes', async () => {
    const signer = inlineSigner(KEY_A);
    const action = orderAction([
      { asset: 0, isBuy: true, px: 50000, sz: '0.001', reduceOnly: false, type: { limit: { tif: 'Gtc' } } },
    ]);
    const sig = await signer.signL1({
      action,
      nonce: SIM_EPOCH,
      vaultAddress: null,
      expiresAfter: null,
      isMainnet: false,
    });
    expect(recoverL1Signer({ action, nonce: SIM_EPOCH, isMainnet: false, signature: sig })).toBe(ADDR_A);
    expect(recoverL1Signer({ action, nonce: SIM_EPOCH + 1, isMainnet: false, signature: sig })).not.toBe(
      ADDR_A,
    );
  });

  it('the weight budget and the address budget refuse before signing or spending a nonce', async () => {
    let signed = 0;
    const inner = inlineSigner(KEY_A);
    const counting: ActionSigner = {
      address: inner.address,
      signL1: (r) => {
        signed++;
        return inner.signL1(r);
      },
    };
    const clock0 = new ManualClock(SIM_EPOCH);
    const budget = new RateBudget(() => clock0.now(), 3);
    const { sim, client, nonces } = await setup(counting, { budget });
    for (let i = 0; i < 3; i++) expect((await client.order([restingBuy(sim, i)])).ok).toBe(true);
    const before = nonces.lastIssued;
    const refused = await client.order([restingBuy(sim, 9)]);
    expect(refused).toMatchObject({ ok: false, code: 'rate_limited', nonce: null });
    expect(signed).toBe(3);
    expect(nonces.lastIssued).toBe(before);
    clock0.advance(60_001); // the window slides
    expect((await client.order([restingBuy(sim, 10)])).ok).toBe(true);

    const ab = new AddressBudget(() => 0, { initial: 2 });
    expect(ab.tryTake(2)).toBe(true);
    expect(ab.tryTake(1)).toBe(true); // throttled mode: one per 10 s
    expect(ab.tryTake(1)).toBe(false);
    expect(ab.tryTake(1, true)).toBe(true); // cancels get min(cap + 100 000, 2 × cap)
    ab.addVolume(100);
    expect(ab.cap()).toBe(102);
  });
});
