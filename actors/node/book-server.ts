/**
 * The order_book_server source: a local `order_book_server` (protocol §6.3) over WebSocket, with the feed's
 * connection machinery (the connection machine's heartbeat, backoff and resubscribe on every reconnect, the
 * subscription registry, the socket actor). It subscribes `l2Book` (with `nLevels`), `trades` and `l4Book`
 * for the configured coins. Every frame and connection event goes through the one journal inlet tagged
 * with its own source (`book`) and this connection's epoch; a reconnect is a gap for its channels (the
 * machine's `gap` event, read as the source's by the pipeline). The server has no ping handler: its
 * `error` echoing our ping counts as the pong (socket.ts).
 */
import { type Actor, createActor } from 'xstate';
import { OBS_DEFAULT_LEVELS, OBS_MAX_LEVELS } from '../../hyperliquid/node-schemas.ts';
import { connectionMachine } from '../../machines/connection.machine.ts';
import type { ConnectionInput } from '../../machines/connection.types.ts';
import type { Clock } from '../../state/clock.ts';
import { jsonBytes, RecordKind, type SourceName, sniffChannel } from '../../state/records.ts';
import {
  type RegistryLimits,
  type Subscription,
  SubscriptionRegistry,
  subscriptionKey,
} from '../feed/registry.ts';
import {
  createSocketLogic,
  type FeedLogger,
  newSocketCounters,
  type SocketCounters,
} from '../feed/socket.ts';

/** Where a further source's records go: the feed's stamper (`Stamper.sourced`) satisfies it. */
export interface SourceInlet {
  /** The inlet's overflow queue (records waiting for ring space), where it has one: the tail holds off on it. */
  readonly counters?: { readonly queued: number };
  sourced(
    kind: typeof RecordKind.Frame | typeof RecordKind.Conn,
    source: SourceName,
    channel: string,
    data: Uint8Array,
    epoch: number,
  ): void;
}

/**
 * The subscriptions for `coins`: l2Book (nLevels only when not the server's default 20: asking for it
 * explicitly is rejected), trades, l4Book.
 */
export function bookServerSubscriptions(
  coins: readonly string[],
  nLevels = OBS_DEFAULT_LEVELS,
): Subscription[] {
  if (!Number.isInteger(nLevels) || nLevels < 1 || nLevels > OBS_MAX_LEVELS)
    throw new RangeError(`order_book_server nLevels ${nLevels}: an integer from 1 to ${OBS_MAX_LEVELS}`);
  const subs: Subscription[] = [];
  for (const coin of coins) {
    subs.push(nLevels === OBS_DEFAULT_LEVELS ? { type: 'l2Book', coin } : { type: 'l2Book', coin, nLevels });
    subs.push({ type: 'trades', coin });
    subs.push({ type: 'l4Book', coin });
  }
  return subs;
}

export interface BookServerOptions {
  url: string;
  coins: readonly string[];
  clock: Clock;
  inlet: SourceInlet;
  /** The source name its records carry (default `book`). */
  source?: SourceName;
  nLevels?: number;
  timings?: ConnectionInput['timings'];
  /** Seed of the reconnect jitter (default 1). */
  seed?: number;
  limits?: Partial<RegistryLimits>;
  logger?: FeedLogger;
  /** At most one ACTIVITY event per this many ms (default 100). */
  activityGranularityMs?: number;
}

export interface BookServerCounters {
  frames: number;
  /**
   * Times a height missing from the whole l4Book stream within one session made the source ask for new
   * snapshots (unsubscribe, then subscribe again, each coin's l4Book).
   */
  l4Resyncs: number;
  connEvents: number;
  /** Sessions after the first (each a gap for the source's channels). */
  reconnects: number;
  epoch: number;
  socket: SocketCounters;
}

export interface BookServerSource {
  readonly actor: Actor<typeof connectionMachine>;
  readonly registry: SubscriptionRegistry;
  readonly source: SourceName;
  state(): unknown;
  counters(): BookServerCounters;
  /** Close the socket and stop reconnecting. Idempotent. */
  stop(): void;
}

export function startBookServer(opts: BookServerOptions): BookServerSource {
  const { clock, inlet, logger } = opts;
  const source = opts.source ?? 'book';
  const registry = new SubscriptionRegistry(clock, opts.limits);
  for (const s of bookServerSubscriptions(opts.coins, opts.nLevels)) registry.add(s);
  const socket = newSocketCounters();
  let epoch = 0;
  let frames = 0;
  let connEvents = 0;
  // l4Book resync: the session's latest height, and the l4Book subscriptions waiting for their unsubscribe ack
  let l4Height = Number.NaN;
  let l4Resyncs = 0;
  const resyncing = new Map<string, Subscription>();
  const resync = (after: number, height: number) => {
    l4Resyncs++;
    logger?.warn(
      { source, after, height },
      `book server: l4Book height ${height} after ${after} (heights missing from the stream): asking for new snapshots`,
    );
    for (const coin of opts.coins) {
      const sub: Subscription = { type: 'l4Book', coin };
      if (!registry.has(sub)) continue;
      registry.remove(sub);
      resyncing.set(subscriptionKey(sub), sub);
    }
    actor.send({ type: 'SYNC' });
  };

  const logic = createSocketLogic({
    clock,
    registry,
    counters: socket,
    onFrame: (data) => {
      frames++;
      const channel = sniffChannel(data);
      inlet.sourced(RecordKind.Frame, source, channel, data, epoch);
      if (channel === 'l4Book') {
        const h = l4HeightOf(data);
        if (h.kind === 'updates' && h.height > l4Height + 1 && resyncing.size === 0)
          resync(l4Height, h.height);
        if (h.height > l4Height || (Number.isNaN(l4Height) && !Number.isNaN(h.height))) l4Height = h.height;
      }
      return channel;
    },
    onControl: (o) => {
      // the server dropped an l4Book we resync: subscribe it again (its new Snapshot follows the ack)
      if (o.kind === 'unsubscribed') {
        const sub = resyncing.get(o.key);
        if (sub !== undefined) {
          resyncing.delete(o.key);
          registry.add(sub);
          actor.send({ type: 'SYNC' });
        }
      }
      if (o.kind === 'rejected')
        logger?.warn({ source, key: o.key, message: o.message }, 'book server: rejected');
      else if (o.kind === 'venueError' || o.kind === 'unmatched')
        logger?.warn({ source, outcome: o }, 'book server: error');
    },
    ...(opts.activityGranularityMs !== undefined
      ? { activityGranularityMs: opts.activityGranularityMs }
      : {}),
    ...(logger ? { logger } : {}),
  });
  const input: ConnectionInput = { url: opts.url };
  if (opts.timings) input.timings = opts.timings;
  if (opts.seed !== undefined) input.seed = opts.seed;
  const actor = createActor(connectionMachine.provide({ actors: { socket: logic } }), { clock, input });
  actor.on('conn', (e) => {
    if (e.epoch !== epoch) {
      // a new session: subscriptions (and their snapshots) start afresh
      l4Height = Number.NaN;
      for (const sub of resyncing.values()) registry.add(sub);
      resyncing.clear();
    }
    epoch = e.epoch;
    connEvents++;
    inlet.sourced(RecordKind.Conn, source, e.event.type, jsonBytes(e.event), e.epoch);
    const level =
      e.event.type === 'closed' || e.event.type === 'error' || e.event.type === 'gap' ? 'warn' : 'info';
    logger?.[level]({ source, epoch: e.epoch, ...e.event }, `book server: ${e.event.type}`);
  });
  actor.subscribe({
    error: (err) => logger?.error({ source, err: String(err) }, 'book server: actor failed'),
  });
  actor.start();
  actor.send({ type: 'START' });

  let stopped = false;
  return {
    actor,
    registry,
    source,
    state: () => actor.getSnapshot().value,
    counters: () => {
      const c = actor.getSnapshot().context;
      return {
        frames,
        l4Resyncs,
        connEvents,
        reconnects: Math.max(0, c.epoch - 1),
        epoch: c.epoch,
        socket: { ...socket },
      };
    },
    stop() {
      if (stopped) return;
      stopped = true;
      actor.send({ type: 'STOP' });
      actor.stop();
    },
  };
}

const HEAD_BYTES = 160;
const ascii = new TextDecoder('latin1');
const UPDATES_HEIGHT = /"Updates":\{"time":\d+,"height":(\d+)/;
const SNAPSHOT_HEIGHT = /"Snapshot":\{"coin":"[^"]*","time":\d+,"height":(\d+)/;

/**
 * The height of an l4Book frame from its head (order_book_server serialises `time`, then `height`, first):
 * no parse of the block's statuses and diffs. `kind` '' and NaN when the head does not show it.
 */
export function l4HeightOf(data: Uint8Array): { kind: 'updates' | 'snapshot' | ''; height: number } {
  const head = ascii.decode(data.subarray(0, HEAD_BYTES));
  const u = UPDATES_HEIGHT.exec(head);
  if (u !== null) return { kind: 'updates', height: Number(u[1]) };
  const s = SNAPSHOT_HEIGHT.exec(head);
  if (s !== null) return { kind: 'snapshot', height: Number(s[1]) };
  return { kind: '', height: Number.NaN };
}
