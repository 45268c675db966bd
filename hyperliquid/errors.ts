/**
 * The venue's exact exchange error strings (doc §4.7), shared by the simulator (which produces them)
 * and the exchange client (which classifies them).
 */

export const ORDER_ERRORS = {
  tick: 'Price must be divisible by tick size.',
  minTradeNtl: 'Order must have minimum value of $10.',
  perpMargin: 'Insufficient margin to place order.',
  reduceOnly: 'Reduce only order would increase position.',
  iocCancel: 'Order could not immediately match against any resting orders.',
  badTriggerPx: 'Invalid TP/SL price.',
  marketOrderNoLiquidity: 'No liquidity available for market order.',
  positionIncreaseAtOpenInterestCap: 'Order would increase open interest while open interest is capped',
  tooAggressiveAtOpenInterestCap:
    'Order rejected due to price more aggressive than oracle while at open interest cap',
  openInterestIncrease: 'Order would increase open interest too quickly',
  insufficientSpotBalance: '(Spot-only) Order has insufficient spot balance to trade',
  oracle: 'Order price too far from oracle',
  perpMaxPosition: 'Order would cause position to exceed margin tier limit at current leverage',
  cancelMissingOrder: 'Order was never placed, already canceled, or filled.',
} as const;
export type OrderErrorKind = keyof typeof ORDER_ERRORS;

/** `Post only order would have immediately matched, bbo was {bbo}.` */
export const badAloPxError = (bbo: string): string =>
  `Post only order would have immediately matched, bbo was ${bbo}.`;
/** `Order must have minimum value of 10 {quote}.` (spot) */
export const minTradeSpotNtlError = (quoteToken: string): string =>
  `Order must have minimum value of 10 ${quoteToken}.`;
/** Batch-level error when the recovered signer is unknown (its address differs per bad signature). */
export const unknownSignerError = (address: string): string =>
  `L1 error: User or API Wallet ${address} does not exist.`;
export const mustDepositError = (address: string): string =>
  `Must deposit before performing actions. User: ${address}`;

const REVERSE = new Map<string, OrderErrorKind>(
  (Object.entries(ORDER_ERRORS) as [OrderErrorKind, string][]).map(([k, v]) => [v, k]),
);

export type ExchangeErrorKind =
  | OrderErrorKind
  | 'badAloPx'
  | 'minTradeSpotNtl'
  | 'unknownSigner'
  | 'mustDeposit'
  | 'other';

/** Classify an order/cancel error string or a batch-level error. Never throws. */
export function classifyExchangeError(text: string): ExchangeErrorKind {
  const known = REVERSE.get(text);
  if (known !== undefined) return known;
  if (text.startsWith('Post only order would have immediately matched')) return 'badAloPx';
  if (/^Order must have minimum value of 10 \S+\.$/.test(text)) return 'minTradeSpotNtl';
  if (/User or API Wallet 0x[0-9a-fA-F]{40} does not exist\.$/.test(text)) return 'unknownSigner';
  if (text.startsWith('Must deposit before performing actions.')) return 'mustDeposit';
  return 'other';
}
