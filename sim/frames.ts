/**
 * Wire frames, written by hand so key order and number formatting match the venue byte for byte
 * (see docs/hyperliquid-protocol.md §1.5 and fixtures/hyperliquid/ws).
 */
import type { CoinMarket, Engine, Level, SimTrade } from './engine.ts';

export const PONG_FRAME = '{"channel":"pong"}';

export function errorFrame(message: string): string {
  return `{"channel":"error","data":${JSON.stringify(message)}}`;
}

export function subscriptionResponseFrame(
  method: 'subscribe' | 'unsubscribe',
  subscriptionJson: string,
): string {
  return `{"channel":"subscriptionResponse","data":{"method":"${method}","subscription":${subscriptionJson}}}`;
}

function levelJson(m: CoinMarket, pxTicks: number, lots: number, n: number): string {
  return `{"px":"${m.formatPx(pxTicks)}","sz":"${m.formatSz(lots)}","n":${n}}`;
}

/** Top `nLevels` of a side, optionally aggregated to `nSigFigs` significant figures (× mantissa). */
export function sideJson(
  m: CoinMarket,
  side: readonly Level[],
  isBid: boolean,
  nLevels: number,
  nSigFigs: number | null,
  mantissa: number | null,
): string {
  const out: string[] = [];
  if (nSigFigs === null) {
    const k = Math.min(nLevels, side.length);
    for (let i = 0; i < k; i++) {
      const l = side[i]!;
      out.push(levelJson(m, l.p, l.q, l.n));
    }
    return '[' + out.join(',') + ']';
  }
  let curKey = Number.NaN;
  let q = 0;
  let n = 0;
  let bucket = 1;
  for (const l of side) {
    const px = l.p * m.tick;
    const e = Math.floor(Math.log10(px)) - nSigFigs + 1;
    bucket = Math.max(1, Math.round((mantissa ?? 1) * 10 ** (e + m.tickDec)));
    const key = isBid ? Math.floor(l.p / bucket) : Math.ceil(l.p / bucket);
    if (key !== curKey) {
      if (!Number.isNaN(curKey)) {
        out.push(levelJson(m, curKey * bucket, q, n));
        if (out.length >= nLevels) return '[' + out.join(',') + ']';
      }
      curKey = key;
      q = 0;
      n = 0;
    }
    q += l.q;
    n += l.n;
  }
  if (!Number.isNaN(curKey) && out.length < nLevels) out.push(levelJson(m, curKey * bucket, q, n));
  return '[' + out.join(',') + ']';
}

export interface BookParams {
  nLevels: number;
  nSigFigs: number | null;
  mantissa: number | null;
}

export function l2BookFrame(engine: Engine, coin: string, p: BookParams, time = engine.time): string {
  const m = engine.market(coin);
  return (
    `{"channel":"l2Book","data":{"coin":"${coin}","time":${time},"levels":[` +
    sideJson(m, m.bids, true, p.nLevels, p.nSigFigs, p.mantissa) +
    ',' +
    sideJson(m, m.asks, false, p.nLevels, p.nSigFigs, p.mantissa) +
    ']}}'
  );
}

/** The l2Book `data` object (used by HTTP /info). */
export function l2BookData(engine: Engine, coin: string, p: BookParams): string {
  const m = engine.market(coin);
  return (
    `{"coin":"${coin}","time":${engine.time},"levels":[` +
    sideJson(m, m.bids, true, p.nLevels, p.nSigFigs, p.mantissa) +
    ',' +
    sideJson(m, m.asks, false, p.nLevels, p.nSigFigs, p.mantissa) +
    ']}'
  );
}

export function bboFrame(engine: Engine, coin: string): string {
  const m = engine.market(coin);
  const b = m.bids[0];
  const a = m.asks[0];
  const bj = b ? levelJson(m, b.p, b.q, b.n) : 'null';
  const aj = a ? levelJson(m, a.p, a.q, a.n) : 'null';
  return `{"channel":"bbo","data":{"coin":"${coin}","time":${engine.time},"bbo":[${bj},${aj}]}}`;
}

export function tradeJson(m: CoinMarket, t: SimTrade, time: number): string {
  return (
    `{"coin":"${m.def.name}","side":"${t.side}","px":"${m.formatPx(t.pxTicks)}","sz":"${m.formatSz(t.lots)}",` +
    `"time":${time},"hash":"${t.hash}","tid":${t.tid},"users":["${t.buyer}","${t.seller}"]}`
  );
}

/** The trades of the coin's last block, or null when it had none. */
export function tradesFrame(engine: Engine, coin: string): string | null {
  const m = engine.market(coin);
  if (m.trades.length === 0) return null;
  const parts = m.trades.map((t) => tradeJson(m, t, engine.time));
  return `{"channel":"trades","data":[${parts.join(',')}]}`;
}

export function activeAssetCtxFrame(engine: Engine, coin: string): string {
  return `{"channel":"activeAssetCtx","data":{"coin":"${coin}","ctx":${engine.ctxJson(coin)}}}`;
}

/** `{"BTC":"…",…}` sorted by coin name. */
export function midsJson(engine: Engine): string {
  const names = [...engine.coins].sort();
  return '{' + names.map((c) => `"${c}":"${engine.market(c).formatMid()}"`).join(',') + '}';
}

export function allMidsFrame(engine: Engine): string {
  return `{"channel":"allMids","data":{"mids":${midsJson(engine)}}}`;
}
