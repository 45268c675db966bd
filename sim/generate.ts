/**
 * The offline generator: the engine plus one Feed for an imaginary client subscribed at the start
 * to every chosen channel of every coin, with no socket. Produces exactly the data frames a client
 * subscribed the same way would receive from the server (the acks excepted), as fast as the CPU allows.
 */
import { Engine, type GroundTruthLabel, type CascadeEvent } from './engine.ts';
import type { StrategyEvent } from './events.ts';
import { Feed, FrameCache } from './feed.ts';
import { scenarioDurationMs } from './scenarios.ts';
import { parseClientRequest, type Subscription } from './subscriptions.ts';

export type MarketChannel = 'l2Book' | 'bbo' | 'trades' | 'activeAssetCtx' | 'allMids';
export const ALL_CHANNELS: readonly MarketChannel[] = [
  'l2Book',
  'bbo',
  'trades',
  'activeAssetCtx',
  'allMids',
];

export interface GenerateOptions {
  seed: number;
  scenario?: string;
  coins?: string[];
  /** Absolute end time (ms since epoch); default startTime + the scenario's planned length. */
  until?: number;
  /** Alternative to `until`: length in ms from the start. */
  durationMs?: number;
  startTime?: number;
  onFrame: (frameText: string, timeMs: number) => void;
  slowBookMs?: number;
  /** Subscribe l2Book with fast:true (5 levels, ~0.5 s) instead of the slow 20-level book. */
  fast?: boolean;
  /** Channels to subscribe (default all); allMids is one subscription, the others one per coin. */
  channels?: readonly MarketChannel[];
  onLabel?: (l: GroundTruthLabel) => void;
  onEvent?: (e: CascadeEvent) => void;
  /** Each labelled strategy event, when it is over. */
  onStrategyEvent?: (e: StrategyEvent) => void;
}

/** The subscription requests the generator's client makes, in order (also what a test sends). */
export function generatorSubscriptions(
  coins: readonly string[],
  channels: readonly MarketChannel[] = ALL_CHANNELS,
  fast = false,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const coin of coins) {
    for (const ch of channels) {
      if (ch === 'allMids') continue;
      if (ch === 'l2Book') out.push({ type: 'l2Book', coin, ...(fast ? { fast: true } : {}) });
      else out.push({ type: ch, coin });
    }
  }
  if (channels.includes('allMids')) out.push({ type: 'allMids' });
  return out;
}

export interface GenerateResult {
  engine: Engine;
  frames: number;
  startTime: number;
  endTime: number;
}

export function generate(opts: GenerateOptions): GenerateResult {
  const engine = new Engine({
    seed: opts.seed,
    scenario: opts.scenario ?? 'default',
    coins: opts.coins,
    startTime: opts.startTime,
  });
  engine.onLabel = opts.onLabel ?? null;
  engine.onEvent = opts.onEvent ?? null;
  engine.onStrategyEvent = opts.onStrategyEvent ?? null;
  const feed = new Feed(new FrameCache(engine), { slowBookMs: opts.slowBookMs });
  const coinSet = new Set(engine.coins);
  let frames = 0;
  const sink = (text: string, _sub: Subscription): void => {
    frames++;
    opts.onFrame(text, engine.time);
  };
  for (const s of generatorSubscriptions(engine.coins, opts.channels, opts.fast)) {
    const req = parseClientRequest(JSON.stringify({ method: 'subscribe', subscription: s }), coinSet);
    if (req.kind !== 'subscribe') throw new Error(`generator built a bad subscription ${JSON.stringify(s)}`);
    feed.add(req.sub, sink);
  }
  const end =
    opts.until ?? engine.startTime + (opts.durationMs ?? scenarioDurationMs(opts.scenario ?? 'default'));
  while (engine.nextBlockTime() <= end) {
    engine.step();
    feed.onBlock(sink);
  }
  return { engine, frames, startTime: engine.startTime, endTime: engine.time };
}

export interface StrategyEventsOptions {
  seed: number;
  scenario?: string;
  coins?: string[];
  startTime?: number;
  /** Absolute end time; default startTime + the scenario's planned length. */
  until?: number;
  durationMs?: number;
  /**
   * Events under way at the end time: run the engine on (at most 2 min) until they are over and list
   * those that started by the end time (default true: a run's entries can be matched against every event
   * they could be inside); false lists only the events over by the end time, as a run's ground truth does.
   */
  finishOpen?: boolean;
}

/**
 * The labelled strategy events of a run, without frames: the engine alone (the market does not depend on
 * who subscribes, so these are the events of any run with the same seed, scenario, coins and start —
 * `generate`, the server, `runtime sim`), in the order they ended.
 */
export function strategyEventsOf(opts: StrategyEventsOptions): StrategyEvent[] {
  const scenario = opts.scenario ?? 'default';
  const engine = new Engine({ seed: opts.seed, scenario, coins: opts.coins, startTime: opts.startTime });
  const end = opts.until ?? engine.startTime + (opts.durationMs ?? scenarioDurationMs(scenario));
  while (engine.nextBlockTime() <= end) engine.step();
  if (opts.finishOpen === false) return engine.groundTruth().strategyEvents;
  while (engine.eventsUnderWay() && engine.nextBlockTime() <= end + 120_000) engine.step();
  return engine.groundTruth().strategyEvents.filter((e) => e.start <= end);
}
