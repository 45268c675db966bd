import { describe, expect, it } from 'vitest';
import { type FetchLike, InfoClient, InfoError } from '../../hyperliquid/info.ts';
import { parseExchangeResponse, parseServerFrame } from '../../hyperliquid/parse.ts';
import { fixtureJson, fixtureText } from './fixtures.ts';

interface ManifestEntry {
  file: string;
  request: Record<string, unknown> & { type: string };
}

/** Serves the recorded HTTP bodies keyed by their recorded request, as the venue answered them. */
function recordedFetch(calls: { url: string; body: unknown }[]): FetchLike {
  const manifest = fixtureJson<ManifestEntry[]>('http/manifest.json');
  return async (url, init) => {
    const body = JSON.parse(init.body) as Record<string, unknown>;
    calls.push({ url, body });
    const hit = manifest.find(
      (m) => m.request.type === body.type && (m.request.user ?? body.user) === body.user,
    );
    if (hit === undefined)
      return {
        ok: false,
        status: 422,
        text: async () => 'Failed to deserialize the JSON body into the target type',
      };
    return { ok: true, status: 200, text: async () => fixtureText(hit.file) };
  };
}

describe('InfoClient over an injected fetch', () => {
  it('posts JSON to /info and validates recorded bodies', async () => {
    const calls: { url: string; body: unknown }[] = [];
    const c = new InfoClient({ fetch: recordedFetch(calls), baseUrl: 'http://127.0.0.1:1/' });
    const meta = await c.meta();
    expect(meta.universe[0]!.name).toBe('BTC');
    expect(calls[0]).toEqual({ url: 'http://127.0.0.1:1/info', body: { type: 'meta' } });
    expect((await c.allMids()).ETH).toBe('1903.95');
    expect((await c.l2Book('DYDX')).levels[0]).toHaveLength(20);
    expect((await c.openOrders('0x5e9ee1089755c3435139848e47e6635505d5a13a')).length).toBe(196);
    const ch = await c.clearinghouseState('0x5E9EE1089755C3435139848E47E6635505D5A13A');
    expect(ch.withdrawable).toBe('1010.57173');
    expect(calls.at(-1)!.body).toEqual({
      type: 'clearinghouseState',
      user: '0x5e9ee1089755c3435139848e47e6635505d5a13a',
    });
    expect((await c.userFills('0xb7b6f3cea3f66bf525f5d8f965f6dbf6d9b017b2')).length).toBe(500);
  });

  it('HTTP errors, non-JSON and schema mismatches reject with InfoError', async () => {
    const c = new InfoClient({ fetch: recordedFetch([]), baseUrl: 'http://127.0.0.1:1' });
    await expect(c.userFillsByTime('0x0000000000000000000000000000000000000001', 0)).rejects.toMatchObject({
      code: 'http',
      status: 422,
    });
    const notJson = new InfoClient({
      fetch: async () => ({ ok: true, status: 200, text: async () => '<html>' }),
      baseUrl: 'x',
    });
    await expect(notJson.meta()).rejects.toMatchObject({ code: 'not_json' });
    const wrong = new InfoClient({
      fetch: async () => ({ ok: true, status: 200, text: async () => '{"universe":[{"name":1}]}' }),
      baseUrl: 'x',
    });
    await expect(wrong.meta()).rejects.toThrow(
      'info meta: meta: universe[0].name: expected string, got number 1',
    );
    const down = new InfoClient({
      fetch: async () => {
        throw new Error('ECONNREFUSED');
      },
      baseUrl: 'x',
    });
    await expect(down.meta()).rejects.toBeInstanceOf(InfoError);
  });
});

describe('exchange / post responses (doc §2, §4.2)', () => {
  it('order statuses: resting, filled, error, waiting', () => {
    const r = parseExchangeResponse({
      status: 'ok',
      response: {
        type: 'order',
        data: {
          statuses: [
            { resting: { oid: 77738308 } },
            { filled: { totalSz: '0.02', avgPx: '1891.4', oid: 77747314 } },
            { error: 'Order must have minimum value of $10.' },
            'waitingForFill',
          ],
        },
      },
    });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.status).toBe('ok');
  });
  it('batch-level err and a post action error frame', () => {
    expect(
      parseExchangeResponse({ status: 'err', response: 'L1 error: User or API Wallet 0x1 does not exist.' })
        .ok,
    ).toBe(true);
    expect(parseExchangeResponse({ status: 'maybe' }).ok).toBe(false);
    const f = parseServerFrame(
      '{"channel":"post","data":{"id":256,"response":{"type":"action","payload":{"status":"ok","response":{"type":"order","data":{"statuses":[{"resting":{"oid":88383}}]}}}}}}',
    );
    expect(f.ok).toBe(true);
    const e = parseServerFrame(
      '{"channel":"post","data":{"id":3,"response":{"type":"error","payload":"400 bad"}}}',
    );
    expect(e.ok && e.frame.channel === 'post' && e.frame.data.response.type).toBe('error');
    const info = parseServerFrame(
      '{"channel":"post","data":{"id":123,"response":{"type":"info","payload":{"type":"l2Book","data":{"coin":"ETH"}}}}}',
    );
    expect(info.ok).toBe(true);
  });
});
