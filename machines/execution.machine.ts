/**
 * The execution actor (RULEBOOK "Risk"): trading state ACTIVE / REDUCING / HALTED, entries that passed
 * the risk checks go to the venue, exits and emergencies close reduce-only at market, every order's
 * lifecycle is tracked, fills feed the ledger, and strategies are answered (ENTRY_FILLED,
 * ENTRY_REJECTED, EXIT_FILLED) through emitted `strategy` events.
 *
 * Pure definition. The venue is an invoked actor (`venue`, provided by the caller with
 * `machine.provide({ actors: { venue } })`) that receives `VenueCommand`s and sends back
 * `{ type: 'VENUE', report }`. Timeouts and retries are delayed events on the actor's clock. The work of
 * each event is a pure step function in `execution.core.ts`; this chart decides when it runs.
 */
import { assign, enqueueActions, fromCallback, setup } from 'xstate';
import {
  type Step,
  coinBusy,
  dailyLossBreached,
  dayPnl,
  initialContext,
  onCloseReminder,
  onCloseRetry,
  onDeny,
  onEntry,
  onExit,
  onKill,
  onOrderTimeout,
  onReport,
  onResetDay,
  onRestTimeout,
  onTick,
  onTradingState,
} from './execution.core.ts';
import type {
  ExecutionContext,
  ExecutionEmitted,
  ExecutionEvent,
  ExecutionInput,
  TradingState,
  VenueCommand,
} from './execution.types.ts';

/**
 * The venue used when the caller provides none: every order is rejected (fail safe), cancels are
 * no-ops. Real venues: `actors/venue/paper.ts`, the live Hyperliquid venue.
 */
export const noVenue = fromCallback<VenueCommand>(({ receive, sendBack }) => {
  receive((cmd) => {
    if (cmd.type === 'SUBMIT')
      sendBack({
        type: 'VENUE',
        report: { type: 'rejected', clientId: cmd.order.clientId, reason: 'no venue attached', time: 0 },
      });
  });
});

type Enqueue = Parameters<
  Parameters<
    typeof enqueueActions<
      ExecutionContext,
      ExecutionEvent,
      any,
      ExecutionEvent,
      any,
      any,
      any,
      any,
      ExecutionEmitted
    >
  >[0]
>[0]['enqueue'];

function perform(enqueue: Enqueue, step: Step): void {
  enqueue.assign(() => step.context);
  for (const fx of step.effects) {
    if (fx.do === 'venue') enqueue.sendTo('venue', fx.cmd);
    else if (fx.do === 'emit') enqueue.emit(fx.ev);
    else if (fx.do === 'cancel') enqueue.cancel(fx.id);
    else enqueue.raise(fx.ev, fx.id === undefined ? { delay: fx.delay } : { delay: fx.delay, id: fx.id });
  }
}

function reasonOf(event: ExecutionEvent | { type: string }, context: ExecutionContext): string {
  switch (event.type) {
    case 'KILL':
      return `kill switch${'reason' in event && event.reason ? `: ${event.reason}` : ''}`;
    case 'REDUCE':
      return `operator: reduce${'reason' in event && event.reason ? `: ${event.reason}` : ''}`;
    case 'RESUME':
      return 'operator: resume';
    case 'RESET_HALT':
      return 'operator: reset halt';
    case 'TICK':
      return `daily loss ${dayPnl(context, 'quotes' in event ? event.quotes : {}).toFixed(2)} beyond ${context.config.dailyLossHalt} × start equity ${context.day.startEquity}`;
    case 'RESTORE':
      return 'reason' in event && event.reason
        ? event.reason
        : 'restored from the records of the previous run';
    default:
      return 'start';
  }
}

export const executionMachine = setup({
  types: {
    context: {} as ExecutionContext,
    events: {} as ExecutionEvent,
    input: {} as ExecutionInput,
    emitted: {} as ExecutionEmitted,
  },
  actors: { venue: noVenue },
  guards: {
    coinFree: ({ context, event }) => event.type === 'ENTRY' && coinBusy(context, event.intent.coin) === null,
    dailyLossBreached: ({ context, event }) => event.type === 'TICK' && dailyLossBreached(context, event),
    restoreHalted: ({ event }) => event.type === 'RESTORE' && event.trading === 'HALTED',
    restoreReducing: ({ event }) => event.type === 'RESTORE' && event.trading === 'REDUCING',
  },
  actions: {
    submitEntry: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'ENTRY') perform(enqueue as Enqueue, onEntry(context, event));
    }),
    denyBusy: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'ENTRY')
        perform(
          enqueue as Enqueue,
          onDeny(context, event.intent, 'COIN_BUSY', coinBusy(context, event.intent.coin) ?? 'busy', false),
        );
    }),
    denyTradingState: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'ENTRY')
        perform(
          enqueue as Enqueue,
          onDeny(context, event.intent, 'TRADING_STATE', `trading state ${context.trading}`, false),
        );
    }),
    relayDeny: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'DENY')
        perform(enqueue as Enqueue, onDeny(context, event.intent, event.code, event.detail, true));
    }),
    handleExit: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'EXIT') perform(enqueue as Enqueue, onExit(context, event));
    }),
    handleReport: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'VENUE') perform(enqueue as Enqueue, onReport(context, event.report));
    }),
    handleOrderTimeout: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'ORDER_TIMEOUT')
        perform(enqueue as Enqueue, onOrderTimeout(context, event.clientId));
    }),
    handleRestTimeout: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'REST_TIMEOUT') perform(enqueue as Enqueue, onRestTimeout(context, event.clientId));
    }),
    handleCloseRetry: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'CLOSE_RETRY')
        perform(enqueue as Enqueue, onCloseRetry(context, event.coin, event.timer));
    }),
    handleCloseReminder: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'CLOSE_REMINDER')
        perform(enqueue as Enqueue, onCloseReminder(context, event.coin, event.timer));
    }),
    applyTick: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'TICK') perform(enqueue as Enqueue, onTick(context, event));
    }),
    haltOnLoss: enqueueActions(({ context, enqueue }) => {
      if (context.config.flattenOnDailyLoss) perform(enqueue as Enqueue, onKill(context, 'daily loss halt'));
    }),
    kill: enqueueActions(({ context, event, enqueue }) => {
      const quotes = event.type === 'KILL' ? event.quotes : undefined;
      perform(enqueue as Enqueue, onKill(context, reasonOf(event, context), quotes));
    }),
    restoreReason: assign(({ context, event }) => ({
      tradingReason: event.type === 'RESTORE' && event.reason ? event.reason : context.tradingReason,
    })),
    resetDay: enqueueActions(({ context, enqueue }) => perform(enqueue as Enqueue, onResetDay(context))),
    enterTrading: enqueueActions(({ context, event, enqueue }, params: { state: TradingState }) => {
      perform(enqueue as Enqueue, onTradingState(context, params.state, reasonOf(event, context)));
    }),
  },
}).createMachine({
  id: 'execution',
  context: ({ input }) => initialContext(input),
  invoke: { id: 'venue', src: 'venue' },
  initial: 'ACTIVE',
  // Orders, fills and closes are handled in every trading state: exits and closes always pass.
  on: {
    EXIT: { actions: 'handleExit' },
    DENY: { actions: 'relayDeny' },
    VENUE: { actions: 'handleReport' },
    ORDER_TIMEOUT: { actions: 'handleOrderTimeout' },
    REST_TIMEOUT: { actions: 'handleRestTimeout' },
    CLOSE_RETRY: { actions: 'handleCloseRetry' },
    CLOSE_REMINDER: { actions: 'handleCloseReminder' },
  },
  states: {
    ACTIVE: {
      entry: { type: 'enterTrading', params: { state: 'ACTIVE' } },
      on: {
        ENTRY: [{ guard: 'coinFree', actions: 'submitEntry' }, { actions: 'denyBusy' }],
        TICK: [
          { guard: 'dailyLossBreached', target: 'HALTED', actions: ['applyTick', 'haltOnLoss'] },
          { actions: 'applyTick' },
        ],
        REDUCE: 'REDUCING',
        KILL: { target: 'HALTED', actions: 'kill' },
        // restart recovery: the trading state of the previous run (sent once, right after start)
        RESTORE: [
          { guard: 'restoreHalted', target: 'HALTED' },
          { guard: 'restoreReducing', target: 'REDUCING' },
          { actions: 'restoreReason' },
        ],
      },
    },
    // Only exposure-reducing orders: entries are refused (and resting ones canceled on entry).
    REDUCING: {
      entry: { type: 'enterTrading', params: { state: 'REDUCING' } },
      on: {
        ENTRY: { actions: 'denyTradingState' },
        TICK: [
          { guard: 'dailyLossBreached', target: 'HALTED', actions: ['applyTick', 'haltOnLoss'] },
          { actions: 'applyTick' },
        ],
        RESUME: 'ACTIVE',
        KILL: { target: 'HALTED', actions: 'kill' },
      },
    },
    // No new orders until an operator resets; closes and cancels still pass.
    HALTED: {
      entry: { type: 'enterTrading', params: { state: 'HALTED' } },
      on: {
        ENTRY: { actions: 'denyTradingState' },
        TICK: { actions: 'applyTick' },
        KILL: { actions: 'kill' },
        RESET_HALT: { target: 'ACTIVE', actions: 'resetDay' },
      },
    },
  },
});
