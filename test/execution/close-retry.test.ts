/**
 * Issue 20 item 8: a close that cannot be priced (no book) or cannot fill (no liquidity on its side)
 * is retried at a bounded rate by ONE retry timer per close, whatever else asks for it meanwhile
 * (unhealthy control ticks flattening every position, the strategy re-sending its exit every
 * exitRetryMs); it alarms once per change of its condition plus a periodic reminder, and once when it
 * finally fills. Driven as the decision engine drives execution: a ManualClock, a control tick every
 * 100 ms, the strategy's exit re-sent every 2 s.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { createExecution } from '../../actors/execution/engine.ts';
import type { Venue } from '../../actors/venue/types.ts';
import { ManualClock } from '../../state/clock.ts';
import type { ExecRecord } from '../../machines/execution.types.ts';
import { strategyMachine } from '../../machines/strategy.machine.ts';
import type { StrategyEval } from '../../machines/strategy.types.ts';
import { ASSETS, exit, entry, setup, T0, TestMarket } from './helpers.ts';

function withPosition(config: Parameters<typeof setup>[0] = {}) {
  const s = setup({ equity: () => 10_000, ...config });
  s.market.set('ETH', [[99.9, 50]], [[100, 50]], { mark: 99.95 });
  s.exec.onTick(s.healthy);
  expect(s.exec.submitIntent(entry('ETH', 'LONG', 95, 110), s.lease('geometry'))).toEqual({ ok: true });
  s.clock.advance(0);
  expect(s.exec.positions().positions).toMatchObject([{ coin: 'ETH', size: 9.8 }]);
  return s;
}

interface Counts {
  /** Close attempts: close orders sent to the venue + closes that could not be priced. */
  attempts: number;
  submits: number;
  unpriced: number;
  alarms: number;
  records: ExecRecord[];
}

/**
 * `seconds` of the engine's loop: a control tick every 100 ms (health as given: DEGRADED while the
 * book is gone, as the health machine would say) and the strategy's exit re-sent every 2 s with a new id.
 */
function drive(
  s: ReturnType<typeof withPosition>,
  seconds: number,
  health: 'HEALTHY' | 'DEGRADED',
  lastExit: { id: string },
): Counts {
  const records: ExecRecord[] = [];
  const alarms0 = s.alarms.length;
  for (let ms = 100; ms <= seconds * 1_000; ms += 100) {
    s.clock.advance(100);
    s.exec.onTick({ health, stale: health !== 'HEALTHY' });
    if (ms % 2_000 === 0) {
      const x = exit('ETH', 'geometry', 'invalidation');
      lastExit.id = x.id;
      s.exec.submitIntent(x, s.lease('geometry'));
    }
    records.push(...s.exec.records());
  }
  const submits = records.filter(
    (r) => r.kind === 'order' && r.event === 'submit' && r.order.purpose === 'close',
  ).length;
  const unpriced = s.exec.actor.getSnapshot().context.closing.ETH?.unpriced ?? 0;
  return { attempts: submits + unpriced, submits, unpriced, alarms: s.alarms.length - alarms0, records };
}

describe('close retries while a close cannot be priced or filled (issue 20 item 8)', () => {
  it('no book at all: one retry loop per close, ~1 attempt per exitRetryMs, one alarm + a reminder a minute', () => {
    const s = withPosition();
    const x = exit('ETH', 'geometry', 'invalidation');
    s.market.set('ETH', [], []); // the book is empty (no mark either): the close cannot be priced
    s.exec.submitIntent(x, s.lease('geometry'));
    const lastExit = { id: x.id };
    const c = drive(s, 300, 'DEGRADED', lastExit);
    console.log(
      `no book, 300 s: ${c.attempts} attempts (${c.unpriced} unpriced, ${c.submits} sent), ${c.alarms} alarms, ${s.clock.pending()} timers pending`,
    );
    // 300 s / 2 s = 150 retries, plus the first attempt
    expect(c.submits).toBe(0);
    expect(c.attempts).toBeGreaterThanOrEqual(149);
    expect(c.attempts).toBeLessThanOrEqual(152);
    // "cannot be priced" once, then a reminder every 60 s: 1 + 5
    expect(s.alarms.filter((a) => a.includes('cannot price'))).toHaveLength(1);
    expect(c.alarms).toBeGreaterThanOrEqual(5);
    expect(c.alarms).toBeLessThanOrEqual(7);
    // one retry timer and one reminder timer for this close, and the paper venue's hourly funding timer
    expect(s.clock.pending()).toBe(3);

    // the book comes back: filled at the next retry; "close filled" alarmed once; the newest exit answered
    s.market.set('ETH', [[99.5, 50]], [[100, 50]], { mark: 99.75 });
    const after = drive(s, 10, 'HEALTHY', lastExit);
    expect(s.exec.positions().positions).toEqual([]);
    expect(after.submits).toBe(1);
    expect(s.alarms.filter((a) => a.includes('filled after'))).toHaveLength(1);
    expect(s.replies.filter((r) => r.type === 'EXIT_FILLED').map((r) => r.intentId)).toContain(lastExit.id);
    expect(s.clock.pending()).toBe(1); // the paper venue's funding timer only: the close's timers are gone
  });

  it('no liquidity on the close side (priced at the mark): one IOC per exitRetryMs, one alarm + reminders', () => {
    const s = withPosition();
    s.market.set('ETH', [], [[100, 50]], { mark: 99.95 }); // no bids at all
    const x = exit('ETH', 'geometry', 'invalidation');
    s.exec.submitIntent(x, s.lease('geometry'));
    const lastExit = { id: x.id };
    const c = drive(s, 300, 'DEGRADED', lastExit);
    console.log(
      `no bids, 300 s: ${c.submits} closes sent, ${c.alarms} alarms, ${s.clock.pending()} timers pending`,
    );
    expect(c.unpriced).toBe(0);
    // retry + reminder + the paper venue's funding timer: the finished IOCs' timeouts were canceled
    expect(s.clock.pending()).toBe(3);
    expect(c.submits).toBeGreaterThanOrEqual(149);
    expect(c.submits).toBeLessThanOrEqual(152);
    expect(c.alarms).toBeGreaterThanOrEqual(5);
    expect(c.alarms).toBeLessThanOrEqual(7);
    expect(s.venue.position('ETH')).toBe(9.8);
    // never a hedge
    const closes = c.records.flatMap((r) =>
      r.kind === 'order' && r.event === 'submit' && r.order.purpose === 'close' ? [r.order] : [],
    );
    expect(closes.every((o) => o.side === 'SELL' && o.reduceOnly && o.tif === 'Ioc' && o.size === 9.8)).toBe(
      true,
    );
  });

  it('a condition change alarms once: cannot price → no liquidity → filled', () => {
    const s = withPosition();
    s.market.set('ETH', [], []);
    s.exec.kill('test');
    const lastExit = { id: '' };
    drive(s, 10, 'DEGRADED', lastExit);
    expect(s.alarms).toEqual([expect.stringContaining('cannot price')]);
    s.market.set('ETH', [], [[100, 50]], { mark: 99.95 });
    drive(s, 10, 'DEGRADED', lastExit);
    expect(s.alarms).toHaveLength(2);
    expect(s.alarms[1]).toContain('ended');
    s.market.set('ETH', [[99.5, 50]], [[100, 50]], { mark: 99.75 });
    drive(s, 4, 'DEGRADED', lastExit);
    expect(s.exec.positions().positions).toEqual([]);
    expect(s.alarms).toHaveLength(3);
    expect(s.alarms[2]).toContain('filled after');
    expect(s.exec.tradingState()).toBe('HALTED');
  });

  it('backoff: with closeRetryBackoff 2 the interval doubles up to closeRetryMaxMs', () => {
    const s = withPosition({ config: { closeRetryBackoff: 2, closeRetryMaxMs: 16_000 } });
    s.market.set('ETH', [], []);
    s.exec.kill('test');
    const c = drive(s, 300, 'DEGRADED', { id: '' });
    // attempts at 0, 2, 6, 14, 30 s, then every 16 s: 46, 62, …, 286 → 5 + 16 = 21
    expect(c.attempts).toBe(21);
  });

  it('the real strategy machine in EXITED re-sending its exit every 2 s: still one retry loop, the newest exit answered', () => {
    const s = setup({ equity: () => 10_000 });
    s.market.set('ETH', [[99.9, 50]], [[100, 50]], { mark: 99.95 });
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
    const exits: string[] = [];
    let strategyAlarms = 0;
    strat.on('intent', (e) => {
      if (e.intent.kind === 'exit') exits.push(e.intent.id);
      s.exec.submitIntent(e.intent, s.lease('geometry'));
    });
    strat.on('alarm', () => strategyAlarms++);
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
    s.market.set('ETH', [], [[100, 50]], { mark: 99.95 }); // no bids: every close IOC comes back unfilled
    strat.send({ type: 'STRATEGY_ERROR', message: 'boom' });
    const alarms0 = s.alarms.length;
    let closes = 0;
    for (let ms = 100; ms <= 300_000; ms += 100) {
      s.clock.advance(100);
      s.exec.onTick({ health: 'DEGRADED', stale: true });
      for (const r of s.exec.records())
        if (r.kind === 'order' && r.event === 'submit' && r.order.purpose === 'close') closes++;
    }
    console.log(
      `strategy re-sending exits, 300 s: ${exits.length} exits sent, ${closes} closes, ${s.alarms.length - alarms0} execution alarms, ${strategyAlarms} strategy alarms`,
    );
    expect(exits.length).toBeGreaterThanOrEqual(150);
    expect(closes).toBeGreaterThanOrEqual(149);
    expect(closes).toBeLessThanOrEqual(152);
    expect(s.alarms.length - alarms0).toBeLessThanOrEqual(7);
    s.market.set('ETH', [[99.5, 50]], [[100, 50]], { mark: 99.75 });
    s.clock.advance(2_000);
    expect(s.venue.position('ETH')).toBe(0);
    expect(strat.getSnapshot().value).toBe('COOLDOWN'); // answered with the id it was waiting for
    strat.stop();
  });

  it('a venue that never answers: each close times out, retried right after its timeout, one alarm + reminders', () => {
    const clock = new ManualClock(T0);
    const market = new TestMarket(clock);
    const sent: string[] = [];
    const venue: Venue = {
      submit: (o) => sent.push(o.clientId),
      cancel: () => {},
      onReport: () => () => {},
      stop: () => {},
    };
    // a ledger with a position to close (restart recovery), as the engine does for orphans
    const fill = {
      coin: 'ETH',
      strategy: 'geometry',
      side: 'BUY',
      px: 100,
      sz: 9.8,
      fee: 0,
      time: T0,
      clientId: 'x',
    };
    const exec = createExecution({
      clock,
      venue,
      market,
      equity: 10_000,
      config: { assets: ASSETS },
      restore: [
        {
          kind: 'position',
          coin: 'ETH',
          cause: { type: 'fill', fill },
          position: {
            coin: 'ETH',
            strategy: 'geometry',
            size: 9.8,
            avgEntry: 100,
            realised: 0,
            fees: 0,
            fundingPaid: 0,
            openedAt: T0,
          },
          totals: { realised: 0, fees: 0, fundingPaid: 0 },
        },
      ],
    });
    const alarms: string[] = [];
    exec.onAlarm((a) => alarms.push(a.message));
    market.set('ETH', [[99.9, 50]], [[100, 50]], { mark: 99.95 });
    exec.kill('restart: recovered positions');
    for (let ms = 100; ms <= 300_000; ms += 100) {
      clock.advance(100);
      exec.onTick({ health: 'HEALTHY', stale: false });
    }
    console.log(`silent venue, 300 s: ${sent.length} closes sent, ${alarms.length} alarms`);
    // one close every orderTimeoutMs (5 s): at 0, 5, …, 300 s
    expect(sent.length).toBe(61);
    // the first timeout at 5 s, then a reminder a minute: 65, 125, 185, 245 s
    expect(alarms[0]).toMatch(/^close of ETH timed out at the venue: order x1 timed out/);
    expect(alarms.slice(1).every((a) => a.startsWith('close of ETH still not done'))).toBe(true);
    expect(alarms).toHaveLength(5);
  });
});
