/**
 * Test rig: the simulator ('manual' speed) on loopback and a live venue on ONE ManualClock. Time moves
 * only in `step`; everything else is awaited on events (`until` polls on event-loop turns, never on
 * the wall clock).
 */
import { createLiveVenue, type LiveVenue, type LiveVenueOptions } from '../../actors/venue/live/venue.ts';
import type { VenueReport } from '../../actors/venue/types.ts';
import { addressFromPrivateKey } from '../../hyperliquid/signing.ts';
import { PrivateKeyHolder } from '../../runtime/secrets.ts';
import { SIM_EPOCH } from '../../sim/engine.ts';
import { type SimServer, startSim } from '../../sim/server.ts';
import { ManualClock } from '../../state/clock.ts';
import { until } from '../feed/local-venue.ts';

export { until };

export const KEY_A = '0x0123456789012345678901234567890123456789012345678901234567890123';
export const KEY_B = '0x1111111111111111111111111111111111111111111111111111111111111111';
export const KEY_AGENT = '0x2222222222222222222222222222222222222222222222222222222222222222';
export const KEY_STRANGER = '0x3333333333333333333333333333333333333333333333333333333333333333';
export const ADDR_A = addressFromPrivateKey(KEY_A);
export const ADDR_B = addressFromPrivateKey(KEY_B);
export const ADDR_AGENT = addressFromPrivateKey(KEY_AGENT);

/** Quiet heartbeats: these tests step the clock in large strides without pumping pongs. */
export const TEST_FEED = {
  timings: {
    pingAfterMs: 3_600_000,
    pongTimeoutMs: 3_600_000,
    receiveTimeoutMs: 7_200_000,
    stableAfterMs: 1_000,
    backoff: { baseMs: 500, maxMs: 2_000, minMs: 100 },
  },
  seed: 7,
  activityGranularityMs: 0,
};

export interface LiveRig {
  clock: ManualClock;
  sim: SimServer;
  venue: LiveVenue;
  reports: VenueReport[];
  /** Advance sim and client time together, in chunks, letting I/O run between chunks. */
  step(ms: number, chunk?: number): Promise<void>;
  of(clientId: string, type?: VenueReport['type']): VenueReport[];
  close(): Promise<void>;
}

export async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

export async function startRig(
  over: Partial<Omit<LiveVenueOptions, 'key'>> & { key?: string; seed?: number } = {},
): Promise<LiveRig> {
  const clock = new ManualClock(SIM_EPOCH);
  const sim = await startSim({
    seed: over.seed ?? 5,
    speed: 'manual',
    clock,
    coins: ['BTC', 'ETH'],
    accounts: [
      { address: ADDR_A, equity: 100_000 },
      { address: ADDR_B, equity: 100_000, agents: [ADDR_AGENT] },
    ],
  });
  const { key, seed: _seed, ...rest } = over;
  const venue = await createLiveVenue({
    liveTrading: true,
    clock,
    key: new PrivateKeyHolder(key ?? KEY_A, 'test'),
    isMainnet: false,
    httpUrl: sim.httpUrl,
    wsUrl: sim.wsUrl,
    fetch: (url, init) => fetch(url, init),
    signer: 'inline',
    requestTimeoutMs: 600_000,
    feed: TEST_FEED,
    ...rest,
  });
  const reports: VenueReport[] = [];
  venue.onReport((r) => reports.push(r));
  return {
    clock,
    sim,
    venue,
    reports,
    async step(ms, chunk = 200) {
      let left = ms;
      while (left > 0) {
        const d = Math.min(chunk, left);
        sim.advance(d);
        clock.advance(d);
        left -= d;
        await turns(5);
      }
    },
    of: (clientId, type) =>
      reports.filter(
        (r) => 'clientId' in r && r.clientId === clientId && (type === undefined || r.type === type),
      ),
    async close() {
      await venue.close();
      await sim.close();
    },
  };
}

/** Best bid / ask of a simulated coin as numbers. */
export function bbo(sim: SimServer, coin: string): { bid: number; ask: number } {
  const m = sim.engine.market(coin);
  return { bid: Number(m.formatPx(m.bids[0]!.p)), ask: Number(m.formatPx(m.asks[0]!.p)) };
}
