/**
 * Types of the shared strategy lifecycle (RULEBOOK "Strategy lifecycle"). Everything here is plain,
 * serialisable data: the machine's context and events never hold sockets, clients or buffers.
 */
export type Side = 'LONG' | 'SHORT';

/** What a strategy's setup rule found: the side and the exact levels an entry would carry. */
export interface SetupInfo {
  side: Side;
  /** Exact stop price for the entry. */
  stop: number;
  /** Exact target price for the entry. */
  target: number;
  /** Reference price (mid) when the setup was seen. */
  ref: number;
  /**
   * The levels the setup refers to, frozen at arming and held while ARMED and ENTERED (RULEBOOK
   * "Strategy lifecycle"): Geometry's defended `edge`, Kinematics' `extreme` and `origin`, Cascade's
   * `start` price and `preDepth`. Named by the strategy that set them.
   */
  levels: Readonly<Record<string, number>>;
  /** Human-readable why, with the numbers. */
  reason: string;
}

export type ExitReason =
  | 'target'
  | 'stop'
  | 'invalidation'
  | 'maxHold'
  | 'disable'
  | 'reset'
  | 'exception'
  | 'operator';

/** The strategy rules' verdict on one control tick, computed outside the machine (exceptions caught there). */
export interface StrategyEval {
  /** Setup condition: non-null when true. */
  setup: SetupInfo | null;
  /** Trigger condition (only meaningful while ARMED). */
  trigger: boolean;
  /** Trigger evidence, logged with the entry intent. */
  triggerReason?: string;
  /** While ENTERED: a reason to exit now (target, stop, invalidation), or null. */
  exit: { reason: ExitReason; detail: string } | null;
  /** Size as a fraction of equity for an entry (risk rule applied by the strategy), 0 if none. */
  sizeFraction: number;
  /**
   * With a trigger: stop and target fixed at the trigger (a strategy whose levels depend on the entry);
   * they replace the armed setup's and are held while ENTERED. Absent: the levels frozen at arming.
   */
  entryLevels?: { stop: number; target: number };
}

export interface EntryIntent {
  kind: 'entry';
  id: string;
  strategy: string;
  coin: string;
  side: Side;
  sizeFraction: number;
  stop: number;
  target: number;
  reason: string;
  version: number;
  time: number;
}

export interface ExitIntent {
  kind: 'exit';
  id: string;
  strategy: string;
  coin: string;
  /** At market: an IOC through the book by the configured slippage. */
  atMarket: true;
  emergency: boolean;
  reason: ExitReason;
  detail: string;
  version: number;
  time: number;
  attempt: number;
}

export type Intent = EntryIntent | ExitIntent;

export interface StrategyTimings {
  /** ARMED → SCANNING when the trigger has not come within this (ms). */
  armTimeoutMs: number;
  /** ENTERED → EXITED after holding this long (ms). */
  maxHoldMs: number;
  /** COOLDOWN length (ms). */
  cooldownMs: number;
  /** EXITED: re-send the exit (and alarm) when no exit fill came within this (ms). */
  exitRetryMs: number;
  /** ARMED.entering: give up on an entry with no answer from execution within this (ms). */
  entryTimeoutMs: number;
}

/**
 * A strategy's rules as one pure function: the verdict for a control tick from the market input the
 * regime controller forwarded (`MARKET.market`, whatever that strategy reads), the lifecycle phase, the
 * setup held since arming and the exit context. Built by the decision side from a registry definition;
 * it may throw (the actor catches it: STRATEGY_ERROR, locked out).
 */
export type StrategyRules = (
  market: unknown,
  phase: 'SCANNING' | 'ARMED' | 'ENTERED' | 'EXITED' | 'COOLDOWN',
  held: SetupInfo | null,
  ctx: { healthy: boolean; stale: boolean },
) => StrategyEval;

export interface StrategyInput {
  strategy: string;
  coin: string;
  timings: StrategyTimings;
  /** The rules MARKET events are evaluated with (absent: the actor takes TICK verdicts only). */
  rules?: StrategyRules;
}

export interface StrategyContext {
  strategy: string;
  coin: string;
  timings: StrategyTimings;
  rules: StrategyRules | null;
  /** Last ENABLE/DISABLE from the controller. */
  enabled: boolean;
  /** Set by a strategy exception: the controller's ENABLE is refused until an operator re-enables. */
  lockedOut: boolean;
  /** RESET requested while a position was open: go straight to DISABLED after the exit fill. */
  resetPending: boolean;
  setup: SetupInfo | null;
  /** Monotonic counter for intent ids (deterministic: no random, no wall clock). */
  intentSeq: number;
  pendingIntentId: string | null;
  exitAttempts: number;
  lastExit: { reason: ExitReason; detail: string } | null;
  /** Time and version of the last tick seen (copied into intents). */
  time: number;
  version: number;
  /** Events ignored in the current state, counted (the actor logs each one). */
  ignored: number;
}
