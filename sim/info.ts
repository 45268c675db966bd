/**
 * `POST /info` of the simulated venue: meta, metaAndAssetCtxs, l2Book, allMids, and, through
 * `PrivateInfo` (sim/exchange.ts), the per-account requests (docs/hyperliquid-protocol.md §3).
 * Returns the JSON text, or null for a body the venue rejects.
 */
import { COIN_DEFS, type Engine } from './engine.ts';
import { l2BookData, midsJson } from './frames.ts';

export const INFO_422 = 'Failed to deserialize the JSON body into the target type';

function metaJson(engine: Engine, collateral: boolean): string {
  const universe = engine.coins.map((c) => {
    const d = COIN_DEFS[c]!;
    return `{"name":"${c}","szDecimals":${d.szDecimals},"maxLeverage":${d.maxLeverage}}`;
  });
  const levs = [...new Set(engine.coins.map((c) => COIN_DEFS[c]!.maxLeverage))].sort((a, b) => b - a);
  const tables = levs.map(
    (l) => `[${l},{"description":"","marginTiers":[{"lowerBound":"0.0","maxLeverage":${l}}]}]`,
  );
  return (
    `{"universe":[${universe.join(',')}],"marginTables":[${tables.join(',')}]` +
    (collateral ? ',"collateralToken":0}' : '}')
  );
}

/** The HTTP asset context (keys in the order the info endpoint uses). */
function httpCtxJson(engine: Engine, coin: string): string {
  const c = JSON.parse(engine.ctxJson(coin)) as Record<string, unknown>;
  const keys = [
    'dayNtlVlm',
    'funding',
    'impactPxs',
    'markPx',
    'midPx',
    'openInterest',
    'oraclePx',
    'premium',
    'prevDayPx',
    'dayBaseVlm',
  ];
  return '{' + keys.map((k) => `"${k}":${JSON.stringify(c[k])}`).join(',') + '}';
}

/** Answers the per-account requests (openOrders, userFillsByTime, clearinghouseState, orderStatus, …). */
export interface PrivateInfo {
  /** JSON text, null = 422, undefined = not a private request. */
  answerInfo(body: Record<string, unknown>): string | null | undefined;
}

/** Answer one info request body; null = 422. */
export function answerInfo(engine: Engine, body: unknown, priv?: PrivateInfo): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  switch (b.type) {
    case 'meta':
      return metaJson(engine, false);
    case 'metaAndAssetCtxs':
      return `[${metaJson(engine, true)},[${engine.coins.map((c) => httpCtxJson(engine, c)).join(',')}]]`;
    case 'allMids':
      return midsJson(engine);
    case 'l2Book': {
      if (typeof b.coin !== 'string') return null;
      const nSig = b.nSigFigs ?? null;
      const mant = b.mantissa ?? null;
      if ((nSig !== null && typeof nSig !== 'number') || (mant !== null && typeof mant !== 'number'))
        return null;
      if (!engine.coins.includes(b.coin)) return 'null';
      return l2BookData(engine, b.coin, { nLevels: 20, nSigFigs: nSig, mantissa: mant });
    }
    default: {
      const ans = priv?.answerInfo(b);
      return ans === undefined ? null : ans;
    }
  }
}
