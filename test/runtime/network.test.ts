import { describe, expect, it } from 'vitest';
import {
  type FetchLike,
  HYPERLIQUID_WS_URLS,
  knownNetworkOf,
  type NetworkInputs,
  probeVenueNetwork,
  resolveNetwork,
  venueHttpUrl,
} from '../../runtime/network.ts';

const SIM = 'ws://127.0.0.1:41234/ws';
const MAIN = 'wss://api.hyperliquid.xyz/ws';
const TEST = 'wss://api.hyperliquid-testnet.xyz/ws';

function ok(inputs: NetworkInputs) {
  const r = resolveNetwork(inputs);
  if (!r.ok) throw new Error(`expected a network, got a refusal: ${r.error}`);
  return r;
}
function refused(inputs: NetworkInputs): string {
  const r = resolveNetwork(inputs);
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r)}`);
  return r.error;
}

describe('resolveNetwork (issue 20 item 12)', () => {
  it('--url at a local simulator with --live-trading and no --network is refused, not signed for mainnet', () => {
    expect(refused({ url: SIM, liveTrading: true })).toMatch(
      /network of ws:\/\/127\.0\.0\.1:41234\/ws is unknown.*--network mainnet\|testnet/,
    );
    // the same with the venue probed: a host that announces nothing decides nothing
    expect(refused({ url: SIM, announced: null, liveTrading: true })).toMatch(/unknown/);
  });

  it('the simulator announces the network it plays: that is what is signed for', () => {
    expect(ok({ url: SIM, announced: 'testnet', liveTrading: true })).toMatchObject({
      network: 'testnet',
      isMainnet: false,
      url: SIM,
    });
    expect(ok({ url: SIM, announced: 'mainnet', liveTrading: true })).toMatchObject({
      network: 'mainnet',
      isMainnet: true,
    });
    // --network sim: "a simulator, whichever network it plays"
    expect(ok({ explicit: 'sim', url: SIM, announced: 'testnet', liveTrading: true }).network).toBe(
      'testnet',
    );
    expect(refused({ explicit: 'sim', url: SIM, announced: null, liveTrading: true })).toMatch(
      /--network sim.*announces no network/,
    );
    expect(refused({ explicit: 'sim', liveTrading: true })).toMatch(/--network sim needs --url/);
  });

  it('an explicit network that contradicts the venue is refused', () => {
    expect(refused({ explicit: 'mainnet', url: SIM, announced: 'testnet', liveTrading: true })).toMatch(
      /mismatch.*--network mainnet.*announces testnet/,
    );
    expect(refused({ explicit: 'testnet', url: MAIN, liveTrading: true })).toMatch(
      /mismatch.*--network testnet.*api\.hyperliquid\.xyz is mainnet/,
    );
    expect(refused({ explicit: 'sim', url: MAIN, liveTrading: false })).toMatch(/mismatch|not a simulator/);
    // a host we know that announces something else: something is between us and the venue
    expect(refused({ url: TEST, announced: 'mainnet', liveTrading: true })).toMatch(/mismatch/);
  });

  it('a known Hyperliquid host decides; an explicit network that agrees is fine', () => {
    expect(ok({ url: MAIN, announced: null, liveTrading: true })).toMatchObject({
      network: 'mainnet',
      isMainnet: true,
    });
    expect(ok({ url: TEST, liveTrading: true })).toMatchObject({ network: 'testnet', isMainnet: false });
    expect(ok({ explicit: 'mainnet', url: 'https://api.hyperliquid.xyz', liveTrading: true }).network).toBe(
      'mainnet',
    );
    expect(ok({ explicit: 'testnet', liveTrading: true })).toMatchObject({ network: 'testnet', url: TEST });
    expect(ok({ explicit: 'mainnet', liveTrading: true })).toMatchObject({ network: 'mainnet', url: MAIN });
  });

  it('an explicit network at an unknown host that announces nothing is the operator’s word', () => {
    const r = ok({
      explicit: 'testnet',
      url: 'wss://proxy.example.net/ws',
      announced: null,
      liveTrading: true,
    });
    expect(r).toMatchObject({ network: 'testnet', isMainnet: false });
    expect(r.source).toMatch(/--network/);
  });

  it('nothing said at all: refused when orders are signed; paper trading reads mainnet data', () => {
    expect(refused({ liveTrading: true })).toMatch(/--network mainnet\|testnet/);
    expect(ok({ liveTrading: false })).toMatchObject({ network: 'mainnet', url: MAIN });
    // paper on an unknown URL signs nothing: no network needed
    expect(ok({ url: SIM, liveTrading: false })).toMatchObject({ network: null, isMainnet: false, url: SIM });
  });

  it('a URL that is not a ws/http URL is refused', () => {
    expect(refused({ url: 'not a url', liveTrading: false })).toMatch(/not a valid URL/);
    expect(refused({ url: 'ftp://api.hyperliquid.xyz', liveTrading: true })).toMatch(
      /ws:, wss:, http: or https:/,
    );
  });

  it('every combination: never signs for a network any source contradicts; live trading always has one', () => {
    const explicits = [undefined, 'mainnet', 'testnet', 'sim'] as const;
    const urls = [undefined, MAIN, TEST, SIM, 'wss://proxy.example.net/ws'];
    const announcements = [undefined, null, 'mainnet', 'testnet'] as const;
    let resolved = 0;
    let refusedN = 0;
    for (const explicit of explicits)
      for (const url of urls)
        for (const announced of announcements)
          for (const liveTrading of [false, true]) {
            const r = resolveNetwork({ explicit, url, announced, liveTrading });
            if (!r.ok) {
              expect(r.error.length).toBeGreaterThan(20);
              refusedN++;
              continue;
            }
            resolved++;
            const claims = [
              explicit === 'sim' ? undefined : explicit,
              url ? knownNetworkOf(url) : undefined,
              announced ?? undefined,
            ].filter((c) => c !== undefined);
            for (const c of claims) expect(r.network).toBe(c);
            if (liveTrading) expect(r.network === 'mainnet' || r.network === 'testnet').toBe(true);
            expect(r.isMainnet).toBe(r.network === 'mainnet');
            if (explicit === 'sim') expect(announced).toBeTruthy();
          }
    console.log(`network resolution: ${resolved} resolved, ${refusedN} refused of ${resolved + refusedN}`);
    expect(resolved).toBeGreaterThan(30);
    expect(refusedN).toBeGreaterThan(30);
  });
});

describe('probeVenueNetwork', () => {
  function fakeFetch(headers: Record<string, string>, status = 200) {
    const calls: Array<{ url: string; body: string }> = [];
    const fetch: FetchLike = async (url, init) => {
      calls.push({ url, body: init.body });
      return {
        status,
        headers: { get: (n: string) => headers[n.toLowerCase()] ?? null },
        text: async () => '{}',
      };
    };
    return { fetch, calls };
  }

  it('asks POST /info with a real request and reads the x-sim-network header', async () => {
    const f = fakeFetch({ 'x-sim-network': 'testnet' });
    expect(await probeVenueNetwork(SIM, { fetch: f.fetch })).toEqual({ ok: true, announced: 'testnet' });
    expect(f.calls).toEqual([{ url: 'http://127.0.0.1:41234/info', body: '{"type":"meta"}' }]);
  });

  it('a real Hyperliquid host announces nothing', async () => {
    const f = fakeFetch({ 'content-type': 'application/json' });
    expect(await probeVenueNetwork(MAIN, { fetch: f.fetch })).toEqual({ ok: true, announced: null });
    expect(f.calls[0]!.url).toBe('https://api.hyperliquid.xyz/info');
  });

  it('an unknown announcement or an unreachable venue is an error, never a guess', async () => {
    const odd = await probeVenueNetwork(SIM, { fetch: fakeFetch({ 'x-sim-network': 'devnet' }).fetch });
    expect(odd).toEqual({ ok: false, error: expect.stringMatching(/announces an unknown network 'devnet'/) });
    const down = await probeVenueNetwork(SIM, {
      fetch: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:41234');
      },
    });
    expect(down).toEqual({ ok: false, error: expect.stringMatching(/could not ask .*ECONNREFUSED/) });
  });

  it('venue URLs: ws → http, /ws dropped', () => {
    expect(venueHttpUrl(SIM)).toBe('http://127.0.0.1:41234');
    expect(venueHttpUrl(MAIN)).toBe('https://api.hyperliquid.xyz');
    expect(venueHttpUrl('https://api.hyperliquid.xyz/')).toBe('https://api.hyperliquid.xyz');
    expect(HYPERLIQUID_WS_URLS).toEqual({ mainnet: MAIN, testnet: TEST });
  });
});
