import type { RegimeInputs } from '../../machines/regime.types.ts';

export const SIDEWAYS_INPUTS: RegimeInputs = {
  oiRange15m: 0.002,
  oiBuild1h: 0.003,
  fundingDev: 0.000005,
  depthAsym5s: 0.05,
};
export const EXPANSION_INPUTS: RegimeInputs = {
  oiRange15m: 0.03,
  oiBuild1h: 0.04,
  fundingDev: 0.00006,
  depthAsym5s: -0.4,
};
export const CHOP_INPUTS: RegimeInputs = {
  oiRange15m: 0.01,
  oiBuild1h: 0.01,
  fundingDev: 0.00003,
  depthAsym5s: 0.27,
};
export const TIMINGS = {
  armTimeoutMs: 30_000,
  maxHoldMs: 900_000,
  cooldownMs: 60_000,
  exitRetryMs: 2_000,
  entryTimeoutMs: 5_000,
};
