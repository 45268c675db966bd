import { assign, enqueueActions, fromPromise, sendTo, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { afterEvents, type MachinePath, machinePaths, runPath, transitionKeys } from './machine-paths.ts';

const base = setup({
  types: {
    context: {} as { n: number },
    events: {} as { type: 'GO' } | { type: 'BACK' } | { type: 'NEVER' },
  },
  actors: { work: fromPromise(async () => 1) },
  guards: { impossible: () => false },
  delays: { slow: 5_000 },
}).createMachine({
  id: 'kit',
  context: { n: 0 },
  initial: 'a',
  states: {
    a: { on: { GO: { target: 'b', actions: assign({ n: ({ context }) => context.n + 1 }) } } },
    b: {
      invoke: { id: 'w', src: 'work', onDone: 'c', onError: 'a' },
      on: { BACK: 'a', NEVER: { guard: 'impossible', target: 'c' } },
    },
    c: { after: { slow: 'a' } },
  },
});
const fake = base.provide({ actors: { work: fromPromise(() => new Promise<number>(() => {})) } });
const baseEvents = [
  { type: 'GO' },
  { type: 'BACK' },
  { type: 'NEVER' },
  { type: 'xstate.done.actor.w', output: 1 },
  { type: 'xstate.error.actor.w', error: new Error('x') },
] as any[];
const events = baseEvents;
const serializeState = (s: any) => JSON.stringify(s.value);

describe('machine test kit', () => {
  it('adds after events and drives them with the simulated clock', () => {
    expect(afterEvents(fake).map((e) => e.type)).toEqual(['xstate.after.slow.kit.c']);
    const { paths } = machinePaths({ machine: fake, events, serializeState });
    const viaAfter = paths.find((p) => p.steps.some((s) => s.event.type.startsWith('xstate.after.')));
    expect(viaAfter).toBeDefined();
    runPath({ machine: fake, events, serializeState }, viaAfter!);
  });

  it('reports a transition no path can take as uncovered', () => {
    const { coverage } = machinePaths({ machine: fake, events, serializeState });
    const missing = coverage.transitions.all.filter((t) => !coverage.transitions.covered.has(t));
    expect(missing).toEqual(['kit.b --NEVER#0--> kit.c']);
    expect(transitionKeys(fake)).toContain('kit.b --NEVER#0--> kit.c');
    expect([...coverage.states.covered].sort()).toEqual(['kit', 'kit.a', 'kit.b', 'kit.c']);
  });

  it('lists root-level transitions and reports one no path takes as uncovered', () => {
    // transitions in the machine's own `on` block (root level): HOME is taken by the paths, PING never is
    const rooted = setup({
      types: { events: {} as { type: 'GO' } | { type: 'HOME' } | { type: 'PING' } },
    }).createMachine({
      id: 'rooted',
      initial: 'a',
      on: { HOME: '.a', PING: { actions: () => {} } },
      states: { a: { on: { GO: 'b' } }, b: {} },
    });
    const opts = { machine: rooted, events: [{ type: 'GO' }, { type: 'HOME' }], serializeState };
    expect(transitionKeys(rooted)).toEqual([
      'rooted --HOME#0--> rooted.a',
      'rooted --PING#0--> (self)',
      'rooted.a --GO#0--> rooted.b',
    ]);
    const { paths, coverage } = machinePaths(opts);
    const missing = coverage.transitions.all.filter((t) => !coverage.transitions.covered.has(t));
    expect(missing).toEqual(['rooted --PING#0--> (self)']);
    expect(coverage.transitions.covered.has('rooted --HOME#0--> rooted.a')).toBe(true);
    expect(paths.some((p) => p.steps.some((s) => s.event.type === 'HOME'))).toBe(true);
    for (const p of paths) runPath(opts, p);
  });

  it('drives a root-level after timer with the simulated clock', () => {
    const timed = setup({ delays: { tick: 1_000 } }).createMachine({
      id: 'timed',
      initial: 'a',
      after: { tick: '.b' },
      states: { a: {}, b: {} },
    });
    expect(afterEvents(timed).map((e) => e.type)).toEqual(['xstate.after.tick.timed']);
    const opts = { machine: timed, events: [], serializeState };
    const { paths, coverage } = machinePaths(opts);
    expect(coverage.transitions.all).toEqual(['timed --xstate.after.tick.timed#0--> timed.b']);
    expect([...coverage.transitions.covered]).toEqual(coverage.transitions.all);
    for (const p of paths) runPath(opts, p);
  });

  it("traverses as a live actor runs: an action's self.getSnapshot() is the snapshot the event meets", () => {
    // NEXT (root level) raises GO only while in a: a live actor's self.getSnapshot() is the snapshot the
    // event is applied to, while xstate/graph's mock actor scope would answer an empty actor's snapshot
    const selfReading = setup({
      types: { events: {} as { type: 'NEXT' } | { type: 'GO' } },
    }).createMachine({
      id: 'selfy',
      initial: 'a',
      on: {
        NEXT: {
          actions: enqueueActions(({ self, enqueue }) => {
            if (self.getSnapshot()?.value === 'a') enqueue.raise({ type: 'GO' });
          }),
        },
      },
      states: { a: { on: { GO: 'b' } }, b: {} },
    });
    const opts = { machine: selfReading, events: [{ type: 'NEXT' }], serializeState };
    const { paths, coverage } = machinePaths(opts);
    expect([...coverage.states.covered].sort()).toEqual(['selfy', 'selfy.a', 'selfy.b']);
    const toB = paths.find((p) => p.steps.at(-1)?.state.value === 'b');
    expect(toB?.description).toBe('NEXT → "b"');
    for (const p of paths) runPath(opts, p);
  });

  it('fails a path when the production actor diverges from the model', () => {
    const { paths } = machinePaths({ machine: fake, events, serializeState });
    const toC = paths.find((p) => p.steps.at(-1)?.state.value === 'c')!;
    // the "production" machine differs: its done event goes back to a instead of c
    const diverging = setup({
      actors: { work: fromPromise(() => new Promise<number>(() => {})) },
    }).createMachine({
      id: 'kit',
      initial: 'a',
      states: {
        a: { on: { GO: 'b' } },
        b: { invoke: { id: 'w', src: 'work', onDone: 'a' } },
        c: {},
      },
    });
    expect(() => runPath({ machine: diverging as any, events, serializeState }, toC)).toThrow(/step/);
  });
});

describe('machine test kit: with an oracle', () => {
  // an unhandled child error event makes the actor itself fail: leave it out of these walks
  const events = baseEvents.filter((e) => e.type !== 'xstate.error.actor.w');
  // the oracle: a → GO → b, b → BACK → a, c → (slow) → a; anything else ignored (no state change)
  type M = { at: 'a' | 'b' | 'c' };
  const oracle = {
    initial: () => ({ model: { at: 'a' } as M, verdict: { value: 'a', emitted: [] } }),
    step: (m: M, e: { type: string }, timer: { delay: string } | null) => {
      let at = m.at;
      if (m.at === 'a' && e.type === 'GO') at = 'b';
      else if (m.at === 'b' && e.type === 'BACK') at = 'a';
      else if (m.at === 'b' && e.type === 'xstate.done.actor.w') at = 'c';
      else if (m.at === 'b' && e.type === 'xstate.error.actor.w') at = 'a';
      else if (m.at === 'c' && timer?.delay === 'slow') at = 'a';
      return { model: { at }, verdict: { value: at, emitted: [] } };
    },
    keys: (m: M, e: { type: string }) => [`${m.at}|${e.type}`],
    rules: () => ['a|GO', 'b|BACK', 'c|BACK'],
  };

  it('takes the expected state from the oracle, not from the machine, and reports the oracle rules reached', () => {
    const { paths, coverage } = machinePaths({ machine: fake, events, serializeState, oracle });
    for (const p of paths) runPath({ machine: fake, events, serializeState, oracle }, p);
    expect([...coverage.rules!.covered]).toEqual(expect.arrayContaining(['a|GO', 'b|BACK', 'c|BACK']));
  });

  it('walks an edge the machine has no transition for when the oracle has a rule there, and fails it', () => {
    // production drops b --BACK--> a: no machine transition to cover, but the oracle's rule b|BACK is a key
    const noBack = setup({
      types: { events: {} as { type: 'GO' } | { type: 'BACK' } | { type: 'NEVER' } },
      actors: { work: fromPromise(() => new Promise<number>(() => {})) },
      delays: { slow: 5_000 },
    }).createMachine({
      id: 'kit',
      initial: 'a',
      states: {
        a: { on: { GO: 'b' } },
        b: { invoke: { id: 'w', src: 'work', onDone: 'c', onError: 'a' } },
        c: { after: { slow: 'a' } },
      },
    });
    const opts = { machine: noBack, events, serializeState, oracle };
    const { paths } = machinePaths(opts);
    const failing = paths.filter((p) => {
      try {
        runPath(opts, p);
        return false;
      } catch {
        return true;
      }
    });
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.every((p) => /BACK/.test(p.description))).toBe(true);
  });

  it("checks the children's context the oracle states (what the machine sent them)", () => {
    const counter = setup({ types: { context: {} as { n: number } } }).createMachine({
      context: { n: 0 },
      on: { PING: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
    });
    const parent = setup({ actors: { counter } }).createMachine({
      id: 'parent',
      invoke: { id: 'rec', src: 'counter' },
      on: { PING: { actions: sendTo('rec', { type: 'PING' }) } },
    });
    const pathOf = (n: number): MachinePath => ({
      description: `${n} pings`,
      steps: [
        { event: { type: 'xstate.init' }, state: undefined as any },
        ...Array.from({ length: n }, () => ({ event: { type: 'PING' }, state: undefined as any })),
      ],
    });
    // `forwards`: the oracle's view of whether PING reaches the child
    const oracleOf = (forwards: boolean) => ({
      initial: () => ({ model: 0, verdict: { value: {}, emitted: [], children: { rec: { n: 0 } } } }),
      step: (n: number) => {
        const next = forwards ? n + 1 : n;
        return { model: next, verdict: { value: {}, emitted: [], children: { rec: { n: next } } } };
      },
    });
    runPath({ machine: parent, events: [], oracle: oracleOf(true) }, pathOf(2));
    expect(() => runPath({ machine: parent, events: [], oracle: oracleOf(false) }, pathOf(2))).toThrow(
      /step 1 \(PING\).*child rec context/,
    );
  });

  it('compares emitted events as a multiset of partial objects', async () => {
    const { matchEmitted } = await import('./machine-paths.ts');
    const actual = [
      { type: 'x', a: 1, b: 2 },
      { type: 'y', a: 1 },
    ];
    expect(matchEmitted(actual, [{ type: 'y' }, { type: 'x', a: 1 }])).toEqual({
      missing: [],
      unexpected: [],
    });
    expect(matchEmitted(actual, [{ type: 'x' }])).toEqual({ missing: [], unexpected: [{ type: 'y', a: 1 }] });
    expect(matchEmitted(actual, [{ type: 'x' }, { type: 'y' }, { type: 'z' }]).missing).toEqual([
      { type: 'z' },
    ]);
  });
});
