/**
 * Issue 20 item 6: a crossed or malformed book never reaches hot state as valid. Through the whole
 * ingest path (journal record → parse → gaps → builder → hot state → reader → HotView): each bad
 * l2Book / bbo is a counted rejection with its reason, a bounded BOOK_REJECTED feed event, a gate
 * flag in the coin's slot (HotView.bookInvalid, and HotView.stale true), and the slot's book is
 * left as it was; the next valid l2Book clears the gate with a BOOK_VALID event.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateHot } from '../../hyperliquid/hot-validate.ts';
import { BOOK_REJECT_REASONS } from '../../state/book.ts';
import { StateBuilder } from '../../state/builder.ts';
import { ManualClock } from '../../state/clock.ts';
import { F, SLOT_FLOATS } from '../../state/hotstate-layout.ts';
import { HotStateReader, HotStateWriter } from '../../state/hotstate.ts';
import { HotView } from '../../state/hotview.ts';
import { type TickEvent, IngestPipeline } from '../../state/pipeline.ts';
import { type JournalRecord, RecordKind } from '../../state/records.ts';

const enc = new TextEncoder();
const COINS = ['BTC', 'ETH'];

type Lvl = { px: string; sz: string; n: number };
const L = (px: string, sz = '1'): Lvl => ({ px, sz, n: 1 });

function rig() {
  const hot = HotStateWriter.create(COINS);
  const clock = new ManualClock(0);
  const builder = new StateBuilder({ coins: COINS, hot, clock });
  const p = new IngestPipeline({ builder });
  const reader = HotStateReader.attach(hot.sab, hot.layout);
  const buf = new Float64Array(SLOT_FLOATS);
  const view = new HotView(buf);
  let seq = 0;
  let time = 1_000;
  const send = (channel: string, data: unknown): number => {
    seq++;
    time += 10;
    clock.advanceTo(time);
    const rec: JournalRecord = {
      seq,
      time,
      epoch: 1,
      kind: RecordKind.Frame,
      channel,
      data: enc.encode(JSON.stringify({ channel, data })),
    };
    p.process(rec);
    return seq;
  };
  let venueTime = 1_751_427_000_000;
  const book = (bids: Lvl[], asks: Lvl[], coin = 'BTC') =>
    send('l2Book', { coin, time: ++venueTime, levels: [bids, asks] });
  const bbo = (bid: Lvl | null, ask: Lvl | null, coin = 'BTC') =>
    send('bbo', { coin, time: ++venueTime, bbo: [bid, ask] });
  const read = (coin = 'BTC') => {
    expect(reader.read(COINS.indexOf(coin), buf)).toBe(true);
    return view;
  };
  return { p, builder, send, book, bbo, read, buf, clock };
}

const GOOD_BIDS = [L('100', '2'), L('99', '3'), L('98', '4')];
const GOOD_ASKS = [L('101', '1'), L('102', '5'), L('103', '6')];

/** The book part of a slot image (top, levels, depth): what a rejected book must not change. */
function bookFields(buf: Float64Array): number[] {
  const out: number[] = [];
  for (let i = F.bookTime; i <= F.depthAsym50; i++) out.push(buf[i]!);
  return out;
}

const bookCases: ReadonlyArray<readonly [string, string, Lvl[], Lvl[]]> = [
  ['crossed (best bid > best ask)', 'crossed', [L('102'), L('99')], [L('101'), L('103')]],
  ['locked (best bid = best ask)', 'crossed', [L('101'), L('99')], [L('101'), L('103')]],
  ['negative px', 'non_positive_px', [L('100'), L('-99')], GOOD_ASKS],
  ['zero px', 'non_positive_px', GOOD_BIDS, [L('0'), L('102')]],
  ['negative sz', 'non_positive_sz', [L('100', '-1')], GOOD_ASKS],
  ['zero sz', 'non_positive_sz', GOOD_BIDS, [L('101', '0'), L('102')]],
  ['non-finite px (overflows float64)', 'non_finite', [L(`1${'0'.repeat(400)}`)], GOOD_ASKS],
  ['non-finite sz', 'non_finite', GOOD_BIDS, [L('101', `9${'9'.repeat(400)}`)]],
  ['bids not descending', 'unsorted', [L('99'), L('100')], GOOD_ASKS],
  ['asks not ascending', 'unsorted', GOOD_BIDS, [L('102'), L('101')]],
  ['duplicate bid level', 'duplicate_level', [L('100'), L('100.0'), L('98')], GOOD_ASKS],
  ['duplicate ask level', 'duplicate_level', GOOD_BIDS, [L('101'), L('102'), L('102')]],
];

function rejectedEvents(events: readonly TickEvent[]) {
  return events.filter((e) => e.type === 'BOOK_REJECTED');
}

describe('l2Book sanity through the ingest pipeline', () => {
  for (const [name, reason, bids, asks] of bookCases) {
    it(`${name}: counted as l2Book.${reason}, BOOK_REJECTED emitted, coin gated, slot book unchanged`, () => {
      const r = rig();
      r.book(GOOD_BIDS, GOOD_ASKS);
      r.p.drainEvents();
      const before = bookFields(r.read().buf);

      const seq = r.book(bids, asks);
      // first what reaches hot state: the slot's book must be the good one
      expect(bookFields(r.read().buf)).toEqual(before);
      expect(r.p.counters.rejectedByCode[`l2Book.${reason}`]).toBe(1);
      expect(r.p.counters.bookRejected).toBe(1);
      expect(r.p.counters.rejected).toBe(1);
      expect(r.p.counters.applied).toBe(1); // only the good one
      expect(r.p.counters.lastRejection).toMatch(/l2Book BTC/);
      const ev = r.p.drainEvents();
      expect(rejectedEvents(ev)).toEqual([
        expect.objectContaining({
          type: 'BOOK_REJECTED',
          coin: 'BTC',
          channel: 'l2Book',
          reason,
          seq,
          count: 1,
        }),
      ]);
      const v = r.read();
      expect(v.bookRejected).toBe(1);
      expect(v.bookInvalid).toBe(true);
      expect(v.stale(r.clock.now(), 1e9)).toBe(true);
      expect(bookFields(v.buf)).toEqual(before);
      expect(v.bestBid).toBe(100);
      expect(v.bestAsk).toBe(101);

      // the next valid l2Book clears the gate
      r.book([L('100.5')], [L('101.5')]);
      const ev2 = r.p.drainEvents();
      expect(ev2).toEqual([expect.objectContaining({ type: 'BOOK_VALID', coin: 'BTC', channel: 'l2Book' })]);
      const w = r.read();
      expect(w.bookInvalid).toBe(false);
      expect(w.stale(r.clock.now(), 1e9)).toBe(false);
      expect(w.bestBid).toBe(100.5);
      expect(w.bookRejects).toBe(1);
    });
  }

  it('the in-place validator and the zod path see the same sanity checks (an extra key sends a frame to zod)', () => {
    for (const [, reason, bids, asks] of bookCases) {
      const r = rig();
      r.book(GOOD_BIDS, GOOD_ASKS);
      // hot path: validated in place
      r.send('l2Book', { coin: 'BTC', time: 1_751_427_100_000, levels: [bids, asks] });
      // zod path: an undeclared key makes hot-validate decline; zod strips it and the builder sees the rest
      expect(validateHot('l2Book', { coin: 'BTC', time: 1, levels: [bids, asks] })).toBe(true);
      expect(validateHot('l2Book', { coin: 'BTC', time: 1, levels: [bids, asks], venueAddedField: 1 })).toBe(
        false,
      );
      r.send('l2Book', { coin: 'BTC', time: 1_751_427_100_001, levels: [bids, asks], venueAddedField: 1 });
      expect(r.p.counters.rejectedByCode[`l2Book.${reason}`], reason).toBe(2);
      expect(r.p.counters.rejectedByCode.schema).toBeUndefined();
      // and a sane book through the zod path is applied
      r.send('l2Book', { coin: 'BTC', time: 1_751_427_100_002, levels: [GOOD_BIDS, GOOD_ASKS], extra: true });
      expect(r.read().bookInvalid).toBe(false);
    }
  });

  it('the other coin is not gated; a second valid book emits no BOOK_VALID', () => {
    const r = rig();
    r.book(GOOD_BIDS, GOOD_ASKS, 'BTC');
    r.book(GOOD_BIDS, GOOD_ASKS, 'ETH');
    r.book([L('105')], [L('101')], 'ETH');
    expect(r.read('BTC').bookInvalid).toBe(false);
    expect(r.read('ETH').bookInvalid).toBe(true);
    r.book(GOOD_BIDS, GOOD_ASKS, 'ETH');
    r.book(GOOD_BIDS, GOOD_ASKS, 'ETH');
    const ev = r.p.drainEvents();
    expect(ev.map((e) => e.type)).toEqual(['BOOK_REJECTED', 'BOOK_VALID']);
  });
});

describe('a book frame the parser rejects (wrong shape) gates its coin too', () => {
  const shapes: ReadonlyArray<readonly [string, string, unknown]> = [
    ['l2Book px as a JSON number', 'l2Book', { levels: [[{ px: 100, sz: '1', n: 1 }], [L('101')]] }],
    ['l2Book px in exponent form', 'l2Book', { levels: [[L('1e2')], [L('101')]] }],
    ['l2Book level without sz', 'l2Book', { levels: [[{ px: '100', n: 1 }], [L('101')]] }],
    ['l2Book with one side', 'l2Book', { levels: [[L('100')]] }],
    ['bbo that is not a pair', 'bbo', { bbo: 'none' }],
    ['bbo px NaN', 'bbo', { bbo: [L('NaN'), L('101')] }],
  ];
  for (const [name, channel, body] of shapes) {
    it(`${name}: counted as schema and bookRejected, BOOK_REJECTED malformed, coin gated, book unchanged`, () => {
      const r = rig();
      r.book(GOOD_BIDS, GOOD_ASKS);
      r.p.drainEvents();
      const before = bookFields(r.read().buf);
      const seq = r.send(channel, { coin: 'BTC', time: 1_751_427_100_000, ...(body as object) });
      expect(r.p.counters.rejectedByCode.schema).toBe(1);
      expect(r.p.counters.rejected).toBe(1);
      expect(r.p.counters.bookRejected).toBe(1);
      const ev = r.p.drainEvents();
      expect(ev.map((e) => e.type)).toEqual(['GAP', 'BOOK_REJECTED']);
      expect(ev[1]).toMatchObject({ coin: 'BTC', channel, reason: 'malformed', seq, count: 1 });
      const v = r.read();
      expect(v.bookInvalid).toBe(true);
      expect(bookFields(v.buf)).toEqual(before);
      expect(r.read('ETH').bookInvalid).toBe(false);
      r.book(GOOD_BIDS, GOOD_ASKS);
      expect(r.read().bookInvalid).toBe(false);
    });
  }

  it('without a coin with a slot, only the GAP (nothing to gate, nothing counted twice)', () => {
    const r = rig();
    r.send('l2Book', { coin: 'DOGE', time: 1, levels: 'none' });
    r.send('l2Book', { time: 1, levels: 'none' });
    r.send('l2Book', 'garbage');
    expect(r.p.counters.rejectedByCode.schema).toBe(3);
    expect(r.p.counters.bookRejected).toBe(0);
    expect(r.p.drainEvents().map((e) => e.type)).toEqual(['GAP', 'GAP', 'GAP']);
    expect(r.builder.counters.unknownCoin).toBe(0);
  });
});

describe('bbo sanity through the ingest pipeline', () => {
  const bboCases: ReadonlyArray<readonly [string, string, Lvl | null, Lvl | null]> = [
    ['crossed bbo', 'crossed', L('101.5'), L('100.5')],
    ['locked bbo', 'crossed', L('101'), L('101')],
    ['negative bid px', 'non_positive_px', L('-100'), L('101')],
    ['zero ask sz', 'non_positive_sz', L('100'), L('101', '0')],
    ['non-finite ask px', 'non_finite', null, L(`1${'0'.repeat(400)}`)],
  ];
  for (const [name, reason, bid, ask] of bboCases) {
    it(`${name}: counted as bbo.${reason}, gated until a valid bbo, top of book unchanged`, () => {
      const r = rig();
      r.book(GOOD_BIDS, GOOD_ASKS);
      r.bbo(L('100.25'), L('100.75'));
      r.p.drainEvents();
      const before = bookFields(r.read().buf);
      const seq = r.bbo(bid, ask);
      expect(bookFields(r.read().buf)).toEqual(before);
      expect(r.p.counters.rejectedByCode[`bbo.${reason}`]).toBe(1);
      expect(rejectedEvents(r.p.drainEvents())).toEqual([
        expect.objectContaining({
          type: 'BOOK_REJECTED',
          coin: 'BTC',
          channel: 'bbo',
          reason,
          seq,
          count: 1,
        }),
      ]);
      const v = r.read();
      expect(v.bboRejected).toBe(1);
      expect(v.bookInvalid).toBe(true);
      expect(v.stale(r.clock.now(), 1e9)).toBe(true);
      expect(bookFields(v.buf)).toEqual(before);
      expect(v.mid).toBe(100.5);
      r.bbo(L('100.5'), L('101'));
      expect(r.p.drainEvents()).toEqual([
        expect.objectContaining({ type: 'BOOK_VALID', coin: 'BTC', channel: 'bbo' }),
      ]);
      expect(r.read().bookInvalid).toBe(false);
      expect(r.read().mid).toBe(100.75);
    });
  }

  it('a valid l2Book also clears a bbo gate; a valid bbo does not clear an l2Book gate', () => {
    const r = rig();
    r.book(GOOD_BIDS, GOOD_ASKS);
    r.bbo(L('102'), L('101'));
    expect(r.read().bookInvalid).toBe(true);
    r.book(GOOD_BIDS, GOOD_ASKS);
    expect(r.read().bookInvalid).toBe(false);
    r.book([L('102')], [L('101')]);
    r.bbo(L('100'), L('101'));
    expect(r.read().bookInvalid).toBe(true);
    expect(r.p.drainEvents().map((e) => e.type)).toEqual(['BOOK_REJECTED', 'BOOK_VALID', 'BOOK_REJECTED']);
  });
});

describe('bounded rejection events', () => {
  it('a stream of bad books gives one BOOK_REJECTED per coin and channel per tick, with the count', () => {
    const r = rig();
    r.book(GOOD_BIDS, GOOD_ASKS);
    r.p.drainEvents();
    let last = 0;
    for (let i = 0; i < 500; i++) last = r.book([L('102')], [L('101')]);
    for (let i = 0; i < 300; i++) r.bbo(L('102'), L('101'));
    for (let i = 0; i < 200; i++) r.book([L('1'), L('2')], [L('3')], 'ETH');
    const ev = r.p.drainEvents();
    expect(ev).toHaveLength(3);
    expect(ev[0]).toMatchObject({
      type: 'BOOK_REJECTED',
      coin: 'BTC',
      channel: 'l2Book',
      count: 500,
      seq: last,
    });
    expect(ev[1]).toMatchObject({ type: 'BOOK_REJECTED', coin: 'BTC', channel: 'bbo', count: 300 });
    expect(ev[2]).toMatchObject({ type: 'BOOK_REJECTED', coin: 'ETH', channel: 'l2Book', count: 200 });
    expect(r.p.counters.bookRejected).toBe(1_000);
    expect(r.p.counters.rejectedByCode['l2Book.crossed']).toBe(500);
    expect(r.p.counters.rejectedByCode['l2Book.unsorted']).toBe(200);
    // next tick: a new event, counted afresh
    r.book([L('102')], [L('101')]);
    expect(r.p.drainEvents()).toEqual([expect.objectContaining({ type: 'BOOK_REJECTED', count: 1 })]);
  });

  it('valid and bad interleaved in one tick: the last event per coin says where it ended', () => {
    const r = rig();
    r.book(GOOD_BIDS, GOOD_ASKS);
    r.p.drainEvents();
    for (let i = 0; i < 50; i++) {
      r.book([L('102')], [L('101')]);
      r.book(GOOD_BIDS, GOOD_ASKS);
    }
    r.book([L('102')], [L('101')]);
    const ev = r.p.drainEvents();
    expect(ev.map((e) => e.type)).toEqual(['BOOK_VALID', 'BOOK_REJECTED']);
    expect(ev[1]).toMatchObject({ count: 51 });
    expect(ev[0]).toMatchObject({ count: 50 });
    expect(r.read().bookInvalid).toBe(true);
  });
});

describe('property: whatever arrives, hot state holds only a sane book, and the gate follows the rules', () => {
  type Kind =
    | 'ok'
    | 'crossed'
    | 'non_positive_px'
    | 'non_positive_sz'
    | 'non_finite'
    | 'unsorted'
    | 'duplicate_level';
  const BOOK_KINDS: readonly Kind[] = [
    'ok',
    'crossed',
    'non_positive_px',
    'non_positive_sz',
    'non_finite',
    'unsorted',
    'duplicate_level',
  ];
  const BBO_KINDS: readonly Kind[] = ['ok', 'crossed', 'non_positive_px', 'non_positive_sz', 'non_finite'];
  const HUGE = `1${'0'.repeat(400)}`;

  /** A sane book: `nb`/`na` levels at distinct tick prices around `mid`, bids below asks. */
  function saneBook(mid: number, nb: number, na: number, step: number): [Lvl[], Lvl[]] {
    const bids: Lvl[] = [];
    const asks: Lvl[] = [];
    for (let i = 0; i < nb; i++) bids.push(L(String(mid - 1 - i * step), String(1 + i)));
    for (let i = 0; i < na; i++) asks.push(L(String(mid + 1 + i * step), String(2 + i)));
    return [bids, asks];
  }

  /** Break a sane book in exactly the way `kind` names (at level `at` of side `side`). */
  function corrupt(
    kind: Kind,
    [bids, asks]: [Lvl[], Lvl[]],
    side: 0 | 1,
    at: number,
    variant: number,
  ): [Lvl[], Lvl[]] {
    const lv = side === 0 ? bids : asks;
    const i = Math.min(at, lv.length - 2);
    switch (kind) {
      case 'crossed':
        bids[0] = L(String(Number(asks[0]!.px) + variant), '1'); // variant = 0: locked
        break;
      case 'non_positive_px':
        lv[i] = L(variant === 0 ? '0' : `-${lv[i]!.px}`, lv[i]!.sz);
        break;
      case 'non_positive_sz':
        lv[i] = L(lv[i]!.px, variant === 0 ? '0' : '-0.5');
        break;
      case 'non_finite':
        lv[i] = variant === 0 ? L(HUGE, lv[i]!.sz) : L(lv[i]!.px, HUGE);
        break;
      case 'unsorted': {
        const x = lv[i]!;
        lv[i] = lv[i + 1]!;
        lv[i + 1] = x;
        break;
      }
      case 'duplicate_level':
        lv[i + 1] = L(`${lv[i]!.px}.0`, '1');
        break;
      default:
        break;
    }
    return [bids, asks];
  }

  const step = fc.record({
    channel: fc.constantFrom<'l2Book' | 'bbo'>('l2Book', 'bbo'),
    kind: fc.nat({ max: 99 }),
    mid: fc.integer({ min: 50, max: 5_000 }),
    nb: fc.integer({ min: 2, max: 12 }),
    na: fc.integer({ min: 2, max: 12 }),
    gap: fc.integer({ min: 1, max: 5 }),
    side: fc.constantFrom<0 | 1>(0, 1),
    at: fc.nat({ max: 11 }),
  });

  it('holds over random streams of good and broken books and bbos', () => {
    const reach: Record<string, number> = {};
    let steps = 0;
    let gatedSteps = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (msgs) => {
        const r = rig();
        let bookGate = false;
        let bboGate = false;
        const want: Record<string, number> = {};
        for (const m of msgs) {
          const kinds = m.channel === 'l2Book' ? BOOK_KINDS : BBO_KINDS;
          // half the messages are good, the rest spread over the ways to break one
          const kind: Kind = m.kind < 50 ? 'ok' : kinds[1 + (m.kind % (kinds.length - 1))]!;
          const before = bookFields(r.read().buf);
          const sane = saneBook(m.mid, m.nb, m.na, m.gap);
          const [bids, asks] =
            kind === 'ok' ? sane : corrupt(kind, sane, m.side, m.channel === 'bbo' ? 0 : m.at, m.at % 2);
          if (m.channel === 'l2Book') r.book(bids, asks);
          else r.bbo(bids[0]!, asks[0]!);
          steps++;
          if (kind === 'ok') {
            bookGate = m.channel === 'l2Book' ? false : bookGate;
            bboGate = false;
          } else {
            if (m.channel === 'l2Book') bookGate = true;
            else bboGate = true;
            const code = `${m.channel}.${kind}`;
            want[code] = (want[code] ?? 0) + 1;
            reach[code] = (reach[code] ?? 0) + 1;
          }
          const v = r.read();
          expect(v.bookInvalid).toBe(bookGate || bboGate);
          expect(v.stale(r.clock.now(), 1e9)).toBe(bookGate || bboGate);
          if (bookGate || bboGate) gatedSteps++;
          if (kind !== 'ok') expect(bookFields(v.buf)).toEqual(before);
          // whatever is in the slot is a sane book
          if (v.bestBid > 0 && v.bestAsk > 0) expect(v.bestBid).toBeLessThan(v.bestAsk);
          for (let i = 1; i < v.bidLevels && i < 10; i++) expect(v.bidPx(i)).toBeLessThan(v.bidPx(i - 1));
          for (let i = 1; i < v.askLevels && i < 10; i++) expect(v.askPx(i)).toBeGreaterThan(v.askPx(i - 1));
          for (let i = 0; i < v.bidLevels && i < 10; i++) expect(v.bidSz(i)).toBeGreaterThan(0);
          for (let i = 0; i < v.askLevels && i < 10; i++) expect(v.askSz(i)).toBeGreaterThan(0);
        }
        for (const [code, n] of Object.entries(want)) expect(r.p.counters.rejectedByCode[code]).toBe(n);
        // the events name every rejection: their counts add up
        const ev = r.p.drainEvents().filter((e) => e.type === 'BOOK_REJECTED');
        const total = Object.values(want).reduce((a, b) => a + b, 0);
        expect(ev.reduce((a, e) => a + e.count, 0)).toBe(total);
        expect(r.p.counters.bookRejected).toBe(total);
      }),
      { numRuns: 300, seed: 20_6 },
    );
    console.log(
      `book sanity property: ${steps} messages, ${gatedSteps} while gated; rejections by reason`,
      reach,
    );
    // reach: every way to break an l2Book and a bbo was exercised
    for (const k of BOOK_REJECT_REASONS)
      if (k !== 'malformed') expect(reach[`l2Book.${k}`] ?? 0).toBeGreaterThan(20);
    for (const k of BBO_KINDS.slice(1)) expect(reach[`bbo.${k}`] ?? 0).toBeGreaterThan(20);
    expect(gatedSteps).toBeGreaterThan(steps / 4);
  });
});
