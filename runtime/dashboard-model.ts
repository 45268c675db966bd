/**
 * The dashboard's read-only replica, assembled from the decision side's state as of its last tick and the
 * hot-state views it read (never the actors' internals mutated from outside), and the decision log's
 * history (`DecisionHistory`: fed every decision line by the system's `onLine`, read at push time).
 */
import { fileURLToPath } from 'node:url';
import type { Clock } from '../state/clock.ts';
import type { Config } from './config.ts';
import { startDashboard } from './dashboard/server.ts';
import { DecisionHistory, QuoteTape } from './dashboard/history.ts';
import { loadStatechart } from './dashboard/statechart.ts';
import type { Metrics } from './metrics.ts';
import type {
  CoinSnapshot,
  DashboardSnapshot,
  SourceView,
  StatechartNodeJson,
  TradingState,
} from './dashboard/types.ts';
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
    lastTickTime: d?.time ?? null,
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
    sources: sourcesOf(summary.sources),
  };
}

function sourcesOf(sources: Record<string, SourceView> | undefined): Record<string, SourceView> {
  const out: Record<string, SourceView> = {};
  for (const [name, s] of Object.entries(sources ?? {})) out[name] = { ...s };
  return out;
}

/**
 * A history fed from the system's last decision lines, for a system started without `onLine` feeding
 * one: at each call, the lines written since the last (by the summary's count) are taken from the
 * system's recent lines; more than those hold are counted as dropped.
 */
export function pollingHistory(system: RunningSystem): { history: DecisionHistory; poll(): void } {
  const history = new DecisionHistory();
  let seen = 0;
  return {
    history,
    poll() {
      const total = system.summary().decisionLines;
      const fresh = total - seen;
      if (fresh <= 0) return;
      seen = total;
      const recent = system.recentDecisions();
      const take = Math.min(fresh, recent.length);
      history.missed(fresh - take);
      for (const line of recent.slice(recent.length - take)) history.add(line);
    },
  };
}

export interface ServeDashboardOptions {
  /** Push period (default 500 ms). */
  intervalMs?: number;
  /** The decision log's history, fed every decision line (`startSystem({ onLine: (l) => history.add(l) })`);
   * without one, the dashboard polls the system's last lines (and counts those it missed). */
  history?: DecisionHistory;
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
  opts: ServeDashboardOptions = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const intervalMs = opts.intervalMs ?? 500;
  const polled = opts.history ? null : pollingHistory(system);
  const history = opts.history ?? polled!.history;
  const tape = new QuoteTape();
  return startDashboard({
    token,
    host: config.dashboard.host,
    port: config.dashboard.port,
    intervalMs,
    getSnapshot: () => {
      polled?.poll();
      const snap = buildSnapshot(system, config, clock.now());
      metrics.applySnapshot(snap);
      tape.sample(snap);
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
    stream: {
      history: () => history.view(),
      feedSince: (seq) => history.feedSince(seq),
      counts: () => history.counts(),
      backlog: () => tape.json(),
    },
  });
}
