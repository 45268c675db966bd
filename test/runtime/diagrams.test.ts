import { createMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { renderAll, toMermaid } from '../../runtime/diagrams.ts';

describe('diagram generator', () => {
  it('walks nested and parallel states, guards, after, invoke done/error', () => {
    const m = createMachine({
      id: 'demo',
      initial: 'a',
      states: {
        a: {
          invoke: { id: 'sock', src: 'socket', onDone: 'b', onError: { target: 'c', guard: 'retryable' } },
          after: { 1000: 'c' },
        },
        b: {
          type: 'parallel',
          states: { x: { initial: 'x1', states: { x1: { on: { GO: 'x2' } }, x2: {} } }, y: {} },
        },
        c: { type: 'final' },
      },
    });
    const mmd = toMermaid(m as any);
    expect(mmd).toMatch(/^stateDiagram-v2/);
    expect(mmd).toContain('demo_a --> demo_b: done sock');
    expect(mmd).toContain('demo_a --> demo_c: error sock [retryable]');
    expect(mmd).toContain('demo_a --> demo_c: after 1000');
    expect(mmd).toContain('state "b" as demo_b {');
    expect(mmd).toContain('  --');
    expect(mmd).toContain('demo_b_x_x1 --> demo_b_x_x2: GO');
    expect(mmd).toContain('demo_c --> [*]');
    expect(mmd).toContain('note right of demo_a: invokes socket (id sock)');
  });

  it('renders every machine with its JSON definition and an index', async () => {
    const files = await renderAll();
    expect(files.has('strategy.mmd')).toBe(true);
    expect(files.has('regime.mmd')).toBe(true);
    expect(JSON.parse(files.get('strategy.json')!).id).toBe('strategy');
    expect(files.get('README.md')).toContain('```mermaid');
    expect(files.get('strategy.mmd')).toContain(
      'strategy_ENTERED --> strategy_EXITED: after maxHold / prepareExit',
    );
  });
});
