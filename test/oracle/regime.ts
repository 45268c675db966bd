/**
 * The RULEBOOK's regime controller ("Regime controller": the regime table, confirmation, Gates,
 * Families, the position lease, logging) written as DATA, as an independent oracle for the regime
 * machine's generated path tests. Written from the RULEBOOK text, not from `machines/regime.*`.
 *
 * Where the RULEBOOK leaves a detail to the implementation, the entry says so ("design").
 *
 * MARKET (design: the control tick's market, forwarded to the member strategies): it changes nothing
 * of the controller's own (regime, gates, lease, member states) and emits no decision. What it does is
 * send each member its input: with `recordsMarkets`, the test's member actors record what they receive
 * and the verdict states, per member, every MARKET it must have been sent.
 */
import { expect } from 'vitest';
import type { EventObject } from 'xstate';
import type { OracleVerdict, PathOracle } from '../kit/machine-paths.ts';

export type Regime = 'SIDEWAYS' | 'EXPANSION' | 'DISABLED';
export type Family = 'SLBRS' | 'EFFCS';
type Input = 'oiRange15m' | 'oiBuild1h' | 'fundingDev' | 'depthAsym5s';
export type Inputs = Record<Input, number>;

/** One condition of a regime: `input` (or its absolute value) compared with a threshold. */
export interface Condition {
  input: Input;
  abs?: boolean;
  op: '<=' | '>=';
  value: number;
}

/** RULEBOOK regime table: "all of". */
export const REGIME_CONDITIONS: Record<'SIDEWAYS' | 'EXPANSION', readonly Condition[]> = {
  SIDEWAYS: [
    { input: 'oiRange15m', op: '<=', value: 0.006 },
    { input: 'fundingDev', op: '<=', value: 0.00002 },
    { input: 'depthAsym5s', abs: true, op: '<=', value: 0.25 },
  ],
  EXPANSION: [
    { input: 'oiBuild1h', op: '>=', value: 0.02 },
    { input: 'fundingDev', op: '>=', value: 0.00004 },
    { input: 'depthAsym5s', abs: true, op: '>=', value: 0.3 },
  ],
};

/** "Entering SIDEWAYS or EXPANSION needs the condition on `confirmTicks` (3) consecutive ticks". */
export const CONFIRM_TICKS = 3;

/** "Families: Geometry and Kinematics form the SLBRS family, Cascade the EFFCS family." */
export const FAMILY_OF: Record<string, Family> = { geometry: 'SLBRS', kinematics: 'SLBRS', cascade: 'EFFCS' };

/** "Gates": what each regime enables and disables. */
export const GATES: Record<Regime, { enables: Family[]; disables: Family[] }> = {
  SIDEWAYS: { enables: ['SLBRS'], disables: ['EFFCS'] },
  EXPANSION: { enables: ['EFFCS'], disables: ['SLBRS'] },
  DISABLED: { enables: [], disables: ['SLBRS', 'EFFCS'] },
};

/** How a tick's classification moves the regime. First matching row decides. */
export interface RegimeRow {
  from: Regime | 'active';
  /** The tick's classification: a regime, or `same` = the regime the controller is in. */
  tick: Regime | 'same' | 'other';
  /** The classification has held on CONFIRM_TICKS consecutive ticks (this one included). */
  confirmed?: boolean;
  to: Regime | 'same';
  source: string;
}

export const REGIME_TABLE: readonly RegimeRow[] = [
  {
    from: 'DISABLED',
    tick: 'SIDEWAYS',
    confirmed: true,
    to: 'SIDEWAYS',
    source: 'entering SIDEWAYS needs confirmTicks consecutive ticks',
  },
  {
    from: 'DISABLED',
    tick: 'EXPANSION',
    confirmed: true,
    to: 'EXPANSION',
    source: 'entering EXPANSION needs confirmTicks consecutive ticks',
  },
  { from: 'DISABLED', tick: 'SIDEWAYS', confirmed: false, to: 'same', source: 'not yet confirmed' },
  { from: 'DISABLED', tick: 'EXPANSION', confirmed: false, to: 'same', source: 'not yet confirmed' },
  { from: 'DISABLED', tick: 'DISABLED', to: 'same', source: 'DISABLED: anything else' },
  { from: 'active', tick: 'same', to: 'same', source: 'the regime holds' },
  { from: 'active', tick: 'DISABLED', to: 'DISABLED', source: 'falling to DISABLED is immediate' },
  {
    from: 'active',
    tick: 'other',
    to: 'DISABLED',
    source: 'falling to DISABLED is immediate (the other regime must be confirmed from DISABLED)',
  },
];

const HEALTHY = 'HEALTHY';

/** The tick's classification and which clause decided it (RULEBOOK regime table, DISABLED row). */
export function classifyTick(
  inputs: Inputs,
  health: string,
  stale: boolean,
): { regime: Regime; clause: string } {
  if (health !== HEALTHY) return { regime: 'DISABLED', clause: 'health not HEALTHY' };
  if (stale) return { regime: 'DISABLED', clause: 'hot state stale' };
  // "any input NULL": a window value still warming up (NaN), or not a number at all
  const all: Input[] = ['oiRange15m', 'oiBuild1h', 'fundingDev', 'depthAsym5s'];
  if (all.some((k) => !Number.isFinite(inputs[k]))) return { regime: 'DISABLED', clause: 'input NULL' };
  const holds = (cs: readonly Condition[]) =>
    cs.every((c) => {
      const x = c.abs ? Math.abs(inputs[c.input]) : inputs[c.input];
      return c.op === '<=' ? x <= c.value : x >= c.value;
    });
  const s = holds(REGIME_CONDITIONS.SIDEWAYS);
  const e = holds(REGIME_CONDITIONS.EXPANSION);
  if (s && e) return { regime: 'DISABLED', clause: 'both' };
  if (s) return { regime: 'SIDEWAYS', clause: 'SIDEWAYS' };
  if (e) return { regime: 'EXPANSION', clause: 'EXPANSION' };
  return { regime: 'DISABLED', clause: 'neither' };
}

export interface RegimeModel {
  regime: Regime;
  /** The active regime's own family has been enabled (the other family was seen all DISABLED). */
  familyOn: boolean;
  /** Last tick's classification and how many consecutive ticks it has held. */
  cand: Regime | null;
  streak: number;
  members: string[];
  memberState: Record<string, string>;
  /** Gates as last sent. */
  gate: Record<string, boolean>;
  /** Locked out after an exception, as the controller knows it. */
  lockedOut: Record<string, boolean>;
  lease: string | null;
  lastInputs: Inputs;
  /** The MARKETs each member has been forwarded (market, time, version, healthy, stale), in order. */
  received: Record<string, Rec[]>;
}

const NULL_INPUTS: Inputs = {
  oiRange15m: Number.NaN,
  oiBuild1h: Number.NaN,
  fundingDev: Number.NaN,
  depthAsym5s: Number.NaN,
};

type Rec = Record<string, unknown>;

/** "Every activation and deactivation is logged with the regime, the inputs and the reason." */
function record(kind: string, regime: Regime | null, inputs: Inputs, extra: Rec = {}): Rec {
  const decision: Rec = { kind, inputs, reason: expect.stringMatching(/\S/), ...extra };
  if (regime) decision.regime = regime;
  return { type: 'decision', decision };
}

function rowFor(m: RegimeModel, c: Regime, confirmed: boolean): RegimeRow {
  for (const r of REGIME_TABLE) {
    if (r.from === 'active' ? m.regime === 'DISABLED' : r.from !== m.regime) continue;
    const tick = r.tick === 'same' ? m.regime : r.tick;
    if (r.tick === 'other' ? c === m.regime || c === 'DISABLED' : tick !== c) continue;
    if (r.confirmed !== undefined && r.confirmed !== confirmed) continue;
    return r;
  }
  throw new Error(`regime oracle: no row for ${m.regime} / ${c}`);
}

export interface RegimeOracleInput {
  members: { strategy: string }[];
  /**
   * The test's member actors record each MARKET they receive in their context's `markets` (its fields
   * but the type): the verdict then states every member's whole list, at the start and after each
   * MARKET (the lists only grow, so a MARKET sent on any other step shows at the next check).
   */
  recordsMarkets?: boolean;
}

/** The forwarding keys (design: "forwarded to every member with an input in it that is not DISABLED"). */
export const MARKET_RULES = [
  'market: forwarded to a member that is not DISABLED',
  'market: none for a member that reported DISABLED (it evaluates nothing)',
  'market: none for a member without an input in it',
] as const;

/** Every rule key the paths must reach. */
export function regimeRules(): string[] {
  return [
    ...REGIME_TABLE.map(
      (r, i) =>
        `row ${i}: ${r.from} --${r.tick}${r.confirmed === undefined ? '' : r.confirmed ? ' confirmed' : ' unconfirmed'}--> ${r.to}`,
    ),
    'gate: entering SIDEWAYS, EFFCS all DISABLED → SLBRS enabled at once',
    'gate: entering SIDEWAYS, EFFCS not all DISABLED → wait',
    'gate: entering EXPANSION, SLBRS all DISABLED → EFFCS enabled at once',
    'gate: entering EXPANSION, SLBRS not all DISABLED → wait',
    'family: the last member of the other family reached DISABLED → own family enabled',
    'gate: the regime left → every enabled member disabled',
    'lock-out: a member reached DISABLED while enabled → locked out, gate off',
    'lock-out: operator re-enable, the regime holds → enabled at the next tick',
    'lease: granted',
    'lease: denied (held by another)',
    'lease: denied (not enabled)',
    'lease: released by its holder',
    'lease: release by a non-holder ignored',
    ...MARKET_RULES,
  ];
}

export function regimeOracle(io: RegimeOracleInput): PathOracle<RegimeModel> {
  const names = io.members.map((m) => m.strategy);
  const familyOf = (s: string): Family => {
    const f = FAMILY_OF[s];
    if (!f) throw new Error(`regime oracle: ${s} is not a RULEBOOK strategy`);
    return f;
  };
  const value = (m: RegimeModel): unknown =>
    m.regime === 'DISABLED' ? 'DISABLED' : { [m.regime]: m.familyOn ? 'active' : 'waitingFamily' };
  const verdict = (m: RegimeModel, emitted: Rec[], market: boolean): OracleVerdict => ({
    value: value(m),
    emitted,
    context: { enabled: m.gate, lease: m.lease, memberStates: m.memberState },
    ...(io.recordsMarkets && market
      ? { children: Object.fromEntries(names.map((s) => [s, { markets: m.received[s] }])) }
      : {}),
  });
  const allDisabled = (m: RegimeModel, f: Family) =>
    names.filter((s) => familyOf(s) === f).every((s) => m.memberState[s] === 'DISABLED');

  /** Enable the active regime's family (less locked-out or already enabled members). */
  const enableOwn = (m: RegimeModel, out: Rec[], keys: string[]) => {
    for (const f of GATES[m.regime].enables) {
      for (const s of names) {
        if (familyOf(s) !== f || m.gate[s] || m.lockedOut[s]) continue;
        m.gate[s] = true;
        out.push(record('gate', m.regime, m.lastInputs, { action: 'ENABLE', strategy: s }));
        keys.push(`enabled ${s}`);
      }
    }
  };
  /** The active regime's family may be enabled once every member of the other family is DISABLED. */
  const tryFamily = (m: RegimeModel, out: Rec[], keys: string[]) => {
    if (m.regime === 'DISABLED' || m.familyOn) return false;
    if (!GATES[m.regime].disables.every((f) => allDisabled(m, f))) return false;
    m.familyOn = true;
    enableOwn(m, out, keys);
    return true;
  };

  const run = (prev: RegimeModel, event: EventObject): { model: RegimeModel; out: Rec[]; keys: string[] } => {
    const m: RegimeModel = {
      ...prev,
      memberState: { ...prev.memberState },
      gate: { ...prev.gate },
      lockedOut: { ...prev.lockedOut },
    };
    const out: Rec[] = [];
    const keys: string[] = [];
    const e = event as EventObject & Rec;
    if (e.type === 'TICK') {
      const inputs = e.inputs as Inputs;
      m.lastInputs = inputs;
      const c = classifyTick(inputs, e.health as string, e.stale as boolean).regime;
      m.streak = m.cand === c ? m.streak + 1 : 1;
      m.cand = c;
      const row = rowFor(m, c, c !== 'DISABLED' && m.streak >= CONFIRM_TICKS);
      keys.push(regimeRules()[REGIME_TABLE.indexOf(row)]!);
      const to = row.to === 'same' ? m.regime : row.to;
      if (to !== m.regime) {
        if (to === 'DISABLED') {
          // "DISABLED disables all"
          for (const s of names) {
            if (!m.gate[s]) continue;
            m.gate[s] = false;
            out.push(record('gate', 'DISABLED', inputs, { action: 'DISABLE', strategy: s }));
          }
          keys.push('gate: the regime left → every enabled member disabled');
          m.familyOn = false;
        } else {
          // "the controller disables one family and sees every member reach DISABLED before it enables the other"
          for (const f of GATES[to].disables)
            for (const s of names)
              if (familyOf(s) === f && m.gate[s]) {
                m.gate[s] = false;
                out.push(record('gate', to, inputs, { action: 'DISABLE', strategy: s }));
              }
          m.familyOn = false;
        }
        m.regime = to;
        out.push(record('regime', to, inputs));
        if (to !== 'DISABLED') {
          const other = GATES[to].disables[0]!;
          const at = tryFamily(m, out, keys);
          keys.push(
            `gate: entering ${to}, ${other} ${at ? 'all DISABLED → ' + GATES[to].enables[0] + ' enabled at once' : 'not all DISABLED → wait'}`,
          );
        }
      } else if (m.regime !== 'DISABLED' && m.familyOn) {
        // "An operator re-enable clears the lock-out; if the strategy's regime is active, the controller
        // enables it at the next tick (the gate is logged)."
        const before = out.length;
        enableOwn(m, out, keys);
        if (out.length > before)
          keys.push('lock-out: operator re-enable, the regime holds → enabled at the next tick');
      }
      return { model: m, out, keys };
    }
    if (e.type === 'MEMBER_STATE') {
      const s = e.strategy as string;
      if (!names.includes(s)) return { model: m, out, keys };
      m.memberState[s] = e.state as string;
      // "Strategies cannot enable themselves" and only an exception takes one out of the gate on its own:
      // a member that reaches DISABLED while enabled was locked out (or it says so)
      const explicit = e.lockedOut as boolean | undefined;
      const locked = explicit ?? (m.lockedOut[s] || (e.state === 'DISABLED' && m.gate[s] === true));
      m.lockedOut[s] = locked;
      if (locked && m.gate[s]) {
        m.gate[s] = false;
        out.push(record('gate', m.regime, m.lastInputs, { action: 'DISABLE', strategy: s }));
        keys.push('lock-out: a member reached DISABLED while enabled → locked out, gate off');
      }
      if (tryFamily(m, out, keys))
        keys.push('family: the last member of the other family reached DISABLED → own family enabled');
      return { model: m, out, keys };
    }
    if (e.type === 'MARKET') {
      // the member's own input, to each member that has one and has not reported DISABLED; nothing of the
      // controller's own changes and no decision is logged
      const markets = e.markets as Record<string, unknown>;
      for (const s of names) {
        if (!Object.hasOwn(markets, s)) keys.push(MARKET_RULES[2]);
        else if (m.memberState[s] === 'DISABLED') keys.push(MARKET_RULES[1]);
        else {
          const sent = {
            market: markets[s],
            time: e.time,
            version: e.version,
            healthy: e.healthy,
            stale: e.stale,
          };
          m.received = { ...m.received, [s]: [...(m.received[s] ?? []), sent] };
          keys.push(MARKET_RULES[0]);
        }
      }
      return { model: m, out, keys };
    }
    if (e.type === 'OPERATOR_ENABLE') {
      const s = e.strategy as string;
      if (names.includes(s)) m.lockedOut[s] = false;
      return { model: m, out, keys };
    }
    if (e.type === 'ACQUIRE_LEASE') {
      // "At most one strategy holds a position in a coin at a time (the controller grants one position
      // lease per coin)"; design: only a strategy the controller has enabled may take it
      const s = e.strategy as string;
      const free = m.lease === null || m.lease === s;
      if (free && m.gate[s] === true) {
        m.lease = s;
        out.push(record('lease', null, m.lastInputs, { action: 'GRANT', strategy: s }));
        keys.push('lease: granted');
      } else {
        out.push(record('lease', null, m.lastInputs, { action: 'DENY', strategy: s }));
        keys.push(free ? 'lease: denied (not enabled)' : 'lease: denied (held by another)');
      }
      return { model: m, out, keys };
    }
    if (e.type === 'RELEASE_LEASE') {
      const s = e.strategy as string;
      if (m.lease === s) {
        m.lease = null;
        out.push(record('lease', null, m.lastInputs, { action: 'RELEASE', strategy: s }));
        keys.push('lease: released by its holder');
      } else keys.push('lease: release by a non-holder ignored');
      return { model: m, out, keys };
    }
    return { model: m, out, keys };
  };

  // the oracle state × event pairs a path is selected for (coarse enough to stay a few hundred paths)
  const flags = (m: RegimeModel) => JSON.stringify([m.regime, m.familyOn, m.gate, m.lockedOut, m.lease]);

  return {
    rules: regimeRules,
    keys: (m, event) => [...run(m, event).keys, `pair: ${flags(m)} ${JSON.stringify(event)}`],
    initial: () => {
      const model: RegimeModel = {
        regime: 'DISABLED',
        familyOn: false,
        cand: null,
        streak: 0,
        members: names,
        memberState: Object.fromEntries(names.map((s) => [s, 'DISABLED'])),
        gate: Object.fromEntries(names.map((s) => [s, false])),
        lockedOut: Object.fromEntries(names.map((s) => [s, false])),
        lease: null,
        lastInputs: NULL_INPUTS,
        received: Object.fromEntries(names.map((s) => [s, []])),
      };
      // design: the starting regime is logged too
      return { model, verdict: verdict(model, [record('regime', 'DISABLED', NULL_INPUTS)], true) };
    },
    step: (prev, event) => {
      const { model, out } = run(prev, event);
      return { model, verdict: verdict(model, out, event.type === 'MARKET') };
    },
  };
}
