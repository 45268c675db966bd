/**
 * Position manager: open positions per coin, average entry, realised and unrealised PnL, fees, funding
 * paid and exposure. Every change is a `position` decision record carrying its cause (the fill or the
 * funding payment) and the result; `restore(records)` folds the causes again and so rebuilds exactly
 * the state that wrote them (restart recovery), checking each recorded result on the way.
 *
 * The execution machine keeps its ledger with the same pure functions (`machines/execution.ledger.ts`)
 * and emits the same records, so `restore` of the machine's records gives the machine's ledger.
 */
import {
  applyFill,
  applyFunding,
  coinNotional,
  emptyLedger,
  type MarkOf,
  netPnl,
  totalExposure,
  unrealised,
  unrealisedOf,
} from '../../machines/execution.ledger.ts';
import type {
  ExecRecordBody,
  FillFact,
  FundingFact,
  Ledger,
  Position,
} from '../../machines/execution.types.ts';

export type PositionRecord = Extract<ExecRecordBody, { kind: 'position' }>;

function record(
  coin: string,
  cause: PositionRecord['cause'],
  ledger: Ledger,
  position: Position | null,
): PositionRecord {
  return {
    kind: 'position',
    coin,
    cause,
    position,
    totals: { realised: ledger.realised, fees: ledger.fees, fundingPaid: ledger.fundingPaid },
  };
}

export interface PositionLine extends Position {
  mark: number;
  unrealised: number;
  notional: number;
}

export interface LedgerView {
  positions: PositionLine[];
  realised: number;
  fees: number;
  fundingPaid: number;
  unrealised: number;
  /** realised − fees − fundingPaid + unrealised */
  net: number;
  exposure: number;
}

export function ledgerView(ledger: Ledger, markOf: MarkOf): LedgerView {
  const positions = Object.values(ledger.positions)
    .sort((a, b) => (a.coin < b.coin ? -1 : a.coin > b.coin ? 1 : 0))
    .map((p) => {
      const m = markOf(p.coin);
      const mark = Number.isFinite(m) && m > 0 ? m : p.avgEntry;
      return {
        ...p,
        mark,
        unrealised: unrealisedOf(p, mark),
        notional: coinNotional(ledger, p.coin, markOf),
      };
    });
  return {
    positions,
    realised: ledger.realised,
    fees: ledger.fees,
    fundingPaid: ledger.fundingPaid,
    unrealised: unrealised(ledger, markOf),
    net: netPnl(ledger, markOf),
    exposure: totalExposure(ledger, markOf),
  };
}

export interface RestoreResult {
  ledger: Ledger;
  /** Position records folded. */
  applied: number;
  /** Records whose stored result differs from the recomputed one (counted; the recomputed one wins). */
  mismatches: number;
  /** Entries that are not well-formed position records of a known cause (counted and skipped). */
  skipped: number;
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function isFill(x: unknown): x is FillFact {
  return (
    isObj(x) &&
    typeof x.coin === 'string' &&
    typeof x.strategy === 'string' &&
    (x.side === 'BUY' || x.side === 'SELL') &&
    typeof x.px === 'number' &&
    Number.isFinite(x.px) &&
    typeof x.sz === 'number' &&
    Number.isFinite(x.sz) &&
    x.sz > 0 &&
    typeof x.fee === 'number' &&
    Number.isFinite(x.fee)
  );
}

function isFunding(x: unknown): x is FundingFact {
  return isObj(x) && typeof x.coin === 'string' && typeof x.usdc === 'number' && Number.isFinite(x.usdc);
}

/** Rebuild the ledger from decision records (any kinds; only `position` records are used). */
export function restoreLedger(records: Iterable<unknown>): RestoreResult {
  let ledger = emptyLedger();
  let applied = 0;
  let mismatches = 0;
  let skipped = 0;
  for (const r of records) {
    if (!isObj(r) || r.kind !== 'position') continue;
    const cause = r.cause;
    let position: Position | null;
    if (isObj(cause) && cause.type === 'fill' && isFill(cause.fill)) {
      const out = applyFill(ledger, cause.fill);
      ledger = out.ledger;
      position = out.position;
    } else if (isObj(cause) && cause.type === 'funding' && isFunding(cause.funding)) {
      const out = applyFunding(ledger, cause.funding);
      ledger = out.ledger;
      position = out.position;
    } else {
      skipped++;
      continue;
    }
    applied++;
    if (JSON.stringify(position) !== JSON.stringify(r.position ?? null)) mismatches++;
  }
  return { ledger, applied, mismatches, skipped };
}

export class PositionManager {
  private ledger: Ledger;

  constructor(ledger: Ledger = emptyLedger()) {
    this.ledger = ledger;
  }

  static restore(records: Iterable<unknown>): { manager: PositionManager } & Omit<RestoreResult, 'ledger'> {
    const { ledger, ...rest } = restoreLedger(records);
    return { manager: new PositionManager(ledger), ...rest };
  }

  applyFill(fill: FillFact): PositionRecord {
    const out = applyFill(this.ledger, fill);
    this.ledger = out.ledger;
    return record(fill.coin, { type: 'fill', fill }, out.ledger, out.position);
  }

  applyFunding(funding: FundingFact): PositionRecord {
    const out = applyFunding(this.ledger, funding);
    this.ledger = out.ledger;
    return record(funding.coin, { type: 'funding', funding }, out.ledger, out.position);
  }

  position(coin: string): Position | null {
    return this.ledger.positions[coin] ?? null;
  }

  snapshot(): Ledger {
    return this.ledger;
  }

  view(markOf: MarkOf): LedgerView {
    return ledgerView(this.ledger, markOf);
  }
}
