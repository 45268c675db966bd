/**
 * The position ledger as pure functions over plain data: open positions per coin (one owner each),
 * average entry, realised PnL, fees and funding, and the exposure and PnL figures the risk checks
 * and the daily-loss halt read. The ledger is a fold over fills and funding payments, so replaying the
 * same facts in the same order rebuilds it exactly (restart recovery, replay parity).
 */
import { snap } from './execution.rules.ts';
import type { CoinTotals, FillFact, FundingFact, Ledger, Position } from './execution.types.ts';

export function emptyLedger(): Ledger {
  return { positions: {}, coins: {}, realised: 0, fees: 0, fundingPaid: 0 };
}

const zeroTotals = (): CoinTotals => ({ realised: 0, fees: 0, fundingPaid: 0, volume: 0, fills: 0 });

export interface FillOutcome {
  ledger: Ledger;
  position: Position | null;
  /** PnL realised by this fill (before fees). */
  realised: number;
  /** The fill went through zero and opened the other side (never intended: execution orders reduce-only closes). */
  flipped: boolean;
  /** The fill's strategy differs from the coin's owner (the owner is kept; the caller flattens). */
  ownerConflict: string | null;
}

export function applyFill(ledger: Ledger, fill: FillFact): FillOutcome {
  const signed = fill.side === 'BUY' ? fill.sz : -fill.sz;
  const prev = ledger.positions[fill.coin];
  const size0 = prev?.size ?? 0;
  let realised = 0;
  let flipped = false;
  let next: Position | null;
  const ownerConflict = prev && prev.strategy !== fill.strategy ? prev.strategy : null;

  if (prev === undefined || Math.sign(size0) === Math.sign(signed)) {
    const size = snap(size0 + signed);
    const avgEntry = (Math.abs(size0) * (prev?.avgEntry ?? 0) + fill.px * fill.sz) / Math.abs(size);
    next = {
      coin: fill.coin,
      strategy: prev?.strategy ?? fill.strategy,
      size,
      avgEntry,
      realised: prev?.realised ?? 0,
      fees: (prev?.fees ?? 0) + fill.fee,
      fundingPaid: prev?.fundingPaid ?? 0,
      openedAt: prev?.openedAt ?? fill.time,
    };
  } else {
    const closed = Math.min(fill.sz, Math.abs(size0));
    realised = (fill.px - prev.avgEntry) * closed * Math.sign(size0);
    const size = snap(size0 + signed);
    if (size === 0) {
      next = null;
    } else if (Math.sign(size) === Math.sign(size0)) {
      next = { ...prev, size, realised: prev.realised + realised, fees: prev.fees + fill.fee };
    } else {
      flipped = true;
      next = {
        coin: fill.coin,
        strategy: prev.strategy,
        size,
        avgEntry: fill.px,
        realised: 0,
        fees: 0,
        fundingPaid: 0,
        openedAt: fill.time,
      };
    }
  }

  const t = ledger.coins[fill.coin] ?? zeroTotals();
  const totals: CoinTotals = {
    realised: t.realised + realised,
    fees: t.fees + fill.fee,
    fundingPaid: t.fundingPaid,
    volume: t.volume + fill.px * fill.sz,
    fills: t.fills + 1,
  };
  const positions = { ...ledger.positions };
  if (next === null) delete positions[fill.coin];
  else positions[fill.coin] = next;
  return {
    ledger: {
      positions,
      coins: { ...ledger.coins, [fill.coin]: totals },
      realised: ledger.realised + realised,
      fees: ledger.fees + fill.fee,
      fundingPaid: ledger.fundingPaid,
    },
    position: next,
    realised,
    flipped,
    ownerConflict,
  };
}

export function applyFunding(ledger: Ledger, f: FundingFact): { ledger: Ledger; position: Position | null } {
  const paid = -f.usdc;
  const prev = ledger.positions[f.coin];
  const positions = { ...ledger.positions };
  const position = prev ? { ...prev, fundingPaid: prev.fundingPaid + paid } : null;
  if (position) positions[f.coin] = position;
  const t = ledger.coins[f.coin] ?? zeroTotals();
  return {
    ledger: {
      positions,
      coins: { ...ledger.coins, [f.coin]: { ...t, fundingPaid: t.fundingPaid + paid } },
      realised: ledger.realised,
      fees: ledger.fees,
      fundingPaid: ledger.fundingPaid + paid,
    },
    position,
  };
}

/** Mark of a coin for valuation: the given mark, else the average entry (no information, no PnL). */
export type MarkOf = (coin: string) => number;

function markOr(markOf: MarkOf, p: Position): number {
  const m = markOf(p.coin);
  return Number.isFinite(m) && m > 0 ? m : p.avgEntry;
}

export function unrealisedOf(p: Position, mark: number): number {
  return (mark - p.avgEntry) * p.size;
}

export function unrealised(ledger: Ledger, markOf: MarkOf): number {
  let u = 0;
  for (const p of Object.values(ledger.positions)) u += unrealisedOf(p, markOr(markOf, p));
  return u;
}

/** Realised − fees − funding paid + unrealised at the marks. */
export function netPnl(ledger: Ledger, markOf: MarkOf): number {
  return ledger.realised - ledger.fees - ledger.fundingPaid + unrealised(ledger, markOf);
}

export function coinNotional(ledger: Ledger, coin: string, markOf: MarkOf): number {
  const p = ledger.positions[coin];
  return p ? Math.abs(p.size) * markOr(markOf, p) : 0;
}

export function totalExposure(ledger: Ledger, markOf: MarkOf): number {
  let e = 0;
  for (const p of Object.values(ledger.positions)) e += Math.abs(p.size) * markOr(markOf, p);
  return e;
}
