/** Types of the regime controller (RULEBOOK "Regime controller"). Plain, serialisable data. */
export type Regime = 'SIDEWAYS' | 'EXPANSION' | 'DISABLED';
export type Family = 'SLBRS' | 'EFFCS';
export type HealthLevel = 'HEALTHY' | 'DEGRADED' | 'HALTED' | 'WARMING';

/** The hot-state inputs the classification reads; NaN = NULL (still warming up). */
export interface RegimeInputs {
  oiRange15m: number;
  oiBuild1h: number;
  fundingDev: number;
  depthAsym5s: number;
}

export interface RegimeThresholds {
  sideways: { oiRange15mMax: number; fundingDevMax: number; depthAsymAbsMax: number };
  expansion: { oiBuild1hMin: number; fundingDevMin: number; depthAsymAbsMin: number };
  /** Consecutive ticks a regime's condition must hold before it is entered. */
  confirmTicks: number;
}

export const DEFAULT_REGIME_THRESHOLDS: RegimeThresholds = {
  sideways: { oiRange15mMax: 0.006, fundingDevMax: 0.00002, depthAsymAbsMax: 0.25 },
  expansion: { oiBuild1hMin: 0.02, fundingDevMin: 0.00004, depthAsymAbsMin: 0.3 },
  confirmTicks: 3,
};

export interface MemberSpec {
  strategy: string;
  family: Family;
  /** The member's own lifecycle timings (arm timeout, max hold, cooldown), over the controller's. */
  timings?: Partial<import('./strategy.types.ts').StrategyTimings>;
  /** Its rules, evaluated by its actor on each forwarded MARKET tick. */
  rules?: import('./strategy.types.ts').StrategyRules;
}

export interface Classification {
  regime: Regime;
  reason: string;
}

export interface RegimeDecision {
  kind: 'regime' | 'gate' | 'lease';
  coin: string;
  time: number;
  version: number;
  regime: Regime;
  /** For gates: ENABLE/DISABLE and the strategy; for leases: GRANT/DENY/RELEASE. */
  action?: string;
  strategy?: string;
  reason: string;
  inputs: RegimeInputs;
}
