/**
 * The execution machine's work as pure step functions: (context, event) → (new context, effects).
 * The machine (`execution.machine.ts`) decides *when* each runs (trading state, guards) and performs
 * the effects: commands to its invoked venue actor, emitted records and strategy replies, and delayed
 * events on the actor's clock (order timeouts, close retries). No I/O, no clock, no randomness here.
 *
 * Safety rules enforced here, whatever the caller sent:
 *  - closes are reduce-only IOCs on the side opposite the position, sized to the position: never a hedge;
 *  - a coin with a position, an order or a close in progress takes no new entry (one owner per coin);
 *  - any position that should not exist (late fill after a rejection or timeout, fill while halted or
 *    unhealthy, unknown order, owner conflict, flip) is flattened at once;
 *  - a close that cannot be priced or does not fill completely is retried by ONE retry timer per close,
 *    at least `exitRetryMs` apart (backoff to `closeRetryMaxMs` when configured): nothing else (control
 *    ticks, a re-sent exit, reports) starts a second attempt while a retry is scheduled;
 *  - a close in trouble alarms once per change of its condition (cannot price / did not fill / timed
 *    out), reminds every `closeAlarmReminderMs` while it is still not done, and alarms once when done.
 */
import { applyFill, applyFunding, emptyLedger, netPnl } from './execution.ledger.ts';
import { roundPx, roundSz, snap } from './execution.rules.ts';
import type {
  CloseCondition,
  Closing,
  DayState,
  EntryIntent,
  ExecRecordBody,
  ExecutionContext,
  ExecutionEmitted,
  ExecutionEvent,
  ExecutionInput,
  ExitIntent,
  OrderRequest,
  OrderState,
  Quote,
  RiskCode,
  StrategyReply,
  TickFacts,
  TradingState,
  VenueCommand,
  VenueReport,
} from './execution.types.ts';
import { MIN_CLOSE_REMINDER_MS, MIN_CLOSE_RETRY_MS } from './execution.types.ts';

export const DAY_MS = 86_400_000;

export type Effect =
  | { do: 'venue'; cmd: VenueCommand }
  | { do: 'emit'; ev: ExecutionEmitted }
  /** A delayed event on the actor's clock; `id` lets a later `cancel` drop it. */
  | { do: 'schedule'; ev: ExecutionEvent; delay: number; id?: string }
  | { do: 'cancel'; id: string };

export interface Step {
  context: ExecutionContext;
  effects: Effect[];
}

export function initialContext(input: ExecutionInput): ExecutionContext {
  return {
    config: input.config,
    ledger: input.ledger ?? emptyLedger(),
    orders: {},
    orderSeq: 0,
    closing: {},
    quotes: {},
    healthy: false,
    equity: input.day?.startEquity ?? 0,
    day: input.day ?? { index: -1, startEquity: 0, startPnl: 0 },
    trading: 'ACTIVE',
    tradingReason: 'start',
    timerSeq: 0,
    alarms: 0,
    errors: 0,
  };
}

/** Live: may still trade (a timed-out order is unresolved and still counts for coin ownership). */
export function isUnresolved(o: OrderState): boolean {
  return (
    o.status === 'pending' || o.status === 'resting' || o.status === 'partial' || o.status === 'timedOut'
  );
}

function isWorking(o: OrderState): boolean {
  return o.status === 'pending' || o.status === 'resting' || o.status === 'partial';
}

/** Why an entry in this coin must wait (a position, an order or a close in progress), or null. */
export function coinBusy(ctx: ExecutionContext, coin: string): string | null {
  const p = ctx.ledger.positions[coin];
  if (p) return `${coin} has a ${p.strategy} position of ${p.size}`;
  if (ctx.closing[coin]) return `${coin} is being closed (${ctx.closing[coin].reason})`;
  for (const o of Object.values(ctx.orders)) {
    if (o.coin === coin) return `${coin} has ${o.strategy} order ${o.clientId} (${o.status})`;
  }
  return null;
}

export function markOf(ctx: ExecutionContext): (coin: string) => number {
  return (coin) => ctx.quotes[coin]?.mark ?? Number.NaN;
}

/** Day PnL measured from the start of the UTC day (or the last RESET_HALT). */
export function dayPnl(ctx: ExecutionContext, quotes: Record<string, Quote> = ctx.quotes): number {
  const merged = { ...ctx.quotes, ...quotes };
  return netPnl(ctx.ledger, (c) => merged[c]?.mark ?? Number.NaN) - ctx.day.startPnl;
}

export function dailyLossBreached(ctx: ExecutionContext, tick: TickFacts): boolean {
  if (Math.floor(tick.time / DAY_MS) !== ctx.day.index) return false; // a new day starts afresh
  if (!(ctx.day.startEquity > 0)) return false;
  return dayPnl(ctx, tick.quotes) < -ctx.config.dailyLossHalt * ctx.day.startEquity;
}

const orderTimeoutId = (clientId: string) => `order-timeout-${clientId}`;

class Work {
  readonly c: ExecutionContext;
  readonly fx: Effect[] = [];

  constructor(ctx: ExecutionContext) {
    this.c = { ...ctx, orders: { ...ctx.orders }, closing: { ...ctx.closing }, quotes: { ...ctx.quotes } };
  }

  done(): Step {
    return { context: this.c, effects: this.fx };
  }

  record(record: ExecRecordBody): void {
    this.fx.push({ do: 'emit', ev: { type: 'record', record } });
  }

  reply(strategy: string, coin: string, event: StrategyReply): void {
    this.fx.push({ do: 'emit', ev: { type: 'strategy', strategy, coin, event } });
    this.record({ kind: 'strategy', strategy, coin, event });
  }

  alarm(coin: string | null, message: string, attempt: number): void {
    this.c.alarms++;
    this.fx.push({ do: 'emit', ev: { type: 'alarm', coin, message, attempt } });
    this.record({ kind: 'alarm', coin, message, attempt });
  }

  error(message: string): void {
    this.c.errors++;
    this.record({ kind: 'error', message });
  }

  venue(cmd: VenueCommand): void {
    this.fx.push({ do: 'venue', cmd });
  }

  schedule(ev: ExecutionEvent, delay: number, id?: string): void {
    this.fx.push(id === undefined ? { do: 'schedule', ev, delay } : { do: 'schedule', ev, delay, id });
  }

  cancel(id: string): void {
    this.fx.push({ do: 'cancel', id });
  }

  setOrder(o: OrderState, event: string): void {
    // the venue answered: the order's timeout timer has nothing left to do
    if (o.status !== 'pending' && this.c.orders[o.clientId]?.status === 'pending')
      this.cancel(orderTimeoutId(o.clientId));
    if (isUnresolved(o)) this.c.orders[o.clientId] = o;
    else delete this.c.orders[o.clientId];
    this.record({ kind: 'order', event, order: o });
  }
}

// ---------------------------------------------------------------- orders

function submit(
  w: Work,
  req: Omit<OrderRequest, 'clientId'>,
  meta: Pick<OrderState, 'purpose' | 'intentId' | 'strategy'>,
): OrderState {
  w.c.orderSeq++;
  const order: OrderState = {
    ...req,
    clientId: `${w.c.config.clientIdPrefix}${w.c.orderSeq}`,
    ...meta,
    status: 'pending',
    oid: null,
    filled: 0,
    avgPx: 0,
    fees: 0,
    cancelRequested: false,
    answered: null,
    reason: null,
  };
  w.setOrder(order, 'submit');
  const { clientId, coin, side, size, limitPx, tif, reduceOnly } = order;
  w.venue({ type: 'SUBMIT', order: { clientId, coin, side, size, limitPx, tif, reduceOnly } });
  w.schedule({ type: 'ORDER_TIMEOUT', clientId }, w.c.config.orderTimeoutMs, orderTimeoutId(clientId));
  return order;
}

function requestCancel(w: Work, o: OrderState, why: string): void {
  if (o.cancelRequested || !isUnresolved(o)) return;
  const next = { ...o, cancelRequested: true, reason: why };
  w.setOrder(next, 'cancelRequest');
  w.venue({ type: 'CANCEL', clientId: o.clientId });
}

function cancelEntries(w: Work, why: string, filter: (o: OrderState) => boolean = () => true): void {
  for (const o of Object.values(w.c.orders)) {
    if (o.purpose === 'entry' && filter(o)) requestCancel(w, o, why);
  }
}

export interface OrderStepResult {
  order: OrderState;
  /** The report moved the order (false: duplicate or late report that changes nothing). */
  changed: boolean;
  /** The report is invalid for this order (counted as an error, nothing applied). */
  invalid: string | null;
}

/** One order's lifecycle: pending → resting → partial → filled | canceled | rejected; pending → timedOut. */
export function stepOrder(o: OrderState, r: Exclude<VenueReport, { type: 'funding' }>): OrderStepResult {
  const final = o.status === 'filled' || o.status === 'canceled' || o.status === 'rejected';
  if (final)
    return { order: o, changed: false, invalid: `${r.type} report for ${o.status} order ${o.clientId}` };
  switch (r.type) {
    case 'accepted':
      if (o.status === 'pending' || o.status === 'timedOut')
        return { order: { ...o, status: 'resting', oid: r.oid }, changed: true, invalid: null };
      return { order: o.oid === null ? { ...o, oid: r.oid } : o, changed: false, invalid: null };
    case 'fill': {
      if (!(Number.isFinite(r.px) && r.px > 0 && Number.isFinite(r.sz) && r.sz > 0 && Number.isFinite(r.fee)))
        return { order: o, changed: false, invalid: `fill with bad numbers for ${o.clientId}` };
      const filled = snap(o.filled + r.sz);
      const avgPx = (o.avgPx * o.filled + r.px * r.sz) / filled;
      const status = r.remaining <= 0 || filled >= o.size - 1e-12 ? 'filled' : 'partial';
      return { order: { ...o, filled, avgPx, fees: o.fees + r.fee, status }, changed: true, invalid: null };
    }
    case 'canceled':
      return { order: { ...o, status: 'canceled', reason: r.reason }, changed: true, invalid: null };
    case 'rejected':
      return { order: { ...o, status: 'rejected', reason: r.reason }, changed: true, invalid: null };
    case 'timeout':
      if (o.status === 'pending')
        return { order: { ...o, status: 'timedOut', reason: 'venue timeout' }, changed: true, invalid: null };
      return { order: o, changed: false, invalid: null };
  }
}

// ---------------------------------------------------------------- closing

const retryId = (timer: number) => `close-retry-${timer}`;
const reminderId = (timer: number) => `close-reminder-${timer}`;

const CONDITION_TEXT: Record<CloseCondition, string> = {
  unpriced: 'cannot be priced',
  unfilled: 'did not fill',
  timedOut: 'timed out at the venue',
};

/** Interval before the next attempt of a close that has made `attempts` attempts (pure). */
export function closeRetryDelay(cfg: ExecutionContext['config'], attempts: number): number {
  const base = Number.isFinite(cfg.exitRetryMs) ? Math.max(MIN_CLOSE_RETRY_MS, cfg.exitRetryMs) : 2_000;
  const cap = Number.isFinite(cfg.closeRetryMaxMs) ? Math.max(base, cfg.closeRetryMaxMs) : base;
  const factor =
    Number.isFinite(cfg.closeRetryBackoff) && cfg.closeRetryBackoff > 1 ? cfg.closeRetryBackoff : 1;
  const delay = base * factor ** Math.max(0, attempts - 1);
  return Number.isFinite(delay) ? Math.min(delay, cap) : cap;
}

function reminderDelay(cfg: ExecutionContext['config']): number {
  return Number.isFinite(cfg.closeAlarmReminderMs)
    ? Math.max(MIN_CLOSE_REMINDER_MS, cfg.closeAlarmReminderMs)
    : 60_000;
}

/** The close's one retry timer, unless one is pending already (never a second for the same close). */
function scheduleRetry(w: Work, coin: string, delay: number): void {
  const cl = w.c.closing[coin];
  if (!cl || cl.retryTimer !== null) return;
  const timer = ++w.c.timerSeq;
  w.c.closing[coin] = { ...cl, retryTimer: timer };
  w.schedule({ type: 'CLOSE_RETRY', coin, timer }, delay, retryId(timer));
}

/**
 * The close is in trouble: alarm when the condition changes (not on every attempt), and keep one
 * reminder timer running while it lasts.
 */
function trouble(w: Work, coin: string, condition: CloseCondition, detail: string): void {
  const cl = w.c.closing[coin];
  if (!cl) return;
  const changed = cl.condition !== condition;
  let next: Closing = { ...cl, condition, reminders: changed ? 0 : cl.reminders };
  if (changed)
    w.alarm(
      coin,
      `close of ${coin} ${CONDITION_TEXT[condition]}: ${detail}; retrying at least ${closeRetryDelay(w.c.config, cl.attempts)} ms apart${w.c.config.closeRetryBackoff > 1 ? ` (backoff to ${w.c.config.closeRetryMaxMs} ms)` : ''}, reminder every ${reminderDelay(w.c.config)} ms`,
      cl.attempts,
    );
  if (next.reminderTimer === null) {
    const timer = ++w.c.timerSeq;
    next = { ...next, reminderTimer: timer };
    w.schedule({ type: 'CLOSE_REMINDER', coin, timer }, reminderDelay(w.c.config), reminderId(timer));
  }
  w.c.closing[coin] = next;
}

function startClosing(
  w: Work,
  coin: string,
  reason: string,
  intent: { id: string; strategy: string } | null,
): void {
  const prev = w.c.closing[coin];
  const cl: Closing = prev
    ? { ...prev, intentId: intent?.id ?? prev.intentId, strategy: intent?.strategy ?? prev.strategy }
    : {
        coin,
        intentId: intent?.id ?? null,
        strategy: intent?.strategy ?? null,
        reason,
        attempts: 0,
        unpriced: 0,
        retryTimer: null,
        reminderTimer: null,
        condition: null,
        reminders: 0,
      };
  w.c.closing[coin] = cl;
  if (!prev) w.record({ kind: 'closing', coin, action: 'start', closing: cl });
  ensureClose(w, coin);
}

/**
 * Submit the close IOC for the coin's position unless one is already working or a retry is
 * scheduled (then only that timer tries again: a bounded rate, whoever else asks).
 */
function ensureClose(w: Work, coin: string): void {
  const cl = w.c.closing[coin];
  if (!cl) return;
  const pos = w.c.ledger.positions[coin];
  if (!pos) {
    checkClosed(w, coin);
    return;
  }
  for (const o of Object.values(w.c.orders))
    if (o.coin === coin && o.purpose === 'close' && isWorking(o)) return;
  if (cl.retryTimer !== null) return;
  const side = pos.size > 0 ? 'SELL' : 'BUY';
  const q = w.c.quotes[coin];
  const szDecimals = w.c.config.assets[coin]?.szDecimals;
  const slip = w.c.config.exitSlippageBps / 1e4;
  const touch = side === 'SELL' ? q?.bid : q?.ask;
  const ref = touch !== undefined && Number.isFinite(touch) && touch > 0 ? touch : (q?.mark ?? Number.NaN);
  const limitPx =
    szDecimals === undefined
      ? Number.NaN
      : roundPx(
          side === 'SELL' ? ref * (1 - slip) : ref * (1 + slip),
          szDecimals,
          side === 'SELL' ? 'down' : 'up',
        );
  const size = szDecimals === undefined ? 0 : roundSz(Math.abs(pos.size), szDecimals, 'nearest');
  const attempts = cl.attempts + 1;
  if (!Number.isFinite(limitPx) || size <= 0) {
    w.c.closing[coin] = { ...cl, attempts, unpriced: cl.unpriced + 1 };
    trouble(
      w,
      coin,
      'unpriced',
      `cannot price the close of ${coin} ${pos.size} (quote ${JSON.stringify(q ?? null)}, szDecimals ${szDecimals})`,
    );
    scheduleRetry(w, coin, closeRetryDelay(w.c.config, attempts));
    return;
  }
  w.c.closing[coin] = { ...cl, attempts };
  submit(
    w,
    { coin, side, size, limitPx, tif: 'Ioc', reduceOnly: true },
    { purpose: 'close', intentId: cl.intentId, strategy: pos.strategy },
  );
}

/** The coin is flat and has no order left: the close is done; answer the exit intent. */
function checkClosed(w: Work, coin: string): void {
  const cl = w.c.closing[coin];
  if (!cl) return;
  if (w.c.ledger.positions[coin]) return;
  for (const o of Object.values(w.c.orders)) if (o.coin === coin) return;
  delete w.c.closing[coin];
  if (cl.retryTimer !== null) w.cancel(retryId(cl.retryTimer));
  if (cl.reminderTimer !== null) w.cancel(reminderId(cl.reminderTimer));
  w.record({ kind: 'closing', coin, action: 'done', closing: cl });
  if (cl.condition !== null)
    w.alarm(
      coin,
      `close of ${coin} filled after ${cl.attempts} attempts: flat (it ${CONDITION_TEXT[cl.condition]} before)`,
      cl.attempts,
    );
  if (cl.intentId !== null && cl.strategy !== null)
    w.reply(cl.strategy, coin, { type: 'EXIT_FILLED', intentId: cl.intentId });
}

function flattenAll(w: Work, reason: string): void {
  cancelEntries(w, reason);
  for (const coin of Object.keys(w.c.ledger.positions).sort()) startClosing(w, coin, reason, null);
}

// ---------------------------------------------------------------- event handlers

export function onEntry(ctx: ExecutionContext, ev: Extract<ExecutionEvent, { type: 'ENTRY' }>): Step {
  const w = new Work(ctx);
  const { intent } = ev;
  w.c.quotes[intent.coin] = ev.quote;
  w.record(verdict(intent, null, ev.detail));
  submit(w, ev.order, { purpose: 'entry', intentId: ev.intent.id, strategy: ev.intent.strategy });
  return w.done();
}

export function verdict(
  intent: EntryIntent | ExitIntent,
  code: RiskCode | null,
  detail: string,
): ExecRecordBody {
  return {
    kind: 'verdict',
    intentId: intent.id,
    strategy: intent.strategy,
    coin: intent.coin,
    ok: code === null,
    code,
    detail,
  };
}

/**
 * Refuse an entry: a risk denial from the caller (`recorded`: its verdict is already in the records) or
 * the machine's own guard (trading state, coin busy), recorded here.
 */
export function onDeny(
  ctx: ExecutionContext,
  intent: EntryIntent | ExitIntent,
  code: RiskCode,
  detail: string,
  recorded: boolean,
): Step {
  const w = new Work(ctx);
  if (!recorded) w.record(verdict(intent, code, detail));
  if (intent.kind === 'entry')
    w.reply(intent.strategy, intent.coin, {
      type: 'ENTRY_REJECTED',
      intentId: intent.id,
      reason: `${code}: ${detail}`,
    });
  else w.error(`exit intent ${intent.id} cannot be denied (${code}: ${detail}); ignored`);
  return w.done();
}

export function onExit(ctx: ExecutionContext, ev: Extract<ExecutionEvent, { type: 'EXIT' }>): Step {
  const w = new Work(ctx);
  const { intent } = ev;
  if (ev.quote) w.c.quotes[intent.coin] = ev.quote;
  w.record(
    verdict(
      intent,
      null,
      `exit (${intent.emergency ? 'emergency' : 'normal'}, attempt ${intent.attempt}): reduce-only, always allowed`,
    ),
  );
  const pos = w.c.ledger.positions[intent.coin];
  const owns = pos !== undefined && pos.strategy === intent.strategy;
  cancelEntries(
    w,
    `exit ${intent.id}: ${intent.reason}`,
    (o) => o.coin === intent.coin && o.strategy === intent.strategy,
  );
  const pending = Object.values(w.c.orders).some(
    (o) => o.coin === intent.coin && o.strategy === intent.strategy,
  );
  if (!owns && !pending) {
    if (pos)
      w.error(
        `exit ${intent.id} from ${intent.strategy}: ${intent.coin} position belongs to ${pos.strategy}; not touched`,
      );
    w.reply(intent.strategy, intent.coin, { type: 'EXIT_FILLED', intentId: intent.id });
    return w.done();
  }
  startClosing(w, intent.coin, `${intent.reason}: ${intent.detail}`, {
    id: intent.id,
    strategy: intent.strategy,
  });
  return w.done();
}

function finalize(w: Work, o: OrderState): void {
  if (o.purpose === 'entry' && o.answered === null && o.intentId !== null) {
    // the order is final and gone from `orders`: only the strategy needs to hear
    w.reply(o.strategy, o.coin, {
      type: 'ENTRY_REJECTED',
      intentId: o.intentId,
      reason: `${o.status}: ${o.reason ?? ''}`.trim(),
    });
  }
  const cl = w.c.closing[o.coin];
  if (o.purpose === 'close' && w.c.ledger.positions[o.coin] && cl) {
    trouble(
      w,
      o.coin,
      'unfilled',
      `close ${o.clientId} ended ${o.status} with ${o.filled}/${o.size} filled (${o.reason ?? ''})`,
    );
    scheduleRetry(w, o.coin, closeRetryDelay(w.c.config, cl.attempts));
  }
  checkClosed(w, o.coin);
}

function applyFillReport(
  w: Work,
  r: Extract<VenueReport, { type: 'fill' }>,
  o: OrderState | undefined,
): void {
  const strategy = o?.strategy ?? w.c.ledger.positions[r.coin]?.strategy ?? 'unknown';
  const fill = {
    coin: r.coin,
    strategy,
    side: r.side,
    px: r.px,
    sz: r.sz,
    fee: r.fee,
    time: r.time,
    clientId: r.clientId,
  };
  w.record({ kind: 'fill', fill, liquidity: r.liquidity });
  const out = applyFill(w.c.ledger, fill);
  w.c.ledger = out.ledger;
  w.record({
    kind: 'position',
    coin: r.coin,
    cause: { type: 'fill', fill },
    position: out.position,
    totals: { realised: out.ledger.realised, fees: out.ledger.fees, fundingPaid: out.ledger.fundingPaid },
  });
  if (out.ownerConflict !== null) {
    w.error(`fill ${r.clientId} for ${strategy} in ${r.coin}, which ${out.ownerConflict} holds`);
    startClosing(w, r.coin, 'owner conflict', null);
  }
  if (out.flipped) {
    w.alarm(r.coin, `fill ${r.clientId} flipped ${r.coin} to ${out.position?.size}; flattening`, 0);
    startClosing(w, r.coin, 'flipped', null);
  }
}

export function onReport(ctx: ExecutionContext, r: VenueReport): Step {
  const w = new Work(ctx);
  if (r.type === 'funding') {
    if (!(Number.isFinite(r.usdc) && Number.isFinite(r.rate))) {
      w.error(`funding report with bad numbers for ${r.coin}`);
      return w.done();
    }
    if (!w.c.ledger.positions[r.coin])
      w.error(`funding ${r.usdc} on ${r.coin} with no position in the ledger (venue szi ${r.szi})`);
    const funding = { coin: r.coin, usdc: r.usdc, rate: r.rate, markPx: r.markPx, time: r.time };
    const out = applyFunding(w.c.ledger, funding);
    w.c.ledger = out.ledger;
    w.record({
      kind: 'position',
      coin: r.coin,
      cause: { type: 'funding', funding },
      position: out.position,
      totals: { realised: out.ledger.realised, fees: out.ledger.fees, fundingPaid: out.ledger.fundingPaid },
    });
    return w.done();
  }
  const o = w.c.orders[r.clientId];
  if (!o) {
    if (r.type === 'fill') {
      if (
        !(Number.isFinite(r.px) && r.px > 0 && Number.isFinite(r.sz) && r.sz > 0 && Number.isFinite(r.fee))
      ) {
        w.error(`fill with bad numbers for unknown order ${r.clientId}`);
        return w.done();
      }
      w.error(`fill for unknown order ${r.clientId} (${r.coin} ${r.side} ${r.sz}@${r.px}); flattening`);
      applyFillReport(w, r, undefined);
      startClosing(w, r.coin, `unknown fill ${r.clientId}`, null);
    } else {
      w.error(`${r.type} report for unknown order ${r.clientId}`);
    }
    return w.done();
  }
  const step = stepOrder(o, r);
  if (step.invalid !== null) {
    w.error(step.invalid);
    return w.done();
  }
  let next = step.order;
  if (r.type === 'fill') {
    applyFillReport(w, r, o);
    if (o.purpose === 'entry' && o.intentId !== null) {
      if (next.answered === null) {
        next = { ...next, answered: 'filled' };
        w.reply(o.strategy, o.coin, { type: 'ENTRY_FILLED', intentId: o.intentId });
      } else if (next.answered === 'rejected') {
        w.alarm(
          o.coin,
          `late fill on ${o.clientId} after the entry was rejected (${o.reason ?? ''}); flattening`,
          0,
        );
        w.c.orders[o.clientId] = next;
        startClosing(w, o.coin, `late fill ${o.clientId}`, null);
      }
      if (w.c.trading === 'HALTED' || !w.c.healthy || o.cancelRequested)
        startClosing(
          w,
          o.coin,
          `entry fill while ${w.c.trading === 'HALTED' ? 'halted' : !w.c.healthy ? 'unhealthy' : 'canceling'}`,
          null,
        );
    }
  }
  if (r.type === 'accepted' && o.purpose === 'entry' && o.oid === null && next.tif !== 'Ioc')
    w.schedule({ type: 'REST_TIMEOUT', clientId: o.clientId }, w.c.config.restTimeoutMs);
  if (!step.changed && r.type !== 'fill') {
    if (next !== o) w.c.orders[o.clientId] = next;
    return w.done();
  }
  w.setOrder(next, r.type);
  if (r.type === 'timeout') timedOut(w, next, 'venue reported a timeout');
  else if (!isUnresolved(next)) finalize(w, next);
  // a finished close waits for its retry timer; anything else re-checks the coin's close at once
  const closeFinished = o.purpose === 'close' && !isUnresolved(next);
  if (w.c.closing[o.coin] && !closeFinished) ensureClose(w, o.coin);
  return w.done();
}

function timedOut(w: Work, o: OrderState, why: string): void {
  const cl = w.c.closing[o.coin];
  if (o.purpose === 'close' && cl)
    trouble(w, o.coin, 'timedOut', `order ${o.clientId} timed out: ${why}; cancel sent`);
  else w.alarm(o.coin, `order ${o.clientId} (${o.purpose} ${o.coin}) timed out: ${why}; cancel sent`, 0);
  requestCancel(w, w.c.orders[o.clientId] ?? o, 'timeout');
  const cur = w.c.orders[o.clientId];
  if (o.purpose === 'entry' && cur && cur.answered === null && cur.intentId !== null) {
    w.c.orders[o.clientId] = { ...cur, answered: 'rejected' };
    w.reply(o.strategy, o.coin, { type: 'ENTRY_REJECTED', intentId: cur.intentId, reason: 'timeout' });
  }
  // a timed-out close no longer blocks a retry (reduce-only: a second close cannot over-close); the
  // retry keeps the interval since that order was sent
  if (o.purpose === 'close' && cl) {
    const delay = closeRetryDelay(w.c.config, cl.attempts);
    const waited = w.c.config.orderTimeoutMs;
    scheduleRetry(w, o.coin, Number.isFinite(waited) ? Math.max(0, delay - waited) : delay);
  }
}

export function onOrderTimeout(ctx: ExecutionContext, clientId: string): Step {
  const w = new Work(ctx);
  const o = w.c.orders[clientId];
  if (o?.status !== 'pending') return w.done(); // answered in time: a stale timer
  const next: OrderState = {
    ...o,
    status: 'timedOut',
    reason: `no venue answer in ${w.c.config.orderTimeoutMs} ms`,
  };
  w.setOrder(next, 'timeout');
  timedOut(w, next, next.reason!);
  return w.done();
}

export function onRestTimeout(ctx: ExecutionContext, clientId: string): Step {
  const w = new Work(ctx);
  const o = w.c.orders[clientId];
  if (o && (o.status === 'resting' || o.status === 'partial'))
    requestCancel(w, o, `rested ${w.c.config.restTimeoutMs} ms`);
  return w.done();
}

/** The close's retry timer fired (a timer that is not the close's current one is stale: ignored). */
export function onCloseRetry(ctx: ExecutionContext, coin: string, timer: number): Step {
  const w = new Work(ctx);
  const cl = w.c.closing[coin];
  if (!cl || cl.retryTimer !== timer) return w.done();
  const next = { ...cl, retryTimer: null };
  w.c.closing[coin] = next;
  w.record({ kind: 'closing', coin, action: 'retry', closing: next });
  ensureClose(w, coin);
  return w.done();
}

/** The close's reminder timer fired: alarm again while the close is still in trouble. */
export function onCloseReminder(ctx: ExecutionContext, coin: string, timer: number): Step {
  const w = new Work(ctx);
  const cl = w.c.closing[coin];
  if (!cl || cl.reminderTimer !== timer) return w.done();
  w.c.closing[coin] = { ...cl, reminderTimer: null };
  if (cl.condition === null) return w.done();
  const reminders = cl.reminders + 1;
  w.c.closing[coin] = { ...cl, reminderTimer: null, reminders };
  const pos = w.c.ledger.positions[coin];
  w.alarm(
    coin,
    `close of ${coin} still not done ${Math.round((reminders * reminderDelay(w.c.config)) / 1000)} s after it ${CONDITION_TEXT[cl.condition]}: ${cl.attempts} attempts (${cl.unpriced} could not be priced), position ${pos?.size ?? 0}`,
    cl.attempts,
  );
  trouble(w, coin, cl.condition, '');
  return w.done();
}

export function onTick(ctx: ExecutionContext, tick: TickFacts): Step {
  const w = new Work(ctx);
  Object.assign(w.c.quotes, tick.quotes);
  w.c.equity = tick.equity;
  w.c.healthy = tick.health === 'HEALTHY' && !tick.stale;
  const index = Math.floor(tick.time / DAY_MS);
  if (index !== w.c.day.index) {
    const day: DayState = { index, startEquity: tick.equity, startPnl: netPnl(w.c.ledger, markOf(w.c)) };
    w.c.day = day;
    w.record({ kind: 'day', day });
  }
  if (!w.c.healthy) {
    const why = `health ${tick.health}${tick.stale ? ', state stale' : ''}`;
    cancelEntries(w, why);
    for (const coin of Object.keys(w.c.ledger.positions).sort()) startClosing(w, coin, why, null);
  }
  return w.done();
}

export function onKill(ctx: ExecutionContext, reason: string, quotes: Record<string, Quote> = {}): Step {
  const w = new Work(ctx);
  Object.assign(w.c.quotes, quotes);
  flattenAll(w, reason);
  return w.done();
}

/** Entering REDUCING or HALTED: exposure-increasing orders (entries) are canceled. */
export function onTradingState(ctx: ExecutionContext, state: TradingState, reason: string): Step {
  const w = new Work(ctx);
  const changed = w.c.trading !== state;
  w.c.trading = state;
  if (changed || state !== 'ACTIVE') w.c.tradingReason = reason;
  if (changed || state !== 'ACTIVE') w.record({ kind: 'trading', state, reason });
  if (state !== 'ACTIVE') cancelEntries(w, `trading ${state}`);
  return w.done();
}

/** Operator reset of the halt: the day's loss is measured afresh from now. */
export function onResetDay(ctx: ExecutionContext): Step {
  const w = new Work(ctx);
  const day: DayState = {
    index: w.c.day.index,
    startEquity: w.c.equity,
    startPnl: netPnl(w.c.ledger, markOf(w.c)),
  };
  w.c.day = day;
  w.record({ kind: 'day', day });
  return w.done();
}
