import { describe, expect, it } from 'vitest';
import { parseInfoResponse, parseServerFrame } from '../../hyperliquid/parse.ts';
import { INFO_RESPONSE_SCHEMAS, type InfoRequestType } from '../../hyperliquid/info-schemas.ts';
import { toNum } from '../../hyperliquid/decimal.ts';
import { fixtureFiles, fixtureJson, fixtureText } from './fixtures.ts';

interface ManifestEntry {
  file: string;
  request: { type: string };
}

describe('real WS fixtures parse', () => {
  const files = fixtureFiles('ws');

  it('covers every ws fixture file', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  for (const f of files) {
    it(`parses ws/${f}`, () => {
      const text = fixtureText(`ws/${f}`);
      const r = parseServerFrame(text);
      if (!r.ok) throw new Error(r.error.message);
      const raw = JSON.parse(text) as { channel: string };
      expect(r.frame.channel).toBe(raw.channel);
      // bytes in, same result
      const rb = parseServerFrame(new TextEncoder().encode(text));
      expect(rb).toEqual(r);
    });
  }

  it('l2Book fixture: 20 bids and 20 asks, best first, decimals kept as strings', () => {
    const r = parseServerFrame(fixtureText('ws/l2Book_BTC_1751427259657.json'));
    if (!r.ok || r.frame.channel !== 'l2Book') throw new Error('expected l2Book');
    const { coin, time, levels } = r.frame.data;
    expect(coin).toBe('BTC');
    expect(time).toBe(1751427259657);
    expect(levels[0]).toHaveLength(20);
    expect(levels[1]).toHaveLength(20);
    expect(levels[0][0]).toEqual({ px: '106217.0', sz: '0.001', n: 1 });
    const bids = levels[0].map((l) => toNum(l.px));
    const asks = levels[1].map((l) => toNum(l.px));
    expect([...bids].sort((a, b) => b - a)).toEqual(bids);
    expect([...asks].sort((a, b) => a - b)).toEqual(asks);
    expect(bids[0]!).toBeLessThan(asks[0]!);
  });

  it('trades fixture: users [buyer, seller], tid, hash', () => {
    const r = parseServerFrame(fixtureText('ws/trades_BTC_1751430933565.json'));
    if (!r.ok || r.frame.channel !== 'trades') throw new Error('expected trades');
    const t = r.frame.data[0]!;
    expect(t.side).toBe('A');
    expect(t.tid).toBe(293353986402527);
    expect(t.users[0]).toBe('0xcc0a3b6e3267c84361e91d8230868eea53431e4b');
    expect(t.px).toBe('106296.0');
  });

  it('subscriptionResponse fixture keeps the normalised echo (nSigFigs/mantissa null)', () => {
    const r = parseServerFrame(fixtureText('ws/subscriptionResponse_l2Book_order_book_server_test.json'));
    if (!r.ok || r.frame.channel !== 'subscriptionResponse') throw new Error('expected subscriptionResponse');
    expect(r.frame.data.method).toBe('subscribe');
    expect(r.frame.data.subscription).toEqual({
      type: 'l2Book',
      coin: 'BTC',
      nSigFigs: null,
      mantissa: null,
    });
  });

  it('user fixture: a fill with a liquidation object', () => {
    const r = parseServerFrame(fixtureText('ws/user_fill_liquidation_nautilus.json'));
    if (!r.ok || r.frame.channel !== 'user') throw new Error('expected user');
    if (!('fills' in r.frame.data)) throw new Error('expected fills');
    const fill = r.frame.data.fills[0]!;
    expect(fill.liquidation).toEqual({
      liquidatedUser: '0x360878d351f05975e25f1807a27895e1e5e004fb',
      markPx: '66607.0',
      method: 'market',
    });
    expect(fill.cloid).toBe('0xe8d5fd7ebbb4c3cff4d1803472a11463');
    expect(fill.twapId).toBeNull();
  });
});

describe('real HTTP info fixtures parse with the schema of their request', () => {
  const manifest = fixtureJson<ManifestEntry[]>('http/manifest.json');
  const files = fixtureFiles('http').filter((f) => f !== 'manifest.json');

  it('the manifest names every http fixture, and every request type has a schema', () => {
    expect(manifest.map((m) => m.file.replace(/^http\//, '')).sort()).toEqual(files);
    for (const m of manifest) expect(Object.keys(INFO_RESPONSE_SCHEMAS)).toContain(m.request.type);
  });

  for (const m of manifest) {
    it(`parses ${m.file} as ${m.request.type}`, () => {
      const body = fixtureJson(m.file);
      const r = parseInfoResponse(m.request.type as InfoRequestType, body);
      if (!r.ok) throw new Error(r.error.message);
      if (Array.isArray(body)) expect(r.value).toHaveLength(body.length);
    });
  }

  it('meta: asset ids are universe indices with szDecimals', () => {
    const r = parseInfoResponse('meta', fixtureJson('http/info_meta_2023-07-17.json'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.universe[0]).toEqual({ name: 'BTC', szDecimals: 5, maxLeverage: 50 });
    expect(r.value.universe.findIndex((u) => u.name === 'ETH')).toBe(1);
  });

  it('allMids over HTTP is a flat map (not wrapped in mids)', () => {
    const r = parseInfoResponse('allMids', fixtureJson('http/info_allMids_2023-07-17.json'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.BTC).toBe('30135.0');
  });

  it('2023 userFills have no tid/feeToken and still parse; clearinghouseState keeps nullable liquidationPx', () => {
    const fills = parseInfoResponse('userFills', fixtureJson('http/info_userFills_2023-07-17.json'));
    if (!fills.ok) throw new Error(fills.error.message);
    expect(fills.value).toHaveLength(500);
    expect(fills.value[0]!.tid).toBeUndefined();
    const ch = parseInfoResponse(
      'clearinghouseState',
      fixtureJson('http/info_clearinghouseState_2023-03-27.json'),
    );
    if (!ch.ok) throw new Error(ch.error.message);
    expect(ch.value.assetPositions.some((p) => p.position.liquidationPx === null)).toBe(true);
  });

  it('an info body of the wrong request type is rejected with a path', () => {
    const r = parseInfoResponse('meta', fixtureJson('http/info_allMids_2023-07-17.json'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe('meta: universe: expected array, got missing');
  });
});
