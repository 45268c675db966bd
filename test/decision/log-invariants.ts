/**
 * The RULEBOOK's family and lease rules checked on a decision log (used over every scenario run):
 * - per coin, the SLBRS family (geometry, kinematics) and the EFFCS family (cascade) are never enabled
 *   at the same time (gate records);
 * - one lease per coin: a GRANT only while nobody holds it; at most one strategy holds a position in a
 *   coin at any time (exec.position records), and it is the lease holder;
 * - a regime that leaves with a position open exits it first: the holder's exit intent comes before
 *   any strategy of the other family is enabled on that coin.
 */
import type { DecisionLine } from '../../decision/engine.ts';
import { parseDecisionRecord } from '../../decision/records.ts';
import type { Registry } from '../../decision/registry.ts';

export interface LogInvariantReport {
  violations: string[];
  gates: number;
  grants: number;
  positionsOpened: number;
  regimeExitsWithPosition: number;
}

export function checkLogInvariants(lines: readonly DecisionLine[], registry: Registry): LogInvariantReport {
  const family = new Map(registry.map((d) => [d.name, d.family]));
  const enabled = new Map<string, Set<string>>();
  const lease = new Map<string, string | null>();
  const holder = new Map<string, string>();
  /** coin → the strategy whose exit must come before the other family is enabled */
  const mustExit = new Map<string, string>();
  const out: LogInvariantReport = {
    violations: [],
    gates: 0,
    grants: 0,
    positionsOpened: 0,
    regimeExitsWithPosition: 0,
  };
  const v = (msg: string) => {
    if (out.violations.length < 20) out.violations.push(msg);
  };
  for (const l of lines) {
    const p = parseDecisionRecord(l);
    if (!p.ok) {
      v(`not a DecisionRecord: ${p.error}`);
      continue;
    }
    const r = p.record;
    if (r.kind === 'gate' && r.strategy) {
      out.gates++;
      let set = enabled.get(r.coin);
      if (!set) enabled.set(r.coin, (set = new Set()));
      if (r.action === 'ENABLE') {
        set.add(r.strategy);
        const fams = new Set([...set].map((s) => family.get(s)));
        if (fams.size > 1) v(`${r.t} ${r.coin}: both families enabled (${[...set].join(', ')})`);
        const pending = mustExit.get(r.coin);
        if (pending && family.get(pending) !== family.get(r.strategy))
          v(`${r.t} ${r.coin}: ${r.strategy} enabled before ${pending} exited its position`);
      } else set.delete(r.strategy);
    } else if (r.kind === 'regime' && r.regime === 'DISABLED') {
      const h = holder.get(r.coin);
      if (h) {
        out.regimeExitsWithPosition++;
        mustExit.set(r.coin, h);
      }
    } else if (r.kind === 'exec.intent' && r.intent.kind === 'exit') {
      if (mustExit.get(r.intent.coin) === r.intent.strategy) mustExit.delete(r.intent.coin);
    } else if (r.kind === 'lease') {
      if (r.action === 'GRANT') {
        out.grants++;
        const cur = lease.get(r.coin) ?? null;
        if (cur !== null && cur !== r.strategy)
          v(`${r.t} ${r.coin}: lease granted to ${r.strategy} while ${cur} holds it`);
        lease.set(r.coin, r.strategy ?? null);
      } else if (r.action === 'RELEASE') lease.set(r.coin, null);
    } else if (r.kind === 'exec.position') {
      const pos = r.position;
      const prev = holder.get(r.coin);
      if (pos) {
        if (!prev) out.positionsOpened++;
        if (prev && prev !== pos.strategy)
          v(`${r.t} ${r.coin}: ${pos.strategy} holds a position while ${prev} does`);
        const l2 = lease.get(r.coin) ?? null;
        if (l2 !== pos.strategy && !(l2 === null && prev === pos.strategy))
          v(`${r.t} ${r.coin}: ${pos.strategy} holds a position without the lease (${l2})`);
        holder.set(r.coin, pos.strategy);
      } else holder.delete(r.coin);
    }
  }
  return out;
}
