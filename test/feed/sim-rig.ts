/**
 * Integration rig: the simulator (real Hyperliquid-protocol ws server, 'manual' speed) and the feed on
 * ONE simulated clock, plus a minimal ingest stand-in (reads the ring, parses, runs the gap tracker,
 * tracks per-channel update times) driving the health machine with control ticks — the pipeline of
 * DESIGN.md "Flow", small enough for a test.
 *
 * Lockstep: `step(ms)` advances the simulator (which sends every due frame), waits on I/O until every
 * frame the server sent has reached the feed, then advances the feed's clock, ingests, and ticks health.
 */
import { createActor } from 'xstate';
import { type Feed, type FeedConfig, startFeed } from '../../actors/feed/connection.ts';
import type { Subscription } from '../../actors/feed/registry.ts';
import { createRingBuffer, RingConsumer, RingProducer } from '../../actors/feed/ring.ts';
import { healthMachine } from '../../machines/health.machine.ts';
import type { ChannelExpectation, HealthTransition } from '../../machines/health.types.ts';
import { SIM_EPOCH } from '../../sim/engine.ts';
import { type SimServer, startSim } from '../../sim/server.ts';
import { ManualClock } from '../../state/clock.ts';
import { GapTracker, type Gap, type TrackedFrame } from '../../state/gaps.ts';
import { bytesJson, type ConnEvent, type JournalRecord, RecordKind } from '../../state/records.ts';
import { until } from './local-venue.ts';

export const RIG_SUBS: Subscription[] = [
  { type: 'l2Book', coin: 'BTC' },
  { type: 'bbo', coin: 'BTC' },
  { type: 'trades', coin: 'BTC' },
  { type: 'activeAssetCtx', coin: 'BTC' },
];

export const RIG_CHANNELS: Record<string, ChannelExpectation> = {
  'l2Book:BTC': { cadenceMs: 5_000 },
  'bbo:BTC': { cadenceMs: 1_000 },
  'activeAssetCtx:BTC': { cadenceMs: 1_000 },
};

export const RIG_TIMINGS = {
  connectTimeoutMs: 10_000,
  subscribeTimeoutMs: 15_000,
  pingAfterMs: 20_000,
  pongTimeoutMs: 10_000,
  receiveTimeoutMs: 45_000,
  stableAfterMs: 30_000,
  backoff: { baseMs: 500, maxMs: 10_000, minMs: 100 },
};

export interface RigOptions {
  subscriptions?: Subscription[];
  channels?: Record<string, ChannelExpectation>;
  timings?: Partial<typeof RIG_TIMINGS>;
  ringBytes?: number;
  overflowRecords?: number;
  validationMs?: number;
  /** Ingest as frames arrive (default true); false = a stalled reader until `ingest()` is called. */
  autoIngest?: boolean;
  /** Runs after the simulator starts and before the feed connects (e.g. to script a rejection). */
  beforeFeed?: (sim: SimServer) => void;
}

export interface Rig {
  clock: ManualClock;
  sim: SimServer;
  feed: Feed;
  records: JournalRecord[];
  gaps: GapTracker;
  gapEvents: Gap[];
  healthLog: HealthTransition[];
  /** Frames that failed JSON.parse / a minimal shape check in the ingest stand-in. */
  rejected: { malformed: number; schema: number };
  /** Dropped by the gap tracker (time regression, duplicate trades, stale height), with reasons. */
  dropped: string[];
  lastUpdate: Record<string, number>;
  autoIngest: boolean;
  health(): string;
  state(): unknown;
  ingest(): void;
  settle(): Promise<void>;
  step(ms: number, chunk?: number): Promise<void>;
  /** Step until `cond` holds (checked after every chunk) or `maxMs` passes; returns the sim time taken. */
  stepUntil(cond: () => boolean, maxMs: number, chunk?: number): Promise<number>;
  serverFramesSent(): number;
  conns(): Array<ConnEvent & { epoch: number; time: number }>;
  close(): Promise<void>;
}

function sniffCoin(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return null;
  const d = (v as { data?: unknown }).data;
  if (Array.isArray(d)) {
    const c = (d[0] as { coin?: unknown } | undefined)?.coin;
    return typeof c === 'string' ? c : null;
  }
  if (typeof d === 'object' && d !== null) {
    const c = (d as { coin?: unknown }).coin;
    return typeof c === 'string' ? c : null;
  }
  return null;
}

/** The few shape checks the real ingest does with zod; enough to see that schema-invalid frames are caught. */
function shapeOk(channel: string, v: { data?: unknown }): boolean {
  const d = v.data as Record<string, unknown> | unknown[] | undefined;
  switch (channel) {
    case 'l2Book':
      return (
        !!d &&
        !Array.isArray(d) &&
        typeof d.time === 'number' &&
        Array.isArray(d.levels) &&
        d.levels.length === 2
      );
    case 'bbo':
      return !!d && !Array.isArray(d) && typeof d.time === 'number' && Array.isArray(d.bbo);
    case 'trades':
      return Array.isArray(d) && d.every((t) => typeof (t as { tid?: unknown }).tid === 'number');
    case 'activeAssetCtx':
      return (
        !!d && !Array.isArray(d) && typeof (d.ctx as { openInterest?: unknown })?.openInterest === 'string'
      );
    default:
      return true;
  }
}

export async function startRig(opts: RigOptions = {}): Promise<Rig> {
  const clock = new ManualClock(SIM_EPOCH);
  const sim = await startSim({ seed: 11, speed: 'manual', clock, coins: ['BTC', 'ETH'] });
  opts.beforeFeed?.(sim);
  const sab = createRingBuffer(opts.ringBytes ?? 1 << 22);
  const consumer = new RingConsumer(sab);
  const config: FeedConfig = {
    timings: { ...RIG_TIMINGS, ...opts.timings },
    seed: 3,
    activityGranularityMs: 0,
  };
  if (opts.overflowRecords !== undefined) config.overflowRecords = opts.overflowRecords;
  let onLoss: (lost: number, reason: string) => void = () => {};
  const feed = startFeed({
    onLoss: (lost, reason) => onLoss(lost, reason),
    url: sim.wsUrl,
    subscriptions: opts.subscriptions ?? RIG_SUBS,
    clock,
    producer: new RingProducer(sab),
    config,
  });
  const health = createActor(healthMachine, {
    input: { channels: opts.channels ?? RIG_CHANNELS, validationMs: opts.validationMs ?? 10_000 },
  });
  const rig: Rig = {
    clock,
    sim,
    feed,
    records: [],
    gaps: new GapTracker({ firstSeq: 1 }),
    gapEvents: [],
    healthLog: [],
    rejected: { malformed: 0, schema: 0 },
    dropped: [],
    lastUpdate: {},
    autoIngest: opts.autoIngest ?? true,
    health: () => String(health.getSnapshot().value),
    state: () => feed.actor.getSnapshot().value,
    ingest() {
      consumer.read((r) => {
        const rec: JournalRecord = { ...r, data: r.data.slice() };
        rig.records.push(rec);
        for (const g of rig.gaps.record(rec)) {
          rig.gapEvents.push(g);
          health.send({ type: 'GAP', time: clock.now(), key: g.key, reason: g.reason });
        }
        if (rec.kind === RecordKind.Conn) {
          const ev = bytesJson<ConnEvent>(rec.data);
          if (ev.type === 'gap')
            health.send({ type: 'GAP', time: clock.now(), key: ev.key ?? '*', reason: ev.reason ?? 'gap' });
          return;
        }
        let v: { channel?: unknown; data?: unknown };
        try {
          v = JSON.parse(new TextDecoder().decode(rec.data));
        } catch {
          rig.rejected.malformed++;
          // a frame we cannot read may have carried anything: data is in doubt on every channel
          health.send({
            type: 'GAP',
            time: clock.now(),
            key: '*',
            reason: `unparseable frame seq ${rec.seq}`,
          });
          return;
        }
        const channel = typeof v?.channel === 'string' ? v.channel : '';
        if (!shapeOk(channel, v)) {
          rig.rejected.schema++;
          health.send({
            type: 'GAP',
            time: clock.now(),
            key: channel,
            reason: `schema-invalid ${channel} frame seq ${rec.seq}`,
          });
          return;
        }
        const verdict = rig.gaps.frame(v as TrackedFrame);
        if (!verdict.keep) {
          rig.dropped.push(verdict.dropReason ?? 'dropped');
          health.send({
            type: 'GAP',
            time: clock.now(),
            key: channel,
            reason: verdict.dropReason ?? 'dropped',
          });
          return;
        }
        const coin = sniffCoin(v);
        if (coin !== null) rig.lastUpdate[`${channel}:${coin}`] = rec.time;
      });
    },
    serverFramesSent: () => sim.stats().connections.reduce((n, c) => n + c.framesSent, 0),
    async settle() {
      await until(
        () => {
          if (rig.autoIngest) rig.ingest();
          const s = feed.actor.getSnapshot();
          if (s.matches({ session: 'connecting' })) return false;
          const clientOpen = s.matches('session');
          const conns = sim.stats().connections;
          const last = conns.at(-1);
          if (clientOpen) {
            // the client's session is the server's newest connection; if the server ended it, wait for the
            // client to notice, and the server must have read every message this session sent
            if (!last?.open || last.closeReason !== null) return false;
            if (conns.some((c) => c !== last && c.open)) return false;
            if (last.messagesReceived !== feed.counters().socket.messagesSent - sessionSentBase) return false;
          } else if (conns.some((c) => c.open)) {
            return false; // the server has not yet seen the client's close
          }
          const fc = feed.counters();
          if (rig.autoIngest && (fc.queued > 0 || !consumer.isEmpty())) return false;
          // the feed has received every frame the server sent
          return fc.socket.framesReceived === rig.serverFramesSent();
        },
        `feed and simulator in step (state ${JSON.stringify(feed.actor.getSnapshot().value)})`,
      );
    },
    async step(ms, chunk = 100) {
      await rig.stepUntil(() => false, ms, chunk);
    },
    async stepUntil(cond, maxMs, chunk = 100) {
      const start = clock.now();
      while (clock.now() - start < maxMs) {
        await rig.settle();
        const dt = Math.min(chunk, maxMs - (clock.now() - start));
        sim.advance(dt);
        await rig.settle();
        clock.advance(dt);
        await rig.settle();
        health.send({ type: 'TICK', now: clock.now(), lastUpdate: { ...rig.lastUpdate } });
        if (cond()) break;
      }
      return clock.now() - start;
    },
    conns: () =>
      rig.records
        .filter((r) => r.kind === RecordKind.Conn)
        .map((r) => ({ ...bytesJson<ConnEvent>(r.data), epoch: r.epoch, time: r.time })),
    async close() {
      feed.stop();
      health.stop();
      await sim.close();
    },
  };
  // the producer knows of a loss at once; the in-band gap record follows in journal order
  onLoss = (lost, reason) =>
    health.send({ type: 'GAP', time: clock.now(), key: '*', reason: `${lost} frame(s) lost: ${reason}` });
  let sessionSentBase = 0;
  feed.on('conn', (e) => {
    if (e.event.type === 'connecting') sessionSentBase = feed.counters().socket.messagesSent;
  });
  health.on('health', (e) => rig.healthLog.push(e));
  health.start();
  feed.on('live', (e) => {
    if (rig.autoIngest) rig.ingest(); // journal order: the records before the transition are seen first
    health.send({ type: 'CONNECTION_LIVE', time: clock.now(), epoch: e.epoch });
  });
  feed.on('down', (e) => {
    if (rig.autoIngest) rig.ingest();
    const heartbeat = e.cause === 'pongOverdue' || e.cause === 'receiveTimeout';
    health.send({
      type: heartbeat ? 'HEARTBEAT_TIMEOUT' : 'CONNECTION_LOST',
      time: clock.now(),
      reason: e.reason,
    });
  });
  return rig;
}
