/**
 * Machine test kit: model-based path tests for our XState v5 machines.
 *
 * `@xstate/test` only works with XState v4; on v5 the same idea lives in `xstate/graph`. This kit
 *  1. traverses the PRODUCTION machine (with fake invoked actors provided via `machine.provide`) with
 *     `getShortestPaths` (a path to every reachable state) and `getAdjacencyMap` (every edge, self-loops
 *     included: for each edge that takes a transition no path took yet, the shortest path to its source
 *     plus that edge), over the given events plus one synthetic event per `after` transition (v5's
 *     `xstate.after.<delay>.<stateId>`) so timeouts are part of the model;
 *  2. computes coverage itself (v5 has no coverage API): every state node and every transition
 *     definition (event transitions, `after`, invoke done/error, `always`; the root's own `on` and
 *     `after` included) must be taken by some path;
 *  3. drives a real actor (`createActor(machine, { clock: ManualClock })`) along every selected path:
 *     plain events are sent, `after` steps advance the simulated clock by the resolved delay when that
 *     timer is the next one due (else the scheduled event is delivered directly, which is what the
 *     scheduler would do), and after each step the actor's state value must equal the expected one.
 *
 * The expected state: with an `oracle` (an independent statement of the rules, e.g. the RULEBOOK's
 * table written as data in `test/oracle/`), the machine under test only chooses WHICH event sequences
 * are walked; at every step the oracle, fed the same events, says what the state value, the emitted
 * events (matched as a multiset of partial objects: every actual emitted event must be expected, and
 * every expected one must have been emitted) and optionally some context fields must be. Without an
 * oracle the kit falls back to the traversal's own snapshot (the machine compared with itself: only
 * a check that the actor and the graph traversal agree, not that the rules are right).
 *
 * `after` events are offered to the traversal only while their source state is active (a timer can
 * only fire then). The traversal runs the machine as a live actor would (`asLiveActor`: an action's
 * `self.getSnapshot()` is the snapshot the event is applied to).
 *
 * Unbounded context makes the state space infinite: always pass `serializeState` over bounded fields
 * and a `limit`.
 */
import {
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type AnyStateNode,
  createActor,
  type EventObject,
} from 'xstate';
import { getAdjacencyMap, getShortestPaths, getStateNodes } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../state/clock.ts';

export interface PathStep {
  event: EventObject;
  state: AnyMachineSnapshot;
}

export interface MachinePath {
  description: string;
  steps: PathStep[];
}

/** What an oracle expects after one step (or at the start). */
export interface OracleVerdict {
  /** The expected state value (compared with `toEqual`). */
  value: unknown;
  /** The expected emitted events, each a partial object (`toMatchObject`); order is not significant. */
  emitted: Record<string, unknown>[];
  /** Expected context fields (partial, `toMatchObject`), if the oracle states any. */
  context?: Record<string, unknown>;
  /**
   * Expected context fields (partial) of child actors, by id: what the machine sent them shows there
   * when the test provides recording children (e.g. the regime controller's forwarded MARKETs).
   */
  children?: Record<string, Record<string, unknown>>;
}

/** A `xstate.after.<delay>.<state id>` event, decoded for an oracle. */
export interface TimerEvent {
  delay: string;
  source: string;
}

/**
 * An independent model of the rules. It must be written from the specification, never derived from
 * the machine under test: the kit feeds it the same events as the actor and compares.
 */
export interface PathOracle<M = unknown> {
  initial(input: unknown): { model: M; verdict: OracleVerdict };
  /** `timer` is set when `event` is an `after` event (its delay name and source state id). */
  step(model: M, event: EventObject, timer: TimerEvent | null): { model: M; verdict: OracleVerdict };
  /**
   * Coverage keys of one step in the ORACLE's terms (e.g. the table row that decides, and the
   * oracle-state × event pair). Path selection then also takes every edge that reaches a key no
   * selected path reached yet: a rule the machine lacks has no machine transition to cover, but its
   * oracle row still gets a path, and the comparison fails there.
   */
  keys?(model: M, event: EventObject, timer: TimerEvent | null): string[];
  /** The keys that must all be reached (the table's rows); the coverage test asserts it. */
  rules?(): string[];
}

export interface PathTestOptions {
  /** The production machine, with test implementations for invoked actors provided. */
  machine: AnyStateMachine;
  /** Candidate events (without `after` events: the kit adds those). */
  events: readonly EventObject[] | ((snapshot: AnyMachineSnapshot) => readonly EventObject[]);
  /** Serialise a snapshot over bounded fields (default: state value + JSON of context). */
  serializeState?: (snapshot: AnyMachineSnapshot) => string;
  input?: unknown;
  /** Traversal limit (number of adjacency expansions). */
  limit?: number;
  /** Start time of the simulated clock. */
  startTime?: number;
  /** Transition keys (as reported by `transitionKeys`) that are deliberately unreachable, with the reason. */
  unreachable?: Record<string, string>;
  /** Extra assertion after every step of a driven path. */
  check?: (actual: AnyMachineSnapshot, expected: AnyMachineSnapshot, step: PathStep) => void;
  /** The independent oracle the driven paths are checked against (state value, emitted events). */
  oracle?: PathOracle<any>;
  /** Oracle rules (as listed by `oracle.rules()`) deliberately not reachable with these events, with why. */
  unreachableRules?: Record<string, string>;
}

export interface Coverage {
  states: { all: string[]; covered: Set<string> };
  transitions: { all: string[]; covered: Set<string> };
  /** With an oracle that lists its rules: the rules the selected paths reach. */
  rules?: { all: string[]; covered: Set<string> };
}

const AFTER_PREFIX = 'xstate.after.';

/** Stable key of a transition definition: `<source id> --<event>[#index]--> <targets>`. */
function transitionKey(t: any, index: number): string {
  const targets = (t.target ?? []).map((n: AnyStateNode) => n.id).join(',') || '(self)';
  const ev = t.eventType === '' || t.eventType === undefined ? '(always)' : t.eventType;
  return `${t.source.id} --${ev}#${index}--> ${targets}`;
}

/**
 * Every state node of the machine, the root included: `getStateNodes(root)` lists only its
 * descendants, and the root's own `on` (a machine-wide transition, `'*'` included) and `after` are
 * transitions like any other.
 */
export function allStateNodes(machine: AnyStateMachine): AnyStateNode[] {
  return [machine.root, ...(getStateNodes(machine.root) as AnyStateNode[])];
}

/** Every transition definition of the machine (the root's own included), keyed. */
export function allTransitions(machine: AnyStateMachine): Map<string, any> {
  const out = new Map<string, any>();
  for (const node of allStateNodes(machine)) {
    for (const [, defs] of node.transitions as Map<string, any[]>) {
      defs.forEach((t, i) => {
        out.set(transitionKey(t, i), t);
      });
    }
    (node.always ?? []).forEach((t: any, i: number) => {
      out.set(transitionKey(t, i), t);
    });
  }
  return out;
}

export function transitionKeys(machine: AnyStateMachine): string[] {
  return [...allTransitions(machine).keys()].sort();
}

/** Decode `xstate.after.<delay>.<state id>` (the state id may itself contain dots). */
export function decodeAfter(machine: AnyStateMachine, eventType: string): TimerEvent | null {
  if (!eventType.startsWith(AFTER_PREFIX)) return null;
  for (const node of allStateNodes(machine)) {
    for (const a of node.after as any[]) {
      if (a.eventType === eventType) return { delay: String(a.delay), source: node.id };
    }
  }
  return null;
}

/** One synthetic event per `after` transition of the machine. */
export function afterEvents(machine: AnyStateMachine): EventObject[] {
  const out: EventObject[] = [];
  const seen = new Set<string>();
  for (const node of allStateNodes(machine)) {
    for (const a of node.after as any[]) {
      if (!seen.has(a.eventType)) {
        seen.add(a.eventType);
        out.push({ type: a.eventType });
      }
    }
  }
  return out;
}

function activeNodeIds(snapshot: AnyMachineSnapshot): string[] {
  return ((snapshot as any)._nodes as AnyStateNode[]).map((n) => n.id);
}

function defaultSerialize(snapshot: AnyMachineSnapshot): string {
  return JSON.stringify(snapshot.value) + '|' + JSON.stringify(snapshot.context);
}

/** Which transition definitions a step took (event transitions, and `always` ones that followed). */
function takenTransitions(
  machine: AnyStateMachine,
  all: Map<string, any>,
  prev: AnyMachineSnapshot,
  event: EventObject,
  next: AnyMachineSnapshot,
): string[] {
  const keys: string[] = [];
  const byDef = new Map<any, string>();
  for (const [k, t] of all) byDef.set(t, k);
  const defs = (machine as any).getTransitionData(prev, event) as any[];
  for (const d of defs) {
    const k = byDef.get(d);
    if (k) keys.push(k);
  }
  // eventless transitions: taken when their source was active before the step or entered by it (a
  // descendant-or-self of a taken transition's target), is no longer active, and their targets are
  const prevActive = new Set(activeNodeIds(prev));
  const nextActive = new Set(activeNodeIds(next));
  const enteredRoots = defs.flatMap((d) => (d.target ?? []) as AnyStateNode[]).map((n) => n.id);
  for (const [k, t] of all) {
    if (t.eventType !== '' && t.eventType !== undefined) continue;
    const src = t.source.id as string;
    const wasThere = prevActive.has(src) || enteredRoots.some((r) => src === r || src.startsWith(`${r}.`));
    const targetActive = (t.target ?? []).every((n: AnyStateNode) => nextActive.has(n.id));
    if (wasThere && !nextActive.has(src) && targetActive) keys.push(k);
  }
  return keys;
}

/**
 * The machine as the traversal must see it: as a live actor runs it. xstate/graph applies events with
 * `machine.transition` and a mock actor scope whose `self` is an empty actor, so an action that reads
 * the active state from `self.getSnapshot()` (the strategy's MARKET evaluation does) gets no value
 * there and the traversal walks a different machine. In a live actor, `self.getSnapshot()` during a
 * macrostep is the snapshot the event is applied to: the traversal's `self` now answers that.
 */
export function asLiveActor(machine: AnyStateMachine): AnyStateMachine {
  const transition = (snapshot: AnyMachineSnapshot, event: EventObject, scope: any) =>
    machine.transition(snapshot, event, {
      ...scope,
      self: Object.create(scope.self, { getSnapshot: { value: () => snapshot } }),
    });
  return Object.create(machine, { transition: { value: transition } });
}

/** Generate the model's paths and the coverage they achieve. */
export function machinePaths(opts: PathTestOptions): { paths: MachinePath[]; coverage: Coverage } {
  const { machine } = opts;
  const afters = afterEvents(machine).map((e) => ({
    event: e,
    source: decodeAfter(machine, e.type)!.source,
  }));
  // a timer can only fire while its state is active
  const activeAfters = (s: AnyMachineSnapshot) => {
    const active = new Set(activeNodeIds(s));
    return afters.filter((a) => active.has(a.source)).map((a) => a.event);
  };
  const base = opts.events;
  const events = (s: AnyMachineSnapshot) => [
    ...(typeof base === 'function' ? base(s) : base),
    ...activeAfters(s),
  ];
  const traversal: any = {
    events,
    serializeState: opts.serializeState ?? defaultSerialize,
    limit: opts.limit ?? 10_000,
  };
  if (opts.input !== undefined) traversal.input = opts.input;

  const serialize = traversal.serializeState as (s: AnyMachineSnapshot) => string;
  const live = asLiveActor(machine);
  const shortest = getShortestPaths(live, traversal) as unknown as Array<{
    state: AnyMachineSnapshot;
    steps: PathStep[];
  }>;
  const toVertex = new Map<string, PathStep[]>();
  for (const p of shortest) toVertex.set(serialize(p.state), p.steps);
  // every edge of the model, self-loops included (shortest paths never take a self-loop)
  const adjacency = getAdjacencyMap(live as any, traversal) as Record<
    string,
    {
      state: AnyMachineSnapshot;
      transitions: Record<string, { event: EventObject; state: AnyMachineSnapshot }>;
    }
  >;

  const all = allTransitions(machine);
  const allStates = allStateNodes(machine).map((n) => n.id);
  const coveredStates = new Set<string>();
  const coveredTransitions = new Set<string>();

  const selected: MachinePath[] = [];
  const oracle = opts.oracle;
  const coveredKeys = new Set<string>();
  const oracleKeys = (steps: PathStep[]): string[] => {
    if (!oracle?.keys) return [];
    const out: string[] = [];
    let model = oracle.initial(opts.input).model;
    for (let i = 1; i < steps.length; i++) {
      const ev = steps[i]!.event;
      const timer = decodeAfter(machine, ev.type);
      out.push(...oracle.keys(model, ev, timer));
      model = oracle.step(model, ev, timer).model;
    }
    return out;
  };
  const consider = (steps: PathStep[], always: boolean) => {
    let adds = false;
    const keys = oracleKeys(steps);
    if (keys.some((k) => !coveredKeys.has(k))) adds = true;
    const stepTransitions: string[][] = [];
    for (let i = 1; i < steps.length; i++) {
      const taken = takenTransitions(machine, all, steps[i - 1]!.state, steps[i]!.event, steps[i]!.state);
      stepTransitions.push(taken);
      if (taken.some((k) => !coveredTransitions.has(k))) adds = true;
    }
    for (const s of steps) for (const id of activeNodeIds(s.state)) if (!coveredStates.has(id)) adds = true;
    if (!adds && !always) return;
    for (const k of keys) coveredKeys.add(k);
    for (const t of stepTransitions) for (const k of t) coveredTransitions.add(k);
    for (const s of steps) for (const id of activeNodeIds(s.state)) coveredStates.add(id);
    const description = steps
      .slice(1)
      .map((s) => `${s.event.type} → ${JSON.stringify(s.state.value)}`)
      .join(', ');
    selected.push({ description: description || '(initial state)', steps });
  };
  for (const p of shortest) consider(p.steps, true);
  // then one path per edge that takes a transition no path took yet: shortest path to its source + the edge
  for (const [vertex, adj] of Object.entries(adjacency)) {
    const head = toVertex.get(vertex);
    if (!head) continue;
    for (const edge of Object.values(adj.transitions)) {
      consider([...head, { event: edge.event, state: edge.state }], false);
    }
  }

  const coverage: Coverage = {
    states: { all: allStates, covered: coveredStates },
    transitions: { all: [...all.keys()].sort(), covered: coveredTransitions },
  };
  if (oracle?.rules) coverage.rules = { all: oracle.rules(), covered: coveredKeys };
  return { paths: selected, coverage };
}

function resolveDelay(machine: AnyStateMachine, eventType: string, snapshot: AnyMachineSnapshot): number {
  // xstate.after.<delay>.<state id>; the state id may itself contain dots
  const rest = eventType.slice(AFTER_PREFIX.length);
  for (const node of allStateNodes(machine)) {
    for (const a of node.after as any[]) {
      if (a.eventType !== eventType) continue;
      const d = a.delay;
      if (typeof d === 'number') return d;
      const impl = (machine.implementations.delays as Record<string, unknown>)[d];
      if (typeof impl === 'number') return impl;
      if (typeof impl === 'function')
        return impl({ context: snapshot.context, event: { type: '' } }, undefined);
      throw new Error(`delay '${d}' of ${eventType} has no implementation`);
    }
  }
  throw new Error(`no after transition for ${rest}`);
}

/** Drive a fresh production actor along one path; throws (via expect) on the first divergence. */
export function runPath(opts: PathTestOptions, path: MachinePath): void {
  const clock = new ManualClock(opts.startTime ?? 1_700_000_000_000);
  const actorOpts: any = { clock };
  if (opts.input !== undefined) actorOpts.input = opts.input;
  const actor = createActor(opts.machine, actorOpts);
  const errors: unknown[] = [];
  const emitted: EventObject[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.on('*', (e: EventObject) => emitted.push(e));
  actor.start();
  const oracle = opts.oracle;
  try {
    let model: unknown;
    if (oracle) {
      const first = oracle.initial(opts.input);
      model = first.model;
      checkVerdict(actor.getSnapshot(), emitted.splice(0), first.verdict, 'start');
    } else {
      expect(actor.getSnapshot().value).toEqual(path.steps[0]!.state.value);
    }
    for (let i = 1; i < path.steps.length; i++) {
      const step = path.steps[i]!;
      const before = actor.getSnapshot();
      const timer = decodeAfter(opts.machine, step.event.type);
      if (timer) {
        const d = resolveDelay(opts.machine, step.event.type, before);
        if (clock.nextDue() >= clock.now() + d) clock.advance(d);
        else actor.send(step.event); // an earlier timer is pending: deliver the scheduled event directly
      } else {
        actor.send(step.event);
      }
      const after = actor.getSnapshot();
      const label = `step ${i} (${describeEvent(step.event)}) after ${JSON.stringify(before.value)}`;
      if (oracle) {
        const next = oracle.step(model, step.event, timer);
        model = next.model;
        checkVerdict(after, emitted.splice(0), next.verdict, label);
      } else {
        expect(after.value, label).toEqual(step.state.value);
      }
      opts.check?.(after, step.state, step);
    }
    expect(errors).toEqual([]);
  } finally {
    actor.stop();
  }
}

function describeEvent(e: EventObject): string {
  const { type, ...rest } = e as EventObject & Record<string, unknown>;
  const keys = Object.keys(rest);
  return keys.length === 0 ? type : `${type} ${JSON.stringify(rest).slice(0, 160)}`;
}

function matches(actual: unknown, expected: Record<string, unknown>): boolean {
  try {
    expect(actual).toMatchObject(expected);
    return true;
  } catch {
    return false;
  }
}

/** The actual emitted events must be exactly the expected ones (a multiset of partial objects). */
export function matchEmitted(actual: readonly EventObject[], expected: readonly Record<string, unknown>[]) {
  const unused = [...actual];
  const missing: Record<string, unknown>[] = [];
  for (const e of expected) {
    const at = unused.findIndex((a) => matches(a, e));
    if (at < 0) missing.push(e);
    else unused.splice(at, 1);
  }
  return { missing, unexpected: unused };
}

function checkVerdict(
  snapshot: AnyMachineSnapshot,
  emitted: readonly EventObject[],
  verdict: OracleVerdict,
  label: string,
): void {
  expect(snapshot.value, `${label}: state value`).toEqual(verdict.value);
  const { missing, unexpected } = matchEmitted(emitted, verdict.emitted);
  expect({ missing, unexpected }, `${label}: emitted events (actual: ${JSON.stringify(emitted)})`).toEqual({
    missing: [],
    unexpected: [],
  });
  if (verdict.context) expect(snapshot.context, `${label}: context`).toMatchObject(verdict.context);
  for (const [id, expected] of Object.entries(verdict.children ?? {})) {
    const child = (snapshot.children as Record<string, { getSnapshot(): { context: unknown } } | undefined>)[
      id
    ];
    expect(child, `${label}: child ${id}`).toBeDefined();
    expect(child!.getSnapshot().context, `${label}: child ${id} context`).toMatchObject(expected);
  }
}

/** Register vitest tests: one per generated path, plus a coverage test. */
export function describeMachinePaths(name: string, opts: PathTestOptions): void {
  const { paths, coverage } = machinePaths(opts);
  describe(`${name}: generated path tests${opts.oracle ? ' (checked against an independent oracle)' : ''}`, () => {
    for (const p of paths) {
      it(`path: ${p.description}`, () => runPath(opts, p));
    }
    it('covers every state and every transition', () => {
      const missingStates = coverage.states.all.filter((s) => !coverage.states.covered.has(s));
      const unreachable = opts.unreachable ?? {};
      const missingTransitions = coverage.transitions.all.filter(
        (t) => !coverage.transitions.covered.has(t) && !(t in unreachable),
      );
      const all = coverage.transitions.all;
      console.log(
        `${name}: ${paths.length} paths cover ${all.filter((t) => coverage.transitions.covered.has(t)).length}/${all.length} transitions (${all.filter((t) => t.startsWith(`${opts.machine.root.id} `)).length} at root level; ${Object.keys(unreachable).length} declared unreachable) and ${coverage.states.all.filter((s) => coverage.states.covered.has(s)).length}/${coverage.states.all.length} states`,
      );
      expect(missingStates, 'uncovered states').toEqual([]);
      expect(missingTransitions, 'uncovered transitions').toEqual([]);
      // an `unreachable` entry must name a real transition that is really not covered
      for (const k of Object.keys(unreachable)) {
        expect(coverage.transitions.all, `unknown transition in unreachable: ${k}`).toContain(k);
      }
    });
    if (coverage.rules) {
      const rules = coverage.rules;
      it(`reaches every rule of the oracle (${rules.all.length} rules, ${paths.length} paths)`, () => {
        const skip = opts.unreachableRules ?? {};
        const missing = rules.all.filter((r) => !rules.covered.has(r) && !(r in skip));
        console.log(
          `${name}: ${paths.length} paths reach ${rules.all.length - missing.length}/${rules.all.length} oracle rules (${Object.keys(skip).length} declared unreachable)`,
        );
        expect(missing, 'oracle rules no path reaches').toEqual([]);
        for (const k of Object.keys(skip)) {
          expect(rules.all, `unknown rule in unreachableRules: ${k}`).toContain(k);
          expect(rules.covered.has(k), `rule declared unreachable but reached: ${k}`).toBe(false);
        }
      });
    }
  });
}
