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
  // the decision side's one read-only snapshot (before its first tick: none yet)
  const d = system.engine()?.snapshot(now) ?? null;
  const summary = system.summary();
  const stats = system.stats();
  const coins: CoinSnapshot[] = config.coins.map((coin) => {
    const c = d?.coins.find((x) => x.coin === coin);
    return {
      coin,
      mid: c?.mid ?? null,
      bestBid: c?.bestBid ?? null,
      bestAsk: c?.bestAsk ?? null,
      bids: c?.bids ?? [],
      asks: c?.asks ?? [],
      regime: c?.regime ?? 'DISABLED',
      inputs: c?.inputs ?? { oiRange15m: null, oiBuild1h: null, fundingDev: null, depthAsym5s: null },
      strategies:
        c?.strategies.map(({ name, state, substate }) =>
          substate ? { name, state, substate } : { name, state },
        ) ?? [],
      position: c?.position
        ? {
            side: c.position.side,
            size: c.position.size,
            entry: c.position.entry,
            unrealised: c.position.unrealised ?? Number.NaN,
          }
        : null,
    };
  });
  return {
    time: now,
    tradingState: system.tradingState(),
    equity: n(summary.equity),
    realisedPnl: d?.realisedPnl ?? null,
    unrealisedPnl: d?.unrealisedPnl ?? null,
    dailyPnl: n(summary.pnl),
    // while not HEALTHY: what it is waiting for (which channel of which coin, never received or how old)
    health: {
      level: d?.health.level ?? 'WARMING',
      reason: d?.health.reason ?? 'starting',
      channels: d?.health.channels ?? [],
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
