import { afterEach, describe, expect, it } from 'vitest';
import { probeVenueNetwork } from '../../runtime/network.ts';
import { SIM_NETWORK_HEADER, type SimServer, startSim } from '../../sim/server.ts';

let sim: SimServer | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

describe('the simulator announces the network it plays (issue 20 item 12)', () => {
  it('on every HTTP response, as a header outside the protocol', async () => {
    sim = await startSim({ seed: 1, speed: 'manual' });
    const info = await fetch(`${sim.httpUrl}/info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type":"meta"}',
    });
    expect(info.status).toBe(200);
    expect(info.headers.get(SIM_NETWORK_HEADER)).toBe('testnet');
    const body = (await info.json()) as { universe: unknown[] };
    expect(body.universe.length).toBeGreaterThan(0); // the protocol answer is untouched
    const bad = await fetch(`${sim.httpUrl}/info`, { method: 'POST', body: '{"type":"nope"}' });
    expect(bad.status).toBe(422);
    expect(bad.headers.get(SIM_NETWORK_HEADER)).toBe('testnet');
    await bad.text();
    const missing = await fetch(`${sim.httpUrl}/elsewhere`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get(SIM_NETWORK_HEADER)).toBe('testnet');
    await missing.text();
  });

  it('a simulator playing mainnet says so, and probeVenueNetwork reads it from the ws URL', async () => {
    sim = await startSim({ seed: 1, speed: 'manual', isMainnet: true });
    expect(await probeVenueNetwork(sim.wsUrl, { fetch: globalThis.fetch })).toEqual({
      ok: true,
      announced: 'mainnet',
    });
    await sim.close();
    sim = await startSim({ seed: 1, speed: 'manual' });
    expect(await probeVenueNetwork(sim.wsUrl, { fetch: globalThis.fetch })).toEqual({
      ok: true,
      announced: 'testnet',
    });
  });
});
