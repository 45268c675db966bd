/**
 * The feed: the connection machine run as an actor on the injected clock, wired to the real WebSocket
 * actor, the subscription registry, the stamper and the SPSC ring towards the ingest worker. Connection
 * events travel through the ring as journal records, in order with the frames.
 */
import { type Actor, createActor } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.ts';
import type { ConnectionEmitted, ConnectionInput } from '../../machines/connection.types.ts';
import type { Clock } from '../../state/clock.ts';
import type { ConnEvent } from '../../state/records.ts';
import {
  type RegistryCounters,
  type RegistryLimits,
  type Subscription,
  SubscriptionRegistry,
} from './registry.ts';
import {
  createSocketLogic,
  type FeedLogger,
  newSocketCounters,
  type SocketCounters,
  type SocketDeps,
} from './socket.ts';
import { type RecordSink, type SequenceCounter, Stamper, type StamperCounters } from './stamper.ts';

export interface FeedConfig {
  timings?: ConnectionInput['timings'];
  /** Seed of the reconnect jitter (default 1). */
  seed?: number;
  /** Client-side venue limits (defaults: the venue's). */
  limits?: Partial<RegistryLimits>;
  /** Overflow queue bounds (records / payload bytes) before frames are counted lost. */
  overflowRecords?: number;
  overflowBytes?: number;
  activityGranularityMs?: number;
  wsOptions?: SocketDeps['wsOptions'];
  /** Share the process-wide sequence with other record producers. */
  seq?: SequenceCounter;
}

export interface StartFeedOptions {
  url: string;
  subscriptions: Subscription[];
  clock: Clock;
  /** The ring producer (or any record sink). */
  producer: RecordSink;
  logger?: FeedLogger;
  config?: FeedConfig;
  /** Told at once when frames are lost past the overflow bound (the gap record follows in-band). */
  onLoss?: (lostSoFar: number, reason: string) => void;
}

export interface FeedCounters extends StamperCounters {
  /** Sessions after the first (each one a new epoch, a gap for every channel). */
  reconnects: number;
  epoch: number;
  socket: SocketCounters;
  registry: RegistryCounters;
}

export interface Feed {
  readonly actor: Actor<typeof connectionMachine>;
  readonly registry: SubscriptionRegistry;
  readonly stamper: Stamper;
  /** Add a subscription (sent at once when connected; resubscribed on every reconnect). */
  subscribe(sub: Subscription): string;
  unsubscribe(sub: Subscription): boolean;
  /** Current state value of the connection machine. */
  state(): unknown;
  counters(): FeedCounters;
  /** Close the socket and stop reconnecting. Idempotent. */
  stop(): void;
  /** Listen to the machine's outward notifications. */
  on<T extends ConnectionEmitted['type']>(
    type: T,
    fn: (e: Extract<ConnectionEmitted, { type: T }>) => void,
  ): { unsubscribe(): void };
}

export function startFeed(opts: StartFeedOptions): Feed {
  const { clock, logger } = opts;
  const cfg = opts.config ?? {};
  const registry = new SubscriptionRegistry(clock, cfg.limits);
  for (const s of opts.subscriptions) registry.add(s);
  const stamperOpts: ConstructorParameters<typeof Stamper>[0] = { clock, sink: opts.producer };
  if (cfg.seq) stamperOpts.seq = cfg.seq;
  if (cfg.overflowRecords !== undefined) stamperOpts.overflowRecords = cfg.overflowRecords;
  if (cfg.overflowBytes !== undefined) stamperOpts.overflowBytes = cfg.overflowBytes;
  stamperOpts.onLoss = (lost, reason) => {
    logger?.error({ lost, reason }, 'feed: frames lost past the overflow bound');
    opts.onLoss?.(lost, reason);
  };
  const stamper = new Stamper(stamperOpts);
  const socketCounters = newSocketCounters();

  const deps: SocketDeps = {
    clock,
    registry,
    onFrame: (data) => stamper.frame(data),
    counters: socketCounters,
    onControl: (o) => {
      if (o.kind === 'rejected')
        logger?.warn({ key: o.key, message: o.message }, 'feed: subscription rejected');
      else if (o.kind === 'venueError' || o.kind === 'unmatched')
        logger?.warn({ outcome: o }, 'feed: venue error');
    },
  };
  if (cfg.activityGranularityMs !== undefined) deps.activityGranularityMs = cfg.activityGranularityMs;
  if (cfg.wsOptions) deps.wsOptions = cfg.wsOptions;
  if (logger) deps.logger = logger;

  const input: ConnectionInput = { url: opts.url };
  if (cfg.timings) input.timings = cfg.timings;
  if (cfg.seed !== undefined) input.seed = cfg.seed;
  const machine = connectionMachine.provide({ actors: { socket: createSocketLogic(deps) } });
  const actor = createActor(machine, { clock, input });

  actor.on('conn', (e) => {
    stamper.setEpoch(e.epoch);
    stamper.conn(e.event as ConnEvent);
    if (e.event.type === 'closed' || e.event.type === 'error' || e.event.type === 'gap') {
      logger?.warn({ epoch: e.epoch, ...e.event }, `feed: ${e.event.type}`);
    } else {
      logger?.info({ epoch: e.epoch, ...e.event }, `feed: ${e.event.type}`);
    }
  });
  actor.subscribe({
    error: (err) => logger?.error({ err: String(err) }, 'feed: connection actor failed'),
  });
  actor.start();
  actor.send({ type: 'START' });

  let stopped = false;
  return {
    actor,
    registry,
    stamper,
    subscribe(sub) {
      const key = registry.add(sub);
      actor.send({ type: 'SYNC' });
      return key;
    },
    unsubscribe(sub) {
      const had = registry.remove(sub);
      if (had) actor.send({ type: 'SYNC' });
      return had;
    },
    state: () => actor.getSnapshot().value,
    counters: () => {
      const c = actor.getSnapshot().context;
      return {
        ...stamper.counters,
        reconnects: Math.max(0, c.epoch - 1),
        epoch: c.epoch,
        socket: { ...socketCounters },
        registry: { ...registry.counters },
      };
    },
    stop() {
      if (stopped) return;
      stopped = true;
      actor.send({ type: 'STOP' });
      actor.stop();
      stamper.close();
    },
    on(type, fn) {
      // XState types the handler's event through a conditional on the still-generic `type`; the
      // guard states what it is (always true: the actor only calls it for events of this type)
      return actor.on(type, (e) => {
        if (isEmitted(e, type)) fn(e);
      });
    },
  };
}

function isEmitted<T extends ConnectionEmitted['type']>(
  e: ConnectionEmitted,
  type: T,
): e is Extract<ConnectionEmitted, { type: T }> {
  return e.type === type;
}
