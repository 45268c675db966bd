/**
 * The shared strategy lifecycle (RULEBOOK "Strategy lifecycle"):
 * DISABLED → SCANNING → ARMED → ENTERED → EXITED → COOLDOWN.
 *
 * Pure definition: the strategy's rules are evaluated outside the machine (exceptions caught there) and
 * arrive as the `eval` of a TICK; guards only read that verdict. Intents leave as emitted events.
 * Timeouts (arm timeout, max hold, cooldown, exit retry, entry timeout) are `after` delays on the
 * actor's clock, so replay and tests drive them with a simulated clock.
 */
import { and, assign, emit, enqueueActions, setup } from 'xstate';
import type { StrategyEvent } from './strategy.events.ts';
import type {
  EntryIntent,
  ExitIntent,
  ExitReason,
  Intent,
  StrategyContext,
  StrategyInput,
} from './strategy.types.ts';

export type StrategyEmitted =
  | { type: 'intent'; intent: Intent }
  /** An event that has no transition in the current state: ignored, and logged by the actor. */
  | { type: 'ignored'; event: string; state: string; note?: string }
  /** The exit did not fill in time: re-sent, and this is an alarm. */
  | { type: 'alarm'; message: string; attempt: number }
  /** The strategy's rules threw on a MARKET tick (caught: STRATEGY_ERROR follows). */
  | { type: 'error'; message: string };

type LivePhase = 'SCANNING' | 'ARMED' | 'ENTERED' | 'EXITED' | 'COOLDOWN';

/** A forwarded control tick in a live phase: the rules are evaluated as that phase's (named here, not read from the actor). */
const market = (phase: LivePhase) => ({ actions: { type: 'evaluateMarket' as const, params: { phase } } });

function exitIntent(
  context: StrategyContext,
  reason: ExitReason,
  detail: string,
  emergency: boolean,
  attempt: number,
): ExitIntent {
  return {
    kind: 'exit',
    id: `${context.strategy}:${context.coin}:${context.intentSeq}`,
    strategy: context.strategy,
    coin: context.coin,
    atMarket: true,
    emergency,
    reason,
    detail,
    version: context.version,
    time: context.time,
    attempt,
  };
}

/** While an exit does not fill: the first re-send alarms, then one reminder per this long. */
export const EXIT_ALARM_REMINDER_MS = 60_000;

/** Does the `attempt`-th re-send (every `retryMs`) raise an alarm? The first, then one per reminder period. */
export function exitAlarmDue(attempt: number, retryMs: number): boolean {
  if (attempt <= 1) return attempt === 1;
  return (
    Math.floor((attempt * retryMs) / EXIT_ALARM_REMINDER_MS) >
    Math.floor(((attempt - 1) * retryMs) / EXIT_ALARM_REMINDER_MS)
  );
}

export const strategyMachine = setup({
  types: {
    context: {} as StrategyContext,
    events: {} as StrategyEvent,
    input: {} as StrategyInput,
    emitted: {} as StrategyEmitted,
  },
  delays: {
    armTimeout: ({ context }) => context.timings.armTimeoutMs,
    maxHold: ({ context }) => context.timings.maxHoldMs,
    cooldown: ({ context }) => context.timings.cooldownMs,
    exitRetry: ({ context }) => context.timings.exitRetryMs,
    entryTimeout: ({ context }) => context.timings.entryTimeoutMs,
  },
  guards: {
    notLockedOut: ({ context }) => !context.lockedOut,
    setupTrue: ({ event }) => event.type === 'TICK' && event.eval.setup !== null,
    setupGone: ({ event }) => event.type === 'TICK' && event.eval.setup === null,
    triggerTrue: ({ event }) => event.type === 'TICK' && event.eval.setup !== null && event.eval.trigger,
    exitSignal: ({ event }) => event.type === 'TICK' && event.eval.exit !== null,
    isPendingIntent: ({ context, event }) =>
      (event.type === 'ENTRY_FILLED' || event.type === 'ENTRY_REJECTED' || event.type === 'EXIT_FILLED') &&
      event.intentId === context.pendingIntentId,
    resetPending: ({ context }) => context.resetPending,
    stillEnabled: ({ context }) => context.enabled && !context.lockedOut,
  },
  actions: {
    /**
     * A forwarded control tick: evaluate the rules on its market input in the current phase (never while
     * DISABLED), and go on with the verdict as a TICK; an exception is caught and becomes STRATEGY_ERROR.
     */
    evaluateMarket: enqueueActions(({ context, event, enqueue }, params: { phase: LivePhase }) => {
      if (event.type !== 'MARKET' || context.rules === null) return;
      try {
        const verdict = context.rules(event.market, params.phase, context.setup, {
          healthy: event.healthy,
          stale: event.stale,
        });
        enqueue.raise({ type: 'TICK', time: event.time, version: event.version, eval: verdict });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        enqueue.emit({ type: 'error', message });
        enqueue.raise({ type: 'STRATEGY_ERROR', message });
      }
    }),
    markEnabled: assign({ enabled: true }),
    markDisabled: assign({ enabled: false }),
    operatorUnlock: assign({ lockedOut: false }),
    recordTick: assign(({ event }) =>
      event.type === 'TICK' ? { time: event.time, version: event.version } : {},
    ),
    rememberSetup: assign(({ event }) => (event.type === 'TICK' ? { setup: event.eval.setup } : {})),
    clearSetup: assign({ setup: null }),
    // A trigger that fixes the entry's stop and target (entryLevels) replaces the armed ones: the
    // position is then held against those.
    fixEntryLevels: assign(({ context, event }) =>
      event.type === 'TICK' && event.eval.entryLevels && context.setup
        ? { setup: { ...context.setup, ...event.eval.entryLevels } }
        : {},
    ),
    // The entry carries the setup frozen at arming (its side, stop and target), never a recomputed one.
    emitEntry: emit(({ context, event }) => {
      if (event.type !== 'TICK') throw new Error('emitEntry needs a TICK');
      const s = context.setup ?? event.eval.setup;
      if (s === null) throw new Error('emitEntry needs a held setup');
      const intent: EntryIntent = {
        kind: 'entry',
        id: `${context.strategy}:${context.coin}:${context.intentSeq}`,
        strategy: context.strategy,
        coin: context.coin,
        side: s.side,
        sizeFraction: event.eval.sizeFraction,
        stop: s.stop,
        target: s.target,
        reason: `${s.reason}; trigger: ${event.eval.triggerReason ?? 'true'}`,
        version: event.version,
        time: event.time,
      };
      return { type: 'intent' as const, intent };
    }),
    claimIntentId: assign(({ context }) => ({
      pendingIntentId: `${context.strategy}:${context.coin}:${context.intentSeq}`,
      intentSeq: context.intentSeq + 1,
    })),
    prepareExit: assign(({ context, event }) => {
      let lastExit: { reason: ExitReason; detail: string };
      if (event.type === 'TICK' && event.eval.exit) lastExit = event.eval.exit;
      else if (event.type === 'DISABLE')
        // the controller disables a strategy when its regime leaves: an invalidation naming the regime
        lastExit = {
          reason: 'invalidation',
          detail: `regime left${event.regime ? ` (now ${event.regime})` : ''}: ${event.reason ?? 'disabled by the regime controller'}`,
        };
      else if (event.type === 'RESET') lastExit = { reason: 'reset', detail: event.reason ?? 'forced reset' };
      else if (event.type === 'STRATEGY_ERROR')
        lastExit = { reason: event.exitReason ?? 'exception', detail: event.message };
      else lastExit = { reason: 'maxHold', detail: `held ${context.timings.maxHoldMs} ms` };
      return {
        lastExit,
        exitAttempts: 0,
        // an exception ends DISABLED too (EXITED → COOLDOWN → DISABLED), whatever the operator does meanwhile
        enabled:
          event.type === 'DISABLE' || event.type === 'RESET' || event.type === 'STRATEGY_ERROR'
            ? false
            : context.enabled,
        resetPending: context.resetPending || event.type === 'RESET',
        lockedOut: context.lockedOut || event.type === 'STRATEGY_ERROR',
      };
    }),
    prepareEntryTimeoutExit: assign(({ context }) => ({
      lastExit: {
        reason: 'invalidation' as const,
        detail: `entry ${context.pendingIntentId} unanswered after ${context.timings.entryTimeoutMs} ms: cancel it and close any fill at market`,
      },
      exitAttempts: 0,
    })),
    emitExit: emit(({ context }) => {
      const last = context.lastExit ?? { reason: 'operator' as ExitReason, detail: 'exit' };
      const emergency = last.reason !== 'target' && last.reason !== 'stop';
      return {
        type: 'intent' as const,
        intent: exitIntent(context, last.reason, last.detail, emergency, context.exitAttempts),
      };
    }),
    claimExitId: assign(({ context }) => ({
      pendingIntentId: `${context.strategy}:${context.coin}:${context.intentSeq}`,
      intentSeq: context.intentSeq + 1,
    })),
    countExitAttempt: assign(({ context }) => ({ exitAttempts: context.exitAttempts + 1 })),
    // one alarm when the exit first fails to fill, then a reminder every EXIT_ALARM_REMINDER_MS while it
    // still has not (the re-sends go on every exitRetryMs; execution alarms on the close's own changes)
    alarmExitNotFilled: enqueueActions(({ context, enqueue }) => {
      if (!exitAlarmDue(context.exitAttempts, context.timings.exitRetryMs)) return;
      enqueue.emit({
        type: 'alarm' as const,
        message: `${context.strategy}/${context.coin}: exit ${context.pendingIntentId} not filled after ${context.exitAttempts * context.timings.exitRetryMs} ms (${context.exitAttempts} re-sends); retrying at market`,
        attempt: context.exitAttempts,
      });
    }),
    clearPending: assign({ pendingIntentId: null }),
    clearReset: assign({ resetPending: false }),
    lockOut: assign({ lockedOut: true, enabled: false }),
    requestReset: assign({ resetPending: true, enabled: false }),
    noteIgnored: assign(({ context }) => ({ ignored: context.ignored + 1 })),
    // Tell the owning controller (if any) which top-level state this strategy entered, and whether it is
    // locked out after an exception (so the controller need not guess it from the state).
    reportState: enqueueActions(({ context, enqueue, self }, params: { state: string }) => {
      // a standalone actor (tests, tools) has no parent to tell; `_parent` is XState's own field
      if (Reflect.get(self, '_parent')) {
        enqueue.sendParent({
          type: 'MEMBER_STATE',
          strategy: context.strategy,
          state: params.state,
          lockedOut: context.lockedOut,
        });
      }
    }),
    emitIgnored: emit(({ event, self }) => ({
      type: 'ignored' as const,
      event: event.type,
      state: JSON.stringify(self.getSnapshot().value),
    })),
    emitResetNoop: emit(() => ({
      type: 'ignored' as const,
      event: 'RESET',
      state: JSON.stringify('DISABLED'),
      note: 'RESET while DISABLED: no-op',
    })),
  },
}).createMachine({
  id: 'strategy',
  context: ({ input }) => ({
    strategy: input.strategy,
    coin: input.coin,
    timings: input.timings,
    rules: input.rules ?? null,
    enabled: false,
    lockedOut: false,
    resetPending: false,
    setup: null,
    intentSeq: 0,
    pendingIntentId: null,
    exitAttempts: 0,
    lastExit: null,
    time: 0,
    version: 0,
    ignored: 0,
  }),
  initial: 'DISABLED',
  // Any event without a transition in the active state ends here: ignored, counted and logged.
  on: {
    '*': { actions: ['noteIgnored', 'emitIgnored'] },
    // an operator re-enable clears the lock-out in any state; the controller still gates (ENABLE)
    OPERATOR_ENABLE: { actions: 'operatorUnlock' },
  },
  states: {
    DISABLED: {
      entry: [
        'clearSetup',
        'clearReset',
        'markDisabled',
        { type: 'reportState', params: { state: 'DISABLED' } },
      ],
      on: {
        ENABLE: { guard: 'notLockedOut', target: 'SCANNING', actions: 'markEnabled' },
        // RULEBOOK row "DISABLED | DISABLE | DISABLED": nothing to do
        DISABLE: {},
        // a forwarded control tick: a disabled strategy evaluates nothing (not an ignored event either)
        MARKET: {},
        RESET: { actions: ['noteIgnored', 'emitResetNoop'] },
      },
    },
    SCANNING: {
      entry: ['clearSetup', { type: 'reportState', params: { state: 'SCANNING' } }],
      on: {
        MARKET: market('SCANNING'),
        TICK: [
          { guard: 'setupTrue', target: 'ARMED', actions: ['recordTick', 'rememberSetup'] },
          { actions: 'recordTick' },
        ],
        DISABLE: 'DISABLED',
        RESET: 'DISABLED',
        STRATEGY_ERROR: { target: 'DISABLED', actions: 'lockOut' },
      },
    },
    ARMED: {
      entry: { type: 'reportState', params: { state: 'ARMED' } },
      initial: 'watching',
      on: {
        MARKET: market('ARMED'),
        DISABLE: 'DISABLED',
        RESET: 'DISABLED',
        STRATEGY_ERROR: { target: 'DISABLED', actions: 'lockOut' },
      },
      states: {
        watching: {
          after: { armTimeout: '#strategy.SCANNING' },
          on: {
            TICK: [
              {
                guard: 'triggerTrue',
                target: 'entering',
                actions: ['recordTick', 'fixEntryLevels', 'emitEntry', 'claimIntentId'],
              },
              { guard: 'setupGone', target: '#strategy.SCANNING', actions: 'recordTick' },
              // the setup still holds: keep the one frozen at arming (never overwritten while ARMED)
              { actions: 'recordTick' },
            ],
          },
        },
        // The entry intent is with execution: wait for its verdict.
        entering: {
          // no verdict in time: the order may still fill, so never walk away from it; close at market
          // (execution cancels the entry and flattens any fill, or answers at once when there is none)
          after: { entryTimeout: { target: '#strategy.EXITED', actions: 'prepareEntryTimeoutExit' } },
          on: {
            TICK: { actions: 'recordTick' },
            ENTRY_FILLED: { guard: 'isPendingIntent', target: '#strategy.ENTERED', actions: 'clearPending' },
            ENTRY_REJECTED: {
              guard: 'isPendingIntent',
              target: '#strategy.SCANNING',
              actions: 'clearPending',
            },
            // an entry may be in flight: flatten whatever filled rather than walk away from it
            DISABLE: { target: '#strategy.EXITED', actions: 'prepareExit' },
            RESET: { target: '#strategy.EXITED', actions: 'prepareExit' },
            STRATEGY_ERROR: { target: '#strategy.EXITED', actions: 'prepareExit' },
          },
        },
      },
    },
    ENTERED: {
      entry: { type: 'reportState', params: { state: 'ENTERED' } },
      after: { maxHold: { target: 'EXITED', actions: 'prepareExit' } },
      on: {
        MARKET: market('ENTERED'),
        TICK: [
          { guard: 'exitSignal', target: 'EXITED', actions: ['recordTick', 'prepareExit'] },
          { actions: 'recordTick' },
        ],
        DISABLE: { target: 'EXITED', actions: 'prepareExit' },
        RESET: { target: 'EXITED', actions: 'prepareExit' },
        STRATEGY_ERROR: { target: 'EXITED', actions: 'prepareExit' },
      },
    },
    EXITED: {
      entry: ['emitExit', 'claimExitId', { type: 'reportState', params: { state: 'EXITED' } }],
      after: {
        exitRetry: { target: 'EXITED', reenter: true, actions: ['countExitAttempt', 'alarmExitNotFilled'] },
      },
      on: {
        MARKET: market('EXITED'),
        EXIT_FILLED: [
          { guard: and(['isPendingIntent', 'resetPending']), target: 'DISABLED', actions: 'clearPending' },
          { guard: 'isPendingIntent', target: 'COOLDOWN', actions: 'clearPending' },
        ],
        TICK: { actions: 'recordTick' },
        ENABLE: { guard: 'notLockedOut', actions: 'markEnabled' },
        DISABLE: { actions: 'markDisabled' },
        RESET: { actions: 'requestReset' },
        STRATEGY_ERROR: { actions: 'lockOut' },
      },
    },
    COOLDOWN: {
      entry: { type: 'reportState', params: { state: 'COOLDOWN' } },
      after: {
        cooldown: [{ guard: 'stillEnabled', target: 'SCANNING' }, { target: 'DISABLED' }],
      },
      on: {
        MARKET: market('COOLDOWN'),
        TICK: { actions: 'recordTick' },
        ENABLE: { guard: 'notLockedOut', actions: 'markEnabled' },
        DISABLE: 'DISABLED',
        RESET: 'DISABLED',
        STRATEGY_ERROR: { target: 'DISABLED', actions: 'lockOut' },
      },
    },
  },
});
