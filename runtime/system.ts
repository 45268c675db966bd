/**
 * The live stack, wired: connection actor (main thread) → SPSC ring → ingest worker (journal first, then
 * pipeline and hot state) → tick handshake → decision side (health, regime, strategies, execution on the
 * paper venue) → decision log, journaled too. Used by `runtime start` (embedded simulator or a real venue)
 * and `runtime record` (feed + journal only).
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { startFeed, type Feed } from '../actors/feed/connection.ts';
import type { Subscription } from '../actors/feed/registry.ts';
import { SequenceCounter } from '../actors/feed/stamper.ts';
import { startIngest, type IngestHost } from '../actors/ingest/host.ts';
import { journalRootOfDay } from '../actors/node/resume.ts';
import { type NodeSources, nodeConfigProblem, startNodeSources } from '../actors/node/sources.ts';
import {
  type DiskGuard,
  diskFloorProblem,
  existingPath,
  startDiskGuard,
} from '../actors/journal/disk-guard.ts';
import type { TickMessage, WorkerStats } from '../actors/ingest/protocol.ts';
import { deliverAtTick, JournaledVenue, type JournaledVenueCounters } from '../actors/venue/journaled.ts';
import type { Venue } from '../actors/venue/types.ts';
import type { ConnectionInput } from '../machines/connection.types.ts';
import {
  DecisionEngine,
  type DecisionLine,
  type EngineInspect,
  type EngineSummary,
  emptyEngineSummary,
  engineConfigFrom,
  type OperatorCommand,
} from '../decision/engine.ts';
import type { DecisionKind } from '../decision/records.ts';
import { type RunInfo, type RunStart, tradingOfRecords } from '../replay/replay-journal.ts';
import { type Clock, ManualClock } from '../state/clock.ts';
import { splitTickItems } from '../state/pipeline.ts';
import { jsonBytes, RecordKind } from '../state/records.ts';
import { type Config, ConfigError } from './config.ts';

type Level = 'error' | 'warn' | 'info' | 'debug';

/**
 * The log level of each kind of decision record (decision/records.ts): what a trader must see (alarms,
 * rejected books and intents, strategy errors, what health waits for) a warning; the decisions themselves
 * info; the rest debug. Every kind is listed: a new kind does not compile until it has its level.
 */
const LEVEL_OF: Record<DecisionKind, Level> = {
  health: 'info',
  'health.waiting': 'warn',
  regime: 'info',
  gate: 'info',
  lease: 'info',
  strategy: 'info',
  ignored: 'debug',
  'strategy.error': 'warn',
  'intent.rejected': 'warn',
  alarm: 'warn',
  'operator.applied': 'info',
  'restart.recovered': 'warn',
  'book.rejected': 'warn',
  'book.valid': 'info',
  'exec.intent': 'info',
  'exec.verdict': 'info',
  'exec.order': 'debug',
  'exec.fill': 'info',
  'exec.position': 'debug',
  'exec.trading': 'info',
  'exec.day': 'debug',
  'exec.closing': 'info',
  'exec.strategy': 'debug',
  'exec.alarm': 'warn',
  'exec.error': 'error',
  alert: 'info',
  'wallet.class': 'info',
};

const isKnownKind = (k: string): k is DecisionKind => Object.hasOwn(LEVEL_OF, k);

/** The log level of a decision record; trading halting is an error (the process's own shutdown is not). */
export function decisionLevel(line: DecisionLine): Level {
  const kind = line.kind;
  if (kind === 'exec.trading' && line.state === 'HALTED')
    return String(line.reason).includes('shutdown:') ? 'info' : 'error';
  return isKnownKind(kind) ? LEVEL_OF[kind] : 'debug';
}

/** How long a shutdown waits for its final (flattening) tick. */
const SHUTDOWN_TICK_MS = 10_000;

export interface SystemOptions {
  config: Config;
  url: string;
  clock: Clock;
  journalDir: string;
  logger: Logger;
  /** Run the decision side (false: feed + journal only, as `runtime record`). */
  decide?: boolean;
  decisionsFile?: string;
  /** Every decision line (after it is written). */
  onLine?: (l: DecisionLine) => void;
  /** Decision lines kept for the dashboard. */
  keepDecisions?: number;
  /** Inspection observer for the decision side's actors (Stately inspector / JSONL trace). */
  inspect?: EngineInspect;
  /** Ingest worker statistics, about once a second. */
  onStats?: (s: WorkerStats) => void;
  /**
   * The live venue (`--live-trading`); default the paper venue. Its reports are journaled
   * (`RecordKind.Venue`) and reach execution only from the record stream, at ticks (`JournaledVenue`).
   */
  venue?: Venue;
  /** Execution records recovered from the journal (a restart): journaled in a `run.start` record. */
  restore?: unknown[];
  /** What the run uses (coins, venue, network, redacted config): journaled in the `run.start` record. */
  run?: RunInfo;
}

/** The decision side's counters (a run without decisions reports them at zero) plus the feed's and the journal's. */
export interface SystemSummary extends Omit<EngineSummary, 'regimes'> {
  frames: number;
  framesHandedOn: number;
  lost: number;
  reconnects: number;
  /** Loss gaps reported by the stamper plus one per reconnect (every reconnect is a gap for every channel). */
  gaps: number;
  rejectedFrames: number;
  pnl: number;
  journal: { dir: string; persistedSeq: number; lastSeq: number; errors: number };
  decisionLines: number;
  tickAckTimeouts: number;
  /** The live venue's reports: journaled, lost before the journal, delivered at ticks (absent: paper venue). */
  venueReports?: JournaledVenueCounters;
  /** Tick inputs that were neither an operator command nor a venue report (counted, dropped). */
  badTickItems: number;
  /** Each source of the journal: its records, and its connection, losses and gaps where it has them. */
  sources: Record<string, SourceStatus>;
}

/** One source of the journal as the system tracks it (records as stamped by the inlet). */
export interface SourceStatus {
  records: number;
  /** The source's connection state (the feed machine's state; the live venue's). */
  connection?: string;
  reconnects?: number;
  /** Loss gaps plus one per reconnect (every reconnect is a gap for every channel of the source). */
  gaps?: number;
  lost?: number;
  /** The live venue's answers: journaled, lost before the journal, delivered to execution at ticks. */
  journaled?: number;
  unjournaled?: number;
  delivered?: number;
}

/** A state value as one label (`{ live: 'subscribed' }` → `live.subscribed`). */
function stateText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') {
    const [k, inner] = Object.entries(v)[0] ?? ['?', null];
    return inner === null ? k : `${k}.${stateText(inner)}`;
  }
  return String(v);
}

export interface RunningSystem {
  readonly feed: Feed;
  readonly ingest: IngestHost;
  engine(): DecisionEngine | null;
  stats(): WorkerStats | null;
  recentDecisions(): string[];
  /** The trading state: execution's, or before the first tick the one recovered from the journal. */
  tradingState(): 'ACTIVE' | 'REDUCING' | 'HALTED';
  /** Operator command: journaled, applied at the next tick (an immediate tick is requested). */
  command(cmd: OperatorCommand): void;
  /**
   * Journal a record of this process's side effects (an alert's send outcome) as a decision record: in the
   * journal, not in the decision log (a replay does not redo side effects, so it never rebuilds them).
   */
  journalNote(line: DecisionLine): void;
  summary(): SystemSummary;
  /** Stop entries, flatten (if configured), stop the feed, drain and fsync the journal. */
  stop(): Promise<SystemSummary>;
}

/** The feed section of the config as the connection machine's timings (the backoff is nested there). */
export function feedTimings(feed: Config['feed']): NonNullable<ConnectionInput['timings']> {
  return {
    pingAfterMs: feed.pingAfterMs,
    pongTimeoutMs: feed.pongTimeoutMs,
    receiveTimeoutMs: feed.receiveTimeoutMs,
    backoff: { baseMs: feed.backoffBaseMs, maxMs: feed.backoffMaxMs },
  };
}

/** The `run.start` record's payload: what this process recovered and what it runs with. */
export function runStartRecord(opts: Pick<SystemOptions, 'restore' | 'run'>): RunStart {
  return opts.run ? { restore: opts.restore ?? [], run: opts.run } : { restore: opts.restore ?? [] };
}

export function subscriptionsFor(coins: readonly string[], fastBook: boolean): Subscription[] {
  const subs: Subscription[] = [];
  for (const coin of coins) {
    subs.push(fastBook ? { type: 'l2Book', coin, fast: true } : { type: 'l2Book', coin });
    subs.push({ type: 'bbo', coin });
    subs.push({ type: 'trades', coin });
    subs.push({ type: 'activeAssetCtx', coin });
  }
  return subs as Subscription[];
}

export async function startSystem(opts: SystemOptions): Promise<RunningSystem> {
  const { config, clock, logger } = opts;
  const decide = opts.decide !== false;
  const coins = [...config.coins];
  const log = logger.child({ actor: 'system' });
  const decisionLog = logger.child({ actor: 'decision' });
  let decisionsOut: WriteStream | null = null;
  if (opts.decisionsFile) {
    mkdirSync(dirname(opts.decisionsFile), { recursive: true });
    decisionsOut = createWriteStream(opts.decisionsFile, { flags: 'a', mode: 0o600 });
  }
  const recent: string[] = [];
  const keep = opts.keepDecisions ?? 50;
  let decisionLines = 0;
  let engine: DecisionEngine | null = null;
  let lastTickSeq = 0;
  let eventTickPending = false;
  const tickWaiters: Array<{ seq: number; resolve: () => void }> = [];
  const engineCfg = engineConfigFrom(config);
  // until the decision side's first tick, the state a restart recovered is the one that applies
  const recoveredTrading = tradingOfRecords(opts.restore ?? [])?.state ?? 'ACTIVE';

  // eslint-style forward reference: the stamper exists once the feed does
  let feedRef: Feed | null = null;
  const journalDecision = (channel: string, data: Uint8Array) =>
    feedRef?.stamper.control(RecordKind.Decision, channel, data);
  // the live venue's answers are inputs: journaled here, applied only as they come out of the record stream
  const inlet = opts.venue ? new JournaledVenue(opts.venue) : null;
  let badTickItems = 0;

  const onLine = (l: DecisionLine) => {
    decisionLines++;
    const text = JSON.stringify(l);
    decisionsOut?.write(`${text}\n`);
    journalDecision(l.kind, jsonBytes(l));
    recent.push(text);
    if (recent.length > keep) recent.shift();
    const level = decisionLevel(l);
    if (level === 'error') decisionLog.error(l, l.kind);
    else if (level === 'warn') decisionLog.warn(l, l.kind);
    else if (level === 'info') decisionLog.info(l, l.kind);
    else decisionLog.debug(l, l.kind);
    opts.onLine?.(l);
  };

  const onTick = (m: TickMessage) => {
    lastTickSeq = m.seq;
    if (m.cause === 'event') {
      eventTickPending = false;
      // a venue answer journaled after this tick was requested is not in it: it asks for the next one
      if (venueTickOwed) {
        venueTickOwed = false;
        askTickForVenue();
      }
    }
    if (decide) {
      if (!engine) {
        const eo: ConstructorParameters<typeof DecisionEngine>[0] = {
          config: engineCfg,
          clock: new ManualClock(m.time),
          reader: ingest.reader,
          out: onLine,
        };
        if (opts.inspect) eo.inspect = opts.inspect;
        if (inlet) eo.venue = inlet;
        if (opts.restore && opts.restore.length > 0) eo.restore = opts.restore;
        engine = new DecisionEngine(eo);
      }
      const items = splitTickItems(m.commands);
      if (items.bad > 0) {
        badTickItems += items.bad;
        log.error(
          { bad: items.bad, seq: m.seq },
          'tick inputs that are neither a command nor a venue report',
        );
      }
      deliverAtTick(engine, inlet, m.time, items.reports);
      engine.onTick({
        time: m.time,
        version: m.version,
        events: m.events,
        commands: items.commands as OperatorCommand[],
      });
    }
    for (let i = tickWaiters.length - 1; i >= 0; i--) {
      if (tickWaiters[i]!.seq <= m.seq) {
        tickWaiters[i]!.resolve();
        tickWaiters.splice(i, 1);
      }
    }
  };

  /**
   * A venue answer acts at once, not at the next timer tick: it asks for an event tick (one at a time, shared
   * with the derived events; one asked while a requested tick is on its way is owed and asked when it arrives).
   */
  let venueTickOwed = false;
  const askTickForVenue = () => {
    if (!decide || stopped || !feedRef) return;
    if (eventTickPending) venueTickOwed = true;
    else {
      eventTickPending = true;
      requestTick('event');
    }
  };

  const requestTick = (cause: 'timer' | 'event'): number => {
    const seq = feedRef!.stamper.seq.peek();
    feedRef!.stamper.control(RecordKind.Tick, 'tick', jsonBytes({ cause }));
    return seq;
  };

  // the free-space floor: below it, no start (visibility over continuity)
  const floorBytes = config.journal.minFreeBytes;
  const diskPath = existingPath(opts.journalDir);
  const floorProblem = floorBytes > 0 ? diskFloorProblem(diskPath, floorBytes) : null;
  if (floorProblem !== null) throw new ConfigError(`runtime: ${floorProblem}`, ['journal.minFreeBytes']);
  // The node runs beside the public feed, never instead of it: the decision side needs each coin's asset
  // context (mark, funding, open interest: activeAssetCtx), which only the venue's API serves — a node's
  // local info server answers no assetCtxs (protocol §6.2) and its order_book_server has none — and orders
  // go to the venue's API in any case. The public feed's connection also carries the one journal inlet.
  if (!config.sources.includes('public'))
    throw new ConfigError(
      'runtime: sources must include public: mark, funding and open interest (activeAssetCtx) come only from the venue’s API (a node serves no asset contexts); the node runs beside it and can drive the books (node.l4)',
      ['sources'],
    );
  const nodeProblem = config.sources.includes('node') ? nodeConfigProblem(config.node, config.sources) : null;
  if (nodeProblem !== null) throw new ConfigError(`runtime: ${nodeProblem}`, ['node']);
  let diskGuard: DiskGuard | null = null;

  const ingest = await startIngest({
    coins,
    ringBytes: 2 ** Math.ceil(Math.log2(config.feed.ringBytes)),
    journal: {
      dir: opts.journalDir,
      mode: config.journal.mode,
      fsyncIntervalMs: config.journal.fsyncIntervalMs,
      segmentBytes: config.journal.segmentBytes,
      segmentMs: config.journal.segmentMs,
      lagBytes: config.journal.maxLagBytes,
    },
    spinUs: config.ingest.spinUs,
    youngGenerationMb: config.ingest.youngGenerationMb,
    oldSpaceMb: config.ingest.oldSpaceMb,
    onTick,
    onEventTick: () => {
      if (!decide || eventTickPending || !feedRef) return;
      eventTickPending = true;
      requestTick('event');
    },
    ...(opts.onStats ? { onStats: opts.onStats } : {}),
    onLag: (lagging, evidence) =>
      log.warn({ lagging, evidence }, lagging ? 'journal lagging: do not trade' : 'journal caught up'),
    onError: (message) => {
      log.error({ message }, 'ingest error');
      if (/ENOSPC|EDQUOT/.test(message)) void diskGuard?.writeFailed(message);
    },
  });
  log.info({ dir: opts.journalDir, nextSeq: ingest.nextSeq, recovery: ingest.recovery }, 'journal open');

  const seq = new SequenceCounter(ingest.nextSeq);
  // the run's first record: what this process recovered, so a replay restarts exactly here too
  const runStart = { seq: seq.next(), time: clock.now() };
  const wrote = ingest.producer.tryWrite({
    seq: runStart.seq,
    time: runStart.time,
    epoch: 0,
    kind: RecordKind.Decision,
    channel: 'run.start',
    data: jsonBytes(runStartRecord(opts)),
  });
  if (!wrote) {
    await ingest.stop();
    throw new Error(
      `the recovered execution records (${opts.restore?.length ?? 0}) do not fit in one ring record`,
    );
  }
  const feed = startFeed({
    url: opts.url,
    subscriptions: subscriptionsFor(coins, config.feed.fastBook),
    clock,
    producer: ingest.producer,
    logger: logger.child({ actor: 'connection' }),
    config: {
      seq,
      overflowRecords: config.feed.overflowFrames,
      timings: feedTimings(config.feed),
    },
    onLoss: (lost, reason) => log.error({ lost, reason }, 'frames lost: gap reported'),
  });
  feedRef = feed;
  // the node's sources (issue 17): its files, its order_book_server, its info server, through the same inlet
  const nodeSources: NodeSources | null = config.sources.includes('node')
    ? startNodeSources({
        config: config.node,
        sources: config.sources,
        coins,
        clock,
        inlet: feed.stamper,
        journalRoot: journalRootOfDay(opts.journalDir),
        logger: logger.child({ actor: 'node' }),
        timings: feedTimings(config.feed),
      })
    : null;

  // while running: falling below the floor is journaled as an operator command (DISK), read at the next tick
  diskGuard =
    floorBytes > 0
      ? startDiskGuard({
          path: diskPath,
          floorBytes,
          clock,
          onChange: (cmd) => {
            if (cmd.low) log.error(cmd, 'disk below the free-space floor: no new entries');
            else log.warn(cmd, 'disk space back above the floor');
            feed.stamper.control(RecordKind.Decision, 'operator', jsonBytes(cmd));
            if (decide) requestTick('event');
          },
          onError: (e) => log.error({ message: e.message }, 'disk guard'),
        })
      : null;
  inlet?.attach((r) => {
    feed.stamper.control(RecordKind.Venue, r.type, jsonBytes(r));
    askTickForVenue();
    return true;
  });

  // periodic control ticks on the (real or warped) clock
  let tickTimer: number | null = null;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    const now = clock.now();
    const next = Math.ceil((now + 1) / engineCfg.tickMs) * engineCfg.tickMs;
    tickTimer = clock.setTimeout(() => {
      if (decide) requestTick('timer');
      schedule();
    }, next - now);
  };
  schedule();

  /** Wait until the decision side has seen the tick at `target`; false when `timeoutMs` passed first. */
  const waitForTick = (target: number, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      if (lastTickSeq >= target) return resolve(true);
      const timer = setTimeout(() => {
        const i = tickWaiters.indexOf(waiter);
        if (i >= 0) tickWaiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        seq: target,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      tickWaiters.push(waiter);
    });

  const summary = (): SystemSummary => {
    const { regimes: _regimes, ...d } = engine?.summary ?? {
      ...emptyEngineSummary(coins, config.risk.startEquity),
      tradingState: recoveredTrading,
    };
    const fc = feed.counters();
    const ws = ingest.lastStats();
    return {
      ...d,
      frames: fc.framesReceived,
      framesHandedOn: fc.framesHandedOn,
      lost: fc.lost,
      reconnects: fc.reconnects,
      gaps: fc.lossGaps + fc.reconnects,
      rejectedFrames: ws?.pipeline.rejected ?? 0,
      pnl: d.equity - config.risk.startEquity,
      journal: {
        dir: opts.journalDir,
        persistedSeq: ws?.journal.persistedSeq ?? -1,
        lastSeq: ws?.journal.lastSeq ?? -1,
        errors: ws?.journal.errors ?? 0,
      },
      decisionLines,
      tickAckTimeouts: ws?.tickAckTimeouts ?? 0,
      ...(inlet ? { venueReports: { ...inlet.counters } } : {}),
      badTickItems,
      sources: sourcesOf(fc),
    };
  };

  /** Per source: the market feed, the live venue (when trading live), this process's own records. */
  const sourcesOf = (fc: ReturnType<Feed['counters']>): Record<string, SourceStatus> => {
    const out: Record<string, SourceStatus> = {
      feed: {
        records: fc.bySource.feed ?? 0,
        connection: stateText(feed.state()),
        reconnects: fc.reconnects,
        gaps: fc.lossGaps + fc.reconnects,
        lost: fc.lost,
      },
      local: { records: fc.bySource.local ?? 0 },
    };
    if (inlet) {
      const venue: SourceStatus = {
        records: fc.bySource.venue ?? 0,
        journaled: inlet.counters.journaled,
        unjournaled: inlet.counters.unjournaled,
        delivered: inlet.counters.delivered,
      };
      const c = inlet.inner.connection?.();
      if (c !== undefined) venue.connection = c;
      out.venue = venue;
    }
    // their gaps as the ingest pipeline judged them: heights, connection losses, staleness
    const judged = ingest.lastStats()?.pipeline.sourceGaps ?? {};
    for (const [name, st] of Object.entries(nodeSources?.status() ?? {}))
      out[name] = { records: fc.bySource[name] ?? 0, ...st, gaps: judged[name] ?? 0 };
    for (const [name, n] of Object.entries(fc.bySource)) out[name] ??= { records: n };
    // which book each coin's hot state has: the node's L4 book while whole, else the public l2Book
    const nb = ingest.lastStats()?.nodeBooks;
    if (nb !== undefined) {
      const publicCoins = coins.filter((c) => !nb.driving.includes(c));
      out['node-l4book'] = {
        records: 0,
        connection: `${nb.from === 'book' ? 'book server l4Book' : 'node files'} drives ${nb.driving.length > 0 ? nb.driving.join(',') : 'no coin'}${publicCoins.length > 0 ? ` (public l2Book: ${publicCoins.join(',')})` : ''}; ${nb.snapshots} snapshots, ${nb.broken} losses${nb.lastProblem !== '' ? ` (last: ${nb.lastProblem})` : ''}`,
      };
    }
    return out;
  };

  return {
    feed,
    ingest,
    engine: () => engine,
    stats: () => ingest.lastStats(),
    recentDecisions: () => [...recent],
    tradingState: () => engine?.execution.tradingState() ?? recoveredTrading,
    command(cmd) {
      feed.stamper.control(RecordKind.Decision, 'operator', jsonBytes(cmd));
      if (decide) requestTick('event');
    },
    journalNote(line) {
      if (!stopped) feed.stamper.control(RecordKind.Decision, line.kind, jsonBytes(line));
    },
    summary,
    async stop() {
      stopped = true;
      diskGuard?.stop();
      if (tickTimer !== null) clock.clearTimeout(tickTimer);
      if (decide) {
        // stop entries; flatten or keep the positions as configured
        const cmd: OperatorCommand = { type: 'SHUTDOWN', flatten: config.shutdown.flatten };
        feed.stamper.control(RecordKind.Decision, 'operator', jsonBytes(cmd));
        // bounded: a journal that cannot make the tick durable must not hang the shutdown
        if (!(await waitForTick(requestTick('event'), SHUTDOWN_TICK_MS)))
          log.error(
            { waitedMs: SHUTDOWN_TICK_MS },
            'shutdown: the final tick was not handed on (journal not durable?)',
          );
      }
      nodeSources?.stop();
      feed.stop();
      feed.stamper.drain();
      const finalStats = await ingest.stop();
      engine?.stop();
      inlet?.stop();
      if (decisionsOut) await new Promise<void>((r) => decisionsOut!.end(() => r()));
      const s = summary();
      if (finalStats) {
        s.journal.persistedSeq = finalStats.journal.persistedSeq;
        s.journal.lastSeq = finalStats.journal.lastSeq;
        s.rejectedFrames = finalStats.pipeline.rejected;
      }
      return s;
    },
  };
}
