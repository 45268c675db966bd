/**
 * The whole decision side over the simulator's named scenarios (offline, as fast as the CPU allows):
 * regime agreement with the ground truth (recall), precision (false activations: truth DISABLED,
 * controller active), and Geometry's behaviour per scenario, asserted over the decision log.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import { formatValidation, type RegimeValidation, validateRegime } from '../../replay/validate-regime.ts';
import { DECISION_KINDS, parseDecisionRecord } from '../../decision/records.ts';
import { STRATEGIES } from '../../decision/registry.ts';
import { checkLogInvariants } from '../decision/log-invariants.ts';
import { parseConfig } from '../../runtime/config.ts';
import { FAMILY_REGIME } from '../../strategies/definition.ts';

/** The regime each registry strategy trades in. */
const REGIME_OF: Record<string, string> = Object.fromEntries(
  STRATEGIES.map((d) => [d.name, FAMILY_REGIME[d.family]]),
);

const SCENARIOS = ['default', 'sideways', 'expansion-cascade', 'chop'] as const;
const config = engineConfigFrom(parseConfig({}));
const runs = new Map<string, { v: RegimeValidation; lines: DecisionLine[] }>();

beforeAll(() => {
  for (const scenario of SCENARIOS) {
    const lines: DecisionLine[] = [];
    const v = validateRegime({ scenario, seed: 7, config, onLine: (l) => lines.push(l) });
    console.log(formatValidation(v));
    runs.set(scenario, { v, lines });
  }
}, 600_000);

/** Walk the log: regime and strategy state per coin at every line. */
function walk(
  lines: DecisionLine[],
  visit: (l: DecisionLine, regime: Record<string, string>, strat: Record<string, string>) => void,
) {
  const regime: Record<string, string> = {};
  const strat: Record<string, string> = {};
  for (const l of lines) {
    if (l.kind === 'regime') regime[l.coin as string] = l.regime as string;
    if (l.kind === 'strategy') strat[`${l.coin}/${l.strategy}`] = l.to as string;
    visit(l, regime, strat);
  }
}

describe('families and leases with the real members, over every scenario', () => {
  it('never both families enabled on a coin, one lease and one position per coin, a leaving regime exits first', () => {
    let reach = { gates: 0, grants: 0, positionsOpened: 0, regimeExitsWithPosition: 0 };
    for (const s of SCENARIOS) {
      const r = checkLogInvariants(runs.get(s)!.lines, STRATEGIES);
      expect(r.violations, s).toEqual([]);
      reach = {
        gates: reach.gates + r.gates,
        grants: reach.grants + r.grants,
        positionsOpened: reach.positionsOpened + r.positionsOpened,
        regimeExitsWithPosition: reach.regimeExitsWithPosition + r.regimeExitsWithPosition,
      };
    }
    console.log(`family/lease invariants reach: ${JSON.stringify(reach)}`);
    expect(reach.gates).toBeGreaterThan(10);
    expect(reach.positionsOpened).toBeGreaterThan(10);
    expect(reach.regimeExitsWithPosition).toBeGreaterThan(0);
  });
});

describe('the decision log format (decision/records.ts)', () => {
  it('every line the decision side wrote over every scenario is a DecisionRecord, and the kinds seen are listed', () => {
    const seen = new Map<string, number>();
    for (const s of SCENARIOS) {
      for (const l of runs.get(s)!.lines) {
        const r = parseDecisionRecord(JSON.parse(JSON.stringify(l)));
        expect(r, `${s}: ${JSON.stringify(l).slice(0, 300)}`).toMatchObject({ ok: true });
        seen.set(l.kind, (seen.get(l.kind) ?? 0) + 1);
      }
    }
    console.log(`decision records by kind: ${JSON.stringify(Object.fromEntries(seen))}`);
    for (const k of seen.keys()) expect(DECISION_KINDS).toContain(k);
    // the scenarios reach the records a trading day is made of
    for (const k of [
      'health',
      'regime',
      'gate',
      'lease',
      'strategy',
      'exec.intent',
      'exec.fill',
      'exec.position',
    ])
      expect(seen.get(k) ?? 0, k).toBeGreaterThan(0);
  });
});

describe('regime controller vs the simulator ground truth (per coin per second after the 1 h warm-up)', () => {
  it('agreement ≥ 95 % on labelled SIDEWAYS/EXPANSION seconds, zero opposite-regime seconds', () => {
    let labelled = 0;
    let agreed = 0;
    for (const s of SCENARIOS) {
      const { v } = runs.get(s)!;
      expect(v.opposite, `${s}: opposite-regime seconds`).toBe(0);
      const active =
        v.matrix.SIDEWAYS.SIDEWAYS +
        v.matrix.SIDEWAYS.EXPANSION +
        v.matrix.SIDEWAYS.DISABLED +
        v.matrix.EXPANSION.SIDEWAYS +
        v.matrix.EXPANSION.EXPANSION +
        v.matrix.EXPANSION.DISABLED;
      labelled += active;
      agreed += v.matrix.SIDEWAYS.SIDEWAYS + v.matrix.EXPANSION.EXPANSION;
      // scenarios whose active regime is substantial are held to the target on their own
      if (active >= 1000) expect(v.agreement, `${s}: agreement`).toBeGreaterThanOrEqual(0.95);
      expect(v.seconds).toBeGreaterThan(1000);
    }
    expect(agreed / labelled).toBeGreaterThanOrEqual(0.95);
  });
});

describe('regime precision: a confusion matrix per scenario, false activations bounded', () => {
  // Measured (seed 7, 2026-11-30): false activations default 16 s (0.38 % of truth-DISABLED seconds),
  // sideways 0, expansion-cascade 21 s (0.59 %), chop 2 s (0.02 %). The bounds leave room for the
  // few seconds a confirmed regime outlives its label, not for a rule that fires where it should not
  // (SIDEWAYS without its OI condition called ~1 000 truth-DISABLED seconds SIDEWAYS).
  const MAX_FALSE_RATE = 0.01;
  const MAX_FALSE_SECONDS = 60;
  for (const s of SCENARIOS) {
    it(`${s}: false activations (truth DISABLED, controller active) ≤ 1 % and ≤ ${MAX_FALSE_SECONDS} s; precision ≥ 98 %`, () => {
      const { v } = runs.get(s)!;
      const m = v.matrix;
      // the matrix accounts for every compared second, and its derived figures agree with it
      const total = (['SIDEWAYS', 'EXPANSION', 'DISABLED'] as const).reduce(
        (n, t) => n + m[t].SIDEWAYS + m[t].EXPANSION + m[t].DISABLED,
        0,
      );
      expect(total).toBe(v.seconds);
      expect(v.falseActivations).toBe(m.DISABLED.SIDEWAYS + m.DISABLED.EXPANSION);
      const truthDisabled = m.DISABLED.SIDEWAYS + m.DISABLED.EXPANSION + m.DISABLED.DISABLED;
      if (truthDisabled > 0)
        expect(v.falseActivationRate).toBeCloseTo(v.falseActivations / truthDisabled, 12);
      expect(v.falseActivations, `${s}: false activation seconds`).toBeLessThanOrEqual(MAX_FALSE_SECONDS);
      expect(v.falseActivationRate, `${s}: false activation rate`).toBeLessThanOrEqual(MAX_FALSE_RATE);
      for (const c of v.coins)
        expect(v.perCoin[c]!.falseActivations, `${s}/${c}: false activations`).toBeLessThanOrEqual(
          MAX_FALSE_SECONDS,
        );
      // precision of each active regime the controller called for a substantial time
      for (const r of ['SIDEWAYS', 'EXPANSION'] as const) {
        const called = m.SIDEWAYS[r] + m.EXPANSION[r] + m.DISABLED[r];
        if (called >= 500) expect(v.precision[r], `${s}: ${r} precision`).toBeGreaterThanOrEqual(0.98);
      }
    });
  }

  it('over all scenarios: false activations ≤ 0.5 % of truth-DISABLED seconds', () => {
    let falseSeconds = 0;
    let truthDisabled = 0;
    for (const s of SCENARIOS) {
      const { v } = runs.get(s)!;
      falseSeconds += v.falseActivations;
      truthDisabled += v.matrix.DISABLED.SIDEWAYS + v.matrix.DISABLED.EXPANSION + v.matrix.DISABLED.DISABLED;
    }
    expect(truthDisabled).toBeGreaterThan(10_000); // the scenarios do label plenty of DISABLED time
    expect(falseSeconds / truthDisabled).toBeLessThanOrEqual(0.005);
  });
});

describe('Geometry over the named scenarios (decision log)', () => {
  it('sideways: the strategy arms and enters, with exact stops and targets', () => {
    const { lines } = runs.get('sideways')!;
    const states = lines.filter((l) => l.kind === 'strategy').map((l) => l.to);
    expect(states).toContain('ARMED.watching');
    expect(states).toContain('ENTERED');
    const entries = lines.filter(
      (l) => l.kind === 'exec.intent' && (l.intent as { kind: string }).kind === 'entry',
    );
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      const i = e.intent as { stop: number; target: number; side: string };
      expect(Number.isFinite(i.stop) && Number.isFinite(i.target)).toBe(true);
      if (i.side === 'LONG') expect(i.stop).toBeLessThan(i.target);
      else expect(i.stop).toBeGreaterThan(i.target);
    }
  });

  for (const s of SCENARIOS) {
    it(`${s}: every strategy enters only in its own regime; every position is closed when that regime leaves`, () => {
      const { lines } = runs.get(s)!;
      const entered: Record<string, number> = {};
      const prevRegime: Record<string, string> = {};
      let pendingCheck: { coin: string; t: number; left: string } | null = null;
      walk(lines, (l, regime, strat) => {
        if (pendingCheck && l.t > pendingCheck.t) {
          // by the end of the tick on which the regime left, no position of a strategy of that regime is held
          for (const d of STRATEGIES.filter((x) => REGIME_OF[x.name] === pendingCheck!.left))
            expect(
              strat[`${pendingCheck.coin}/${d.name}`],
              `${s}: ${pendingCheck.coin} ${d.name} still ENTERED after leaving ${pendingCheck.left} at ${pendingCheck.t}`,
            ).not.toBe('ENTERED');
          pendingCheck = null;
        }
        if (l.kind === 'strategy' && l.to === 'ENTERED') {
          const name = l.strategy as string;
          entered[name] = (entered[name] ?? 0) + 1;
          expect(
            regime[l.coin as string],
            `${s}: ${name} entered at ${l.t} in ${regime[l.coin as string]}`,
          ).toBe(REGIME_OF[name]);
        }
        if (l.kind === 'regime' && l.regime === 'DISABLED' && pendingCheck === null)
          pendingCheck = { coin: l.coin as string, t: l.t, left: prevRegime[l.coin as string] ?? 'DISABLED' };
        if (l.kind === 'regime') prevRegime[l.coin as string] = l.regime as string;
      });
      console.log(`${s}: entries by strategy ${JSON.stringify(entered)}`);
      if (s === 'sideways' || s === 'default') expect(entered.geometry ?? 0).toBeGreaterThan(0);
    });
  }

  it('emergency exits (regime left SIDEWAYS: DISABLE with a position) close at market and leave the coin flat', () => {
    let emergencies = 0;
    for (const s of SCENARIOS) {
      const { lines } = runs.get(s)!;
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i]!;
        if (l.kind !== 'exec.intent') continue;
        const intent = l.intent as {
          kind: string;
          emergency?: boolean;
          coin: string;
          id: string;
          atMarket?: boolean;
        };
        if (intent.kind !== 'exit' || !intent.emergency) continue;
        emergencies++;
        expect(intent.atMarket).toBe(true);
        // answered by EXIT_FILLED once the position is flat
        const filled = lines
          .slice(i)
          .find(
            (x) =>
              x.kind === 'exec.strategy' &&
              (x.event as { type: string; intentId: string }).intentId === intent.id,
          );
        expect(filled, `${s}: emergency exit ${intent.id} never filled`).toBeDefined();
        expect((filled!.event as { type: string }).type).toBe('EXIT_FILLED');
      }
    }
    expect(emergencies).toBeGreaterThan(0);
  });

  it('every exit has a RULEBOOK reason, and no position outlives a regime that left SIDEWAYS', () => {
    for (const s of SCENARIOS) {
      const { lines } = runs.get(s)!;
      const exits = lines.filter(
        (l) => l.kind === 'exec.intent' && (l.intent as { kind: string }).kind === 'exit',
      );
      for (const e of exits) {
        expect(['target', 'stop', 'invalidation', 'maxHold', 'disable', 'reset', 'exception']).toContain(
          (e.intent as { reason: string }).reason,
        );
      }
      // a coin whose regime is no longer SIDEWAYS at the end holds no position (all exits filled)
      const last = new Map<string, unknown>();
      const regime = new Map<string, unknown>();
      for (const l of lines) {
        if (l.kind === 'exec.position') last.set(l.coin as string, l.position);
        if (l.kind === 'regime') regime.set(l.coin as string, l.regime);
      }
      for (const [coin, pos] of last)
        if (regime.get(coin) !== 'SIDEWAYS') expect(pos, `${s}: ${coin} position at the end`).toBeNull();
    }
  });
});
