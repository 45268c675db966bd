/**
 * Venue order rules for the risk checks. The implementation lives in `machines/execution.rules.ts`
 * because the execution machine prices its own emergency closes and machines/ cannot import actors/.
 * (When `hyperliquid/rounding.ts` lands, both should defer to it.)
 */
export {
  isValidPx,
  isValidSz,
  priceDecimals,
  type RoundMode,
  roundPx,
  roundSz,
  venueRuleViolation,
} from '../../machines/execution.rules.ts';
