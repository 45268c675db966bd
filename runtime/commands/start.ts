/**
 * `runtime start` — the embedded default: the simulator on loopback, the whole live stack against it over
 * real sockets, journal, paper trading, dashboard. `runtime start live` — real venue data.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { restoreFromDataDir } from '../../replay/replay-journal.ts';
import { journalDirFor } from '../../actors/journal/format.ts';
import type { SimServer } from '../../sim/server.ts';
import { startSim } from '../../sim/server.ts';
import type { Clock } from '../../state/clock.ts';
import { SystemClock, WarpClock } from '../clocks.ts';
import { type Config, strategiesHelp } from '../config.ts';
import { engineConfigFrom } from '../../decision/engine.ts';
import { buildSnapshot, serveDashboard } from '../dashboard-model.ts';
import { DecisionHistory } from '../dashboard/history.ts';
import { createLiveVenue, type LiveVenue } from '../../actors/venue/live/venue.ts';
import { createInspection } from '../inspect.ts';
import { loadPrivateKey } from '../secrets.ts';
import { lockDataDir } from '../lock.ts';
import {
  knownNetworkOf,
  type Network,
  type NetworkChoice,
  type NetworkResolution,
  probeVenueNetwork,
  resolveNetwork,
  venueHttpUrl,
} from '../network.ts';
import { operatorToken } from '../token.ts';
import { createMetrics, serveMetrics } from '../metrics.ts';
import { AlertDispatcher, dailyFiguresOf } from '../alerts.ts';
import { runUntilDone } from '../signals.ts';
import { type RunningSystem, type SystemSummary, startSystem } from '../system.ts';
import {
  COMMON_OPTIONS,
  configFrom,
  guarded,
  type Io,
  loggerFrom,
  num,
  parse,
  recordedConfig,
  UsageError,
} from './common.ts';

export const START_USAGE = `usage: runtime start [live] [options]

  (no subcommand)   the embedded default: starts the simulator on loopback (default scenario, real time
                    after a fast-forwarded 1 h warm-up), connects the whole stack to it over real
                    sockets, journals, paper-trades and serves the dashboard
  live              real venue data: --network mainnet|testnet and/or --url ws://… (e.g. a local node's
                    order_book_server); paper venue unless --live-trading

options:
  --data DIR            journal and state directory (default ./data)
  --config FILE         JSON config file
  --coins BTC,ETH       coins to trade (default BTC,ETH,SOL)
  --duration S          stop after S seconds and print a summary
  --decisions FILE      write the decision log (one JSON object a line)
  --scenario NAME       simulator scenario (default: default)
  --seed N              simulator seed (default 7)
  --speed N             simulator pace after the warm-up (×N real time, default 1)
  --warmup-rate N       pace of the simulator's 1 h warm-up (default 120: one minute of waiting, 30 s)
  --start-at TIME       the simulated market's start (ISO 8601 or ms since epoch; default now): plays
                        another day (the journal goes to that day's folder)
  --network NAME        mainnet | testnet | sim (live): the network orders are signed for; it must agree
                        with --url's host and with what the venue announces (a simulator announces the
                        network it plays; sim = whichever it announces); required to sign (--live-trading)
                        for a venue that names none
  --url URL             WebSocket URL of the data source (live)
  --source NAME[,NAME]  market sources beside the config's (default: public): node = the trader's own node,
                        through --node-dir and/or --book-server (each tagged in the journal; the public
                        feed stays)
  --node-dir DIR        the node's data folder (~/hl/data): its *_by_block hourly files are tailed,
                        resuming after the last journaled block height (implies --source node)
  --book-server URL     the node's order_book_server (ws://127.0.0.1:8000/ws): l2Book, trades, l4Book
                        (implies --source node)
  --node-info URL       the node's info server (http://localhost:3001/info): exchangeStatus polled as a
                        liveness check, and (with --node-dir and no --book-server) the L4 snapshots the
                        node's files rebuild its books from
  --node-l4 WHICH       book | files | auto | off: which L4 book drives each coin's hot-state book while
                        it is whole (the public l2Book otherwise; default auto: the book server where
                        set, else the files with --node-info)
  --live-trading        place real orders (live; needs the key named in the config)
  --no-dashboard        do not serve the dashboard
  --inspect             stream the decision side's actors to the Stately inspector (WebSocket)
  --inspect-file FILE   record the same inspection trace as JSONL, offline
  --json                print the summary as one JSON object
  --log-level LEVEL     pino level (default info)
`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  'warmup-rate': { type: 'string' },
  'start-at': { type: 'string' },
  network: { type: 'string' },
  url: { type: 'string' },
  source: { type: 'string', multiple: true },
  'node-dir': { type: 'string' },
  'book-server': { type: 'string' },
  'node-info': { type: 'string' },
  'node-l4': { type: 'string' },
  'live-trading': { type: 'boolean' },
  'no-dashboard': { type: 'boolean' },
  json: { type: 'boolean' },
  inspect: { type: 'boolean' },
  'inspect-file': { type: 'string' },
} as const;

export function formatSummary(s: SystemSummary): string {
  return [
    'summary',
    `  frames: ${s.frames} received, ${s.framesHandedOn} handed on, ${s.lost} lost, ${s.rejectedFrames} rejected`,
    `  faults: ${s.reconnects} reconnects, ${s.gaps} gaps, ${s.alarms} alarms, ${s.strategyErrors} strategy errors`,
    `  decisions: ${s.ticks} ticks, ${s.regimeChanges} regime changes, ${s.intents} intents, ${s.entries} entries, ${s.fills} fills`,
    `  after shutdown: trading ${s.tradingState}, health ${s.health}, equity ${s.equity.toFixed(2)}, PnL ${s.pnl.toFixed(2)}`,
    `  journal: ${s.journal.dir} (persisted through seq ${s.journal.persistedSeq})`,
    `  sources: ${Object.entries(s.sources)
      .map(
        ([name, x]) =>
          `${name} ${x.records} records${x.connection ? ` (${x.connection}${x.gaps !== undefined ? `, ${x.gaps} gaps` : ''})` : ''}`,
      )
      .join(', ')}`,
  ].join('\n');
}

/**
 * The source flags as config overrides: `--source` names added to the config's sources (the public feed
 * stays), `--node-dir`, `--book-server`, `--node-info` and `--node-l4` into `node` (each implies the node source).
 */
export function sourceOverrides(
  values: {
    source?: string[];
    'node-dir'?: string;
    'book-server'?: string;
    'node-info'?: string;
    'node-l4'?: string;
  },
  base: readonly string[],
): Record<string, unknown> | null {
  const named = (values.source ?? []).flatMap((v) =>
    v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
  const node: Record<string, unknown> = {};
  if (values['node-dir'] !== undefined) node.dir = values['node-dir'].replace(/^~(?=$|\/)/, homedir());
  if (values['book-server'] !== undefined) node.bookServer = values['book-server'];
  if (values['node-info'] !== undefined) node.infoUrl = values['node-info'];
  // the config's schema judges the value (book | files | auto | off)
  if (values['node-l4'] !== undefined) node.l4 = values['node-l4'];
  if (Object.keys(node).length > 0) named.push('node');
  if (named.length === 0) return null;
  const sources = [...base];
  for (const n of named) if (!sources.includes(n)) sources.push(n);
  return Object.keys(node).length > 0 ? { sources, node } : { sources };
}

export async function startCommand(argv: string[], io: Io): Promise<number> {
  return guarded(io, START_USAGE, async () => {
    const { values, positionals } = parse(argv, OPTIONS);
    if (values.help) {
      io.stdout(`${START_USAGE}\n${strategiesHelp()}`);
      return 0;
    }
    const live = positionals[0] === 'live';
    if (positionals.length > (live ? 1 : 0))
      throw new UsageError(`unexpected argument '${positionals.at(-1)}'`);
    const flagNetwork = values.network;
    if (flagNetwork !== undefined && !isNetworkChoice(flagNetwork))
      throw new UsageError(
        `--network must be mainnet, testnet or sim (a simulator that announces its network)`,
      );
    if (live && values['start-at'] !== undefined)
      throw new UsageError('--start-at is for the embedded simulator (`runtime start`), not `start live`');
    if (!live && flagNetwork !== undefined && flagNetwork !== 'sim')
      throw new UsageError(
        '--network goes with `runtime start live` (the embedded default is the simulator)',
      );
    const baseConfig = configFrom(values, live ? {} : { network: 'sim' });
    const sourceFlags = sourceOverrides(values, baseConfig.sources);
    const config = sourceFlags
      ? configFrom(values, { ...(live ? {} : { network: 'sim' }), ...sourceFlags })
      : baseConfig;
    const logger = loggerFrom(values);
    const durationS = values.duration !== undefined ? num(values.duration, 'duration', 0) : null;
    if (values['live-trading'] && !live) throw new UsageError('--live-trading needs `runtime start live`');
    // one instance per data dir: a second one is refused, naming the holder
    const lock = lockDataDir(config.dataDir, `runtime start${live ? ' live' : ''}`);
    try {
      let clock: Clock;
      let sim: SimServer | null = null;
      let url: string;
      // the embedded simulator: nothing is signed for a real network
      let network = 'sim';
      let isMainnet = false;
      if (!live) {
        const speed = num(values.speed, 'speed', 1);
        const warmupRate = num(values['warmup-rate'], 'warmup-rate', 120);
        const start =
          values['start-at'] !== undefined ? startAt(values['start-at']) : new SystemClock().now();
        // the warp covers the hour the longest windows need, plus start-up slack (frames before the feed connects are not seen)
        clock = new WarpClock(Math.floor(start / 1000) * 1000, warmupRate, 3_600_000 + 120_000, speed);
        sim = await startSim({
          seed: num(values.seed, 'seed', 7),
          scenario: values.scenario ?? 'default',
          coins: config.coins,
          clock,
          speed: 1,
          port: 0,
        });
        url = sim.wsUrl;
        io.stdout(
          `sim: ${sim.wsUrl} (scenario ${values.scenario ?? 'default'}, seed ${num(values.seed, 'seed', 7)}; warm-up hour at ×${warmupRate}, then ×${speed})`,
        );
      } else {
        clock = new SystemClock();
        const resolved = await resolveLiveNetwork({
          explicit: flagNetwork ?? config.network,
          url: values.url ?? config.url,
          liveTrading: values['live-trading'] === true,
        });
        if (!resolved.ok) {
          io.stderr(`runtime: ${resolved.error}`);
          return 2;
        }
        url = resolved.url;
        network = resolved.network ?? 'unknown (paper)';
        isMainnet = resolved.isMainnet;
        logger.info({ network, source: resolved.source }, 'network');
      }
      logger.info({ config: redactedConfig(config), url }, 'effective config');

      // live order placement only with the explicit flag; the key is read here and lent to the venue's signer
      let venue: LiveVenue | null = null;
      if (values['live-trading']) {
        let key: ReturnType<typeof loadPrivateKey>;
        try {
          key = loadPrivateKey(config.live);
        } catch (e) {
          io.stderr(`runtime: --live-trading: ${(e as Error).message}`);
          return 2;
        }
        const httpUrl = venueHttpUrl(url);
        venue = await createLiveVenue({
          liveTrading: true,
          clock,
          key,
          ...(config.live.account ? { account: config.live.account } : {}),
          ...(config.live.vaultAddress ? { vaultAddress: config.live.vaultAddress } : {}),
          isMainnet,
          httpUrl,
          wsUrl: url,
          fetch: globalThis.fetch,
          logger: logger.child({ actor: 'venue.live' }),
        });
        io.stdout(
          `live trading: orders go to ${httpUrl} as ${venue.signerAddress} (account ${venue.account})`,
        );
      } else if (live) {
        io.stdout('paper trading on live data (pass --live-trading to place real orders)');
      }

      const metrics = createMetrics({ processMetrics: true });
      const inspection =
        values.inspect || values['inspect-file']
          ? createInspection({
              ...(values.inspect ? { websocket: true } : {}),
              ...(values['inspect-file'] ? { file: values['inspect-file'] } : {}),
            })
          : null;
      const seen: Record<string, number> = {};
      const journalDir = journalDirFor(join(config.dataDir, 'journal'), clock.now());
      // a run that crashed is replayed with the config it recorded (its last tick's records may be missing)
      const recovered = restoreFromDataDir(join(config.dataDir, 'journal'), clock.now(), (run) =>
        engineConfigFrom(run ? recordedConfig(run) : config),
      );
      const restore = recovered.records;
      if (restore.length > 0)
        logger.warn(
          { records: restore.length, from: recovered.dir, trading: recovered.trading },
          'restart: recovering the position ledger and the trading state from the journal',
        );
      if (recovered.trading && recovered.trading.state !== 'ACTIVE')
        io.stdout(
          `restart: trading ${recovered.trading.state} (${recovered.trading.reason}) — as before the restart; RESET_HALT / SET_TRADING ACTIVE to resume`,
        );
      // alerts: queued from the decision lines, sent off the decision side's path, each outcome journaled
      let systemRef: RunningSystem | null = null;
      const alerts = new AlertDispatcher({
        config: config.alerts,
        now: () => clock.now(),
        journal: (r) => {
          systemRef?.journalNote(r);
          metrics.alert(r.alert, r.outcome);
          if (r.outcome === 'failed' || r.outcome === 'dropped')
            logger.warn(
              { alert: r.alert, webhook: r.webhook, outcome: r.outcome, error: r.error },
              'alert not delivered',
            );
        },
        daily: () => dailyFiguresOf(systemRef),
      });
      for (const m of alerts.missingUrls())
        logger.warn({ webhook: m }, 'alert webhook without a URL: its variable is not set');
      // the dashboard's memory of the decision log: each line queued as it is written, read at its pushes
      const history = !values['no-dashboard'] && config.dashboard.enabled ? new DecisionHistory() : null;
      const system = await startSystem({
        config,
        url,
        clock,
        onLine: (l) => {
          metrics.decision(l);
          alerts.onLine(l);
          history?.add(l);
        },
        restore,
        run: {
          coins: [...config.coins],
          venue: venue ? 'live' : 'paper',
          network,
          ...(venue ? { account: venue.account } : {}),
          config: redactedConfig(config),
        },
        journalDir,
        logger,
        ...(values.decisions ? { decisionsFile: values.decisions } : {}),
        ...(inspection ? { inspect: inspection.inspect } : {}),
        ...(venue ? { venue } : {}),
        onStats: (s) => {
          for (const [ch, n] of Object.entries(s.byChannel)) {
            const d = n - (seen[ch] ?? 0);
            if (d > 0) metrics.frame(ch, d);
            seen[ch] = n;
          }
          for (const us of s.latencySamplesUs) metrics.observeLatency(us / 1e6);
        },
      });
      if (inspection)
        io.stdout(
          `inspect: ${values['inspect-file'] ? `trace → ${values['inspect-file']}` : 'streaming to the Stately inspector'}`,
        );
      let dashboard: { url: string; close(): Promise<void> } | null = null;
      if (history) {
        dashboard = await serveDashboard(system, config, clock, metrics, operatorToken(config.dataDir), {
          history,
        });
        lock.annotate({ dashboard: new URL(dashboard.url).origin }); // for `runtime status`
        io.stdout(`dashboard: ${dashboard.url}`);
      }
      systemRef = system;
      // metrics headless, or on a port of their own: /metrics for Prometheus, /api/snapshot for `runtime status`
      let metricsServer: { url: string; origin: string; close(): Promise<void> } | null = null;
      let gauges: NodeJS.Timeout | null = null;
      if (config.metrics.enabled && (config.metrics.port !== undefined || dashboard === null)) {
        metricsServer = await serveMetrics({
          host: config.metrics.host,
          port: config.metrics.port ?? 0,
          metrics,
          status: {
            token: operatorToken(config.dataDir),
            snapshot: () => buildSnapshot(system, config, clock.now()),
          },
        });
        if (dashboard === null) {
          // without the dashboard nothing else refreshes the gauges (staleness, PnL, regime, health)
          gauges = setInterval(() => metrics.applySnapshot(buildSnapshot(system, config, clock.now())), 1000);
          gauges.unref();
        }
        lock.annotate({ status: metricsServer.origin });
        io.stdout(`metrics: ${metricsServer.url}`);
      }
      io.stdout(`journal: ${system.summary().journal.dir}`);

      const summary = await runUntilDone(system, durationS);
      // the last alerts (the shutdown's own halt among them) get a moment to leave, never more
      await Promise.race([alerts.idle(), new Promise((r) => setTimeout(r, 2_000).unref())]);
      alerts.close();
      if (gauges) clearInterval(gauges);
      await metricsServer?.close();
      await inspection?.close();
      await venue?.close();
      await dashboard?.close();
      await sim?.close();
      io.stdout(values.json ? JSON.stringify(summary) : formatSummary(summary));
      return 0;
    } finally {
      lock.release();
    }
  });
}

/**
 * The network of `runtime start live`: the operator's word, the URL's known host and what the venue
 * announces must agree (runtime/network.ts); a venue at an unknown host is asked which network it plays.
 */
function startAt(v: string): number {
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t))
    throw new UsageError(`--start-at must be an ISO 8601 time or ms since epoch, got '${v}'`);
  return Math.floor(t / 1000) * 1000;
}

function isNetworkChoice(x: string): x is NetworkChoice {
  return x === 'mainnet' || x === 'testnet' || x === 'sim';
}

async function resolveLiveNetwork(inputs: {
  explicit: NetworkChoice | undefined;
  url: string | undefined;
  liveTrading: boolean;
}): Promise<NetworkResolution> {
  let announced: Network | null | undefined;
  if (inputs.url !== undefined && knownNetworkOf(inputs.url) === undefined) {
    const probe = await probeVenueNetwork(inputs.url, { fetch: globalThis.fetch });
    if (!probe.ok) {
      // paper trading on data only: a venue we cannot ask is no reason to refuse, but it names nothing
      if (inputs.liveTrading || inputs.explicit === 'sim') return { ok: false, error: probe.error };
    } else announced = probe.announced;
  }
  return resolveNetwork({ ...inputs, announced });
}

export function redactedConfig(c: Config): Record<string, unknown> {
  return { ...c, live: { ...c.live, keyEnv: c.live.keyEnv, keyFile: c.live.keyFile ? '[path]' : undefined } };
}
