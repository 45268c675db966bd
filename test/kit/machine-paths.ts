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
 *     definition (event transitions, `after`, invoke done/error, `always`) must be taken by some path;
 *  3. drives a real actor (`createActor(machine, { clock: ManualClock })`) along every selected path:
 *     plain events are sent, `after` steps advance the simulated clock by the resolved delay when that
 *     timer is the next one due (else the scheduled event is delivered directly, which is what the
 *     scheduler would do), and after each step the actor's state value must equal the model's.
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
}

export interface Coverage {
  states: { all: string[]; covered: Set<string> };
  transitions: { all: string[]; covered: Set<string> };
}

const AFTER_PREFIX = 'xstate.after.';

/** Stable key of a transition definition: `<source id> --<event>[#index]--> <targets>`. */
function transitionKey(t: any, index: number): string {
  const targets = (t.target ?? []).map((n: AnyStateNode) => n.id).join(',') || '(self)';
  const ev = t.eventType === '' || t.eventType === undefined ? '(always)' : t.eventType;
  return `${t.source.id} --${ev}#${index}--> ${targets}`;
}

/** Every transition definition of the machine, keyed. */
export function allTransitions(machine: AnyStateMachine): Map<string, any> {
  const out = new Map<string, any>();
  for (const node of getStateNodes(machine.root) as AnyStateNode[]) {
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

/** One synthetic event per `after` transition of the machine. */
export function afterEvents(machine: AnyStateMachine): EventObject[] {
  const out: EventObject[] = [];
  const seen = new Set<string>();
  for (const node of getStateNodes(machine.root) as AnyStateNode[]) {
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

/** Generate the model's paths and the coverage they achieve. */
export function machinePaths(opts: PathTestOptions): { paths: MachinePath[]; coverage: Coverage } {
  const { machine } = opts;
  const afters = afterEvents(machine);
  const events =
    typeof opts.events === 'function'
      ? (s: AnyMachineSnapshot) => [
          ...(opts.events as (s: AnyMachineSnapshot) => EventObject[])(s),
          ...afters,
        ]
      : [...opts.events, ...afters];
  const traversal: any = {
    events,
    serializeState: opts.serializeState ?? defaultSerialize,
    limit: opts.limit ?? 10_000,
  };
  if (opts.input !== undefined) traversal.input = opts.input;

  const serialize = traversal.serializeState as (s: AnyMachineSnapshot) => string;
  const shortest = getShortestPaths(machine, traversal) as unknown as Array<{
    state: AnyMachineSnapshot;
    steps: PathStep[];
  }>;
  const toVertex = new Map<string, PathStep[]>();
  for (const p of shortest) toVertex.set(serialize(p.state), p.steps);
  // every edge of the model, self-loops included (shortest paths never take a self-loop)
  const adjacency = getAdjacencyMap(machine as any, traversal) as Record<
    string,
    {
      state: AnyMachineSnapshot;
      transitions: Record<string, { event: EventObject; state: AnyMachineSnapshot }>;
    }
  >;

  const all = allTransitions(machine);
  const allStates = (getStateNodes(machine.root) as AnyStateNode[]).map((n) => n.id);
  const coveredStates = new Set<string>();
  const coveredTransitions = new Set<string>();

  const selected: MachinePath[] = [];
  const consider = (steps: PathStep[], always: boolean) => {
    let adds = false;
    const stepTransitions: string[][] = [];
    for (let i = 1; i < steps.length; i++) {
      const taken = takenTransitions(machine, all, steps[i - 1]!.state, steps[i]!.event, steps[i]!.state);
      stepTransitions.push(taken);
      if (taken.some((k) => !coveredTransitions.has(k))) adds = true;
    }
    for (const s of steps) for (const id of activeNodeIds(s.state)) if (!coveredStates.has(id)) adds = true;
    if (!adds && !always) return;
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

  return {
    paths: selected,
    coverage: {
      states: { all: allStates, covered: coveredStates },
      transitions: { all: [...all.keys()].sort(), covered: coveredTransitions },
    },
  };
}

function resolveDelay(machine: AnyStateMachine, eventType: string, snapshot: AnyMachineSnapshot): number {
  // xstate.after.<delay>.<state id>; the state id may itself contain dots
  const rest = eventType.slice(AFTER_PREFIX.length);
  for (const node of getStateNodes(machine.root) as AnyStateNode[]) {
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
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  try {
    expect(actor.getSnapshot().value).toEqual(path.steps[0]!.state.value);
    for (let i = 1; i < path.steps.length; i++) {
      const step = path.steps[i]!;
      const before = actor.getSnapshot();
      if (step.event.type.startsWith(AFTER_PREFIX)) {
        const d = resolveDelay(opts.machine, step.event.type, before);
        if (clock.nextDue() >= clock.now() + d) clock.advance(d);
        else actor.send(step.event); // an earlier timer is pending: deliver the scheduled event directly
      } else {
        actor.send(step.event);
      }
      const after = actor.getSnapshot();
      expect(after.value, `step ${i} (${step.event.type})`).toEqual(step.state.value);
      opts.check?.(after, step.state, step);
    }
    expect(errors).toEqual([]);
  } finally {
    actor.stop();
  }
}

/** Register vitest tests: one per generated path, plus a coverage test. */
export function describeMachinePaths(name: string, opts: PathTestOptions): void {
  const { paths, coverage } = machinePaths(opts);
  describe(`${name}: generated path tests`, () => {
    for (const p of paths) {
      it(`path: ${p.description}`, () => runPath(opts, p));
    }
    it('covers every state and every transition', () => {
      const missingStates = coverage.states.all.filter((s) => !coverage.states.covered.has(s));
      const unreachable = opts.unreachable ?? {};
      const missingTransitions = coverage.transitions.all.filter(
        (t) => !coverage.transitions.covered.has(t) && !(t in unreachable),
      );
      expect(missingStates, 'uncovered states').toEqual([]);
      expect(missingTransitions, 'uncovered transitions').toEqual([]);
      // an `unreachable` entry must name a real transition that is really not covered
      for (const k of Object.keys(unreachable)) {
        expect(coverage.transitions.all, `unknown transition in unreachable: ${k}`).toContain(k);
      }
    });
  });
}
