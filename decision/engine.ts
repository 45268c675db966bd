/**
 * The decision side: one actor tree evaluated on control ticks — health; one regime controller per coin,
 * which owns that coin's strategy actors (one per registry member) and forwards each tick's market to them;
 * execution, which the strategies' intents reach as messages (queued as they are emitted, handed on in
 * order once the tree has settled) and whose verdicts and fills go back to the strategy by message.
 *
 * "One journal, one clock": the engine is a deterministic function of the journal record stream. It
 * runs on a ManualClock that a tick advances to the tick's time (XState timers fire at their due
 * times in between), reads the hot state exactly as it was at the tick's position in the journal, and
 * writes every health change, regime change, gate, lease, strategy transition, intent, risk verdict,
 * order, fill and alarm as one JSON line of the decision log. Live runs feed it from the ingest worker's
 * tick handshake; replays feed it from the journal — the same code, so the logs compare with `cmp`.
 */
import { type Actor, type AnyActorRef, createActor, type InspectionEvent } from 'xstate';
import { createExecution, type Execution } from '../actors/execution/engine.ts';
import { PaperVenue } from '../actors/venue/paper.ts';
import type { MarketSnapshot, MarketView, Venue } from '../actors/venue/types.ts';
import { describeWaiting, healthMachine } from '../machines/health.machine.ts';
import type { ExecRecord } from '../machines/execution.types.ts';
import { checkIntent } from '../machines/intent.schema.ts';
import type { ChannelExpectation, HealthStatus } from '../machines/health.types.ts';
import { regimeMachine } from '../machines/regime.machine.ts';
import type { MemberSpec, RegimeInputs, RegimeThresholds } from '../machines/regime.types.ts';
import type { StrategyEvent } from '../machines/strategy.events.ts';
import type { Intent, StrategyRules, StrategyTimings } from '../machines/strategy.types.ts';
import type { ManualClock } from '../state/clock.ts';
import { F } from '../state/hotstate-layout.ts';
import type { HotStateReader } from '../state/hotstate.ts';
import { HotView } from '../state/hotview.ts';
import type { TickEvent } from '../state/pipeline.ts';
import { type AnyStrategy, type BaseParams, evaluate } from '../strategies/definition.ts';
import type { DecisionRecord } from './records.ts';
import { type Registry, STRATEGIES } from './registry.ts';

export interface EngineConfig {
  coins: readonly string[];
  tickMs: number;
  regime: RegimeThresholds;
  /** The lifecycle timings every strategy shares (each strategy's own are in its parameters). */
  strategy: Pick<StrategyTimings, 'exitRetryMs' | 'entryTimeoutMs'>;
  /** Each strategy's parameters by name (`strategies.<name>.*`); missing ones take the defaults. */
  strategies: Readonly<Record<string, unknown>>;
  /** The strategies there are (default: every one in `strategies/`). */
  registry?: Registry;
  health: {
    staleFactor: number;
    fastBook: boolean;
    fastBookMs: number;
    slowBookMs: number;
    bboMs: number;
    assetCtxMs: number;
    validationMs: number;
    hotStateMaxAgeMs: number;
  };
  risk: {
    startEquity: number;
    dailyLossHalt: number;
    maxCoinNotionalFraction: number;
    maxTotalExposure: number;
    riskPerTrade: number;
    minNotionalUsd: number;
    exitSlippageBps: number;
    ordersPerMinute: number;
  };
  paper: { takerFee: number; makerFee: number; latencyMs: number };
  /** szDecimals per coin (from meta); coins not listed use 4. */
  szDecimals?: Record<string, number>;
}

/** An XState inspection observer (see runtime/inspect.ts). */
export type EngineInspect = (event: InspectionEvent) => void;

export interface TickInput {
  time: number;
  /** Hot-state version at the tick's journal position. */
  version: number;
  /** Feed events gathered by the ingest pipeline since the previous tick, in journal order. */
  events: readonly TickEvent[];
  /** Operator commands journaled since the previous tick, in order. */
  commands?: readonly OperatorCommand[];
}

export type OperatorCommand =
  | { type: 'KILL'; reason?: string }
  | { type: 'RESET_HALT' }
  | { type: 'SET_TRADING'; state: 'ACTIVE' | 'REDUCING' | 'HALTED' }
  | { type: 'OPERATOR_ENABLE'; coin: string; strategy: string }
  /** The process's own shutdown (not an operator's): flatten and halt, or keep positions and reduce. */
  | { type: 'SHUTDOWN'; flatten: boolean }
  /**
   * The disk guard (actors/journal/disk-guard.ts): free space on the journal's disk fell below the floor
   * (`low`: no new entries, with an alarm — visibility over continuity) or is back above it.
   */
  | { type: 'DISK'; low: boolean; freeBytes?: number; floorBytes?: number; path?: string; reason?: string };

/** The reason the disk guard's REDUCING carries (so only the guard's own reduce is lifted by it). */
const DISK_REASON = 'disk: free space below the floor';

/** One line of the decision log: `t` is the journal clock, never the wall clock. */
export type DecisionLine = { t: number; kind: string } & Record<string, unknown>;

/** One coin in the decision side's snapshot. */
export interface CoinDecisionSnapshot {
  coin: string;
  mid: number | null;
  bestBid: number | null;
  bestAsk: number | null;
  /** The top 10 levels a side, [px, sz], best first. */
  bids: [number, number][];
  asks: [number, number][];
  regime: string;
  inputs: {
    oiRange15m: number | null;
    oiBuild1h: number | null;
    fundingDev: number | null;
    depthAsym5s: number | null;
  };
  lease: string | null;
  strategies: { name: string; family: string; state: string; substate?: string }[];
  position: {
    strategy: string;
    side: 'LONG' | 'SHORT';
    size: number;
    entry: number;
    unrealised: number | null;
  } | null;
}

/** The decision side as the dashboard sees it: plain data, copied at the call. */
export interface DecisionSnapshot {
  time: number;
  health: {
    level: HealthStatus;
    /** While not HEALTHY, what it waits for (else the last transition's reason). */
    reason: string;
    channels: { key: string; ageMs: number | null; stale: boolean; expectedMs: number }[];
  };
  coins: CoinDecisionSnapshot[];
  tradingState: string;
  equity: number;
  realisedPnl: number | null;
  unrealisedPnl: number | null;
}

export interface EngineSummary {
  ticks: number;
  regimeChanges: number;
  intents: number;
  entries: number;
  fills: number;
  alarms: number;
  strategyErrors: number;
  badIntents: number;
  health: HealthStatus;
  tradingState: string;
  equity: number;
  realisedPnl: number;
  regimes: Record<string, string>;
}

/** The summary of a decision side that has not ticked yet. */
export function emptyEngineSummary(coins: readonly string[], startEquity: number): EngineSummary {
  return {
    ticks: 0,
    regimeChanges: 0,
    intents: 0,
    entries: 0,
    fills: 0,
    alarms: 0,
    strategyErrors: 0,
    badIntents: 0,
    health: 'WARMING',
    tradingState: 'ACTIVE',
    equity: startEquity,
    realisedPnl: 0,
    regimes: Object.fromEntries(coins.map((c) => [c, 'DISABLED'])),
  };
}

/** Venue szDecimals of the simulator's and mainnet's main coins; `meta` overrides them. */
const DEFAULT_SZ_DECIMALS: Record<string, number> = { BTC: 5, ETH: 4, SOL: 2 };

/**
 * What the strategies of a coin are given at a tick: the coin's hot state as read at this tick. Each
 * strategy's rules take their own view of it inside its actor, so an exception there is that strategy's.
 */
class StrategyMarket {
  constructor(
    readonly hot: HotView,
    readonly coin: string,
  ) {}
}

/** One registry member as the engine runs it: its definition and its parsed parameters. */
interface Member {
  def: AnyStrategy;
  params: BaseParams;
  spec: MemberSpec;
}

/** A definition's rules over the MARKET input the engine built for it (see `StrategyMarket`). */
function rulesOf(
  def: AnyStrategy,
  params: BaseParams,
  riskPerTrade: number,
  onRefusal: (coin: string, strategy: string, reason: string | null) => void,
): StrategyRules {
  return (market, phase, held, ctx) => {
    if (!(market instanceof StrategyMarket)) throw new Error(`${def.name}: no market input on this tick`);
    // the coin's wallet flags reach the rules (read only when the strategy's walletFilter is on)
    const r = evaluate(
      def,
      def.view(market.hot),
      phase,
      held,
      ctx,
      params,
      riskPerTrade,
      market.hot.mid,
      market.hot,
    );
    if (phase === 'ARMED')
      onRefusal(
        market.coin,
        def.name,
        !r.trigger && r.triggerReason?.startsWith('wallet filter') ? r.triggerReason : null,
      );
    return r;
  };
}

function stateLabel(value: unknown): string {
  if (typeof value === 'string') return value;
  const [k, v] = Object.entries(value as Record<string, unknown>)[0]!;
  return `${k}.${stateLabel(v)}`;
}

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

export class DecisionEngine {
  private readonly clock: ManualClock;
  private readonly reader: HotStateReader;
  private readonly cfg: EngineConfig;
  private readonly out: (line: DecisionLine) => void;
  private readonly bufs: Float64Array[];
  private readonly views: HotView[];
  readonly health: Actor<typeof healthMachine>;
  readonly regimes = new Map<string, Actor<typeof regimeMachine>>();
  readonly execution: Execution;
  private readonly members: Member[];
  private readonly refs = new Map<string, AnyActorRef>();
  /** Intents as the strategies emitted them, handed to execution once the tree has settled. */
  private readonly intents: Array<{ coin: string; strategy: string; intent: Intent }> = [];
  private draining = false;
  /** Each coin's lease holder, from the controller's lease decisions (never read from its snapshot). */
  private readonly leases = new Map<string, string | null>();
  /** The entry intent execution last answered ENTRY_REJECTED for (its own denials answer at once). */
  private answered: string | null = null;
  private readonly strategyStates = new Map<string, string>();
  private healthLevel: HealthStatus = 'WARMING';
  private staleCoins = new Set<string>();
  private version = 0;
  private halted = false;
  private orphans: string[] = [];
  readonly summary: EngineSummary;

  constructor(opts: {
    config: EngineConfig;
    clock: ManualClock;
    reader: HotStateReader;
    out: (line: DecisionLine) => void;
    /** Decision records of a previous run (execution ledger restore). */
    restore?: Iterable<unknown>;
    inspect?: EngineInspect;
    /** A real venue (live trading): default is the paper venue filling against the hot state. */
    venue?: Venue;
    /** Account equity (live); default: start equity + the ledger's PnL. */
    equity?: () => number;
  }) {
    this.cfg = opts.config;
    this.clock = opts.clock;
    this.reader = opts.reader;
    this.out = opts.out;
    const coins = this.cfg.coins;
    this.bufs = coins.map(() => this.reader.newSlotBuffer());
    this.views = this.bufs.map((b) => new HotView(b));
    this.summary = emptyEngineSummary(coins, this.cfg.risk.startEquity);

    // ---- health: every channel that must be fresh to trade
    const h = this.cfg.health;
    const channels: Record<string, ChannelExpectation> = {};
    for (const c of coins) {
      channels[`l2Book:${c}`] = {
        cadenceMs: h.fastBook ? h.fastBookMs : h.slowBookMs,
        staleFactor: h.staleFactor,
      };
      if (h.bboMs > 0) channels[`bbo:${c}`] = { cadenceMs: h.bboMs, staleFactor: h.staleFactor };
      channels[`activeAssetCtx:${c}`] = { cadenceMs: h.assetCtxMs, staleFactor: h.staleFactor };
    }
    const inspect = opts.inspect ? { inspect: opts.inspect } : {};
    this.health = createActor(healthMachine, {
      clock: this.clock,
      input: { channels, validationMs: h.validationMs },
      ...inspect,
    });
    this.health.on('health', (e) => {
      this.healthLevel = e.to;
      this.summary.health = e.to;
      this.emit({
        t: this.clock.now(),
        kind: 'health',
        from: e.from,
        to: e.to,
        reason: e.reason,
        evidence: e.evidence,
      });
    });
    // what health is waiting for, when it starts waiting and every waitingReportMs after: a warning
    this.health.on('waiting', (e) => {
      this.emit({
        t: this.clock.now(),
        kind: 'health.waiting',
        status: e.status,
        since: e.since,
        summary: e.summary,
        waitingFor: e.waitingFor,
        connected: e.connected,
        validation: e.validation,
        report: e.report,
      });
    });
    this.health.start();
    this.healthLevel = this.health.getSnapshot().context.status;

    // ---- execution on the paper venue, filling against the hot state
    const market: MarketView = { read: (coin) => this.market(coin) };
    const assets: Record<string, { szDecimals: number }> = {};
    for (const c of coins)
      assets[c] = { szDecimals: this.cfg.szDecimals?.[c] ?? DEFAULT_SZ_DECIMALS[c] ?? 4 };
    const venue: Venue =
      opts.venue ??
      new PaperVenue(this.clock, market, {
        assets,
        takerFee: this.cfg.paper.takerFee,
        makerFee: this.cfg.paper.makerFee,
        latencyMs: this.cfg.paper.latencyMs,
        minNotionalUsd: this.cfg.risk.minNotionalUsd,
      });
    const execDeps: Parameters<typeof createExecution>[0] = {
      clock: this.clock,
      venue,
      market,
      equity: opts.equity ?? this.cfg.risk.startEquity,
      config: {
        dailyLossHalt: this.cfg.risk.dailyLossHalt,
        maxCoinNotionalFraction: this.cfg.risk.maxCoinNotionalFraction,
        maxTotalExposure: this.cfg.risk.maxTotalExposure,
        riskPerTrade: this.cfg.risk.riskPerTrade,
        minNotionalUsd: this.cfg.risk.minNotionalUsd,
        exitSlippageBps: this.cfg.risk.exitSlippageBps,
        ordersPerMinute: this.cfg.risk.ordersPerMinute,
        assets,
      },
    };
    if (opts.restore) execDeps.restore = opts.restore;
    this.execution = createExecution(execDeps);
    // positions recovered from the journal belong to no running strategy: flatten them and halt
    const recovered = this.execution.positions().positions;
    this.orphans = recovered.map((p) => `${p.coin} ${p.size}`);
    // the paper venue is the exchange here: it holds the recovered account, as a real venue would
    if (venue instanceof PaperVenue) for (const p of recovered) venue.seedPosition(p.coin, p.size);
    this.execution.onStrategyEvent((strategy, coin, event) => this.reply(strategy, coin, event));
    this.execution.onAlarm((a) => {
      this.summary.alarms++;
      this.emit({
        t: this.clock.now(),
        kind: 'alarm',
        source: 'execution',
        coin: a.coin,
        message: a.message,
        attempt: a.attempt,
      });
    });

    // ---- one regime controller per coin, owning the coin's strategy actors: every enabled registry member
    this.members = [];
    for (const def of this.cfg.registry ?? STRATEGIES) {
      const params: BaseParams = def.params.parse(this.cfg.strategies[def.name] ?? {});
      if (!params.enabled) continue;
      this.members.push({
        def,
        params,
        spec: {
          strategy: def.name,
          family: def.family,
          timings: {
            armTimeoutMs: params.armTimeoutMs,
            maxHoldMs: params.maxHoldMs,
            cooldownMs: params.cooldownMs,
          },
          rules: rulesOf(def, params, this.cfg.risk.riskPerTrade, (coin, strategy, reason) =>
            this.walletRefusal(coin, strategy, reason),
          ),
        },
      });
    }
    const members = this.members.map((m) => m.spec);
    // the controller's own timings: the shared ones (each member's spec carries its own over these)
    const first = this.members[0]?.params;
    const timings: StrategyTimings = {
      armTimeoutMs: first?.armTimeoutMs ?? 30_000,
      maxHoldMs: first?.maxHoldMs ?? 15 * 60_000,
      cooldownMs: first?.cooldownMs ?? 60_000,
      exitRetryMs: this.cfg.strategy.exitRetryMs,
      entryTimeoutMs: this.cfg.strategy.entryTimeoutMs,
    };
    for (const coin of coins) {
      const regime = createActor(regimeMachine, {
        clock: this.clock,
        input: { coin, members, thresholds: this.cfg.regime, timings },
        ...inspect,
      });
      regime.on('decision', (e) => {
        const d = e.decision;
        // the lease as the controller granted and released it (execution's risk check reads this)
        if (d.kind === 'lease' && d.action === 'GRANT') this.leases.set(coin, d.strategy ?? null);
        else if (d.kind === 'lease' && d.action === 'RELEASE') this.leases.set(coin, null);
        if (d.kind === 'regime') {
          this.summary.regimeChanges++;
          this.summary.regimes[coin] = d.regime;
        }
        this.emit({
          t: this.clock.now(),
          kind: d.kind,
          coin,
          regime: d.regime,
          action: d.action,
          strategy: d.strategy,
          reason: d.reason,
          inputs: roundInputs(d.inputs),
        });
      });
      regime.start();
      this.regimes.set(coin, regime);
      for (const m of this.members) this.wireStrategy(coin, m.def.name);
    }
  }

  /** Every record the engine writes is a `DecisionRecord` (decision/records.ts): the documented format. */
  /** The wallet filter's refusal per coin and strategy, as last logged (null: none). */
  private readonly refusals = new Map<string, string>();

  /** A refused trigger is logged once when it starts (and again if its reason changes), not every tick. */
  private walletRefusal(coin: string, strategy: string, reason: string | null): void {
    const key = `${coin}:${strategy}`;
    if (reason === null) {
      this.refusals.delete(key);
      return;
    }
    if (this.refusals.get(key) === reason) return;
    this.refusals.set(key, reason);
    this.emit({
      t: this.clock.now(),
      kind: 'intent.rejected',
      coin,
      strategy,
      id: 'wallet-filter',
      error: reason,
    });
  }

  private emit(line: DecisionRecord): void {
    // drop undefined fields so the line is stable
    const out: DecisionLine = { ...line };
    for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
    this.out(out);
  }

  /** The strategy actor of a coin (spawned by its regime controller; the reference is kept at wiring). */
  private child(coin: string, strategy: string): AnyActorRef | undefined {
    return this.refs.get(`${coin}/${strategy}`);
  }

  private wireStrategy(coin: string, strategy: string): void {
    const spawned: AnyActorRef | undefined = this.regimes.get(coin)?.getSnapshot().children[strategy];
    if (!spawned) throw new Error(`strategy ${strategy} for ${coin} was not spawned`);
    const ref = spawned;
    const key = `${coin}/${strategy}`;
    this.refs.set(key, ref);
    this.strategyStates.set(key, stateLabel(ref.getSnapshot().value));
    ref.subscribe((snap: { value: unknown }) => {
      const label = stateLabel(snap.value);
      const prev = this.strategyStates.get(key);
      if (label === prev) return;
      this.strategyStates.set(key, label);
      this.emit({ t: this.clock.now(), kind: 'strategy', coin, strategy, from: prev, to: label });
    });
    // an intent is a message to execution: queued in emission order, handed on once the tree has settled
    ref.on('intent', (e: { intent: Intent }) => {
      this.intents.push({ coin, strategy, intent: e.intent });
    });
    ref.on('error', (e: { message: string }) => {
      this.summary.strategyErrors++;
      this.emit({ t: this.clock.now(), kind: 'strategy.error', coin, strategy, message: e.message });
    });
    ref.on('ignored', (e: { event: string; state: string; note?: string }) => {
      this.emit({
        t: this.clock.now(),
        kind: 'ignored',
        coin,
        strategy,
        event: e.event,
        state: e.state,
        note: e.note,
      });
    });
    ref.on('alarm', (e: { message: string; attempt: number }) => {
      this.summary.alarms++;
      this.emit({
        t: this.clock.now(),
        kind: 'alarm',
        source: 'strategy',
        coin,
        strategy,
        message: e.message,
        attempt: e.attempt,
      });
    });
  }

  /** Hand every queued intent to execution, in order (replies may queue more: those too), then its records. */
  private settle(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.intents.shift(); next; next = this.intents.shift())
        this.onIntent(next.coin, next.strategy, next.intent);
    } finally {
      this.draining = false;
    }
    this.drainExecution();
  }

  private onIntent(coin: string, strategy: string, intent: Intent): void {
    this.summary.intents++;
    const regime = this.regimes.get(coin)!;
    const valid = checkIntent(intent);
    if (!valid.ok) {
      this.summary.badIntents++;
      this.emit({
        t: this.clock.now(),
        kind: 'intent.rejected',
        coin,
        strategy,
        id: intent.id,
        error: valid.error,
      });
      if (intent.kind === 'entry') {
        this.child(coin, strategy)?.send({
          type: 'ENTRY_REJECTED',
          intentId: intent.id,
          reason: `BAD_INTENT: ${valid.error}`,
        });
        return;
      }
      // an exit is never refused: flatten anyway, and the bad shape is on record
    }
    if (intent.kind === 'entry') regime.send({ type: 'ACQUIRE_LEASE', strategy });
    const leaseHolder = this.leases.get(coin) ?? null;
    const stale = this.staleCoins.has(coin);
    const res = this.execution.submitIntent(intent, {
      health: this.healthLevel,
      stale,
      leaseHolder,
    });
    this.drainExecution();
    if (!res.ok && intent.kind === 'entry') {
      if (this.leases.get(coin) === strategy) regime.send({ type: 'RELEASE_LEASE', strategy });
      // execution answers its own denials: tell the strategy only when it has not (once is enough — a
      // second ENTRY_REJECTED finds it SCANNING and is an "ignored" line in the log)
      if (this.answered === intent.id) return;
      this.child(coin, strategy)?.send({
        type: 'ENTRY_REJECTED',
        intentId: intent.id,
        reason: `${res.code}: ${res.detail}`,
      });
    }
  }

  private reply(strategy: string, coin: string, event: StrategyEvent): void {
    if (event.type === 'ENTRY_FILLED') this.summary.entries++;
    if (event.type === 'ENTRY_REJECTED') this.answered = event.intentId;
    if (event.type === 'EXIT_FILLED') {
      const regime = this.regimes.get(coin);
      if (this.leases.get(coin) === strategy) regime?.send({ type: 'RELEASE_LEASE', strategy });
    }
    this.child(coin, strategy)?.send(event);
  }

  private drainExecution(): void {
    for (const r of this.execution.records()) {
      if (r.kind === 'fill') this.summary.fills++;
      this.emit(execRecord(r));
    }
  }

  /** The paper venue's and risk checks' view of a coin (from the slot read at this tick). */
  private market(coin: string): MarketSnapshot | null {
    const i = this.cfg.coins.indexOf(coin);
    if (i < 0) return null;
    const v = this.views[i]!;
    if (!v.published) return null;
    const bids = [];
    const asks = [];
    const buf = this.bufs[i]!;
    for (let k = 0; k < buf[F.bidLevels]!; k++) bids.push({ px: v.bidPx(k), sz: v.bidSz(k) });
    for (let k = 0; k < buf[F.askLevels]!; k++) asks.push({ px: v.askPx(k), sz: v.askSz(k) });
    if (bids.length === 0 && Number.isFinite(v.bestBid)) bids.push({ px: v.bestBid, sz: v.bestBidSz });
    if (asks.length === 0 && Number.isFinite(v.bestAsk)) asks.push({ px: v.bestAsk, sz: v.bestAskSz });
    return { bids, asks, mark: v.mark, funding: v.funding, time: v.nodeTime };
  }

  private regimeInputs(v: HotView): RegimeInputs {
    return {
      oiRange15m: v.oiRange15m,
      oiBuild1h: v.oiBuild1h,
      fundingDev: v.fundingDev,
      depthAsym5s: v.depthAsym5s,
    };
  }

  /** Evaluate the whole decision side at one control tick. */
  onTick(tick: TickInput): void {
    if (this.halted) return;
    if (tick.time < this.clock.now())
      throw new Error(`tick time ${tick.time} is before the engine clock ${this.clock.now()}`);
    this.clock.advanceTo(tick.time);
    this.settle();
    this.version = tick.version;
    this.summary.ticks++;
    const t = tick.time;
    if (this.orphans.length > 0) {
      this.emit({ t, kind: 'restart.recovered', positions: this.orphans, action: 'flatten and halt' });
      this.execution.kill(
        `restart: recovered open positions (${this.orphans.join(', ')}); flattened — RESET_HALT to resume`,
      );
      this.drainExecution();
      this.orphans = [];
    }
    for (const c of tick.commands ?? []) this.command(c);
    for (const e of tick.events) {
      if (e.type === 'BOOK_REJECTED')
        // the builder kept the last valid book and gates the coin (its slot reads stale) until a valid one
        this.emit({
          t,
          kind: 'book.rejected',
          coin: e.coin,
          channel: e.channel,
          reason: e.reason,
          message: e.message,
          seq: e.seq,
          count: e.count,
        });
      else if (e.type === 'BOOK_VALID')
        this.emit({ t, kind: 'book.valid', coin: e.coin, channel: e.channel, seq: e.seq, count: e.count });
      else if (e.type === 'WALLET_CLASS')
        // a fact with its evidence, journaled as the tick hands it on (the same in replay: the same pipeline)
        this.emit({
          t,
          kind: 'wallet.class',
          wallet: e.wallet,
          class: e.class,
          coin: e.coin,
          evidence: { ...e.evidence, grantedAt: e.time },
        });
      else this.health.send(e);
    }

    // read every coin's slot once: everything below sees the same state
    const lastUpdate: Record<string, number | null> = {};
    this.staleCoins = new Set();
    this.cfg.coins.forEach((coin, i) => {
      const ok = this.reader.read(i, this.bufs[i]!);
      const v = this.views[i]!;
      const val = (x: number) => (ok && Number.isFinite(x) ? x : null);
      lastUpdate[`l2Book:${coin}`] = val(v.bookRecvTime);
      if (this.cfg.health.bboMs > 0) lastUpdate[`bbo:${coin}`] = val(v.bboRecvTime);
      lastUpdate[`activeAssetCtx:${coin}`] = val(v.ctxRecvTime);
      if (!ok || !v.published || v.stale(t, this.cfg.health.hotStateMaxAgeMs)) this.staleCoins.add(coin);
    });
    this.health.send({ type: 'TICK', now: t, lastUpdate });
    const healthy = this.healthLevel === 'HEALTHY';

    this.execution.onTick({ health: this.healthLevel, stale: this.staleCoins.size > 0 });
    this.settle();

    this.cfg.coins.forEach((coin, i) => {
      const v = this.views[i]!;
      const stale = this.staleCoins.has(coin);
      const regime = this.regimes.get(coin)!;
      regime.send({
        type: 'TICK',
        time: t,
        version: this.version,
        inputs: this.regimeInputs(v),
        health: this.healthLevel,
        stale,
      });
      this.settle();
      // the tick's market, forwarded by the controller to its strategies: each reads its own view
      const market = new StrategyMarket(v, coin);
      const markets: Record<string, StrategyMarket> = {};
      for (const m of this.members) markets[m.def.name] = market;
      regime.send({ type: 'MARKET', time: t, version: this.version, markets, healthy, stale });
      this.settle();
    });
    this.settle();
    const pos = this.execution.positions();
    this.summary.tradingState = this.execution.tradingState();
    this.summary.equity = this.execution.equity();
    this.summary.realisedPnl = pos.realised;
  }

  /** Let the engine's clock run to `t` without a tick (end of a journal): timers due by then fire. */
  advanceTo(t: number): void {
    if (t <= this.clock.now()) return;
    this.clock.advanceTo(t);
    this.settle();
  }

  command(c: OperatorCommand): void {
    // the echo is a decision record under its own kind: the `operator` channel carries commands (inputs) only
    this.emit({ t: this.clock.now(), kind: 'operator.applied', command: c.type, ...c });
    switch (c.type) {
      case 'KILL':
        this.execution.kill(c.reason ?? 'operator kill switch');
        break;
      case 'RESET_HALT':
        this.execution.resetHalt();
        break;
      case 'SET_TRADING':
        if (c.state === 'HALTED') this.execution.kill('operator: HALTED');
        else if (c.state === 'REDUCING') this.execution.reduce('operator: REDUCING');
        else this.execution.resume();
        break;
      case 'OPERATOR_ENABLE':
        this.regimes.get(c.coin)?.send({ type: 'OPERATOR_ENABLE', strategy: c.strategy });
        break;
      case 'SHUTDOWN':
        if (c.flatten) this.execution.kill('shutdown: flatten');
        else this.execution.reduce('shutdown: positions kept');
        break;
      case 'DISK':
        this.disk(c);
        break;
    }
    this.settle();
  }

  /**
   * Free space below the floor: no new entries (REDUCING; closes still pass) and an alarm; back above it:
   * the guard's own REDUCING is lifted. A HALTED or operator REDUCING state is never touched by the guard.
   */
  private disk(c: Extract<OperatorCommand, { type: 'DISK' }>): void {
    const mb = (b: number | undefined) => (b === undefined ? '?' : `${Math.round(b / 1e6)} MB`);
    const status = this.execution.tradingStatus();
    if (c.low) {
      this.summary.alarms++;
      this.emit({
        t: this.clock.now(),
        kind: 'alarm',
        source: 'system',
        coin: null,
        message: `disk: ${mb(c.freeBytes)} free on ${c.path ?? 'the journal disk'}, below the floor of ${mb(c.floorBytes)}${c.reason ? ` (${c.reason})` : ''}: no new entries until space returns`,
      });
      if (status.state === 'ACTIVE') this.execution.reduce(`${DISK_REASON} (${mb(c.freeBytes)} free)`);
    } else if (status.state === 'REDUCING' && status.reason.includes(DISK_REASON)) {
      this.execution.resume();
    }
  }

  /**
   * The decision side's one read-only snapshot, for the dashboard, metrics and status: a copy made of plain
   * data as of the last tick (the dashboard never reaches into the actors). `now` ages the channels.
   */
  snapshot(now: number = this.clock.now()): DecisionSnapshot {
    const ledger = this.execution.positions();
    const hc = this.health.getSnapshot().context;
    const coins = this.cfg.coins.map((coin, i): CoinDecisionSnapshot => {
      const v = this.views[i]!;
      const bids: [number, number][] = [];
      const asks: [number, number][] = [];
      for (let k = 0; k < 10; k++) {
        if (Number.isFinite(v.bidPx(k))) bids.push([v.bidPx(k), v.bidSz(k)]);
        if (Number.isFinite(v.askPx(k))) asks.push([v.askPx(k), v.askSz(k)]);
      }
      const pos = ledger.positions.find((p) => p.coin === coin);
      return {
        coin,
        mid: num(v.mid),
        bestBid: num(v.bestBid),
        bestAsk: num(v.bestAsk),
        bids,
        asks,
        // as the controller announced it (its regime decisions), not read from its snapshot
        regime: this.summary.regimes[coin] ?? 'DISABLED',
        inputs: roundInputs(this.regimeInputs(v)),
        lease: this.leases.get(coin) ?? null,
        strategies: this.members.map((m) => {
          const label = this.strategyStates.get(`${coin}/${m.def.name}`) ?? 'DISABLED';
          const [state, ...rest] = label.split('.');
          return {
            name: m.def.name,
            family: m.def.family,
            state: state ?? label,
            ...(rest.length > 0 ? { substate: rest.join('.') } : {}),
          };
        }),
        position: pos
          ? {
              strategy: pos.strategy,
              side: pos.size > 0 ? 'LONG' : 'SHORT',
              size: Math.abs(pos.size),
              entry: pos.avgEntry,
              unrealised: num(pos.unrealised),
            }
          : null,
      };
    });
    const channels = Object.entries(hc.maxAge).map(([key, max]) => {
      const [ch, coin] = key.split(':');
      const v = coin ? this.viewOf(coin) : undefined;
      const last = v
        ? ch === 'l2Book'
          ? v.bookRecvTime
          : ch === 'bbo'
            ? v.bboRecvTime
            : v.ctxRecvTime
        : Number.NaN;
      const age = Number.isFinite(last) ? Math.max(0, now - last) : null;
      return { key, ageMs: age, stale: age === null || age > max, expectedMs: max };
    });
    return {
      time: this.clock.now(),
      health: { level: this.healthLevel, reason: this.healthWaiting() ?? hc.reason, channels },
      coins,
      tradingState: this.execution.tradingState(),
      equity: this.execution.equity(),
      realisedPnl: num(ledger.realised),
      unrealisedPnl: num(ledger.unrealised),
    };
  }

  /** What health is waiting for, in one line (null: HEALTHY). */
  healthWaiting(): string | null {
    const r = describeWaiting(this.health.getSnapshot().context, this.clock.now());
    return r.since === null ? null : r.summary;
  }

  /** Current view buffers (read at the last tick), by coin index. */
  viewOf(coin: string): HotView | undefined {
    const i = this.cfg.coins.indexOf(coin);
    return i < 0 ? undefined : this.views[i];
  }

  stop(): void {
    this.halted = true;
    for (const r of this.regimes.values()) r.stop();
    this.health.stop();
    this.execution.stop();
  }
}

/** An execution record as the decision log writes it: `exec.<kind>`, at its own time. */
function execRecord(r: ExecRecord): DecisionRecord {
  // exhaustive over ExecRecord's kinds: a new kind is a compile error here until the format lists it
  const t = r.time;
  switch (r.kind) {
    case 'intent':
      return { t, kind: 'exec.intent', time: r.time, intent: r.intent };
    case 'verdict':
      return { t, ...r, kind: 'exec.verdict' };
    case 'order':
      return { t, ...r, kind: 'exec.order' };
    case 'fill':
      return { t, ...r, kind: 'exec.fill' };
    case 'position':
      return { t, ...r, kind: 'exec.position' };
    case 'trading':
      return { t, ...r, kind: 'exec.trading' };
    case 'day':
      return { t, ...r, kind: 'exec.day' };
    case 'closing':
      return { t, ...r, kind: 'exec.closing' };
    case 'strategy':
      return { t, ...r, kind: 'exec.strategy' };
    case 'alarm':
      return { t, ...r, kind: 'exec.alarm' };
    case 'error':
      return { t, ...r, kind: 'exec.error' };
  }
}

function roundInputs(i: RegimeInputs): {
  oiRange15m: number | null;
  oiBuild1h: number | null;
  fundingDev: number | null;
  depthAsym5s: number | null;
} {
  const r = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(8)) : null);
  return {
    oiRange15m: r(i.oiRange15m),
    oiBuild1h: r(i.oiBuild1h),
    fundingDev: r(i.fundingDev),
    depthAsym5s: r(i.depthAsym5s),
  };
}

export function engineConfigFrom(c: {
  coins: string[];
  control: { tickMs: number };
  regime: RegimeThresholds;
  strategy: EngineConfig['strategy'];
  strategies: EngineConfig['strategies'];
  health: Omit<EngineConfig['health'], 'fastBook'>;
  feed: { fastBook: boolean };
  risk: EngineConfig['risk'];
  paper: EngineConfig['paper'];
}): EngineConfig {
  return {
    coins: c.coins,
    tickMs: c.control.tickMs,
    regime: c.regime,
    strategy: { exitRetryMs: c.strategy.exitRetryMs, entryTimeoutMs: c.strategy.entryTimeoutMs },
    strategies: c.strategies,
    health: { ...c.health, fastBook: c.feed.fastBook },
    risk: c.risk,
    paper: c.paper,
  };
}
