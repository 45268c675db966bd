/**
 * The dashboard's read-only replica, assembled from the decision side's state as of its last tick and the
 * hot-state views it read (never the actors' internals mutated from outside).
 */
import { fileURLToPath } from 'node:url';
import type { Clock } from '../state/clock.ts';
import type { Config } from './config.ts';
import { startDashboard } from './dashboard/server.ts';
import { loadStatechart } from './dashboard/statechart.ts';
import type { Metrics } from './metrics.ts';
import type { CoinSnapshot, DashboardSnapshot, StatechartNodeJson, TradingState } from './dashboard/types.ts';
import type { RunningSystem } from './system.ts';

const n = (x: number | undefined | null): number | null =>
  typeof x === 'number' && Number.isFinite(x) ? x : null;

export function buildSnapshot(system: RunningSystem, config: Config, now: number): DashboardSnapshot {
  const engine = system.engine();
  const summary = system.summary();
  const stats = system.stats();
  const coins: CoinSnapshot[] = config.coins.map((coin) => {
    const v = engine?.viewOf(coin);
    const regime = engine?.regimes.get(coin)?.getSnapshot();
    const bids: [number, number][] = [];
    const asks: [number, number][] = [];
    if (v) {
      for (let i = 0; i < 10; i++) {
        if (Number.isFinite(v.bidPx(i))) bids.push([v.bidPx(i), v.bidSz(i)]);
        if (Number.isFinite(v.askPx(i))) asks.push([v.askPx(i), v.askSz(i)]);
      }
    }
    const strategies = regime
      ? Object.entries(regime.children).map(([name, ref]) => {
          const value = (ref as { getSnapshot(): { value: unknown } }).getSnapshot().value;
          if (typeof value === 'string') return { name, state: value };
          const [state, sub] = Object.entries(value as Record<string, unknown>)[0]!;
          return { name, state, substate: String(sub) };
        })
      : [];
    const pos = engine?.execution.positions().positions.find((p) => p.coin === coin);
    return {
      coin,
      mid: n(v?.mid),
      bestBid: n(v?.bestBid),
      bestAsk: n(v?.bestAsk),
      bids,
      asks,
      regime: regime
        ? typeof regime.value === 'string'
          ? regime.value
          : Object.keys(regime.value)[0]!
        : 'DISABLED',
      inputs: {
        oiRange15m: n(v?.oiRange15m),
        oiBuild1h: n(v?.oiBuild1h),
        fundingDev: n(v?.fundingDev),
        depthAsym5s: n(v?.depthAsym5s),
      },
      strategies,
      position: pos
        ? {
            side: pos.size > 0 ? 'LONG' : 'SHORT',
            size: Math.abs(pos.size),
            entry: pos.avgEntry,
            unrealised: pos.unrealised,
          }
        : null,
    };
  });
  const h = engine?.health.getSnapshot().context;
  const channels = h
    ? Object.entries(h.maxAge).map(([key, max]) => {
        const [ch, coin] = key.split(':');
        const v = coin ? engine?.viewOf(coin) : undefined;
        const last = v
          ? ch === 'l2Book'
            ? v.bookRecvTime
            : ch === 'bbo'
              ? v.bboRecvTime
              : v.ctxRecvTime
          : Number.NaN;
        const age = Number.isFinite(last) ? Math.max(0, now - last) : null;
        return { key, ageMs: age, stale: age === null || age > max, expectedMs: max };
      })
    : [];
  const ledger = engine?.execution.positions();
  return {
    time: now,
    tradingState: system.tradingState(),
    equity: n(summary.equity),
    realisedPnl: n(ledger?.realised),
    unrealisedPnl: n(ledger?.unrealised),
    dailyPnl: n(summary.pnl),
    // while not HEALTHY: what it is waiting for (which channel of which coin, never received or how old)
    health: {
      level: h?.status ?? 'WARMING',
      reason: engine?.healthWaiting() ?? h?.reason ?? 'starting',
      channels,
    },
    coins,
    decisions: system.recentDecisions(),
    counters: {
      frames: summary.frames,
      reconnects: summary.reconnects,
      gaps: summary.gaps,
      journalLagBytes: stats ? stats.journal.pendingRecords : 0,
    },
  };
}

/** The strategy statechart for the dashboard, or null when its diagram file is missing or unreadable. */
function strategyStatechart(): StatechartNodeJson | null {
  try {
    return loadStatechart(fileURLToPath(new URL('../diagrams/strategy.json', import.meta.url)));
  } catch {
    return null;
  }
}

/** Serve the dashboard for a running system: snapshots from its decision side, commands into its journal. */
export function serveDashboard(
  system: RunningSystem,
  config: Config,
  clock: Clock,
  metrics: Metrics,
  token: string,
  intervalMs = 500,
): Promise<{ url: string; close(): Promise<void> }> {
  return startDashboard({
    token,
    host: config.dashboard.host,
    port: config.dashboard.port,
    intervalMs,
    getSnapshot: () => {
      const snap = buildSnapshot(system, config, clock.now());
      metrics.applySnapshot(snap);
      return snap;
    },
    onCommand: (cmd) => {
      // journaled first, applied by the decision side at the next tick (one is requested at once)
      system.command(cmd);
      const state: TradingState =
        cmd.type === 'KILL' ? 'HALTED' : cmd.type === 'SET_TRADING' ? cmd.state : 'ACTIVE';
      return {
        ok: true,
        tradingState: state,
        message: `${cmd.type} journaled; applied at the next tick`,
      };
    },
    statechart: strategyStatechart(),
    metrics,
  });
}
