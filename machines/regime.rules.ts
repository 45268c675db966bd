/**
 * The regime classification as a pure function (RULEBOOK "Regime controller"). Ambiguity is DISABLED:
 * neither, both, any input NULL (NaN or not finite), health not HEALTHY, hot state stale. Thresholds are
 * inclusive (`≤` for SIDEWAYS, `≥` for EXPANSION) and `depthAsym5s` is read as its absolute value.
 */
import type { Classification, HealthLevel, Regime, RegimeInputs, RegimeThresholds } from './regime.types.ts';

// the inputs are finite here (NULL and non-finite inputs return before the description is built)
const fmt = (x: number) => Number(x.toPrecision(6)).toString();

export function classify(
  inputs: RegimeInputs,
  health: HealthLevel,
  stale: boolean,
  th: RegimeThresholds,
): Classification {
  if (health !== 'HEALTHY') return { regime: 'DISABLED', reason: `health ${health}` };
  if (stale) return { regime: 'DISABLED', reason: 'hot state stale' };
  // NULL (NaN) and anything else that is not a finite number (±Infinity from a zero divisor, a missing
  // field): a rule that needs it is false, so no regime.
  const nulls = (Object.keys(inputs) as Array<keyof RegimeInputs>)
    .filter((k) => !Number.isFinite(inputs[k]))
    .map((k) => (Number.isNaN(inputs[k]) ? k : `${k}=${String(inputs[k])}`));
  if (nulls.length > 0) return { regime: 'DISABLED', reason: `NULL input: ${nulls.join(', ')}` };
  const asym = Math.abs(inputs.depthAsym5s);
  const s = th.sideways;
  const e = th.expansion;
  const sideways =
    inputs.oiRange15m <= s.oiRange15mMax && inputs.fundingDev <= s.fundingDevMax && asym <= s.depthAsymAbsMax;
  const expansion =
    inputs.oiBuild1h >= e.oiBuild1hMin && inputs.fundingDev >= e.fundingDevMin && asym >= e.depthAsymAbsMin;
  const desc = `oiRange15m=${fmt(inputs.oiRange15m)} oiBuild1h=${fmt(inputs.oiBuild1h)} fundingDev=${fmt(inputs.fundingDev)} |depthAsym5s|=${fmt(asym)}`;
  if (sideways && expansion) return { regime: 'DISABLED', reason: `ambiguous (both hold): ${desc}` };
  if (sideways) return { regime: 'SIDEWAYS', reason: `SIDEWAYS conditions hold: ${desc}` };
  if (expansion) return { regime: 'EXPANSION', reason: `EXPANSION conditions hold: ${desc}` };
  return { regime: 'DISABLED', reason: `neither regime holds: ${desc}` };
}

export function familyOf(regime: Regime): 'SLBRS' | 'EFFCS' | null {
  return regime === 'SIDEWAYS' ? 'SLBRS' : regime === 'EXPANSION' ? 'EFFCS' : null;
}
