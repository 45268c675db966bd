/**
 * Adding a strategy is one file (issue 15 done-when): a throwaway strategy defined here, in a test file, and
 * registered with `registryWith` is gated by the regime controller, ticked through the shared lifecycle,
 * journaled in the decision log and reported by the validation and the dashboard snapshot — with no
 * change to the engine, the machines, the config or the reports.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import { parseDecisionRecord } from '../../decision/records.ts';
import { registryWith } from '../../decision/registry.ts';
import { formatStrategiesValidation, validateStrategies } from '../../replay/validate-strategies.ts';
import { parseConfig } from '../../runtime/config.ts';
import { finite, type StrategyDefinition } from '../../strategies/definition.ts';

const probeParams = z
  .object({
    enabled: z.boolean().default(true),
    armTimeoutMs: z.number().default(5_000),
    maxHoldMs: z.number().default(20_000),
    cooldownMs: z.number().default(30_000),
    /** Stop and target distance (bps). */
    bps: z.number().default(20),
  })
  .strict();
type ProbeParams = z.infer<typeof probeParams>;

/** Buys whenever it is enabled and the book has a mid: a strategy that exists to be seen. */
const probe: StrategyDefinition<ProbeParams, { mid: number }> = {
  name: 'probe',
  family: 'SLBRS',
  summary: 'test-only: long at any mid',
  params: probeParams,
  view: (h) => ({ mid: h.mid }),
  setup: (v, p) =>
    finite(v.mid)
      ? {
          side: 'LONG',
          stop: v.mid * (1 - p.bps / 1e4),
          target: v.mid * (1 + p.bps / 1e4),
          ref: v.mid,
          levels: { at: v.mid },
          reason: `probe at ${v.mid}`,
        }
      : null,
  trigger: () => ({ fired: true, reason: 'always' }),
  exit: (v, held) =>
    v.mid >= held.target
      ? { reason: 'target', detail: 'target' }
      : v.mid <= held.stop
        ? { reason: 'stop', detail: 'stop' }
        : null,
};

describe('a strategy from one file', () => {
  it('is gated, ticked, journaled and reported with no other change', () => {
    const base = engineConfigFrom(parseConfig({ coins: ['BTC'] }));
    const config = { ...base, registry: registryWith(probe), strategies: { ...base.strategies, probe: {} } };
    const lines: DecisionLine[] = [];
    const v = validateStrategies({
      scenario: 'sideways',
      seed: 7,
      config,
      durationMs: 75 * 60_000,
      onLine: (l) => lines.push(l),
    });
    console.log(formatStrategiesValidation(v));
    const mine = lines.filter(
      (l) => l.strategy === 'probe' || (l.intent as { strategy?: string })?.strategy === 'probe',
    );
    const kinds = new Set(
      mine.map((l) => `${l.kind}${l.kind === 'strategy' ? `:${String(l.to).split('.')[0]}` : ''}`),
    );
    console.log(`probe's records: ${[...kinds].sort().join(', ')}`);
    // gated by the SIDEWAYS regime like Geometry and Kinematics, through the lifecycle, to orders and fills
    expect(mine.some((l) => l.kind === 'gate' && l.action === 'ENABLE')).toBe(true);
    for (const k of [
      'strategy:SCANNING',
      'strategy:ARMED',
      'strategy:ENTERED',
      'strategy:EXITED',
      'exec.intent',
    ])
      expect(kinds.has(k), k).toBe(true);
    expect(
      lines.some((l) => l.kind === 'exec.fill' && (l.fill as { strategy: string }).strategy === 'probe'),
    ).toBe(true);
    // execution's denials reach the strategy once: nothing it is sent is left unhandled
    expect(mine.filter((l) => l.kind === 'ignored')).toEqual([]);
    // every record it caused is in the documented format
    for (const l of mine) expect(parseDecisionRecord(l).ok).toBe(true);
    // and it is reported beside the others, within its family's regime only
    const row = v.strategies.find((s) => s.strategy === 'probe');
    expect(row).toMatchObject({ regime: 'SIDEWAYS', outsideRegime: 0 });
    expect(row!.entries).toBeGreaterThan(0);
    expect(row!.trades).toBeGreaterThan(0);
  }, 300_000);
});
