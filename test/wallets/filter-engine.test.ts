/**
 * The wallet filter through the real decision side (issue 18): the engine hands each strategy its coin's
 * wallet flags (hot-state `isManipulatorActive` / `manipulatorDirection`, written by the state builder's
 * tracker), so a strategy with `walletFilter` on does not enter against an active manipulator, and the
 * refusal is logged — once when it starts, not every tick (`intent.rejected`, id `wallet-filter`). Two test
 * strategies (always armed, always triggering, one LONG and one SHORT) run on the `cascade` scenario, whose
 * planted manipulator builds before its cascades; with the filter off the same run logs no refusal.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import { parseDecisionRecord } from '../../decision/records.ts';
import { registryWith } from '../../decision/registry.ts';
import { validateStrategies } from '../../replay/validate-strategies.ts';
import { parseConfig } from '../../runtime/config.ts';
import { finite, type StrategyDefinition, walletFilterParam } from '../../strategies/definition.ts';

const params = z
  .object({
    enabled: z.boolean().default(true),
    armTimeoutMs: z.number().default(60_000),
    maxHoldMs: z.number().default(20_000),
    cooldownMs: z.number().default(5_000),
    walletFilter: walletFilterParam,
  })
  .strict();
type P = z.infer<typeof params>;

function probe(side: 'LONG' | 'SHORT'): StrategyDefinition<P, { mid: number }> {
  const s = side === 'LONG' ? 1 : -1;
  return {
    name: `probe${side.toLowerCase()}`,
    family: 'EFFCS',
    summary: `test-only: ${side} at any mid`,
    params,
    view: (h) => ({ mid: h.mid }),
    setup: (v) =>
      finite(v.mid)
        ? {
            side,
            stop: v.mid * (1 - s * 0.002),
            target: v.mid * (1 + s * 0.002),
            ref: v.mid,
            levels: { at: v.mid },
            reason: `probe at ${v.mid}`,
          }
        : null,
    trigger: () => ({ fired: true, reason: 'always' }),
    exit: (v, held) =>
      s * (v.mid - held.target) >= 0
        ? { reason: 'target', detail: 'target' }
        : s * (v.mid - held.stop) <= 0
          ? { reason: 'stop', detail: 'stop' }
          : null,
  };
}

function run(walletFilter: boolean): DecisionLine[] {
  const base = engineConfigFrom(parseConfig({ coins: ['BTC'] }));
  const config = {
    ...base,
    registry: registryWith(probe('LONG'), probe('SHORT')),
    strategies: { ...base.strategies, probelong: { walletFilter }, probeshort: { walletFilter } },
  };
  const lines: DecisionLine[] = [];
  validateStrategies({
    scenario: 'cascade',
    seed: 7,
    config,
    durationMs: 90 * 60_000,
    onLine: (l) => lines.push(l),
  });
  return lines;
}

describe('the wallet filter in the engine', () => {
  it('refuses entries against an active manipulator, logged once per refusal; off, nothing is refused', () => {
    const on = run(true);
    const refused = on.filter((l) => l.kind === 'intent.rejected' && l.id === 'wallet-filter');
    const off = run(false);
    const entries = (ls: DecisionLine[]) =>
      ls.filter((l) => l.kind === 'exec.intent' && (l.intent as { kind: string }).kind === 'entry').length;
    console.log(
      JSON.stringify({
        refusals: refused.length,
        byStrategy: Object.fromEntries(
          ['probelong', 'probeshort'].map((s) => [s, refused.filter((l) => l.strategy === s).length]),
        ),
        entriesOn: entries(on),
        entriesOff: entries(off),
      }),
    );
    expect(refused.length).toBeGreaterThan(0);
    for (const l of refused) {
      expect(parseDecisionRecord(l).ok).toBe(true);
      expect(String(l.error)).toMatch(
        /^wallet filter: (LONG|SHORT) entry refused, a manipulator is active (SHORT|LONG) on the coin$/,
      );
      // against the manipulator's direction, never with it
      expect(String(l.error)).toContain(
        l.strategy === 'probelong'
          ? 'LONG entry refused, a manipulator is active SHORT'
          : 'SHORT entry refused, a manipulator is active LONG',
      );
    }
    // once when it starts, not every tick: no two consecutive refusals of one strategy without a change between
    for (const s of ['probelong', 'probeshort']) {
      const mine = on.filter(
        (l) => l.strategy === s && (l.kind === 'intent.rejected' || l.kind === 'strategy'),
      );
      for (let i = 1; i < mine.length; i++)
        if (mine[i]!.kind === 'intent.rejected')
          expect(mine[i - 1]!.kind, `${s} refusal repeated`).not.toBe('intent.rejected');
    }
    expect(off.some((l) => l.kind === 'intent.rejected' && l.id === 'wallet-filter')).toBe(false);
    expect(entries(on)).toBeLessThan(entries(off));
  });
});

describe('wallet classes in the decision log', () => {
  it('each class the tracker grants is a wallet.class record at the next tick, with its evidence, once per wallet and class', () => {
    const base = engineConfigFrom(parseConfig({ coins: ['BTC'] }));
    const lines: DecisionLine[] = [];
    const v = validateStrategies({
      scenario: 'cascade',
      seed: 7,
      config: base,
      durationMs: 90 * 60_000,
      onLine: (l) => lines.push(l),
    });
    const classes = lines.filter((l) => l.kind === 'wallet.class');
    console.log(
      JSON.stringify({
        facts: classes.length,
        byClass: Object.fromEntries(
          ['short-hold', 'pre-liquidation', 'post-cascade-exit', 'manipulator'].map((c) => [
            c,
            classes.filter((l) => l.class === c).length,
          ]),
        ),
      }),
    );
    expect(v).toBeDefined();
    expect(classes.some((l) => l.class === 'manipulator')).toBe(true);
    for (const l of classes) {
      expect(parseDecisionRecord(l).ok, JSON.stringify(l)).toBe(true);
      const at = (l.evidence as { grantedAt: number }).grantedAt;
      // no later than the tick that journals it, and no earlier than one tick before
      expect(at).toBeLessThanOrEqual(l.t);
      expect(l.t - at).toBeLessThanOrEqual(base.tickMs);
    }
    const keys = classes.map((l) => `${l.wallet}:${l.class}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
