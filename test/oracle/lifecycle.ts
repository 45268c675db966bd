/**
 * The RULEBOOK's strategy lifecycle ("Strategy lifecycle (all strategies)") written as DATA, as an
 * independent oracle for the strategy machine's generated path tests.
 *
 * Written from the RULEBOOK text, not from `machines/strategy.machine.ts`: every row below cites the
 * table row or sentence it comes from. Where the RULEBOOK leaves a detail to the implementation (intent
 * ids, the entry's answer timeout, the exit retry), the row says so ("protocol" / "design").
 *
 * Phases: the RULEBOOK's six states, with ARMED split the way the RULEBOOK splits it: `ARMED` (no
 * order in flight: "watching") and `ARMED+order` (its entry order in flight: "entering").
 *
 * MARKET (design: the regime controller forwards each control tick's market to its strategies, and
 * the strategy's rules are evaluated on it): in DISABLED nothing at all happens (a DISABLED strategy
 * evaluates nothing; not even an "ignored" line). In any other phase the oracle evaluates the
 * strategy's rules itself (the same rules the actor is given, called with the RULEBOOK phase and the
 * setup frozen at arming) and the MARKET then means exactly what a TICK with that verdict means; rules
 * that throw are a strategy exception (STRATEGY_ERROR) and the error is emitted.
 */
import { expect } from 'vitest';
import type { EventObject } from 'xstate';
import type { OracleVerdict, PathOracle, TimerEvent } from '../kit/machine-paths.ts';
import type { SetupInfo, StrategyEval, StrategyRules } from '../../machines/strategy.types.ts';

export type Phase = 'DISABLED' | 'SCANNING' | 'ARMED' | 'ARMED+order' | 'ENTERED' | 'EXITED' | 'COOLDOWN';

/** What an incoming event is, for the table (TICKs split by the strategy's verdict). */
export type Trigger =
  | 'ENABLE'
  | 'DISABLE'
  | 'RESET'
  | 'OPERATOR_ENABLE'
  | 'STRATEGY_ERROR'
  | 'TICK'
  | 'ENTRY_FILLED'
  | 'ENTRY_REJECTED'
  | 'EXIT_FILLED'
  // a forwarded market (only DISABLED has a row: elsewhere it is read as the TICK or exception it becomes)
  | 'MARKET'
  // timers
  | 'armTimeout'
  | 'entryTimeout'
  | 'maxHold'
  | 'exitRetry'
  | 'cooldown';

/** Conditions a row needs (all must hold); omitted = don't care. */
export interface When {
  /** TICK: the setup condition is true on this tick. */
  setup?: boolean;
  /** TICK: the trigger condition is true on this tick. */
  trigger?: boolean;
  /** TICK while ENTERED: an exit condition (target, stop, invalidation) holds. */
  exit?: boolean;
  /** The answer is about the intent this strategy is waiting for. */
  pending?: boolean;
  lockedOut?: boolean;
  /** The controller's last gate was ENABLE (and no lock-out). */
  stillEnabled?: boolean;
  resetPending?: boolean;
}

/** What a row emits. `exit` emits the exit intent; its reason comes from the event. */
export type Emit = 'entry' | 'exit' | 'ignored' | 'resetNoop' | 'alarm';

/**
 * Issue 20 (defect 8): "one alarm per state change plus a periodic reminder" — the first re-send of an
 * unfilled exit alarms, then one alarm a minute. The path tests re-send every 2 000 ms.
 */
const ORACLE_EXIT_RETRY_MS = 2_000;
const ORACLE_REMINDER_MS = 60_000;
function alarmDue(attempt: number): boolean {
  const elapsed = (n: number) => Math.floor((n * ORACLE_EXIT_RETRY_MS) / ORACLE_REMINDER_MS);
  return attempt === 1 || elapsed(attempt) > elapsed(attempt - 1);
}

export interface Row {
  from: Phase | '*';
  on: Trigger;
  when?: When;
  /** `same` = no state change (a self-transition without leaving the state). */
  to: Phase | 'same';
  /** Model flags the row sets. */
  set?: Partial<Pick<Model, 'enabled' | 'lockedOut' | 'resetPending'>>;
  /** Freeze the tick's setup (side, stop, target, edge) at arming. */
  freeze?: boolean;
  emit?: Emit[];
  /** Where the row comes from. */
  source: string;
}

const ERR = 'exception (RULEBOOK: "A strategy exception ... goes to DISABLED ... and is locked out")';

/** The table. The first row whose `from`, `on` and `when` match decides; none → ignored and logged. */
export const LIFECYCLE: readonly Row[] = [
  // ── any state
  {
    from: '*',
    on: 'OPERATOR_ENABLE',
    to: 'same',
    set: { lockedOut: false },
    source: 'An operator re-enable clears the lock-out',
  },

  // ── DISABLED
  {
    from: 'DISABLED',
    on: 'ENABLE',
    when: { lockedOut: false },
    to: 'SCANNING',
    set: { enabled: true },
    source: 'DISABLED | ENABLE from the controller | SCANNING',
  },
  { from: 'DISABLED', on: 'DISABLE', to: 'same', source: 'DISABLED | DISABLE | DISABLED' },
  {
    from: 'DISABLED',
    on: 'MARKET',
    to: 'same',
    source:
      'design: a DISABLED strategy evaluates nothing: a forwarded market is dropped (no "ignored" line)',
  },
  {
    from: 'DISABLED',
    on: 'RESET',
    to: 'same',
    emit: ['resetNoop'],
    source: 'a RESET while DISABLED is a no-op, logged as such',
  },

  // ── SCANNING
  {
    from: 'SCANNING',
    on: 'TICK',
    when: { setup: true },
    to: 'ARMED',
    freeze: true,
    source: 'SCANNING | setup condition true | ARMED (the setup ... frozen)',
  },
  { from: 'SCANNING', on: 'TICK', to: 'same', source: 'SCANNING: no setup, keep scanning' },
  { from: 'SCANNING', on: 'DISABLE', to: 'DISABLED', source: 'SCANNING | DISABLE | DISABLED' },
  { from: 'SCANNING', on: 'RESET', to: 'DISABLED', source: 'any | RESET | DISABLED (no position)' },
  { from: 'SCANNING', on: 'STRATEGY_ERROR', to: 'DISABLED', set: { lockedOut: true }, source: ERR },

  // ── ARMED, no order in flight
  {
    from: 'ARMED',
    on: 'TICK',
    when: { setup: false },
    to: 'SCANNING',
    source: 'ARMED | setup gone | SCANNING',
  },
  {
    from: 'ARMED',
    on: 'TICK',
    when: { setup: true, trigger: true },
    to: 'ARMED+order',
    emit: ['entry'],
    source: 'ARMED | trigger condition true (and entry intent accepted) | ENTERED',
  },
  {
    from: 'ARMED',
    on: 'TICK',
    to: 'same',
    source: 'ARMED: setup holds, no trigger yet (the frozen setup is kept)',
  },
  { from: 'ARMED', on: 'armTimeout', to: 'SCANNING', source: 'ARMED | armTimeout | SCANNING' },
  { from: 'ARMED', on: 'DISABLE', to: 'DISABLED', source: 'ARMED (no order in flight) | DISABLE | DISABLED' },
  { from: 'ARMED', on: 'RESET', to: 'DISABLED', source: 'any | RESET | DISABLED (no position)' },
  { from: 'ARMED', on: 'STRATEGY_ERROR', to: 'DISABLED', set: { lockedOut: true }, source: ERR },

  // ── ARMED, its entry order in flight
  {
    from: 'ARMED+order',
    on: 'ENTRY_FILLED',
    when: { pending: true },
    to: 'ENTERED',
    source: '(and entry intent accepted) → ENTERED',
  },
  {
    from: 'ARMED+order',
    on: 'ENTRY_REJECTED',
    when: { pending: true },
    to: 'SCANNING',
    source: 'entry not accepted: nothing open, back to SCANNING',
  },
  {
    from: 'ARMED+order',
    on: 'entryTimeout',
    to: 'EXITED',
    emit: ['exit'],
    source:
      'design: no answer within entryTimeout: the order is still in flight, so as "ARMED with its entry order in flight" → EXITED (any fill closed at market)',
  },
  { from: 'ARMED+order', on: 'TICK', to: 'same', source: 'waiting for the entry verdict' },
  {
    from: 'ARMED+order',
    on: 'DISABLE',
    to: 'EXITED',
    emit: ['exit'],
    set: { enabled: false },
    source: 'ARMED with its entry order in flight | DISABLE | EXITED',
  },
  {
    from: 'ARMED+order',
    on: 'RESET',
    to: 'EXITED',
    emit: ['exit'],
    set: { enabled: false, resetPending: true },
    source: 'ARMED with its entry order in flight | RESET | EXITED; RESET: no cooldown',
  },
  {
    from: 'ARMED+order',
    on: 'STRATEGY_ERROR',
    to: 'EXITED',
    emit: ['exit'],
    set: { enabled: false, lockedOut: true },
    source: 'ARMED with its entry order in flight | exception | EXITED',
  },

  // ── ENTERED
  {
    from: 'ENTERED',
    on: 'TICK',
    when: { exit: true },
    to: 'EXITED',
    emit: ['exit'],
    source: 'ENTERED | target, stop, invalidation | EXITED',
  },
  { from: 'ENTERED', on: 'TICK', to: 'same', source: 'ENTERED: holding' },
  { from: 'ENTERED', on: 'maxHold', to: 'EXITED', emit: ['exit'], source: 'ENTERED | maxHold | EXITED' },
  {
    from: 'ENTERED',
    on: 'DISABLE',
    to: 'EXITED',
    emit: ['exit'],
    set: { enabled: false },
    source: 'ENTERED | DISABLE | EXITED (emergency exit at market), then DISABLED after COOLDOWN',
  },
  {
    from: 'ENTERED',
    on: 'RESET',
    to: 'EXITED',
    emit: ['exit'],
    set: { enabled: false, resetPending: true },
    source: 'any | RESET | DISABLED, after an emergency exit (no cooldown)',
  },
  {
    from: 'ENTERED',
    on: 'STRATEGY_ERROR',
    to: 'EXITED',
    emit: ['exit'],
    set: { enabled: false, lockedOut: true },
    source: 'exception: EXITED → COOLDOWN → DISABLED, locked out',
  },

  // ── EXITED
  {
    from: 'EXITED',
    on: 'EXIT_FILLED',
    when: { pending: true, resetPending: true },
    to: 'DISABLED',
    source: 'RESET: DISABLED after the emergency exit (no cooldown)',
  },
  {
    from: 'EXITED',
    on: 'EXIT_FILLED',
    when: { pending: true },
    to: 'COOLDOWN',
    source: 'EXITED | exit fill confirmed | COOLDOWN',
  },
  {
    from: 'EXITED',
    on: 'exitRetry',
    to: 'EXITED',
    emit: ['alarm', 'exit'],
    source: 'RISK: if the close does not fill, retry and alarm',
  },
  { from: 'EXITED', on: 'TICK', to: 'same', source: 'EXITED: waiting for the exit fill' },
  {
    from: 'EXITED',
    on: 'ENABLE',
    when: { lockedOut: false },
    to: 'same',
    set: { enabled: true },
    source: 'the controller gate is remembered for "COOLDOWN elapsed, still enabled"',
  },
  {
    from: 'EXITED',
    on: 'DISABLE',
    to: 'same',
    set: { enabled: false },
    source: 'EXITED | DISABLE | stays EXITED until the exit fills, then DISABLED after COOLDOWN',
  },
  {
    from: 'EXITED',
    on: 'RESET',
    to: 'same',
    set: { enabled: false, resetPending: true },
    source: 'RESET: DISABLED after the exit fills (no cooldown)',
  },
  { from: 'EXITED', on: 'STRATEGY_ERROR', to: 'same', set: { enabled: false, lockedOut: true }, source: ERR },

  // ── COOLDOWN
  {
    from: 'COOLDOWN',
    on: 'cooldown',
    when: { stillEnabled: true },
    to: 'SCANNING',
    source: 'COOLDOWN | cooldown elapsed, still enabled | SCANNING',
  },
  {
    from: 'COOLDOWN',
    on: 'cooldown',
    to: 'DISABLED',
    source: 'COOLDOWN | cooldown elapsed, disabled meanwhile | DISABLED',
  },
  { from: 'COOLDOWN', on: 'TICK', to: 'same', source: 'COOLDOWN: waiting' },
  {
    from: 'COOLDOWN',
    on: 'ENABLE',
    when: { lockedOut: false },
    to: 'same',
    set: { enabled: true },
    source: 'the controller gate is remembered for "still enabled"',
  },
  { from: 'COOLDOWN', on: 'DISABLE', to: 'DISABLED', source: 'COOLDOWN | DISABLE | DISABLED' },
  { from: 'COOLDOWN', on: 'RESET', to: 'DISABLED', source: 'any | RESET | DISABLED (no position)' },
  { from: 'COOLDOWN', on: 'STRATEGY_ERROR', to: 'DISABLED', set: { lockedOut: true }, source: ERR },
];

/** The oracle's own state. */
export interface Model {
  phase: Phase;
  enabled: boolean;
  lockedOut: boolean;
  resetPending: boolean;
  /** The setup frozen at arming. */
  setup: SetupInfo | null;
  /** Protocol: intents are numbered `strategy:coin:n`, n counting every intent sent. */
  seq: number;
  pending: string | null;
  exitAttempts: number;
  /** The exit being sent; `detail` (when the rules state one) is what the intent's detail must match. */
  lastExit: { reason: string; detail?: unknown } | null;
}

export interface LifecycleOracleInput {
  strategy: string;
  coin: string;
  /**
   * The strategy's rules, the same function the actor is given (a strategy definition, not machine
   * code): MARKET events are evaluated with it. Absent: the actor takes TICK verdicts only, and a MARKET
   * does nothing in any phase.
   */
  rules?: StrategyRules;
}

/** The phase the rules are told (RULEBOOK states: ARMED with or without its order in flight is ARMED). */
const RULES_PHASE: Record<Exclude<Phase, 'DISABLED'>, Parameters<StrategyRules>[1]> = {
  SCANNING: 'SCANNING',
  ARMED: 'ARMED',
  'ARMED+order': 'ARMED',
  ENTERED: 'ENTERED',
  EXITED: 'EXITED',
  COOLDOWN: 'COOLDOWN',
};

interface Market {
  type: 'MARKET';
  time: number;
  version: number;
  market: unknown;
  healthy: boolean;
  stale: boolean;
}

/**
 * What an event amounts to in the table: itself, or for a MARKET outside DISABLED the TICK (the rules'
 * verdict) or STRATEGY_ERROR (the rules threw) it becomes, with what the MARKET emits itself (the
 * error) and its coverage key. `null`: a MARKET with no rules to evaluate (nothing happens).
 */
interface Read {
  event: EventObject;
  emitted: Record<string, unknown>[];
  key: string | null;
}

function read(m: Model, event: EventObject, rules: StrategyRules | undefined): Read | null {
  if (event.type !== 'MARKET' || m.phase === 'DISABLED') return { event, emitted: [], key: null };
  if (!rules) return null;
  const e = event as unknown as Market;
  let verdict: StrategyEval;
  try {
    verdict = rules(e.market, RULES_PHASE[m.phase], m.setup, { healthy: e.healthy, stale: e.stale });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      event: { type: 'STRATEGY_ERROR', message } as EventObject,
      emitted: [{ type: 'error', message }],
      key: marketKey(m.phase, true),
    };
  }
  return {
    event: { type: 'TICK', time: e.time, version: e.version, eval: verdict } as EventObject,
    emitted: [],
    key: marketKey(m.phase, false),
  };
}

function marketKey(phase: Phase, threw: boolean): string {
  return threw
    ? `market: ${phase} --rules throw--> as STRATEGY_ERROR, error emitted`
    : `market: ${phase} --verdict--> as TICK with it`;
}

/** The MARKET keys the paths must reach when the oracle has rules: both outcomes in every live phase. */
export function marketRules(): string[] {
  return PHASES.filter((p) => p !== 'DISABLED').flatMap((p) => [marketKey(p, false), marketKey(p, true)]);
}

/** How the machine names the phases (the only place the oracle knows the machine's state names). */
const VALUE: Record<Phase, unknown> = {
  DISABLED: 'DISABLED',
  SCANNING: 'SCANNING',
  ARMED: { ARMED: 'watching' },
  'ARMED+order': { ARMED: 'entering' },
  ENTERED: 'ENTERED',
  EXITED: 'EXITED',
  COOLDOWN: 'COOLDOWN',
};

interface Tick {
  type: 'TICK';
  eval: {
    setup: SetupInfo | null;
    trigger: boolean;
    exit: { reason: string; detail: string } | null;
    sizeFraction: number;
  };
}

function classify(event: EventObject, timer: TimerEvent | null): Trigger | null {
  if (timer) return timer.delay as Trigger;
  return event.type as Trigger;
}

function holds(w: When | undefined, m: Model, event: EventObject): boolean {
  if (!w) return true;
  const tick = event.type === 'TICK' ? (event as unknown as Tick) : null;
  const id = (event as { intentId?: string }).intentId;
  if (w.setup !== undefined && (tick?.eval.setup != null) !== w.setup) return false;
  if (w.trigger !== undefined && (tick?.eval.trigger === true) !== w.trigger) return false;
  if (w.exit !== undefined && (tick?.eval.exit != null) !== w.exit) return false;
  if (w.pending !== undefined && (id !== undefined && id === m.pending) !== w.pending) return false;
  if (w.lockedOut !== undefined && m.lockedOut !== w.lockedOut) return false;
  if (w.stillEnabled !== undefined && (m.enabled && !m.lockedOut) !== w.stillEnabled) return false;
  if (w.resetPending !== undefined && m.resetPending !== w.resetPending) return false;
  return true;
}

/** The row that decides, or null (= ignored and logged). */
export function lookup(m: Model, event: EventObject, timer: TimerEvent | null): Row | null {
  const on = classify(event, timer);
  for (const r of LIFECYCLE) {
    if (r.on !== on) continue;
    if (r.from !== '*' && r.from !== m.phase) continue;
    if (holds(r.when, m, event)) return r;
  }
  return null;
}

/** Why an exit is sent, from the event that caused it (RULEBOOK: reasons of ENTERED → EXITED). */
function exitReason(m: Model, event: EventObject, trigger: Trigger): { reason: string; detail?: unknown } {
  if (trigger === 'exitRetry') return m.lastExit ?? { reason: 'operator' };
  if (trigger === 'maxHold') return { reason: 'maxHold' };
  if (trigger === 'entryTimeout')
    return { reason: 'invalidation', detail: expect.stringMatching(/unanswered/) };
  if (event.type === 'TICK') return { ...(event as unknown as Tick).eval.exit! };
  if (event.type === 'DISABLE') {
    // "An exit caused by the regime leaving the strategy's regime is an invalidation whose reason names the regime"
    const e = event as { reason?: string; regime?: string };
    const named = [e.regime, e.reason].filter((x): x is string => typeof x === 'string');
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return {
      reason: 'invalidation',
      detail: named.length ? expect.stringMatching(new RegExp(named.map(esc).join('.*'))) : undefined,
    };
  }
  if (event.type === 'RESET') return { reason: 'reset' };
  if (event.type === 'STRATEGY_ERROR') return { reason: 'exception' };
  return { reason: 'operator' };
}

/** Coverage key of a table row, per phase for the rows that apply in any phase. */
export function rowKey(row: Row, phase: Phase): string {
  const i = LIFECYCLE.indexOf(row);
  return `row ${i}: ${row.from === '*' ? `${phase} (any)` : row.from} --${row.on}${row.when ? ` ${JSON.stringify(row.when)}` : ''}--> ${row.to}`;
}

const PHASES: readonly Phase[] = [
  'DISABLED',
  'SCANNING',
  'ARMED',
  'ARMED+order',
  'ENTERED',
  'EXITED',
  'COOLDOWN',
];

/** Every row key the paths must reach. */
export function lifecycleRules(): string[] {
  return LIFECYCLE.flatMap((r) => (r.from === '*' ? PHASES.map((p) => rowKey(r, p)) : [rowKey(r, r.from)]));
}

function eventLabel(event: EventObject): string {
  return JSON.stringify(event);
}

export function lifecycleOracle(io: LifecycleOracleInput): PathOracle<Model> {
  const id = (n: number) => `${io.strategy}:${io.coin}:${n}`;
  const verdict = (m: Model, emitted: Record<string, unknown>[]): OracleVerdict => ({
    value: VALUE[m.phase],
    emitted,
    context: {
      enabled: m.enabled,
      lockedOut: m.lockedOut,
      resetPending: m.resetPending,
      pendingIntentId: m.pending,
      setup: m.setup,
    },
  });
  return {
    rules: () => [...lifecycleRules(), ...(io.rules ? marketRules() : [])],
    keys: (m, event, timer) => {
      const flags = `${m.enabled ? 'E' : '-'}${m.lockedOut ? 'L' : '-'}${m.resetPending ? 'R' : '-'}`;
      // every event in every oracle state (phase and flags), so a rule the machine lacks still gets walked
      const pair = `pair: ${m.phase} ${flags} ${m.setup ? `setup ${m.setup.ref}` : ''} ${eventLabel(event)}`;
      const r = read(m, event, io.rules);
      if (!r) return [`market without rules: ${m.phase}`, pair];
      const row = lookup(m, r.event, timer);
      return [
        row ? rowKey(row, m.phase) : `ignored: ${m.phase} --${r.event.type}`,
        ...(r.key ? [r.key] : []),
        pair,
      ];
    },
    initial: () => {
      const model: Model = {
        phase: 'DISABLED',
        enabled: false,
        lockedOut: false,
        resetPending: false,
        setup: null,
        seq: 0,
        pending: null,
        exitAttempts: 0,
        lastExit: null,
      };
      return { model, verdict: verdict(model, []) };
    },
    step: (prev, original, timer) => {
      const m: Model = { ...prev };
      const r = read(prev, original, io.rules);
      if (!r) return { model: m, verdict: verdict(m, []) };
      // from here on a MARKET is the TICK or STRATEGY_ERROR it became
      const event = r.event;
      const row = lookup(prev, event, timer);
      const trigger = classify(event, timer)!;
      if (!row) {
        // "Any other event in any state is ignored and logged"
        return { model: m, verdict: verdict(m, [...r.emitted, { type: 'ignored', event: event.type }]) };
      }
      const emitted: Record<string, unknown>[] = [...r.emitted];
      Object.assign(m, row.set ?? {});
      if (row.freeze) m.setup = (event as unknown as Tick).eval.setup;
      for (const e of row.emit ?? []) {
        if (e === 'ignored') emitted.push({ type: 'ignored', event: event.type });
        if (e === 'resetNoop')
          emitted.push({
            type: 'ignored',
            event: 'RESET',
            note: expect.stringMatching(/RESET while DISABLED: no-op/),
          });
        if (e === 'alarm') {
          m.exitAttempts += 1;
          if (alarmDue(m.exitAttempts)) emitted.push({ type: 'alarm', attempt: m.exitAttempts });
        }
        if (e === 'entry') {
          // "Intent: ... stop, target" of the setup frozen at arming
          const s = m.setup!;
          const tick = event as unknown as Tick;
          emitted.push({
            type: 'intent',
            intent: {
              kind: 'entry',
              id: id(m.seq),
              side: s.side,
              stop: s.stop,
              target: s.target,
              sizeFraction: tick.eval.sizeFraction,
            },
          });
          m.pending = id(m.seq);
          m.seq += 1;
        }
        if (e === 'exit') {
          if (trigger !== 'exitRetry') {
            m.exitAttempts = 0;
            const why = exitReason(prev, event, trigger);
            m.lastExit = { reason: why.reason, ...(why.detail !== undefined ? { detail: why.detail } : {}) };
          }
          const last = m.lastExit!;
          const intent: Record<string, unknown> = {
            kind: 'exit',
            id: id(m.seq),
            atMarket: true,
            // RISK: invalidations and emergency exits close at market at once; target/stop are the plan
            emergency: last.reason !== 'target' && last.reason !== 'stop',
            reason: last.reason,
            attempt: m.exitAttempts,
          };
          if (last.detail !== undefined) intent.detail = last.detail;
          emitted.push({ type: 'intent', intent });
          m.pending = id(m.seq);
          m.seq += 1;
        }
      }
      const to = row.to === 'same' ? prev.phase : row.to;
      // answers that close a wait clear it
      if (row.on === 'ENTRY_FILLED' || row.on === 'ENTRY_REJECTED' || row.on === 'EXIT_FILLED')
        m.pending = null;
      if (row.to !== 'same' && to !== prev.phase) {
        // entering a phase
        if (to === 'DISABLED') {
          m.enabled = false;
          m.resetPending = false;
          m.setup = null;
        }
        if (to === 'SCANNING') m.setup = null;
      }
      m.phase = to;
      return { model: m, verdict: verdict(m, emitted) };
    },
  };
}
