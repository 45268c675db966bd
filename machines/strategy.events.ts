import type { ExitReason, StrategyEval } from './strategy.types.ts';

/** Control tick: the strategy's rules were evaluated on the hot state at `version`. */
export interface TickEvent {
  type: 'TICK';
  time: number;
  version: number;
  eval: StrategyEval;
}

/**
 * Control tick as the regime controller forwards it: the market input this strategy reads (its view of
 * the hot state at `version`) and the exit context. The actor evaluates its rules on it (an exception is
 * caught: STRATEGY_ERROR) and goes on as with the resulting TICK.
 */
export interface MarketEvent {
  type: 'MARKET';
  time: number;
  version: number;
  market: unknown;
  healthy: boolean;
  stale: boolean;
}

export type StrategyEvent =
  | MarketEvent
  | { type: 'ENABLE' }
  /**
   * From the regime controller (the only sender): the strategy's regime has left. `reason` is the
   * controller's why; `regime` the regime the coin is in now. A position open on it is closed as an
   * invalidation whose reason names the regime (RULEBOOK "Strategy lifecycle").
   */
  | { type: 'DISABLE'; reason?: string; regime?: string }
  /** Forced reset: to DISABLED, through an emergency exit if a position is open. */
  | { type: 'RESET'; reason?: string }
  /** Operator re-enable after a strategy exception (clears the lock-out); the controller still gates. */
  | { type: 'OPERATOR_ENABLE' }
  | TickEvent
  /** From execution: the entry intent was accepted and filled (fully or partially: a position exists). */
  | { type: 'ENTRY_FILLED'; intentId: string }
  /** From execution: the entry intent was denied by risk or rejected by the venue; nothing is open. */
  | { type: 'ENTRY_REJECTED'; intentId: string; reason: string }
  /** From execution: the position is flat after an exit. */
  | { type: 'EXIT_FILLED'; intentId: string }
  /** The strategy's own code threw; caught by its actor. */
  | { type: 'STRATEGY_ERROR'; message: string; exitReason?: ExitReason };
