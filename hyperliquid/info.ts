/**
 * A small typed client for `POST /info` over an injected fetch-like function (no global fetch, no
 * I/O of its own): each method posts the request body and validates the response with its schema.
 * Failures reject with an `InfoError` naming the request, the HTTP status or the schema problem.
 */
import { parseInfoResponse } from './parse.ts';
import type { InfoRequestType, InfoResponse } from './info-schemas.ts';

export const MAINNET_API_URL = 'https://api.hyperliquid.xyz';
export const TESTNET_API_URL = 'https://api.hyperliquid-testnet.xyz';

/** The subset of WHATWG fetch this client needs. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export class InfoError extends Error {
  constructor(
    readonly code: 'http' | 'transport' | 'not_json' | 'schema',
    readonly request: string,
    message: string,
    readonly status?: number,
  ) {
    super(`info ${request}: ${message}`);
    this.name = 'InfoError';
  }
}

export interface InfoClientOptions {
  fetch: FetchLike;
  /** Base URL without a trailing slash, e.g. MAINNET_API_URL or a local simulator. */
  baseUrl: string;
}

export class InfoClient {
  private readonly fetch: FetchLike;
  private readonly url: string;

  constructor(opts: InfoClientOptions) {
    this.fetch = opts.fetch;
    this.url = `${opts.baseUrl.replace(/\/+$/, '')}/info`;
  }

  /** Post any info request and validate the body with the schema of `type`. */
  async request<T extends InfoRequestType>(
    type: T,
    body: { type: T } & Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<InfoResponse<T>> {
    let res: Awaited<ReturnType<FetchLike>>;
    let text: string;
    try {
      res = await this.fetch(this.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        ...(signal === undefined ? {} : { signal }),
      });
      text = await res.text();
    } catch (e) {
      throw new InfoError('transport', type, e instanceof Error ? e.message : String(e));
    }
    if (!res.ok) throw new InfoError('http', type, `HTTP ${res.status}: ${text.slice(0, 200)}`, res.status);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new InfoError('not_json', type, `response is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
    }
    const r = parseInfoResponse(type, json);
    if (!r.ok) throw new InfoError('schema', type, r.error.message);
    return r.value;
  }

  meta(dex?: string): Promise<InfoResponse<'meta'>> {
    return this.request('meta', dex === undefined ? { type: 'meta' } : { type: 'meta', dex });
  }
  metaAndAssetCtxs(): Promise<InfoResponse<'metaAndAssetCtxs'>> {
    return this.request('metaAndAssetCtxs', { type: 'metaAndAssetCtxs' });
  }
  l2Book(
    coin: string,
    opts: { nSigFigs?: 2 | 3 | 4 | 5 | null; mantissa?: 1 | 2 | 5 | null } = {},
  ): Promise<InfoResponse<'l2Book'>> {
    return this.request('l2Book', { type: 'l2Book', coin, ...opts });
  }
  allMids(dex?: string): Promise<InfoResponse<'allMids'>> {
    return this.request('allMids', dex === undefined ? { type: 'allMids' } : { type: 'allMids', dex });
  }
  /** Query the master / sub-account address, never an agent (API wallet) address. */
  clearinghouseState(user: string, dex?: string): Promise<InfoResponse<'clearinghouseState'>> {
    const body = { type: 'clearinghouseState' as const, user: user.toLowerCase() };
    return this.request('clearinghouseState', dex === undefined ? body : { ...body, dex });
  }
  openOrders(user: string, dex?: string): Promise<InfoResponse<'openOrders'>> {
    const body = { type: 'openOrders' as const, user: user.toLowerCase() };
    return this.request('openOrders', dex === undefined ? body : { ...body, dex });
  }
  frontendOpenOrders(user: string): Promise<InfoResponse<'frontendOpenOrders'>> {
    return this.request('frontendOpenOrders', { type: 'frontendOpenOrders', user: user.toLowerCase() });
  }
  userFills(user: string, aggregateByTime?: boolean): Promise<InfoResponse<'userFills'>> {
    const body = { type: 'userFills' as const, user: user.toLowerCase() };
    return this.request('userFills', aggregateByTime === undefined ? body : { ...body, aggregateByTime });
  }
  /** At most 2000 fills per call; paginate from the last fill's time. */
  userFillsByTime(
    user: string,
    startTime: number,
    endTime?: number,
    aggregateByTime?: boolean,
  ): Promise<InfoResponse<'userFillsByTime'>> {
    const body: { type: 'userFillsByTime' } & Record<string, unknown> = {
      type: 'userFillsByTime',
      user: user.toLowerCase(),
      startTime,
    };
    if (endTime !== undefined) body.endTime = endTime;
    if (aggregateByTime !== undefined) body.aggregateByTime = aggregateByTime;
    return this.request('userFillsByTime', body);
  }
  orderStatus(user: string, oid: number | string): Promise<InfoResponse<'orderStatus'>> {
    return this.request('orderStatus', { type: 'orderStatus', user: user.toLowerCase(), oid });
  }
}
