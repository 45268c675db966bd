/**
 * A recorded session without sockets: the simulator's offline generator plays a scenario as fast as the
 * CPU allows, and the records a live recorder would journal (connection events, every frame stamped on
 * arrival, a control tick every `tickMs`) are produced in order — optionally journaled, and optionally
 * run through the decision side exactly as a live run would. Used to make journals and ground truth for
 * tests, `runtime validate-regime` and benchmarks.
 */
import { generate, type MarketChannel } from '../sim/generate.ts';
import type { GroundTruthLabel } from '../sim/engine.ts';
import type { StrategyEvent } from '../sim/events.ts';
import { type ConnEvent, type JournalRecord, jsonBytes, RecordKind, sniffChannel } from '../state/records.ts';

const enc = new TextEncoder();

export interface SimSessionOptions {
  seed: number;
  scenario: string;
  coins: string[];
  /** Length from the start (default: the scenario's planned length). */
  durationMs?: number;
  fast?: boolean;
  tickMs: number;
  channels?: readonly MarketChannel[];
  /** Receive latency added to each frame's venue time (ms, default 0.2). */
  latencyMs?: number;
  firstSeq?: number;
  /** Every record, in journal order. */
  onRecord: (rec: JournalRecord) => void;
  onLabel?: (l: GroundTruthLabel) => void;
  /** The scenario's labelled strategy events, each when it is over (sim/events.ts). */
  onStrategyEvent?: (e: StrategyEvent) => void;
}

export interface SimSessionResult {
  records: number;
  frames: number;
  ticks: number;
  startTime: number;
  endTime: number;
}

export function simSession(opts: SimSessionOptions): SimSessionResult {
  let seq = opts.firstSeq ?? 1;
  const epoch = 1;
  const lat = opts.latencyMs ?? 0.2;
  let records = 0;
  let frames = 0;
  let ticks = 0;
  let nextTick = Number.NaN;
  let last = 0;
  const emit = (kind: JournalRecord['kind'], channel: string, data: Uint8Array, time: number) => {
    records++;
    last = time;
    opts.onRecord({ seq: seq++, time, epoch, kind, channel, data });
  };
  const conn = (ev: ConnEvent, time: number) => emit(RecordKind.Conn, ev.type, jsonBytes(ev), time);
  const tickUpTo = (time: number) => {
    while (nextTick <= time) {
      ticks++;
      emit(RecordKind.Tick, 'tick', jsonBytes({ cause: 'timer' }), nextTick);
      nextTick += opts.tickMs;
    }
  };
  let started = false;
  const genOpts: Parameters<typeof generate>[0] = {
    seed: opts.seed,
    scenario: opts.scenario,
    coins: opts.coins,
    fast: opts.fast ?? true,
    onFrame: (text, timeMs) => {
      const t = timeMs + lat;
      if (!started) {
        started = true;
        const t0 = timeMs - 5;
        conn({ type: 'connecting', url: 'sim://offline' }, t0);
        conn({ type: 'open', url: 'sim://offline' }, t0 + 1);
        conn({ type: 'subscribed', key: '*' }, t0 + 2);
        nextTick = Math.ceil(t0 / opts.tickMs) * opts.tickMs;
      }
      tickUpTo(t);
      const data = enc.encode(text);
      frames++;
      emit(RecordKind.Frame, sniffChannel(data), data, Math.max(t, last));
    },
  };
  if (opts.durationMs !== undefined) genOpts.durationMs = opts.durationMs;
  if (opts.channels) genOpts.channels = opts.channels;
  if (opts.onLabel) genOpts.onLabel = opts.onLabel;
  if (opts.onStrategyEvent) genOpts.onStrategyEvent = opts.onStrategyEvent;
  const r = generate(genOpts);
  tickUpTo(r.endTime);
  return { records, frames, ticks, startTime: r.startTime, endTime: r.endTime };
}
