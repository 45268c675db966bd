import { assign, fromPromise, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { afterEvents, machinePaths, runPath, transitionKeys } from './machine-paths.ts';

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
const events = [
  { type: 'GO' },
  { type: 'BACK' },
  { type: 'NEVER' },
  { type: 'xstate.done.actor.w', output: 1 },
  { type: 'xstate.error.actor.w', error: new Error('x') },
] as any[];
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
