/**
 * The dashboard's history of the decision log: what it files from each line (the feed for the table, the
 * blotter, the chart marks, the equity curve) agrees with `analyseDecisions` over the whole log; it
 * rebuilds its view only when a line it is made of arrived; bad lines are counted, never thrown.
 */
import { describe, expect, it } from 'vitest';
import { pollingHistory } from '../../runtime/dashboard-model.ts';
import { DecisionHistory, QuoteTape } from '../../runtime/dashboard/history.ts';
import type { RunningSystem } from '../../runtime/system.ts';
import { analyseDecisions } from '../../replay/decision-log.ts';

const T0 = 1_767_225_600_000;
const inputs = { oiRange15m: 0.001, oiBuild1h: 0.002, fundingDev: 0, depthAsym5s: 0.1 };

function order(t: number, clientId: string, status: string, side: 'BUY' | 'SELL', filled = 0) {
  return {
    t,
    kind: 'exec.order',
    time: t,
    event: status === 'pending' ? 'submit' : status,
    order: {
      clientId,
      coin: 'BTC',
      side,
      size: 0.02,
      limitPx: 50_010,
      tif: 'Ioc',
      reduceOnly: side === 'SELL',
      purpose: side === 'BUY' ? 'entry' : 'exit',
      intentId: 'geometry:BTC:1',
      strategy: 'geometry',
      status,
      filled,
      avgPx: filled > 0 ? 50_005 : 0,
      fees: 0,
    },
  };
}
function fill(t: number, side: 'BUY' | 'SELL', px: number, clientId: string) {
  return {
    t,
    kind: 'exec.fill',
    time: t,
    liquidity: 'taker',
    fill: { coin: 'BTC', strategy: 'geometry', side, px, sz: 0.02, fee: 0.45, time: t, clientId },
  };
}
function position(t: number, size: number, realised: number, fees: number) {
  return {
    t,
    kind: 'exec.position',
    time: t,
    coin: 'BTC',
    cause: { type: 'fill' },
    position: size === 0 ? null : { coin: 'BTC', strategy: 'geometry', size, avgEntry: 50_005, realised: 0 },
    totals: { realised, fees, fundingPaid: 0 },
  };
}

/** A round trip on BTC: the day, a regime, an entry intent, its order and fill, then the exit. */
const LOG: unknown[] = [
  { t: T0, kind: 'exec.day', time: T0, day: { index: 0, startEquity: 10_000, startPnl: 0 } },
  { t: T0 + 1, kind: 'regime', coin: 'BTC', regime: 'SIDEWAYS', reason: 'range', inputs },
  { t: T0 + 2, kind: 'strategy', coin: 'BTC', strategy: 'geometry', from: 'SCANNING', to: 'ARMED' },
  {
    t: T0 + 3,
    kind: 'exec.intent',
    time: T0 + 3,
    intent: {
      kind: 'entry',
      id: 'geometry:BTC:1',
      strategy: 'geometry',
      coin: 'BTC',
      side: 'LONG',
      sizeFraction: 0.1,
      stop: 49_500,
      target: 51_000,
      reason: 'range low',
      version: 0,
      time: T0 + 3,
    },
  },
  order(T0 + 4, 'c1', 'pending', 'BUY'),
];
const FILLED: unknown[] = [
  order(T0 + 5, 'c1', 'filled', 'BUY', 0.02),
  fill(T0 + 5, 'BUY', 50_005, 'c1'),
  position(T0 + 5, 0.02, 0, 0.45),
];
const EXITED: unknown[] = [
  order(T0 + 9, 'c2', 'pending', 'SELL'),
  order(T0 + 10, 'c2', 'filled', 'SELL', 0.02),
  fill(T0 + 10, 'SELL', 50_505, 'c2'),
  position(T0 + 10, 0, 10, 0.9),
  { t: T0 + 11, kind: 'alarm', source: 'system', message: 'a test alarm' },
];

describe('DecisionHistory', () => {
  it('files a round trip as analyseDecisions reads it: fills with roles, trades, equity; orders and levels', () => {
    const h = new DecisionHistory();
    for (const l of LOG) h.add(l);
    let v = h.view().view;
    expect(v.openOrders.map((o) => [o.clientId, o.status])).toEqual([['c1', 'pending']]);
    expect(v.fills).toEqual([]);
    expect(v.levels).toEqual([]); // no open round trip yet

    for (const l of FILLED) h.add(JSON.stringify(l)); // text lines are read the same
    v = h.view().view;
    expect(v.openOrders).toEqual([]);
    expect(v.fills.map((f) => [f.role, f.px])).toEqual([['entry', 50_005]]);
    expect(v.levels).toMatchObject([{ coin: 'BTC', stop: 49_500, target: 51_000, side: 'LONG' }]);

    for (const l of EXITED) h.add(l);
    v = h.view().view;
    const whole = analyseDecisions([...LOG, ...FILLED, ...EXITED]);
    expect(v.fills).toEqual(whole.fills);
    expect(v.trades).toEqual(whole.trades);
    expect(v.equity).toEqual(whole.equity);
    expect(v.fills.map((f) => [f.role, f.px])).toEqual([
      ['entry', 50_005],
      ['exit', 50_505],
    ]);
    expect(v.equity.at(-1)!.equity).toBeCloseTo(10_000 + 10 - 0.9, 9);
    expect(v.levels).toEqual([]); // flat again: no stop or target to draw
    expect(v.regimes).toEqual({ BTC: [{ time: T0 + 1, regime: 'SIDEWAYS' }] });
    expect(v.alarms.map((a) => a.message)).toEqual(['a test alarm']);
    expect(h.counts()).toEqual({ lines: LOG.length + FILLED.length + EXITED.length, invalid: 0, dropped: 0 });
  });

  it('rebuilds the view only when a line it is made of arrived (the JSON text is reused)', () => {
    const h = new DecisionHistory();
    for (const l of [...LOG, ...FILLED]) h.add(l);
    const a = h.view();
    h.add({ t: T0 + 6, kind: 'strategy', coin: 'BTC', strategy: 'geometry', from: 'ARMED', to: 'ENTERED' });
    const b = h.view();
    expect(b.version).toBe(a.version);
    expect(b.json).toBe(a.json);
    h.add(fill(T0 + 7, 'SELL', 50_100, 'c3'));
    const c = h.view();
    expect(c.version).toBe(a.version + 1);
    expect(c.view.fills).toHaveLength(2);
  });

  it('the feed: every line by sequence number, bounded, a client resumes where it left off', () => {
    const h = new DecisionHistory({ feedLines: 5 });
    for (let i = 0; i < 3; i++)
      h.add({ t: T0 + i, kind: 'strategy', coin: 'BTC', strategy: 's', to: `S${i}` });
    const first = h.feedSince(0);
    expect(first).toMatchObject({ from: 0, next: 3 });
    expect(first.lines.map((l) => JSON.parse(l).to)).toEqual(['S0', 'S1', 'S2']);
    for (let i = 3; i < 9; i++)
      h.add({ t: T0 + i, kind: 'strategy', coin: 'BTC', strategy: 's', to: `S${i}` });
    const later = h.feedSince(first.next);
    // 9 lines, 5 kept: lines 3 to 8 asked, 4 to 8 still there
    expect(later.from).toBe(4);
    expect(later.next).toBe(9);
    expect(later.lines.map((l) => JSON.parse(l).to)).toEqual(['S4', 'S5', 'S6', 'S7', 'S8']);
    expect(h.feedSince(9)).toEqual({ from: 9, next: 9, lines: [] });
    expect(h.feedSince(Number.NaN).from).toBe(4);
  });

  it('bad lines are counted and kept in the feed as received; a full queue drops and counts', () => {
    const h = new DecisionHistory({ maxPending: 4 });
    h.add('{not json');
    h.add({ kind: 'exec.fill', t: 1, fill: { coin: 'BTC' } }); // fails the format
    h.add(42);
    h.add({ t: 1, kind: 'strategy', coin: 'BTC', strategy: 's', to: 'X' });
    h.add({ t: 2, kind: 'strategy', coin: 'BTC', strategy: 's', to: 'Y' }); // queue full
    h.missed(3);
    const v = h.view().view;
    expect(v.fills).toEqual([]);
    expect(h.counts()).toEqual({ lines: 4, invalid: 3, dropped: 4 });
    const feed = h.feedSince(0).lines.map((l) => JSON.parse(l));
    expect(feed[0]).toEqual({ kind: '?', raw: '{not json' });
    expect(feed).toHaveLength(4);
  });

  it("without onLine: polled from the system's last lines, the ones that scrolled past counted as dropped", () => {
    const written: string[] = [];
    const keep = 3;
    const system = {
      summary: () => ({ decisionLines: written.length }),
      recentDecisions: () => written.slice(-keep),
    } as unknown as RunningSystem;
    const write = (n: number) => {
      for (let i = 0; i < n; i++)
        written.push(
          JSON.stringify({
            t: written.length,
            kind: 'strategy',
            coin: 'BTC',
            strategy: 's',
            to: `S${written.length}`,
          }),
        );
    };
    const p = pollingHistory(system);
    write(2);
    p.poll();
    p.poll(); // nothing new: nothing added twice
    write(5); // 2 of them scroll past the 3 the system keeps
    p.poll();
    const feed = p.history.feedSince(0).lines.map((l) => JSON.parse(l).to);
    expect(feed).toEqual(['S0', 'S1', 'S4', 'S5', 'S6']);
    expect(p.history.counts()).toEqual({ lines: 5, invalid: 0, dropped: 2 });
  });

  it('the quote tape: one sample a second per coin (the last of it), the last N seconds, no empty quotes', () => {
    const tape = new QuoteTape(3);
    const snap = (time: number, bid: number | null, regime = 'SIDEWAYS') => ({
      time,
      coins: [
        { coin: 'BTC', bestBid: bid, bestAsk: bid === null ? null : bid + 1, regime },
        { coin: 'ETH', bestBid: null, bestAsk: null, regime: 'DISABLED' },
      ],
    });
    tape.sample(snap(T0, 100));
    tape.sample(snap(T0 + 400, 101)); // same second: replaces
    tape.sample(snap(T0 + 1_000, 102, 'EXPANSION'));
    tape.sample(snap(T0 + 500, 99)); // older than the last second: ignored
    tape.sample(snap(T0 + 2_000, null)); // no quote: nothing
    tape.sample(snap(T0 + 3_000, 103));
    tape.sample(snap(T0 + 4_000, 104));
    tape.sample(snap(Number.NaN, 1));
    expect(JSON.parse(tape.json())).toEqual({
      BTC: [
        [T0 + 1_000, 102, 103, 'EXPANSION'],
        [T0 + 3_000, 103, 104, 'SIDEWAYS'],
        [T0 + 4_000, 104, 105, 'SIDEWAYS'],
      ],
    });
  });
});
