/**
 * Regime validation against the simulator's ground truth ("matches manual analysis"): play a scenario
 * through the real ingest pipeline and decision side, and compare, per coin per second after the warm-up,
 * the controller's regime with the simulator's label. Reports a confusion matrix, the agreement on
 * labelled SIDEWAYS and EXPANSION seconds, the seconds classified as the opposite active regime, and
 * precision: false activations (truth DISABLED, controller active) and, per active regime, the share of
 * the seconds the controller called it that the truth agrees with.
 */
import type { Regime } from '../machines/regime.types.ts';
import type { DecisionLine, EngineConfig } from '../decision/engine.ts';
import { DecisionFeed } from './replay-journal.ts';
import { simSession } from './sim-session.ts';

export const REGIMES: readonly Regime[] = ['SIDEWAYS', 'EXPANSION', 'DISABLED'];

export interface RegimeValidation {
  scenario: string;
  seed: number;
  coins: string[];
  /** Seconds compared (per coin, after the warm-up). */
  seconds: number;
  /** matrix[truth][classified] = seconds. */
  matrix: Record<Regime, Record<Regime, number>>;
  /** Share of labelled SIDEWAYS and EXPANSION seconds classified as their label (0–1). */
  agreement: number;
  /** Seconds classified SIDEWAYS while the truth is EXPANSION, or the reverse. */
  opposite: number;
  /** Agreement over all compared seconds, DISABLED included. */
  overall: number;
  /** Seconds the truth is DISABLED and the controller has an active regime (SIDEWAYS or EXPANSION). */
  falseActivations: number;
  /** falseActivations / truth-DISABLED seconds (0 when there are none). */
  falseActivationRate: number;
  /** Per active regime: seconds classified as it whose truth is it, over all seconds classified as it (1 when none). */
  precision: Record<'SIDEWAYS' | 'EXPANSION', number>;
  perCoin: Record<string, { agreement: number; opposite: number; falseActivations: number; seconds: number }>;
  warmupMs: number;
  elapsedMs: number;
}

function emptyMatrix(): Record<Regime, Record<Regime, number>> {
  const m = {} as Record<Regime, Record<Regime, number>>;
  for (const t of REGIMES) m[t] = { SIDEWAYS: 0, EXPANSION: 0, DISABLED: 0 };
  return m;
}

export function validateRegime(opts: {
  scenario: string;
  seed: number;
  config: EngineConfig;
  /** Seconds before this are not compared (default 1 h: the longest window must be warm). */
  warmupMs?: number;
  durationMs?: number;
  now?: () => number;
  /** Every decision line, as the decision side wrote it. */
  onLine?: (l: DecisionLine) => void;
}): RegimeValidation {
  const coins = [...opts.config.coins];
  const warmupMs = opts.warmupMs ?? 3_600_000;
  const now = opts.now ?? (() => 0);
  const started = now();
  const truth = new Map<string, Regime>(); // `${coin}@${second}`
  const current: Record<string, Regime> = Object.fromEntries(coins.map((c) => [c, 'DISABLED' as Regime]));
  const feed = new DecisionFeed(opts.config, (l: DecisionLine) => {
    if (l.kind === 'regime') current[l.coin as string] = l.regime as Regime;
    opts.onLine?.(l);
  });
  const matrix = emptyMatrix();
  const perCoin: Record<
    string,
    { ok: number; labelled: number; opposite: number; falseActivations: number; seconds: number }
  > = {};
  for (const c of coins) perCoin[c] = { ok: 0, labelled: 0, opposite: 0, falseActivations: 0, seconds: 0 };
  let start = Number.NaN;
  let seconds = 0;
  const sessionOpts: Parameters<typeof simSession>[0] = {
    seed: opts.seed,
    scenario: opts.scenario,
    coins,
    tickMs: opts.config.tickMs,
    fast: opts.config.health.fastBook,
    onLabel: (l) => truth.set(`${l.coin}@${Math.floor(l.t / 1000)}`, l.regime),
    onRecord: (rec) => {
      feed.record(rec);
      if (rec.kind !== 3) return; // compare after each control tick
      if (Number.isNaN(start)) start = rec.time;
      if (rec.time - start < warmupMs) return;
      const sec = Math.floor(rec.time / 1000);
      for (const c of coins) {
        const t = truth.get(`${c}@${sec}`) ?? truth.get(`${c}@${sec - 1}`);
        if (!t) continue;
        const got = current[c]!;
        matrix[t][got]++;
        seconds++;
        const pc = perCoin[c]!;
        pc.seconds++;
        if (t !== 'DISABLED') {
          pc.labelled++;
          if (got === t) pc.ok++;
          if (got !== 'DISABLED' && got !== t) pc.opposite++;
        } else if (got !== 'DISABLED') pc.falseActivations++;
      }
    },
  };
  if (opts.durationMs !== undefined) sessionOpts.durationMs = opts.durationMs;
  simSession(sessionOpts);
  feed.engine?.stop();
  const labelled = REGIMES.filter((r) => r !== 'DISABLED').reduce(
    (n, r) => n + REGIMES.reduce((k, g) => k + matrix[r][g], 0),
    0,
  );
  const agreed = matrix.SIDEWAYS.SIDEWAYS + matrix.EXPANSION.EXPANSION;
  const opposite = matrix.SIDEWAYS.EXPANSION + matrix.EXPANSION.SIDEWAYS;
  const diag = agreed + matrix.DISABLED.DISABLED;
  const falseActivations = matrix.DISABLED.SIDEWAYS + matrix.DISABLED.EXPANSION;
  const truthDisabled = REGIMES.reduce((k, g) => k + matrix.DISABLED[g], 0);
  const precisionOf = (r: 'SIDEWAYS' | 'EXPANSION') => {
    const called = REGIMES.reduce((k, t) => k + matrix[t][r], 0);
    return called === 0 ? 1 : matrix[r][r] / called;
  };
  return {
    scenario: opts.scenario,
    seed: opts.seed,
    coins,
    seconds,
    matrix,
    agreement: labelled === 0 ? 1 : agreed / labelled,
    opposite,
    overall: seconds === 0 ? 1 : diag / seconds,
    falseActivations,
    falseActivationRate: truthDisabled === 0 ? 0 : falseActivations / truthDisabled,
    precision: { SIDEWAYS: precisionOf('SIDEWAYS'), EXPANSION: precisionOf('EXPANSION') },
    perCoin: Object.fromEntries(
      Object.entries(perCoin).map(([c, p]) => [
        c,
        {
          agreement: p.labelled === 0 ? 1 : p.ok / p.labelled,
          opposite: p.opposite,
          falseActivations: p.falseActivations,
          seconds: p.seconds,
        },
      ]),
    ),
    warmupMs,
    elapsedMs: now() - started,
  };
}

export function formatValidation(v: RegimeValidation): string {
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  const lines = [
    `regime validation: scenario ${v.scenario}, seed ${v.seed}, coins ${v.coins.join(',')}, ${v.seconds} coin-seconds after ${v.warmupMs / 60000} min warm-up`,
    '',
    `${'truth \\ classified'.padEnd(20)}${REGIMES.map((r) => pad(r, 11)).join('')}`,
    ...REGIMES.map((t) => `${t.padEnd(20)}${REGIMES.map((g) => pad(v.matrix[t][g], 11)).join('')}`),
    '',
    `agreement on labelled SIDEWAYS/EXPANSION seconds: ${(v.agreement * 100).toFixed(2)} %`,
    `seconds classified as the opposite active regime: ${v.opposite}`,
    `overall agreement (DISABLED included): ${(v.overall * 100).toFixed(2)} %`,
    `false activations (truth DISABLED, controller active): ${v.falseActivations} s (${(v.falseActivationRate * 100).toFixed(2)} % of truth-DISABLED seconds)`,
    `precision: SIDEWAYS ${(v.precision.SIDEWAYS * 100).toFixed(2)} %, EXPANSION ${(v.precision.EXPANSION * 100).toFixed(2)} %`,
  ];
  return lines.join('\n');
}
