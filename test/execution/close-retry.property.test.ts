/**
 * Property (issue 20 item 8): whatever mix of control ticks (healthy or not), books that come and go
 * (empty: the close cannot be priced; no bids: it cannot fill; normal), exits re-sent by the strategy
 * every 2 s, kills and resets, on the real engine + paper venue and a ManualClock:
 *  1. one retry loop per close: a coin's CLOSE_RETRY firings ('closing' retry records) are at least
 *     exitRetryMs apart, and so are its close orders within one close;
 *  2. alarms of a close: a condition alarm only when the condition changes (never the same twice in a
 *     row), reminders at least closeAlarmReminderMs apart, "filled" at most once per close;
 *  3. never a hedge: every close is a reduce-only IOC against the position, no larger than it;
 *  4. afterwards, with a normal book, every position is flat and no close is left.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExecRecord, OrderState } from '../../machines/execution.types.ts';
import { entry, exit, setup } from './helpers.ts';

type Book = 'normal' | 'empty' | 'noBids';
type Cmd =
  | { t: 'book'; b: Book }
  | { t: 'health'; ok: boolean }
  | { t: 'exit' }
  | { t: 'entry' }
  | { t: 'kill' }
  | { t: 'reset' }
  | { t: 'run'; s: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('book' as const),
      b: fc.constantFrom<Book>('normal', 'empty', 'noBids'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('health' as const), ok: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('exit' as const) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('entry' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('kill' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reset' as const) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('run' as const), s: fc.integer({ min: 1, max: 70 }) }) },
);

const RETRY = 2_000;
const REMIND = 60_000;

const reach = {
  runs: 0,
  closes: 0,
  retries: 0,
  unpricedAlarms: 0,
  unfilledAlarms: 0,
  reminders: 0,
  filledAlarms: 0,
  maxAttempts: 0,
};

function check(cmds: Cmd[]): void {
  const s = setup({ equity: () => 10_000 });
  const setBook = (b: Book) => {
    if (b === 'normal') s.market.set('ETH', [[99.9, 50]], [[100, 50]], { mark: 99.95 });
    else if (b === 'empty') s.market.set('ETH', [], []);
    else s.market.set('ETH', [], [[100, 50]], { mark: 99.95 });
  };
  setBook('normal');
  let book: Book = 'normal';
  let healthy = true;
  const records: ExecRecord[] = [];
  const alarms: { time: number; message: string }[] = [];
  s.exec.onAlarm((a) => alarms.push({ time: a.time, message: a.message }));
  const tick = () => {
    s.exec.onTick(healthy ? s.healthy : { health: 'DEGRADED', stale: true });
    records.push(...s.exec.records());
  };
  s.exec.onTick(s.healthy);
  const run = (seconds: number) => {
    for (let ms = 100; ms <= seconds * 1_000; ms += 100) {
      s.clock.advance(100);
      tick();
      // the strategy re-sends its exit every 2 s while a close of its position is under way
      if (ms % RETRY === 0 && s.exec.actor.getSnapshot().context.closing.ETH) {
        s.exec.submitIntent(exit('ETH'), s.lease('geometry'));
        records.push(...s.exec.records());
      }
    }
  };
  for (const c of cmds) {
    if (c.t === 'book') {
      book = c.b;
      setBook(c.b);
    } else if (c.t === 'health') healthy = c.ok;
    else if (c.t === 'exit') s.exec.submitIntent(exit('ETH'), s.lease('geometry'));
    else if (c.t === 'entry') {
      // open a position when flat: ACTIVE, a normal book and a healthy tick for the entry, then back
      if (s.exec.positions().positions.length === 0 && !s.exec.actor.getSnapshot().context.closing.ETH) {
        s.exec.resetHalt();
        setBook('normal');
        s.exec.onTick(s.healthy);
        s.exec.submitIntent(entry('ETH', 'LONG', 95, 110), s.lease('geometry'));
        s.clock.advance(0);
        setBook(book);
      }
    } else if (c.t === 'kill') s.exec.kill('property');
    else if (c.t === 'reset') s.exec.resetHalt();
    else run(c.s);
    records.push(...s.exec.records());
  }
  // 4. a normal book, healthy, an exit (and a kill for anything else): flat within a few retries
  setBook('normal');
  healthy = true;
  s.exec.submitIntent(exit('ETH'), s.lease('geometry'));
  s.exec.kill('property: end');
  run((3 * RETRY) / 1_000 + 1);
  expect(s.exec.positions().positions).toEqual([]);
  expect(s.exec.actor.getSnapshot().context.closing).toEqual({});
  expect(s.venue.position('ETH')).toBe(0);

  // 1. one retry loop per close; close orders of one close at least RETRY apart
  let lastRetry = -Infinity;
  let lastCloseSubmit = -Infinity;
  let position = 0;
  for (const r of records) {
    if (r.kind === 'closing' && r.action === 'start') {
      reach.closes++;
      lastCloseSubmit = -Infinity;
    }
    if (r.kind === 'closing' && r.action === 'retry') {
      reach.retries++;
      expect(r.time - lastRetry).toBeGreaterThanOrEqual(RETRY);
      lastRetry = r.time;
    }
    if (r.kind === 'closing' && r.action === 'done')
      reach.maxAttempts = Math.max(reach.maxAttempts, r.closing.attempts);
    if (r.kind === 'position') position = r.position?.size ?? 0;
    if (r.kind === 'order' && r.event === 'submit' && r.order.purpose === 'close') {
      const o: OrderState = r.order;
      expect(r.time - lastCloseSubmit).toBeGreaterThanOrEqual(RETRY);
      lastCloseSubmit = r.time;
      // 3. never a hedge
      expect(o.reduceOnly && o.tif === 'Ioc').toBe(true);
      expect(o.side).toBe(position > 0 ? 'SELL' : 'BUY');
      expect(o.size).toBeLessThanOrEqual(Math.abs(position) + 1e-9);
    }
  }
  // 2. alarms: one per change of condition, reminders a minute apart, "filled" once per close
  let lastCondition: string | null = null;
  let lastReminder = -Infinity;
  for (const a of alarms) {
    const m =
      /^close of ETH (cannot be priced|did not fill|timed out at the venue|still not done|filled after)/.exec(
        a.message,
      );
    if (!m) continue;
    const what = m[1]!;
    if (what === 'still not done') {
      reach.reminders++;
      expect(a.time - lastReminder).toBeGreaterThanOrEqual(REMIND);
      lastReminder = a.time;
    } else if (what === 'filled after') {
      reach.filledAlarms++;
      expect(lastCondition).not.toBeNull();
      lastCondition = null;
      lastReminder = -Infinity;
    } else {
      if (what === 'cannot be priced') reach.unpricedAlarms++;
      if (what === 'did not fill') reach.unfilledAlarms++;
      expect(what).not.toBe(lastCondition);
      lastCondition = what;
    }
  }
  reach.runs++;
  s.exec.stop();
}

describe('close retries: property', () => {
  it('one retry loop per close, bounded rate, one alarm per change + reminders, never a hedge, flat at the end', () => {
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 10, maxLength: 60 }), (cmds) => check(cmds)),
      { numRuns: 50, seed: 20_008 },
    );
    console.log(`close-retry property reach: ${JSON.stringify(reach)}`);
    expect(reach.runs).toBeGreaterThanOrEqual(50);
    expect(reach.closes).toBeGreaterThan(50);
    expect(reach.retries).toBeGreaterThan(200);
    expect(reach.unpricedAlarms).toBeGreaterThan(10);
    expect(reach.unfilledAlarms).toBeGreaterThan(10);
    expect(reach.reminders).toBeGreaterThan(5);
    expect(reach.filledAlarms).toBeGreaterThan(10);
  });
});
