/**
 * Test helpers for execution: a settable market (the hot state's view, as plain data), intents, and
 * an engine on a paper venue with a ManualClock.
 */
import { createExecution, type ExecutionDeps } from '../../actors/execution/engine.ts';
import { PaperVenue, type PaperVenueConfig } from '../../actors/venue/paper.ts';
import type { BookLevel, MarketSnapshot, MarketView } from '../../actors/venue/types.ts';
import type { ExecutionConfig } from '../../machines/execution.types.ts';
import type { EntryIntent, ExitIntent, ExitReason, Side } from '../../machines/strategy.types.ts';
import { ManualClock } from '../../state/clock.ts';

export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0); // 10:00 UTC: funding at 11:00

export class TestMarket implements MarketView {
  private readonly books = new Map<string, MarketSnapshot>();
  constructor(private readonly clock: ManualClock) {}

  set(
    coin: string,
    bids: [number, number][],
    asks: [number, number][],
    extra: { mark?: number; funding?: number } = {},
  ): void {
    const lv = (xs: [number, number][]): BookLevel[] => xs.map(([px, sz]) => ({ px, sz }));
    const b = lv(bids);
    const a = lv(asks);
    const mid = b[0] && a[0] ? (b[0].px + a[0].px) / 2 : Number.NaN;
    const prev = this.books.get(coin);
    this.books.set(coin, {
      bids: b,
      asks: a,
      mark: extra.mark ?? mid,
      funding: extra.funding ?? prev?.funding ?? 0,
      time: Math.max(this.clock.now(), (prev?.time ?? -1) + 1),
    });
  }

  remove(coin: string): void {
    this.books.delete(coin);
  }

  read(coin: string): MarketSnapshot | null {
    return this.books.get(coin) ?? null;
  }
}

let seq = 0;
export function entry(
  coin: string,
  side: Side,
  stop: number,
  target: number,
  strategy = 'geometry',
  extra: Partial<EntryIntent> = {},
): EntryIntent {
  return {
    kind: 'entry',
    id: `${strategy}:${coin}:e${seq++}`,
    strategy,
    coin,
    side,
    sizeFraction: 0,
    stop,
    target,
    reason: 'test',
    version: 1,
    time: 0,
    ...extra,
  };
}

export function exit(coin: string, strategy = 'geometry', reason: ExitReason = 'invalidation'): ExitIntent {
  return {
    kind: 'exit',
    id: `${strategy}:${coin}:x${seq++}`,
    strategy,
    coin,
    atMarket: true,
    emergency: reason !== 'target' && reason !== 'stop',
    reason,
    detail: 'test',
    version: 1,
    time: 0,
    attempt: 0,
  };
}

export const ASSETS = { ETH: { szDecimals: 2 }, BTC: { szDecimals: 4 }, SOL: { szDecimals: 1 } };

export function setup(
  opts: {
    config?: Partial<ExecutionConfig>;
    paper?: Partial<PaperVenueConfig>;
    equity?: ExecutionDeps['equity'];
    restore?: Iterable<unknown>;
    restoreTrading?: ExecutionDeps['restoreTrading'];
    clock?: ManualClock;
    market?: TestMarket;
  } = {},
) {
  const clock = opts.clock ?? new ManualClock(T0);
  const market = opts.market ?? new TestMarket(clock);
  const venue = new PaperVenue(clock, market, { assets: ASSETS, latencyMs: 0, ...opts.paper });
  const deps: ExecutionDeps = {
    clock,
    venue,
    market,
    equity: opts.equity ?? 10_000,
    config: { assets: ASSETS, ...opts.config },
  };
  if (opts.restore) deps.restore = opts.restore;
  if (opts.restoreTrading) deps.restoreTrading = opts.restoreTrading;
  const exec = createExecution(deps);
  const replies: { strategy: string; coin: string; type: string; intentId: string; reason?: string }[] = [];
  exec.onStrategyEvent((strategy, coin, e) => replies.push({ strategy, coin, ...e }));
  const alarms: string[] = [];
  exec.onAlarm((a) => alarms.push(a.message));
  const healthy = { health: 'HEALTHY' as const, stale: false };
  const lease = (holder: string | null) => ({ ...healthy, leaseHolder: holder });
  return { clock, market, venue, exec, replies, alarms, healthy, lease };
}
