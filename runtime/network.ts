/**
 * Which network orders are signed for (issue 20 item 12). A signature is bound to its chain
 * (`source` 'a' = mainnet, 'b' = testnet; docs/hyperliquid-protocol.md §4): signing for the wrong one
 * is at best rejected, at worst a real order. So the network is never guessed from a default: it is
 * the operator's word (`--network`, or `network` in the config), the host (Hyperliquid's own API
 * hosts are known), or what the venue announces — and every source that speaks must agree.
 *
 * How a venue announces: the simulator (sim/server.ts) sends the header `x-sim-network: mainnet|testnet`
 * on every HTTP response — outside the protocol, so no request or answer of the real protocol changes.
 * A real Hyperliquid host sends no such header: then the flag or the known host decides.
 *
 * `resolveNetwork` is pure; `probeVenueNetwork` asks a venue URL (with an injected fetch).
 */
import { SIM_NETWORK_HEADER } from '../sim/server.ts';

/** A network orders can be signed for. */
export type Network = 'mainnet' | 'testnet';
/** What the operator may say: a network, or `sim` — "a simulator, whichever network it plays". */
export type NetworkChoice = Network | 'sim';

/** Hyperliquid's public WebSocket endpoints (docs/hyperliquid-protocol.md §1). */
export const HYPERLIQUID_WS_URLS: Readonly<Record<Network, string>> = {
  mainnet: 'wss://api.hyperliquid.xyz/ws',
  testnet: 'wss://api.hyperliquid-testnet.xyz/ws',
};

const KNOWN_HOSTS: Readonly<Record<string, Network>> = {
  'api.hyperliquid.xyz': 'mainnet',
  'api.hyperliquid-testnet.xyz': 'testnet',
};

/** The network of a Hyperliquid API host, or undefined for any other host (or not a URL). */
export function knownNetworkOf(url: string): Network | undefined {
  try {
    return KNOWN_HOSTS[new URL(url).hostname.toLowerCase()];
  } catch {
    return undefined;
  }
}

export interface NetworkInputs {
  /** `--network`, else the config's `network`; undefined when neither says. */
  explicit?: NetworkChoice | undefined;
  /** `--url`, else the config's `url`; undefined: the default URL of the resolved network. */
  url?: string | undefined;
  /** What the venue at `url` announced (probeVenueNetwork): a network; null = nothing; undefined = not asked. */
  announced?: Network | null | undefined;
  /** Orders will be signed (`--live-trading`): a network is then required. */
  liveTrading: boolean;
}

export type NetworkResolution =
  | {
      ok: true;
      /** The network to sign for; null only when nothing is signed (paper trading) and nothing says. */
      network: Network | null;
      /** For the signer: `source` 'a' when true, 'b' otherwise. */
      isMainnet: boolean;
      /** The WebSocket URL to use: the one given, or the network's default. */
      url: string;
      /** Who decided, for the start-up log: e.g. `--network testnet, ws://… announces testnet`. */
      source: string;
    }
  | { ok: false; error: string };

const SIGN_HINT = 'say --network mainnet|testnet';

/**
 * Resolve the network to sign for from the operator's word, the URL and the venue's announcement.
 * Refuses (never guesses) when two sources disagree, when `--network sim` meets something that is not
 * an announcing simulator, and when orders would be signed but nothing names the network (e.g.
 * `--url` at an unknown host that announces nothing, with `--live-trading` and no `--network`).
 */
export function resolveNetwork(inputs: NetworkInputs): NetworkResolution {
  const { explicit, url, announced, liveTrading } = inputs;
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { ok: false, error: `--url ${url} is not a valid URL` };
    }
    if (!['ws:', 'wss:', 'http:', 'https:'].includes(parsed.protocol))
      return { ok: false, error: `--url ${url}: expected a ws:, wss:, http: or https: URL` };
  }
  const host = url === undefined ? undefined : knownNetworkOf(url);
  const where = url ?? 'the venue';

  const claims: Array<{ network: Network; says: string }> = [];
  if (explicit !== undefined && explicit !== 'sim')
    claims.push({ network: explicit, says: `--network ${explicit}` });
  if (host !== undefined && url !== undefined)
    claims.push({ network: host, says: `${new URL(url).hostname} is ${host}` });
  if (announced) claims.push({ network: announced, says: `${where} announces ${announced}` });

  const first = claims[0];
  const other = claims.find((c) => c.network !== first?.network);
  if (first && other)
    return {
      ok: false,
      error: `network mismatch: ${first.says}, but ${other.says} — refusing to sign for either; fix --network or --url`,
    };

  if (explicit === 'sim') {
    if (url === undefined)
      return {
        ok: false,
        error: '--network sim needs --url of a simulator (without `live`, the embedded one runs)',
      };
    if (host !== undefined)
      return {
        ok: false,
        error: `network mismatch: --network sim, but ${new URL(url).hostname} is Hyperliquid's ${host}, not a simulator`,
      };
    if (!announced)
      return {
        ok: false,
        error: `--network sim, but ${url} announces no network (a simulator sends ${SIM_NETWORK_HEADER}): is it a simulator? ${SIGN_HINT}`,
      };
  }

  if (first) {
    return {
      ok: true,
      network: first.network,
      isMainnet: first.network === 'mainnet',
      url: url ?? HYPERLIQUID_WS_URLS[first.network],
      source: claims.map((c) => c.says).join(', '),
    };
  }

  if (url !== undefined) {
    if (liveTrading)
      return {
        ok: false,
        error: `the network of ${url} is unknown (not a Hyperliquid host, and it announces no network): ${SIGN_HINT} to sign orders for it`,
      };
    return {
      ok: true,
      network: null,
      isMainnet: false,
      url,
      source: `unknown (${url}); paper trading signs nothing`,
    };
  }
  if (liveTrading)
    return {
      ok: false,
      error: `no network given: ${SIGN_HINT} (or --url of a venue that names it) to sign orders`,
    };
  return {
    ok: true,
    network: 'mainnet',
    isMainnet: true,
    url: HYPERLIQUID_WS_URLS.mainnet,
    source: 'default data source (paper trading signs nothing)',
  };
}

/** The minimal fetch the probe needs; `globalThis.fetch` is one. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export type VenueProbe = { ok: true; announced: Network | null } | { ok: false; error: string };

/** `wss://host/ws` → `https://host` (the venue's HTTP base, where `/info` and `/exchange` live). */
export function venueHttpUrl(url: string): string {
  return url
    .replace(/^ws(s?):/i, 'http$1:')
    .replace(/\/ws\/?$/, '')
    .replace(/\/$/, '');
}

/**
 * Ask the venue at `url` (ws or http) which network it plays: POST `/info` with a real, cheap request
 * (`meta`) and read the `x-sim-network` header. A real Hyperliquid host sends none: `announced: null`.
 * An unknown value or an unreachable venue is an error, never a guess.
 */
export async function probeVenueNetwork(
  url: string,
  opts: { fetch: FetchLike; timeoutMs?: number },
): Promise<VenueProbe> {
  const info = `${venueHttpUrl(url)}/info`;
  let header: string | null;
  try {
    const res = await opts.fetch(info, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type":"meta"}',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000),
    });
    header = res.headers.get(SIM_NETWORK_HEADER);
    await res.text(); // drain: the connection goes back to the pool
  } catch (e) {
    return { ok: false, error: `could not ask ${info} which network it plays: ${(e as Error).message}` };
  }
  if (header === null) return { ok: true, announced: null };
  const v = header.trim().toLowerCase();
  if (v === 'mainnet' || v === 'testnet') return { ok: true, announced: v };
  return {
    ok: false,
    error: `${info} announces an unknown network '${header.slice(0, 40)}' (expected mainnet or testnet)`,
  };
}
