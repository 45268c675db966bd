/**
 * Strategy validation against the simulator's labelled events (issue 15): play a scenario through the real
 * ingest pipeline and decision side (every registry strategy enabled as configured), then, per strategy,
 * read the decision log and say
 * - precision: the share of its entries inside a labelled event of its kind (coin and time in the window);
 * - recall: the share of its labelled events it took (at least one entry inside);
 * - regime: entries made while the coin's regime was not the strategy's own (must be 0);
 * - PnL: its closed round trips net of fees, as the replay report reads them (`decision-log.ts`).
 * Everything is read from the decision log (`DecisionRecord`s), as a trader would audit it.
 */
import type { DecisionLine, EngineConfig } from '../decision/engine.ts';
import { parseDecisionRecord } from '../decision/records.ts';
import { type Registry, STRATEGIES } from '../decision/registry.ts';
import { EVENT_STRATEGY, matchEntries, type StrategyEvent, type StrategyEventKind } from '../sim/events.ts';
import type { JournalRecord } from '../state/records.ts';
import { FAMILY_REGIME } from '../strategies/definition.ts';
import { analyseDecisions } from './decision-log.ts';
import { DecisionFeed } from './replay-journal.ts';
import { simSession } from './sim-session.ts';

export interface StrategyValidation {
  strategy: string;
  regime: string;
  /** The event kinds this strategy exists for (empty: the scenario cannot judge its precision). */
  kinds: StrategyEventKind[];
  events: number;
  entries: number;
  inside: number;
  precision: number | null;
  recall: number | null;
  taken: string[];
  /** Entries made while the coin's regime was not the strategy's own. */
  outsideRegime: number;
  trades: number;
  wins: number;
  pnl: number;
  fees: number;
  /** Entries outside every labelled event: coin, time, regime (the first few). */
  strays: { coin: string; t: number }[];
}

export interface StrategiesValidation {
  scenario: string;
  seed: number;
  coins: string[];
  records: number;
  events: { total: number; byKind: Record<string, number> };
  strategies: StrategyValidation[];
  invalidRecords: number;
  ms: number;
}

export function validateStrategies(opts: {
  scenario: string;
  seed: number;
  config: EngineConfig;
  durationMs?: number;
  now?: () => number;
  onLine?: (l: DecisionLine) => void;
  /** Every journal record of the session, as the decision side got it (for replays of the same run). */
  onRecord?: (r: JournalRecord) => void;
}): StrategiesValidation {
  const registry: Registry = opts.config.registry ?? STRATEGIES;
  const coins = [...opts.config.coins];
  const now = opts.now ?? (() => 0);
  const started = now();
  const events: StrategyEvent[] = [];
  const regime: Record<string, string> = Object.fromEntries(coins.map((c) => [c, 'DISABLED']));
  const per = new Map<string, { entries: { coin: string; time: number }[]; outside: number }>();
  for (const d of registry) per.set(d.name, { entries: [], outside: 0 });
  let invalid = 0;
  // the whole log, read at the end as the report reads it (round trips and PnL per strategy)
  const log: DecisionLine[] = [];
  const feed = new DecisionFeed(opts.config, (l: DecisionLine) => {
    opts.onLine?.(l);
    log.push(l);
    const p = parseDecisionRecord(l);
    if (!p.ok) {
      invalid++;
      return;
    }
    const r = p.record;
    if (r.kind === 'regime') regime[r.coin] = r.regime;
    else if (r.kind === 'strategy' && r.to === 'ENTERED') {
      const s = per.get(r.strategy);
      const def = registry.find((d) => d.name === r.strategy);
      if (!s || !def) return;
      s.entries.push({ coin: r.coin, time: r.t });
      if (regime[r.coin] !== FAMILY_REGIME[def.family]) s.outside++;
    }
  });
  const session: Parameters<typeof simSession>[0] = {
    seed: opts.seed,
    scenario: opts.scenario,
    coins,
    tickMs: opts.config.tickMs,
    fast: opts.config.health.fastBook,
    onRecord: (rec) => {
      opts.onRecord?.(rec);
      feed.record(rec);
    },
    onStrategyEvent: (e) => events.push(e),
  };
  if (opts.durationMs !== undefined) session.durationMs = opts.durationMs;
  const run = simSession(session);
  feed.engine?.stop();
  const read = analyseDecisions(log);
  const byKind: Record<string, number> = {};
  for (const e of events) byKind[e.kind] = (byKind[e.kind] ?? 0) + 1;
  const strategies: StrategyValidation[] = registry.map((d) => {
    const s = per.get(d.name)!;
    const row = read.strategies.get(d.name);
    const closed = read.trades.filter((t) => t.strategy === d.name && t.pnl !== null);
    const kinds = (Object.keys(EVENT_STRATEGY) as StrategyEventKind[]).filter(
      (k) => EVENT_STRATEGY[k].strategy === d.name,
    );
    const m = matchEntries(events, s.entries, kinds);
    const judged = kinds.length > 0 && m.events > 0;
    return {
      strategy: d.name,
      regime: FAMILY_REGIME[d.family],
      kinds,
      events: m.events,
      entries: s.entries.length,
      inside: m.entries.filter((x) => x.event !== null).length,
      precision: judged || kinds.length > 0 ? (s.entries.length === 0 ? null : m.precision) : null,
      recall: judged ? m.recall : null,
      taken: m.taken,
      outsideRegime: s.outside,
      trades: row?.trades ?? 0,
      wins: row?.wins ?? 0,
      pnl: row?.pnl ?? 0,
      // the fees of its closed round trips (those its PnL is net of)
      fees: closed.reduce((a, t) => a + t.fees, 0),
      strays: m.entries
        .filter((x) => x.event === null)
        .slice(0, 10)
        .map((x) => ({ coin: x.entry.coin, t: x.entry.time })),
    };
  });
  return {
    scenario: opts.scenario,
    seed: opts.seed,
    coins,
    records: run.records,
    events: { total: events.length, byKind },
    strategies,
    invalidRecords: invalid,
    ms: now() - started,
  };
}

const pct = (x: number | null) => (x === null ? '   —  ' : `${(x * 100).toFixed(1).padStart(5)}%`);

export function formatStrategiesValidation(v: StrategiesValidation): string {
  const lines = [
    `strategy validation: scenario ${v.scenario}, seed ${v.seed}, coins ${v.coins.join(',')} — ${v.records} records, labelled events ${v.events.total} ${JSON.stringify(v.events.byKind)}`,
    'strategy     regime     events entries inside precision  recall outside-regime trades wins        PnL',
  ];
  for (const s of v.strategies)
    lines.push(
      `${s.strategy.padEnd(12)} ${s.regime.padEnd(10)} ${String(s.events).padStart(6)} ${String(s.entries).padStart(7)} ${String(s.inside).padStart(6)}    ${pct(s.precision)}  ${pct(s.recall)} ${String(s.outsideRegime).padStart(14)} ${String(s.trades).padStart(6)} ${String(s.wins).padStart(4)} ${s.pnl.toFixed(2).padStart(10)}`,
    );
  if (v.invalidRecords > 0) lines.push(`decision records not in the documented format: ${v.invalidRecords}`);
  return `${lines.join('\n')}\n`;
}
