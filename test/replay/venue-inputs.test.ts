/**
 * The venue's answers are inputs (issue 16): the pieces. The pipeline queues `RecordKind.Venue` records for
 * the next tick with their journal time, in journal order among the operator commands; a bad one is counted
 * and never applied. `JournaledVenue` sends the live venue's reports to the journal only and hands them to
 * execution only through `deliver`. `ReplayVenue` answers only through `deliver` and compares what the replay
 * asks with the live run's `exec.order` records.
 */
import { describe, expect, it } from 'vitest';
import { deliverAtTick, JournaledVenue } from '../../actors/venue/journaled.ts';
import { askOfDecisionLine, ReplayVenue } from '../../actors/venue/replay.ts';
import type { OrderRequest, Venue, VenueReport } from '../../actors/venue/types.ts';
import { StateBuilder } from '../../state/builder.ts';
import { IngestPipeline, splitTickItems } from '../../state/pipeline.ts';
import { type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';

const enc = new TextEncoder();
const rec = (seq: number, kind: JournalRecord['kind'], channel: string, data: Uint8Array): JournalRecord => ({
  seq,
  time: 5_000 + seq * 10,
  epoch: 1,
  kind,
  channel,
  data,
});

const FILL: VenueReport = {
  type: 'fill',
  clientId: 'x1',
  coin: 'BTC',
  side: 'SELL',
  px: 97_000,
  sz: 0.01,
  fee: 0.4,
  liquidity: 'taker',
  remaining: 0.02,
  time: 1, // the live venue's clock: replaced by the journal time
};

const ORDER: OrderRequest = {
  clientId: 'x1',
  coin: 'BTC',
  side: 'SELL',
  size: 0.03,
  limitPx: 96_500,
  tif: 'Ioc',
  reduceOnly: true,
};

/** A venue double: records what it was asked, emits reports when told. */
class FakeLiveVenue implements Venue {
  readonly asked: string[] = [];
  private readonly ls = new Set<(r: VenueReport) => void>();
  submit(o: OrderRequest): void {
    this.asked.push(`submit ${o.clientId}`);
  }
  cancel(id: string): void {
    this.asked.push(`cancel ${id}`);
  }
  onReport(l: (r: VenueReport) => void): () => void {
    this.ls.add(l);
    return () => this.ls.delete(l);
  }
  emit(r: VenueReport): void {
    for (const l of this.ls) l(r);
  }
  listeners(): number {
    return this.ls.size;
  }
  stop(): void {}
}

describe('pipeline: venue records are tick inputs', () => {
  it('queues venue reports in journal order among the operator commands, with the journal time', () => {
    const p = new IngestPipeline({ builder: new StateBuilder({ coins: ['BTC'] }) });
    p.process(
      rec(
        1,
        RecordKind.Venue,
        'accepted',
        jsonBytes({ type: 'accepted', clientId: 'x1', oid: '7', time: 1 }),
      ),
    );
    p.process(rec(2, RecordKind.Decision, 'operator', jsonBytes({ type: 'KILL' })));
    p.process(rec(3, RecordKind.Venue, 'fill', jsonBytes(FILL)));
    const items = p.drainCommands();
    expect(items).toHaveLength(3);
    expect(p.drainCommands()).toEqual([]);
    const split = splitTickItems(items);
    expect(split.commands).toEqual([{ type: 'KILL' }]);
    expect(split.reports).toEqual([
      { type: 'accepted', clientId: 'x1', oid: '7', time: 5_010 },
      { ...FILL, time: 5_030 },
    ]);
    expect(split.bad).toBe(0);
    expect(p.counters.venueReports).toBe(2);
    // a venue answer is not a feed event: nothing for health
    expect(p.drainEvents()).toEqual([]);
  });

  it('a venue record that is not a report is counted and never applied; the stream goes on', () => {
    const p = new IngestPipeline({ builder: new StateBuilder({ coins: ['BTC'] }) });
    p.process(rec(1, RecordKind.Venue, 'fill', enc.encode('{not json')));
    p.process(rec(2, RecordKind.Venue, 'fill', jsonBytes({ ...FILL, px: 'high' })));
    p.process(rec(3, RecordKind.Venue, 'x', jsonBytes([1, 2])));
    p.process(
      rec(
        4,
        RecordKind.Venue,
        'rejected',
        jsonBytes({ type: 'rejected', clientId: 'x2', reason: 'no', time: 0 }),
      ),
    );
    const split = splitTickItems(p.drainCommands());
    expect(split.reports).toEqual([{ type: 'rejected', clientId: 'x2', reason: 'no', time: 5_040 }]);
    expect(p.counters.badVenueRecords).toBe(3);
    expect(p.counters.venueReports).toBe(1);
    expect(p.counters.lastRejection).toMatch(/^venue record 3: not an object/);
  });

  it('an operator record cannot pass for a venue answer', () => {
    const p = new IngestPipeline({ builder: new StateBuilder({ coins: ['BTC'] }) });
    p.process(rec(1, RecordKind.Decision, 'operator', jsonBytes({ venueReport: FILL, seq: 1 })));
    expect(splitTickItems(p.drainCommands())).toEqual({ commands: [], reports: [], bad: 0 });
    expect(p.counters.badOperatorRecords).toBe(1);
  });

  it('splitTickItems: a malformed venue item from across the thread boundary is counted, not applied', () => {
    const split = splitTickItems([{ type: 'RESET_HALT' }, { venueReport: { type: 'fill' }, seq: 3 }, 'x']);
    expect(split).toEqual({ commands: [{ type: 'RESET_HALT' }, 'x'], reports: [], bad: 1 });
  });
});

describe('JournaledVenue (live)', () => {
  it("the live venue's reports go to the journal only; execution hears them only from deliver", () => {
    const live = new FakeLiveVenue();
    const journal: VenueReport[] = [];
    const v = new JournaledVenue(live);
    const heard: VenueReport[] = [];
    v.onReport((r) => heard.push(r));
    live.emit(FILL); // before the journal is attached: lost, counted
    v.attach((r) => {
      journal.push(r);
      return true;
    });
    live.emit({ ...FILL, sz: 0.02 });
    expect(heard).toEqual([]);
    expect(journal).toEqual([{ ...FILL, sz: 0.02 }]);
    expect(v.counters).toMatchObject({ journaled: 1, unjournaled: 1, delivered: 0 });
    v.deliver([{ ...FILL, time: 9 }]);
    expect(heard).toEqual([{ ...FILL, time: 9 }]);
    // orders go to the live venue
    v.submit(ORDER);
    v.cancel('x1');
    expect(live.asked).toEqual(['submit x1', 'cancel x1']);
    // a sink that refuses or throws: counted as not journaled, never delivered
    v.attach(() => false);
    live.emit(FILL);
    v.attach(() => {
      throw new Error('ring gone');
    });
    live.emit(FILL);
    expect(v.counters).toMatchObject({ journaled: 1, unjournaled: 3, delivered: 1 });
    expect(heard).toHaveLength(1);
    v.stop();
    expect(live.listeners()).toBe(0);
  });

  it('a throwing listener is counted and the others still hear the report', () => {
    const v = new JournaledVenue(new FakeLiveVenue());
    const heard: string[] = [];
    v.onReport(() => {
      throw new Error('bad listener');
    });
    const off = v.onReport((r) => heard.push(r.type));
    v.deliver([FILL, { type: 'canceled', clientId: 'x1', reason: 'ioc remainder', time: 3 }]);
    expect(heard).toEqual(['fill', 'canceled']);
    expect(v.counters.listenerErrors).toBe(2);
    off();
    v.deliver([FILL]);
    expect(heard).toHaveLength(2);
  });

  it('deliverAtTick runs the engine clock to the tick before the reports act (nothing when there are none)', () => {
    const calls: string[] = [];
    const engine = { advanceTo: (t: number) => calls.push(`advance ${t}`) };
    const v = new JournaledVenue(new FakeLiveVenue());
    v.onReport((r) => calls.push(`report ${r.type}`));
    deliverAtTick(engine, v, 7_000, []);
    deliverAtTick(engine, null, 7_000, [FILL]);
    expect(calls).toEqual([]);
    deliverAtTick(engine, v, 8_000, [FILL]);
    expect(calls).toEqual(['advance 8000', 'report fill']);
  });
});

describe('ReplayVenue', () => {
  const line = (event: string, order: Record<string, unknown>) => ({
    t: 1,
    kind: 'exec.order',
    event,
    order,
  });

  it('answers only from delivered reports and matches the asks with the live run, in order', () => {
    const v = new ReplayVenue();
    const heard: VenueReport[] = [];
    v.onReport((r) => heard.push(r));
    v.submit(ORDER);
    expect(heard).toEqual([]); // no answer of its own
    v.expectLine({ t: 1, kind: 'exec.fill' }); // not an ask
    v.expectLine(line('submit', { ...ORDER, status: 'pending', purpose: 'close' }));
    v.expectLine(line('fill', { ...ORDER }));
    v.expectLine(line('cancelRequest', { ...ORDER }));
    expect(v.unmatched()).toEqual({ replay: 0, live: 1 });
    v.cancel('x1');
    expect(v.counters).toMatchObject({ submits: 1, cancels: 1, expected: 2, compared: 2, mismatches: 0 });
    expect(v.unmatched()).toEqual({ replay: 0, live: 0 });
    v.deliver([FILL]);
    expect(heard).toEqual([FILL]);
    expect(v.counters.delivered).toBe(1);
  });

  it('a replay that asks for something else is counted and described', () => {
    const v = new ReplayVenue();
    v.expectLine(line('submit', { ...ORDER }));
    v.expectLine(line('submit', { ...ORDER, clientId: 'x2' }));
    v.submit({ ...ORDER, size: 0.02 });
    v.cancel('x1');
    expect(v.counters.mismatches).toBe(2);
    expect(v.mismatchNotes[0]).toContain('live submit clientId=x1');
    expect(v.mismatchNotes[0]).toContain('size=0.02');
    expect(v.mismatchNotes[1]).toContain('replay cancel x1');
  });

  it('askOfDecisionLine reads submits and cancel requests, nothing malformed', () => {
    expect(askOfDecisionLine(line('submit', { ...ORDER }))).toEqual({ type: 'submit', order: ORDER });
    expect(askOfDecisionLine(line('cancelRequest', { clientId: 'x1' }))).toEqual({
      type: 'cancel',
      clientId: 'x1',
    });
    expect(askOfDecisionLine(line('submit', { ...ORDER, tif: 'FOK' }))).toBeNull();
    expect(askOfDecisionLine(line('submit', { ...ORDER, size: '1' }))).toBeNull();
    expect(askOfDecisionLine({ kind: 'exec.order', event: 'submit' })).toBeNull();
    expect(askOfDecisionLine(null)).toBeNull();
  });
});
