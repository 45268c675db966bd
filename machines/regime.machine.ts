/**
 * The regime controller for one coin (RULEBOOK "Regime controller"): the single source of truth for
 * strategy activation.
 *
 * - Classifies each control tick (pure `classify`) into SIDEWAYS / EXPANSION / DISABLED; entering an
 *   active regime needs `confirmTicks` consecutive ticks, falling to DISABLED is immediate.
 * - Spawns and owns the coin's strategy actors (one per member), and is the only one that sends them
 *   ENABLE / DISABLE.
 * - Family exclusion: there is no direct SIDEWAYS ↔ EXPANSION transition; leaving a regime is a fall to
 *   DISABLED, which disables every member at once. An active regime then waits until every member of
 *   the other family reports DISABLED (after any emergency exit) before it enables its own family.
 * - Position lease: at most one strategy holds a position in the coin at a time.
 * - Lock-out: each member reports its lock-out with its state (MEMBER_STATE.lockedOut); a member that
 *   does not say is taken as locked out when it reaches DISABLED while this controller has it enabled
 *   (only an exception takes it out of the gate on its own). The controller records the lock-out, stops
 *   counting it as enabled and does not enable it again until an operator re-enables it; after
 *   OPERATOR_ENABLE, if the strategy's regime is active, it is enabled at the next tick (gate logged).
 * - A DISABLE sent because the regime left names that regime (reason "SIDEWAYS → DISABLED: …", logged
 *   as "regime left SIDEWAYS → DISABLED: …"), so the strategy's exit reason does.
 * Every regime change, gate and lease verdict is emitted as a decision record with inputs and reason.
 */
import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import { classify } from './regime.rules.ts';
import type {
  Family,
  HealthLevel,
  MemberSpec,
  Regime,
  RegimeDecision,
  RegimeInputs,
  RegimeThresholds,
} from './regime.types.ts';
import { strategyMachine } from './strategy.machine.ts';
import type { StrategyTimings } from './strategy.types.ts';

export interface RegimeTickEvent {
  type: 'TICK';
  time: number;
  version: number;
  inputs: RegimeInputs;
  health: HealthLevel;
  stale: boolean;
}

export type RegimeEvent =
  | RegimeTickEvent
  /**
   * A member strategy reports the top-level state it entered (and, when it says so, whether it is
   * locked out after an exception).
   */
  | { type: 'MEMBER_STATE'; strategy: string; state: string; lockedOut?: boolean }
  | { type: 'ACQUIRE_LEASE'; strategy: string }
  | { type: 'RELEASE_LEASE'; strategy: string }
  /** Operator re-enables a strategy locked out by an exception (forwarded to it). */
  | { type: 'OPERATOR_ENABLE'; strategy: string }
  /**
   * The control tick's market, after its TICK: forwarded to every member as its MARKET event, with the
   * input that member reads (`markets[strategy]`; a member without one gets none).
   */
  | {
      type: 'MARKET';
      time: number;
      version: number;
      markets: Record<string, unknown>;
      healthy: boolean;
      stale: boolean;
    };

export type RegimeEmitted = { type: 'decision'; decision: RegimeDecision };

export interface RegimeInput {
  coin: string;
  members: MemberSpec[];
  thresholds: RegimeThresholds;
  timings: StrategyTimings;
}

export interface RegimeContext {
  coin: string;
  members: MemberSpec[];
  thresholds: RegimeThresholds;
  timings: StrategyTimings;
  /** Classification of the last tick and how many consecutive ticks it has held. */
  candidate: Regime;
  streak: number;
  lastReason: string;
  lastInputs: RegimeInputs;
  time: number;
  version: number;
  /** Last top-level state each member reported. */
  memberStates: Record<string, string>;
  /** Gates as last sent by this controller (a locked-out member is not enabled). */
  enabled: Record<string, boolean>;
  /** Members locked out after an exception, as this controller knows it: not enabled until OPERATOR_ENABLE. */
  lockedOut: Record<string, boolean>;
  /** The regime state the controller is in (the one a DISABLE names when it leaves). */
  regime: Regime;
  lease: string | null;
}

const NULL_INPUTS: RegimeInputs = {
  oiRange15m: Number.NaN,
  oiBuild1h: Number.NaN,
  fundingDev: Number.NaN,
  depthAsym5s: Number.NaN,
};

/**
 * The classifications already made, by TICK event: a tick's guards and actions classify the same event
 * several times (confirms…, still…, recordTick); `classify` is pure, so each event is classified once per
 * set of thresholds. Weakly held: nothing outlives the event.
 */
const classified = new WeakMap<object, { thresholds: RegimeThresholds; c: ReturnType<typeof classify> }>();

/** The classification of a TICK (the guards and actions that call this only run on TICK). */
function tickClass(context: RegimeContext, event: RegimeEvent) {
  assertEvent(event, 'TICK');
  const memo = classified.get(event);
  if (memo && memo.thresholds === context.thresholds) return memo.c;
  const c = classify(event.inputs, event.health, event.stale, context.thresholds);
  classified.set(event, { thresholds: context.thresholds, c });
  return c;
}

/** Would this tick confirm `regime` (its condition held on `confirmTicks` consecutive ticks)? */
function confirms(context: RegimeContext, event: RegimeEvent, regime: Regime): boolean {
  const c = tickClass(context, event);
  if (c.regime !== regime) return false;
  const streak = context.candidate === regime ? context.streak + 1 : 1;
  return streak >= context.thresholds.confirmTicks;
}

function membersOf(context: RegimeContext, family: Family): MemberSpec[] {
  return context.members.filter((m) => m.family === family);
}

/** Locked out, as the member last reported it (or as inferred when it does not say). */
function isLockedOut(context: RegimeContext, strategy: string): boolean {
  return context.lockedOut[strategy] === true;
}

function decision(
  context: RegimeContext,
  regime: Regime,
  kind: RegimeDecision['kind'],
  reason: string,
  extra: Partial<RegimeDecision> = {},
): RegimeEmitted {
  return {
    type: 'decision',
    decision: {
      kind,
      coin: context.coin,
      time: context.time,
      version: context.version,
      regime,
      reason,
      inputs: context.lastInputs,
      ...extra,
    },
  };
}

export const regimeMachine = setup({
  types: {
    context: {} as RegimeContext,
    events: {} as RegimeEvent,
    input: {} as RegimeInput,
    emitted: {} as RegimeEmitted,
  },
  actors: { strategy: strategyMachine },
  guards: {
    confirmsSideways: ({ context, event }) => confirms(context, event, 'SIDEWAYS'),
    confirmsExpansion: ({ context, event }) => confirms(context, event, 'EXPANSION'),
    stillSideways: ({ context, event }) => tickClass(context, event).regime === 'SIDEWAYS',
    stillExpansion: ({ context, event }) => tickClass(context, event).regime === 'EXPANSION',
    // memberStates holds every member from the start (all DISABLED)
    effcsAllDisabled: ({ context }) =>
      membersOf(context, 'EFFCS').every((m) => context.memberStates[m.strategy] === 'DISABLED'),
    slbrsAllDisabled: ({ context }) =>
      membersOf(context, 'SLBRS').every((m) => context.memberStates[m.strategy] === 'DISABLED'),
    leaseGrantable: ({ context, event }) => {
      assertEvent(event, 'ACQUIRE_LEASE');
      return (
        (context.lease === null || context.lease === event.strategy) &&
        context.enabled[event.strategy] === true
      );
    },
    isLeaseHolder: ({ context, event }) => {
      assertEvent(event, 'RELEASE_LEASE');
      return context.lease === event.strategy;
    },
  },
  actions: {
    spawnMembers: enqueueActions(({ context, enqueue }) => {
      for (const m of context.members) {
        enqueue.spawnChild('strategy', {
          id: m.strategy,
          input: {
            strategy: m.strategy,
            coin: context.coin,
            timings: { ...context.timings, ...m.timings },
            ...(m.rules ? { rules: m.rules } : {}),
          },
        });
      }
    }),
    recordTick: assign(({ context, event }) => {
      assertEvent(event, 'TICK');
      const c = tickClass(context, event);
      return {
        candidate: c.regime,
        streak: context.candidate === c.regime ? context.streak + 1 : 1,
        lastReason: c.reason,
        lastInputs: event.inputs,
        time: event.time,
        version: event.version,
      };
    }),
    recordMember: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'MEMBER_STATE');
      if (!context.members.some((m) => m.strategy === event.strategy)) return;
      const s = event.strategy;
      const wasEnabled = context.enabled[s] === true;
      // reached DISABLED while the controller had it enabled: it left the gate on its own (an exception
      // locked it out, or a forced reset)
      const leftGate = event.state === 'DISABLED' && wasEnabled;
      // its own word when it reports one (a strategy machine does); otherwise inferred
      const lockedOut = event.lockedOut ?? (context.lockedOut[s] === true || leftGate);
      enqueue.assign({
        memberStates: { ...context.memberStates, [s]: event.state },
        lockedOut: { ...context.lockedOut, [s]: lockedOut },
        enabled: { ...context.enabled, [s]: wasEnabled && !leftGate && !lockedOut },
      });
      if (wasEnabled && (leftGate || lockedOut))
        enqueue.emit(
          decision(
            context,
            context.regime,
            'gate',
            lockedOut
              ? `${s} locked out after a strategy exception (reported ${event.state}): not enabled again until an operator re-enables it`
              : `${s} reached DISABLED on its own and is not locked out: enabled again at the next tick its regime holds`,
            { action: 'DISABLE', strategy: s },
          ),
        );
    }),
    announceRegime: enqueueActions(({ context, enqueue }, params: { regime: Regime }) => {
      enqueue.assign({ regime: params.regime });
      enqueue.emit(decision(context, params.regime, 'regime', context.lastReason));
    }),
    /** The regime left: every enabled member is disabled with a reason that names the regime. */
    disableAll: enqueueActions(({ context, enqueue }, params: { left: Regime }) => {
      const enabled: Record<string, boolean> = {};
      // the strategy's exit detail reads "regime left: <this reason>"
      const reason = `${params.left} → DISABLED: ${context.lastReason}`;
      for (const m of context.members) {
        enabled[m.strategy] = false;
        if (context.enabled[m.strategy]) {
          enqueue.sendTo(m.strategy, { type: 'DISABLE', reason });
          enqueue.emit(
            decision(context, 'DISABLED', 'gate', `regime left ${reason}`, {
              action: 'DISABLE',
              strategy: m.strategy,
            }),
          );
        }
      }
      enqueue.assign({ enabled });
    }),
    /**
     * Enables every member of the family that is not enabled yet and not locked out. On entering the
     * regime's active state that is the whole family (less any locked-out member); on a later tick it is
     * a member an operator re-enabled meanwhile.
     */
    enableFamily: enqueueActions(
      ({ context, enqueue }, params: { family: Family; regime: Regime; why?: string }) => {
        const enabled = { ...context.enabled };
        for (const m of membersOf(context, params.family)) {
          if (enabled[m.strategy] || isLockedOut(context, m.strategy)) continue;
          enabled[m.strategy] = true;
          enqueue.sendTo(m.strategy, { type: 'ENABLE' });
          enqueue.emit(
            decision(context, params.regime, 'gate', `${params.why ?? ''}${context.lastReason}`, {
              action: 'ENABLE',
              strategy: m.strategy,
            }),
          );
        }
        enqueue.assign({ enabled });
      },
    ),
    grantLease: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'ACQUIRE_LEASE');
      enqueue.assign({ lease: event.strategy });
      enqueue.emit(
        decision(context, context.candidate, 'lease', 'lease free and strategy enabled', {
          action: 'GRANT',
          strategy: event.strategy,
        }),
      );
    }),
    denyLease: emit(({ context, event }) => {
      assertEvent(event, 'ACQUIRE_LEASE');
      const strategy = event.strategy;
      const why =
        context.lease !== null && context.lease !== strategy
          ? `lease held by ${context.lease}`
          : `strategy ${strategy} not enabled`;
      return decision(context, context.candidate, 'lease', why, { action: 'DENY', strategy });
    }),
    releaseLease: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'RELEASE_LEASE');
      enqueue.assign({ lease: null });
      enqueue.emit(
        decision(context, context.candidate, 'lease', 'position flat', {
          action: 'RELEASE',
          strategy: event.strategy,
        }),
      );
    }),
    /**
     * The tick's market, forwarded to each member that has an input in it and is not DISABLED (the regime
     * owns its children; a DISABLED strategy evaluates nothing).
     */
    forwardMarket: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'MARKET');
      for (const m of context.members) {
        if (!Object.hasOwn(event.markets, m.strategy)) continue;
        // a member that reported DISABLED evaluates nothing (its actor ignores a MARKET there): not sent
        if (context.memberStates[m.strategy] === 'DISABLED') continue;
        enqueue.sendTo(m.strategy, {
          type: 'MARKET',
          time: event.time,
          version: event.version,
          market: event.markets[m.strategy],
          healthy: event.healthy,
          stale: event.stale,
        });
      }
    }),
    /** Forwarded to the strategy (it clears its lock-out); the controller clears its own record of it. */
    forwardOperatorEnable: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'OPERATOR_ENABLE');
      if (!context.members.some((m) => m.strategy === event.strategy)) return;
      enqueue.sendTo(event.strategy, { type: 'OPERATOR_ENABLE' });
      enqueue.assign({ lockedOut: { ...context.lockedOut, [event.strategy]: false } });
    }),
  },
}).createMachine({
  id: 'regime',
  context: ({ input }) => ({
    coin: input.coin,
    members: input.members,
    thresholds: input.thresholds,
    timings: input.timings,
    candidate: 'DISABLED',
    streak: 0,
    lastReason: 'start',
    lastInputs: NULL_INPUTS,
    time: 0,
    version: 0,
    memberStates: Object.fromEntries(input.members.map((m) => [m.strategy, 'DISABLED'])),
    enabled: Object.fromEntries(input.members.map((m) => [m.strategy, false])),
    lockedOut: {},
    regime: 'DISABLED',
    lease: null,
  }),
  entry: 'spawnMembers',
  initial: 'DISABLED',
  on: {
    MEMBER_STATE: { actions: 'recordMember' },
    ACQUIRE_LEASE: [{ guard: 'leaseGrantable', actions: 'grantLease' }, { actions: 'denyLease' }],
    RELEASE_LEASE: { guard: 'isLeaseHolder', actions: 'releaseLease' },
    OPERATOR_ENABLE: { actions: 'forwardOperatorEnable' },
    MARKET: { actions: 'forwardMarket' },
  },
  states: {
    DISABLED: {
      // nothing is enabled here: the transitions into DISABLED disable every member, naming the regime left
      entry: { type: 'announceRegime', params: { regime: 'DISABLED' } },
      on: {
        TICK: [
          { guard: 'confirmsSideways', target: 'SIDEWAYS', actions: 'recordTick' },
          { guard: 'confirmsExpansion', target: 'EXPANSION', actions: 'recordTick' },
          { actions: 'recordTick' },
        ],
      },
    },
    SIDEWAYS: {
      entry: { type: 'announceRegime', params: { regime: 'SIDEWAYS' } },
      on: {
        TICK: [
          { guard: 'stillSideways', actions: 'recordTick' },
          {
            target: 'DISABLED',
            actions: ['recordTick', { type: 'disableAll', params: { left: 'SIDEWAYS' } }],
          },
        ],
      },
      initial: 'waitingFamily',
      states: {
        // the other family must be fully DISABLED (after any emergency exit) before this one is enabled
        waitingFamily: { always: { guard: 'effcsAllDisabled', target: 'active' } },
        active: {
          entry: { type: 'enableFamily', params: { family: 'SLBRS', regime: 'SIDEWAYS' } },
          on: {
            // each tick the regime holds: a member an operator re-enabled meanwhile (no longer locked out)
            // is enabled now; everyone else already is, so this sends nothing
            TICK: {
              guard: 'stillSideways',
              actions: [
                'recordTick',
                {
                  type: 'enableFamily',
                  params: {
                    family: 'SLBRS',
                    regime: 'SIDEWAYS',
                    why: 'enabled again (operator re-enable or reset: not locked out): ',
                  },
                },
              ],
            },
          },
        },
      },
    },
    EXPANSION: {
      entry: { type: 'announceRegime', params: { regime: 'EXPANSION' } },
      on: {
        TICK: [
          { guard: 'stillExpansion', actions: 'recordTick' },
          {
            target: 'DISABLED',
            actions: ['recordTick', { type: 'disableAll', params: { left: 'EXPANSION' } }],
          },
        ],
      },
      initial: 'waitingFamily',
      states: {
        waitingFamily: { always: { guard: 'slbrsAllDisabled', target: 'active' } },
        active: {
          entry: { type: 'enableFamily', params: { family: 'EFFCS', regime: 'EXPANSION' } },
          on: {
            // each tick the regime holds: a member an operator re-enabled meanwhile (no longer locked out)
            // is enabled now; everyone else already is, so this sends nothing
            TICK: {
              guard: 'stillExpansion',
              actions: [
                'recordTick',
                {
                  type: 'enableFamily',
                  params: {
                    family: 'EFFCS',
                    regime: 'EXPANSION',
                    why: 'enabled again (operator re-enable or reset: not locked out): ',
                  },
                },
              ],
            },
          },
        },
      },
    },
  },
});
