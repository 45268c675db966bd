import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type BaseParams,
  evaluate,
  type StrategyDefinition,
  walletFilterParam,
  walletFilterRefusal,
} from '../../strategies/definition.ts';

interface P extends BaseParams {
  side: 'LONG' | 'SHORT';
}

const params = z
  .object({
    enabled: z.boolean().default(true),
    armTimeoutMs: z.number().default(10_000),
    maxHoldMs: z.number().default(60_000),
    cooldownMs: z.number().default(1_000),
    side: z.enum(['LONG', 'SHORT']).default('LONG'),
    walletFilter: walletFilterParam,
  })
  .strict();

/** A strategy that always arms on its side and always triggers. */
const always: StrategyDefinition<P, { mid: number }> = {
  name: 'always',
  family: 'SLBRS',
  summary: 'test',
  params,
  view: () => ({ mid: 100 }),
  setup: (_v, p) => ({
    side: p.side,
    stop: p.side === 'LONG' ? 99 : 101,
    target: p.side === 'LONG' ? 102 : 98,
    ref: 100,
    levels: {},
    reason: 'always',
  }),
  trigger: () => ({ fired: true, reason: 'always' }),
  exit: () => null,
};

const ctx = { healthy: true, stale: false };
const shortActive = { isManipulatorActive: 1, manipulatorDirection: -1 };

describe('strategy wallet filter', () => {
  it('is off by default: an entry goes ahead whatever the flags', () => {
    const p = params.parse({});
    expect(p.walletFilter).toBe(false);
    const held = always.setup({ mid: 100 }, p)!;
    const e = evaluate(always, { mid: 100 }, 'ARMED', held, ctx, p, 0.005, 100, shortActive);
    expect(e.trigger).toBe(true);
    expect(e.sizeFraction).toBeGreaterThan(0);
  });

  it('when on, an entry against an active manipulator is refused with the reason; with it or without one it goes', () => {
    const p = params.parse({ walletFilter: true });
    const held = always.setup({ mid: 100 }, p)!;
    const refused = evaluate(always, { mid: 100 }, 'ARMED', held, ctx, p, 0.005, 100, shortActive);
    expect(refused).toEqual({
      setup: held,
      trigger: false,
      triggerReason: 'wallet filter: LONG entry refused, a manipulator is active SHORT on the coin',
      exit: null,
      sizeFraction: 0,
    });
    const same = evaluate(always, { mid: 100 }, 'ARMED', held, ctx, p, 0.005, 100, {
      isManipulatorActive: 1,
      manipulatorDirection: 1,
    });
    expect(same.trigger).toBe(true);
    const none = evaluate(always, { mid: 100 }, 'ARMED', held, ctx, p, 0.005, 100, {
      isManipulatorActive: 0,
      manipulatorDirection: 0,
    });
    expect(none.trigger).toBe(true);
    // no flags given (a caller without wallet state): never refused
    expect(evaluate(always, { mid: 100 }, 'ARMED', held, ctx, p, 0.005, 100).trigger).toBe(true);
  });

  it('the verdict table: refused exactly when on, active and against', () => {
    const rows: [boolean, 'LONG' | 'SHORT', number, number, boolean][] = [];
    for (const on of [false, true])
      for (const side of ['LONG', 'SHORT'] as const)
        for (const active of [0, 1])
          for (const dir of [-1, 0, 1]) {
            const r = walletFilterRefusal(on, side, {
              isManipulatorActive: active,
              manipulatorDirection: dir,
            });
            rows.push([on, side, active, dir, r !== null]);
          }
    const refused = rows.filter((r) => r[4]).map((r) => `${r[1]} vs ${r[3]}`);
    expect(refused).toEqual(['LONG vs -1', 'SHORT vs 1']);
    expect(rows.length).toBe(24);
  });
});
