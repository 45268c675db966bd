/**
 * A decision log read as figures: every line checked against the documented format
 * (`decision/records.ts`) and read as its typed record — fills and round-trip trades from `exec.fill`
 * (per coin and per strategy, net of fees), the equity curve from the `exec.position` totals (from the
 * `exec.day` start equity), regimes from `regime`, intents, verdicts and orders, alarms and errors. A line
 * of a kind the format does not know is listed under "other kinds"; any other line that does not parse is
 * counted as invalid with its error (the first few kept). Nothing in the log makes it throw.
 *
 * One reading for everyone who audits a run: the replay report (`runtime/report.ts`) draws it, the
 * strategy validation (`replay/validate-strategies.ts`) takes its per-strategy trades and PnL from it.
 */
import { DECISION_KINDS, type DecisionRecord, parseDecisionRecord } from '../decision/records.ts';

export interface PricePoint {
  t: number;
  coin: string;
  mid: number;
}

export interface FillMark {
  time: number;
  coin: string;
  strategy: string;
  side: 1 | -1;
  px: number;
  size: number;
  fee: number;
  liquidity: 'taker' | 'maker';
  /** An entry opens or adds to the coin's position; an exit reduces it (a fill through zero is an exit). */
  role: 'entry' | 'exit';
}

/** A round trip on one coin: from flat to flat (or to the fill that flips it). */
export interface Trade {
  coin: string;
  /** The strategy of the fill that opened it. */
  strategy: string;
  side: 'LONG' | 'SHORT';
  openTime: number;
  closeTime: number | null;
  /** Size-weighted average entry price. */
  entryPx: number;
  /** Size-weighted average exit price; null before the first exit. */
  exitPx: number | null;
  /** The size entered. */
  size: number;
  fills: number;
  /** Fees of its fills (a flipping fill's fee is split by size). */
  fees: number;
  /** Cash flows of its fills, fees excluded; null while open. */
  gross: number | null;
  /** Net PnL: gross − fees; null while open. */
  pnl: number | null;
}

/** One row per strategy named in the log. */
export interface StrategyRow {
  strategy: string;
  /** Entry and exit intents it sent to execution. */
  intents: { entry: number; exit: number };
  /** Risk verdicts on its intents. */
  approved: number;
  rejected: number;
  /** Lifecycle transitions into ENTERED. */
  entries: number;
  fills: number;
  /** Closed round trips, of them won (net PnL > 0), their net PnL. */
  trades: number;
  wins: number;
  pnl: number;
  /** Fees of every fill of the strategy. */
  fees: number;
  /** Round trips still open at the end of the log. */
  open: number;
}

export interface AlarmRow {
  time: number;
  kind: string;
  coin: string | null;
  strategy: string | null;
  message: string;
}

export interface ReportData {
  t0: number;
  t1: number;
  coins: string[];
  /** Lines in the log; of them parsed as records (`kinds` counts those by kind). */
  lines: number;
  records: number;
  regimes: Map<string, { time: number; regime: string }[]>;
  fills: FillMark[];
  trades: Trade[];
  /** Per strategy, in name order. */
  strategies: Map<string, StrategyRow>;
  /** Realised equity: start equity + realised − fees − funding, at each `exec.position`. */
  equity: { time: number; equity: number }[];
  /** From the first `exec.day` (its start equity less the PnL already made); null when the log has none. */
  startEquity: number | null;
  /** The last `exec.position` totals. */
  totals: { realised: number; fees: number; fundingPaid: number } | null;
  kinds: Map<string, number>;
  /** Lines whose kind the decision-log format does not know. */
  unknown: Map<string, { count: number; first: number | null; example: string }>;
  /** Intents per coin. */
  intents: Map<string, { entry: number; exit: number }>;
  /** Orders by event (submit, fill, canceled, …). */
  orders: Map<string, number>;
  /** Risk verdicts: approved, and rejected by code. */
  verdicts: { ok: number; rejected: Map<string, number> };
  alarms: AlarmRow[];
  /** Lines that do not parse (unknown kinds aside), and the first few errors. */
  invalid: number;
  errors: { line: number; kind: string | null; error: string }[];
}

/** How many invalid lines keep their error for the report. */
export const KEPT_ERRORS = 10;

const KNOWN_KINDS: ReadonlySet<string> = new Set(DECISION_KINDS);

export const isObj = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x);
export const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
export const isPricePoint = (p: unknown): p is PricePoint =>
  isObj(p) && finite(p.t) && finite(p.mid) && typeof p.coin === 'string' && p.coin.length > 0;

/** Position sizes below this are flat (venue sizes have at most 8 decimals). */
const FLAT = 1e-9;

function example(x: unknown): string {
  try {
    return (JSON.stringify(x) ?? String(x)).slice(0, 300);
  } catch {
    return '[not serialisable]';
  }
}

/** The strategy a record names, if any. */
function strategyOf(r: DecisionRecord): string | null {
  switch (r.kind) {
    case 'strategy':
    case 'ignored':
    case 'strategy.error':
    case 'intent.rejected':
    case 'exec.verdict':
    case 'exec.strategy':
      return r.strategy;
    case 'gate':
    case 'lease':
    case 'alarm':
      return r.strategy ?? null;
    case 'exec.intent':
      return r.intent.strategy;
    case 'exec.order':
      return r.order.strategy;
    case 'exec.fill':
      return r.fill.strategy;
    case 'exec.position':
      return r.position?.strategy ?? null;
    default:
      return null;
  }
}

/** The coin a record names, if any. */
function coinOf(r: DecisionRecord): string | null {
  switch (r.kind) {
    case 'exec.intent':
      return r.intent.coin;
    case 'exec.order':
      return r.order.coin;
    case 'exec.fill':
      return r.fill.coin;
    default:
      return 'coin' in r && typeof r.coin === 'string' ? r.coin : null;
  }
}

const emptyRow = (strategy: string): StrategyRow => ({
  strategy,
  intents: { entry: 0, exit: 0 },
  approved: 0,
  rejected: 0,
  entries: 0,
  fills: 0,
  trades: 0,
  wins: 0,
  pnl: 0,
  fees: 0,
  open: 0,
});

/** Read the decision log into the report's figures. Never throws on bad lines. */
export function analyseDecisions(
  decisions: readonly unknown[],
  prices: readonly PricePoint[] = [],
): ReportData {
  const d: ReportData = {
    t0: Number.POSITIVE_INFINITY,
    t1: Number.NEGATIVE_INFINITY,
    coins: [],
    lines: decisions.length,
    records: 0,
    regimes: new Map(),
    fills: [],
    trades: [],
    strategies: new Map(),
    equity: [],
    startEquity: null,
    totals: null,
    kinds: new Map(),
    unknown: new Map(),
    intents: new Map(),
    orders: new Map(),
    verdicts: { ok: 0, rejected: new Map() },
    alarms: [],
    invalid: 0,
    errors: [],
  };
  const coins = new Set<string>();
  const span = (t: number): void => {
    if (t < d.t0) d.t0 = t;
    if (t > d.t1) d.t1 = t;
  };
  const row = (strategy: string): StrategyRow => {
    let r = d.strategies.get(strategy);
    if (!r) d.strategies.set(strategy, (r = emptyRow(strategy)));
    return r;
  };
  for (const p of prices) {
    if (!isPricePoint(p)) continue;
    coins.add(p.coin);
    span(p.t);
  }
  const totals: { time: number; realised: number; fees: number; fundingPaid: number }[] = [];
  let dayStart: number | null = null;
  decisions.forEach((line, index) => {
    const bad = (kind: string | null, error: string): void => {
      d.invalid++;
      if (d.errors.length < KEPT_ERRORS) d.errors.push({ line: index + 1, kind, error });
    };
    let value: unknown = line;
    if (typeof line === 'string') {
      try {
        value = JSON.parse(line);
      } catch (e) {
        bad(null, `not JSON: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
    }
    const parsed = parseDecisionRecord(value);
    if (!parsed.ok) {
      const kind = isObj(value) && typeof value.kind === 'string' ? value.kind : null;
      if (kind !== null && !KNOWN_KINDS.has(kind)) {
        let u = d.unknown.get(kind);
        if (!u) {
          const t = isObj(value) && finite(value.t) ? value.t : null;
          d.unknown.set(kind, (u = { count: 0, first: t, example: example(value) }));
        }
        u.count++;
        return;
      }
      bad(kind, parsed.error);
      return;
    }
    const r = parsed.record;
    if (r.kind === 'exec.fill' && !(r.fill.sz > 0 && finite(r.fill.px) && finite(r.fill.fee))) {
      bad(r.kind, `fill: sz ${r.fill.sz}, px ${r.fill.px}, fee ${r.fill.fee} is not a fill`);
      return;
    }
    d.records++;
    d.kinds.set(r.kind, (d.kinds.get(r.kind) ?? 0) + 1);
    span(r.t);
    const strategy = strategyOf(r);
    if (strategy !== null) row(strategy);
    const coin = coinOf(r);
    if (coin !== null && coin !== '') coins.add(coin);
    switch (r.kind) {
      case 'regime': {
        let list = d.regimes.get(r.coin);
        if (!list) d.regimes.set(r.coin, (list = []));
        list.push({ time: r.t, regime: r.regime });
        break;
      }
      case 'strategy':
        if (r.to === 'ENTERED') row(r.strategy).entries++;
        break;
      case 'exec.intent': {
        const i = r.intent;
        let c = d.intents.get(i.coin);
        if (!c) d.intents.set(i.coin, (c = { entry: 0, exit: 0 }));
        c[i.kind]++;
        row(i.strategy).intents[i.kind]++;
        break;
      }
      case 'exec.verdict':
        if (r.ok) {
          d.verdicts.ok++;
          row(r.strategy).approved++;
        } else {
          const code = r.code ?? '(no code)';
          d.verdicts.rejected.set(code, (d.verdicts.rejected.get(code) ?? 0) + 1);
          row(r.strategy).rejected++;
        }
        break;
      case 'exec.order':
        d.orders.set(r.event, (d.orders.get(r.event) ?? 0) + 1);
        break;
      case 'exec.fill': {
        const f = r.fill;
        d.fills.push({
          time: r.t,
          coin: f.coin,
          strategy: f.strategy,
          side: f.side === 'BUY' ? 1 : -1,
          px: f.px,
          size: f.sz,
          fee: f.fee,
          liquidity: r.liquidity,
          role: 'entry',
        });
        break;
      }
      case 'exec.position':
        totals.push({ time: r.t, ...r.totals });
        break;
      case 'exec.day':
        if (dayStart === null) {
          dayStart = r.t;
          d.startEquity = r.day.startEquity - r.day.startPnl;
        }
        break;
      case 'alarm':
        d.alarms.push({
          time: r.t,
          kind: r.kind,
          coin: r.coin ?? null,
          strategy: r.strategy ?? null,
          message: r.message,
        });
        break;
      case 'exec.alarm':
      case 'exec.error':
        d.alarms.push({
          time: r.t,
          kind: r.kind,
          coin: r.kind === 'exec.alarm' ? r.coin : null,
          strategy: null,
          message: r.message,
        });
        break;
      case 'strategy.error':
        d.alarms.push({ time: r.t, kind: r.kind, coin: r.coin, strategy: r.strategy, message: r.message });
        break;
      case 'intent.rejected':
        d.alarms.push({
          time: r.t,
          kind: r.kind,
          coin: r.coin,
          strategy: r.strategy,
          message: `${r.id}: ${r.error}`,
        });
        break;
      default:
        break;
    }
  });
  for (const list of d.regimes.values()) list.sort((a, b) => a.time - b.time);

  // the equity curve: the start, then the realised equity after each position change
  totals.sort((a, b) => a.time - b.time);
  const base = d.startEquity ?? 0;
  if (dayStart !== null && d.startEquity !== null) d.equity.push({ time: dayStart, equity: d.startEquity });
  for (const x of totals) d.equity.push({ time: x.time, equity: base + x.realised - x.fees - x.fundingPaid });
  const lastTotals = totals[totals.length - 1];
  if (lastTotals)
    d.totals = { realised: lastTotals.realised, fees: lastTotals.fees, fundingPaid: lastTotals.fundingPaid };

  // round trips per coin: an entry opens or adds to |position|, anything else reduces it (an exit)
  d.fills.sort((a, b) => a.time - b.time);
  const pos = new Map<string, number>();
  const open = new Map<string, { trade: Trade; cash: number; exitSize: number }>();
  const close = (o: { trade: Trade; cash: number }, time: number): void => {
    const t = o.trade;
    t.closeTime = time;
    t.gross = o.cash;
    t.pnl = o.cash - t.fees;
    const s = row(t.strategy);
    s.trades++;
    if (t.pnl > 0) s.wins++;
    s.pnl += t.pnl;
  };
  const openTrade = (f: FillMark, size: number, fee: number): void => {
    const t: Trade = {
      coin: f.coin,
      strategy: f.strategy,
      side: f.side > 0 ? 'LONG' : 'SHORT',
      openTime: f.time,
      closeTime: null,
      entryPx: f.px,
      exitPx: null,
      size,
      fills: 1,
      fees: fee,
      gross: null,
      pnl: null,
    };
    open.set(f.coin, { trade: t, cash: -f.side * size * f.px, exitSize: 0 });
    d.trades.push(t);
  };
  for (const f of d.fills) {
    const s = row(f.strategy);
    s.fills++;
    s.fees += f.fee;
    const p = pos.get(f.coin) ?? 0;
    let next = p + f.side * f.size;
    if (Math.abs(next) < FLAT) next = 0;
    pos.set(f.coin, next);
    const o = open.get(f.coin);
    if (!o || p === 0) {
      f.role = 'entry';
      openTrade(f, f.size, f.fee);
      continue;
    }
    const t = o.trade;
    t.fills++;
    if (Math.sign(f.side) === Math.sign(p)) {
      f.role = 'entry';
      t.entryPx = (t.entryPx * t.size + f.px * f.size) / (t.size + f.size);
      t.size += f.size;
      t.fees += f.fee;
      o.cash -= f.side * f.size * f.px;
      continue;
    }
    // an exit: up to |p| closes; beyond it (through zero) opens the other side
    f.role = 'exit';
    const closing = next === 0 || Math.sign(next) === Math.sign(p) ? f.size : Math.abs(p);
    const share = closing / f.size;
    t.exitPx = ((t.exitPx ?? 0) * o.exitSize + f.px * closing) / (o.exitSize + closing);
    o.exitSize += closing;
    t.fees += f.fee * share;
    o.cash -= f.side * closing * f.px;
    if (next === 0 || Math.sign(next) !== Math.sign(p)) {
      close(o, f.time);
      open.delete(f.coin);
      if (next !== 0) openTrade(f, Math.abs(next), f.fee * (1 - share));
    }
  }
  for (const o of open.values()) row(o.trade.strategy).open++;
  d.strategies = new Map(
    [...d.strategies.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  );

  d.coins = [...coins].sort();
  if (!Number.isFinite(d.t0)) {
    d.t0 = 0;
    d.t1 = 1;
  } else if (d.t1 <= d.t0) d.t1 = d.t0 + 1;
  return d;
}
