import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { PAPER_ERRORS } from '../../actors/venue/paper.ts';
import type { ExecRecord, OrderState } from '../../machines/execution.types.ts';
import { strategyMachine } from '../../machines/strategy.machine.ts';
import type { StrategyEval } from '../../machines/strategy.types.ts';
import { entry, exit, setup, T0 } from './helpers.ts';

const submitted = (records: ExecRecord[]): OrderState[] =>
  records.flatMap((r) => (r.kind === 'order' && r.event === 'submit' ? [r.order] : []));

function book(s: ReturnType<typeof setup>, coin = 'ETH', bid = 99.9, ask = 100, sz = 50) {
  s.market.set(coin, [[bid, sz]], [[ask, sz]], { mark: (bid + ask) / 2 });
}

/** A filled LONG ETH position for geometry (9.8 @ 100 with the defaults and equity 10 000). */
function withPosition(opts: Parameters<typeof setup>[0] = {}) {
  const s = setup({ equity: () => 10_000, ...opts });
  book(s);
  s.exec.onTick(s.healthy);
  expect(s.exec.submitIntent(entry('ETH', 'LONG', 95, 110), s.lease('geometry'))).toEqual({ ok: true });
  s.clock.advance(opts.paper?.latencyMs ?? 0);
  expect(s.exec.positions().positions).toMatchObject([{ coin: 'ETH', size: 9.8 }]);
  return s;
}

/** A LONG ETH position from a Gtc entry at the bid, filled when the book trades through (10.2 @ 99.9). */
function gtcPosition() {
  const s = setup({ equity: () => 10_000, config: { entryTif: 'Gtc' } });
  book(s);
  s.exec.onTick(s.healthy);
  s.exec.submitIntent(entry('ETH', 'LONG', 95, 110), s.lease('geometry'));
  s.clock.advance(0);
  s.market.set('ETH', [[99.4, 50]], [[99.5, 50]], { mark: 99.45 });
  s.exec.onTick(s.healthy);
  s.clock.advance(0);
  expect(s.exec.positions().positions).toMatchObject([{ coin: 'ETH', size: 10.2, avgEntry: 99.9 }]);
  return s;
}

describe('execution failures: no new entry, and the position is flattened', () => {
  it('venue rejects an entry: ENTRY_REJECTED with the venue reason, nothing open', () => {
    const s = setup();
    s.market.set('ETH', [[99.9, 50]], [[100, 50]]);
    s.exec.onTick(s.healthy);
    s.exec.submitIntent(entry('ETH', 'LONG', 95, 110), s.lease('geometry'));
    s.market.set('ETH', [[99.9, 50]], [[101, 50]]); // the ask moved beyond the limit while in flight
    s.clock.advance(0);
    expect(s.replies).toEqual([
      expect.objectContaining({ type: 'ENTRY_REJECTED', reason: `rejected: ${PAPER_ERRORS.iocCancel}` }),
    ]);
    expect(s.exec.positions().positions).toEqual([]);
    expect(s.exec.actor.getSnapshot().context.orders).toEqual({});
  });

  it('order timeout: ENTRY_REJECTED + alarm + cancel; a late fill is flattened, the coin stays busy until resolved', () => {
    const s = setup({ paper: { latencyMs: 6_000 }, equity: () => 10_000 });
    book(s);
    s.exec.onTick(s.healthy);
    s.exec.submitIntent(entry('ETH', 'LONG', 95, 110), s.lease('geometry'));
    s.clock.advance(5_000);
    expect(s.replies).toEqual([expect.objectContaining({ type: 'ENTRY_REJECTED', reason: 'timeout' })]);
    expect(s.alarms.some((a) => a.includes('timed out'))).toBe(true);
    // unresolved order: no new entry in the coin, for anyone
    expect(
      s.exec.submitIntent(entry('ETH', 'LONG', 95, 110, 'kinematics'), s.lease('kinematics')),
    ).toMatchObject({
      ok: false,
      code: 'COIN_BUSY',
    });
    s.clock.advance(1_000); // the venue processes the submit: late fill
    expect(s.venue.position('ETH')).toBe(9.8);
    for (let i = 0; i < 10; i++) s.clock.advance(6_000);
    expect(s.venue.position('ETH')).toBe(0);
    expect(s.exec.positions().positions).toEqual([]);
    expect(s.exec.actor.getSnapshot().context.closing).toEqual({});
    expect(s.exec.actor.getSnapshot().context.orders).toEqual({});
    const records = s.exec.records();
    expect(records.some((r) => r.kind === 'alarm' && r.message.includes('late fill'))).toBe(true);
    // never a hedge: every order after the entry is a reduce-only sell
    expect(
      submitted(records)
        .slice(1)
        .every((o) => o.side === 'SELL' && o.reduceOnly),
    ).toBe(true);
    expect(s.replies.filter((r) => r.type === 'ENTRY_FILLED')).toEqual([]);
  });

  it('a partially filled exit is retried after exitRetryMs until flat, alarmed once and once more when flat; EXIT_FILLED once', () => {
    const s = withPosition();
    s.market.set('ETH', [[99.9, 4]], [[100, 50]], { mark: 99.95 }); // thin bid
    const x = exit('ETH', 'geometry', 'invalidation');
    s.exec.submitIntent(x, s.lease('geometry'));
    s.clock.advance(0);
    expect(s.venue.position('ETH')).toBe(5.8);
    expect(s.alarms).toEqual([expect.stringContaining('4/9.8 filled')]);
    expect(s.replies.filter((r) => r.type === 'EXIT_FILLED')).toEqual([]);
    s.clock.advance(1_999);
    expect(s.venue.position('ETH')).toBe(5.8); // nothing before the retry
    s.clock.advance(1); // retry: the same snapshot's 4 are gone → IocCancel: still "did not fill", no new alarm
    expect(submitted(s.exec.records()).filter((o) => o.purpose === 'close')).toHaveLength(2);
    expect(s.alarms.length).toBe(1);
    s.market.set('ETH', [[99.8, 50]], [[100, 50]], { mark: 99.9 });
    s.clock.advance(2_000);
    expect(s.venue.position('ETH')).toBe(0);
    expect(s.alarms).toHaveLength(2);
    expect(s.alarms[1]).toContain('close of ETH filled after 3 attempts');
    expect(s.exec.positions().positions).toEqual([]);
    expect(s.replies.filter((r) => r.type === 'EXIT_FILLED')).toEqual([
      expect.objectContaining({ intentId: x.id }),
    ]);
  });

  it('an exception inside the strategy during ENTERED: emergency exit, flat, strategy locked out, no new entry', () => {
    const s = setup({ equity: () => 10_000 });
    book(s);
    s.exec.onTick(s.healthy);
    const strat = createActor(strategyMachine, {
      clock: s.clock,
      input: {
        strategy: 'geometry',
        coin: 'ETH',
        timings: {
          armTimeoutMs: 30_000,
          maxHoldMs: 900_000,
          cooldownMs: 60_000,
          exitRetryMs: 2_000,
          entryTimeoutMs: 5_000,
        },
      },
    });
    const intents: string[] = [];
    strat.on('intent', (e) => {
      intents.push(e.intent.kind);
      s.exec.submitIntent(e.intent, s.lease('geometry'));
    });
    s.exec.onStrategyEvent((strategy, _coin, ev) => {
      if (strategy === 'geometry') strat.send(ev);
    });
    strat.start();
    const quiet: StrategyEval = { setup: null, trigger: false, exit: null, sizeFraction: 0 };
    const setupLong = {
      side: 'LONG' as const,
      stop: 95,
      target: 110,
      ref: 100,
      levels: { edge: 96 },
      reason: 'edge',
    };
    strat.send({ type: 'ENABLE' });
    strat.send({ type: 'TICK', time: T0, version: 1, eval: { ...quiet, setup: setupLong } });
    strat.send({ type: 'TICK', time: T0, version: 2, eval: { ...quiet, setup: setupLong, trigger: true } });
    s.clock.advance(0);
    expect(strat.getSnapshot().value).toBe('ENTERED');
    expect(s.venue.position('ETH')).toBe(9.8);
    strat.send({ type: 'STRATEGY_ERROR', message: 'TypeError: boom' });
    s.clock.advance(0);
    expect(s.venue.position('ETH')).toBe(0);
    expect(strat.getSnapshot().value).toBe('COOLDOWN');
    s.clock.advance(60_000);
    expect(strat.getSnapshot().value).toBe('DISABLED');
    strat.send({ type: 'ENABLE' }); // the controller cannot re-enable a locked-out strategy
    expect(strat.getSnapshot().value).toBe('DISABLED');
    expect(intents).toEqual(['entry', 'exit']);
    expect(s.exec.positions().positions).toEqual([]);
    strat.stop();
  });

  it('health loss during ENTERED: execution flattens on its own, entries are denied, the late exit intent is answered', () => {
    const s = withPosition();
    s.exec.onTick({ health: 'DEGRADED', stale: false });
    s.clock.advance(0);
    expect(s.venue.position('ETH')).toBe(0);
    expect(
      s.exec.submitIntent(entry('ETH', 'LONG', 95, 110), {
        health: 'DEGRADED',
        stale: false,
        leaseHolder: 'geometry',
      }),
    ).toMatchObject({ ok: false, code: 'HEALTH' });
    expect(
      s.exec.submitIntent(entry('BTC', 'LONG', 40_000, 60_000), {
        health: 'HEALTHY',
        stale: true,
        leaseHolder: 'geometry',
      }),
    ).toMatchObject({ ok: false, code: 'STALE' });
    const x = exit('ETH', 'geometry', 'invalidation');
    s.exec.submitIntent(x, { health: 'DEGRADED', stale: false, leaseHolder: 'geometry' });
    expect(s.replies.at(-1)).toMatchObject({ type: 'EXIT_FILLED', intentId: x.id });
    const orders = submitted(s.exec.records());
    expect(orders.map((o) => [o.side, o.reduceOnly])).toEqual([
      ['BUY', false],
      ['SELL', true],
    ]);
  });

  it('emergency close that cannot fill: retried every exitRetryMs, alarmed once (not per attempt), never a hedge', () => {
    const s = withPosition();
    s.market.set('ETH', [], [[100, 50]], { mark: 99.95 }); // no bids at all
    s.exec.kill('test');
    for (let i = 0; i < 5; i++) s.clock.advance(2_000);
    expect(s.exec.tradingState()).toBe('HALTED');
    expect(s.venue.position('ETH')).toBe(9.8);
    expect(s.alarms).toEqual([expect.stringContaining('close of ETH did not fill')]);
    const orders = submitted(s.exec.records());
    expect(orders.length).toBe(7); // the entry, the close at once and a retry every 2 s
    expect(
      orders.slice(1).every((o) => o.side === 'SELL' && o.reduceOnly && o.tif === 'Ioc' && o.size === 9.8),
    ).toBe(true);
    // priced off the mark by the slippage when the bid side is empty: 99.95 × 0.995 = 99.45025 → 99.45
    expect(orders[1]!.limitPx).toBe(99.45);
    s.market.set('ETH', [[99.5, 50]], [[100, 50]], { mark: 99.75 });
    s.clock.advance(2_000);
    expect(s.venue.position('ETH')).toBe(0);
  });

  it('kill switch: HALTED, resting entries canceled, every coin flat; entries denied until RESET_HALT', () => {
    const s = gtcPosition();
    // Gtc entry at the bid rests (BTC)
    s.market.set('BTC', [[40_000, 1]], [[40_010, 1]], { mark: 40_005 });
    s.exec.submitIntent(entry('BTC', 'LONG', 39_000, 42_000, 'geometry'), s.lease('geometry'));
    s.clock.advance(0);
    expect(s.venue.openOrders().map((o) => o.coin)).toEqual(['BTC']);
    s.exec.kill('operator');
    s.clock.advance(0);
    expect(s.exec.tradingState()).toBe('HALTED');
    expect(s.venue.openOrders()).toEqual([]);
    expect(s.venue.position('ETH')).toBe(0);
    expect(s.exec.submitIntent(entry('SOL', 'LONG', 19, 25), s.lease('geometry'))).toMatchObject({
      code: 'TRADING_STATE',
    });
    s.exec.resetHalt();
    expect(s.exec.tradingState()).toBe('ACTIVE');
  });

  it('daily loss beyond 2 % of start-of-day equity: HALTED and flattened until an operator reset', () => {
    const s = withPosition();
    // 9.8 long from 100: a mark of 79 loses 205.8 + fees > 200 = 2 % of 10 000
    s.market.set('ETH', [[78.9, 50]], [[79.1, 50]], { mark: 79 });
    s.exec.onTick(s.healthy);
    s.clock.advance(0);
    expect(s.exec.tradingState()).toBe('HALTED');
    expect(s.venue.position('ETH')).toBe(0);
    expect(s.exec.submitIntent(entry('ETH', 'LONG', 70, 90), s.lease('geometry'))).toMatchObject({
      code: 'TRADING_STATE',
    });
    s.exec.onTick(s.healthy);
    expect(s.exec.tradingState()).toBe('HALTED');
    s.exec.resetHalt();
    s.exec.onTick(s.healthy); // measured afresh from the reset: no immediate re-halt
    expect(s.exec.tradingState()).toBe('ACTIVE');
  });

  it('REDUCING refuses entries and cancels resting ones; exits still pass', () => {
    const s = gtcPosition();
    s.market.set('BTC', [[40_000, 1]], [[40_010, 1]], { mark: 40_005 });
    s.exec.submitIntent(entry('BTC', 'LONG', 39_000, 42_000), s.lease('geometry'));
    s.clock.advance(0);
    s.exec.reduce('operator');
    s.clock.advance(0);
    expect(s.venue.openOrders()).toEqual([]);
    expect(s.replies.at(-1)).toMatchObject({
      type: 'ENTRY_REJECTED',
      reason: expect.stringContaining('canceled'),
    });
    expect(s.exec.submitIntent(entry('SOL', 'LONG', 19, 25), s.lease('geometry'))).toMatchObject({
      code: 'TRADING_STATE',
    });
    s.exec.submitIntent(exit('ETH'), s.lease('geometry'));
    s.clock.advance(0);
    expect(s.venue.position('ETH')).toBe(0);
    s.exec.resume();
    expect(s.exec.tradingState()).toBe('ACTIVE');
  });

  it('a resting entry is canceled after restTimeoutMs; nothing filled → ENTRY_REJECTED', () => {
    const s = setup({ config: { entryTif: 'Gtc', restTimeoutMs: 10_000 } });
    book(s);
    s.exec.onTick(s.healthy);
    s.exec.submitIntent(entry('ETH', 'LONG', 95, 110), s.lease('geometry'));
    s.clock.advance(9_999);
    expect(s.replies).toEqual([]);
    s.clock.advance(1);
    expect(s.replies).toEqual([expect.objectContaining({ type: 'ENTRY_REJECTED' })]);
    expect(s.venue.openOrders()).toEqual([]);
  });

  it('bad input never crashes: malformed intents and venue reports are counted, nothing else lost', () => {
    const s = withPosition();
    expect(s.exec.submitIntent({ kind: 'entry' } as never, s.lease('geometry'))).toMatchObject({
      code: 'BAD_INTENT',
    });
    expect(s.exec.submitIntent(null as never, s.lease('geometry'))).toMatchObject({ code: 'BAD_INTENT' });
    const emit = (r: unknown) => (s.venue as unknown as { report(r: unknown): void }).report(r);
    emit({ type: 'fill', clientId: 'x1', px: 'NaN' });
    emit({ type: 'bogus' });
    emit({
      type: 'fill',
      clientId: 'zz',
      coin: 'ETH',
      side: 'BUY',
      px: -1,
      sz: 1,
      fee: 0,
      liquidity: 'taker',
      remaining: 0,
      time: T0,
    });
    emit({ type: 'canceled', clientId: 'nope', reason: 'x', time: T0 });
    expect(s.exec.counters()).toMatchObject({ badIntents: 2, malformedReports: 2, errors: 2 });
    expect(s.exec.actor.getSnapshot().status).toBe('active');
    expect(s.exec.positions().positions).toMatchObject([{ coin: 'ETH', size: 9.8 }]);
    s.exec.submitIntent(exit('ETH'), s.lease('geometry'));
    s.clock.advance(0);
    expect(s.venue.position('ETH')).toBe(0);
  });

  it('restart recovery: a new engine on the records has the same ledger, trading state and day', () => {
    const s = withPosition();
    s.exec.kill('test');
    s.market.set('ETH', [], [[100, 50]]);
    const records = JSON.parse(JSON.stringify(s.exec.records()));
    const ctx = s.exec.actor.getSnapshot().context;
    const r = setup({ restore: records, clock: s.clock, market: s.market, equity: () => 10_000 });
    const c2 = r.exec.actor.getSnapshot().context;
    expect(c2.ledger).toEqual(ctx.ledger);
    expect(c2.day).toEqual(ctx.day);
    expect(r.exec.tradingState()).toBe('HALTED');
    expect(r.exec.records().filter((x) => x.kind === 'error')).toEqual([]);
  });
});
