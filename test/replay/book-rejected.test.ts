/**
 * A rejected book reaches the decision log (issue 20, defect 6): the pipeline's BOOK_REJECTED / BOOK_VALID
 * events become `book.rejected` / `book.valid` decision records (journaled with the others), and the coin is
 * gated (its slot reads stale) until a valid book arrives.
 */
import { describe, expect, it } from 'vitest';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import { DecisionFeed } from '../../replay/replay-journal.ts';
import { parseConfig } from '../../runtime/config.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';

const T = 1_751_427_259_000;
const book = (time: number, bid: string, ask: string) =>
  jsonBytes({
    channel: 'l2Book',
    data: {
      coin: 'BTC',
      time,
      levels: [[{ px: bid, sz: '1.0', n: 1 }], [{ px: ask, sz: '1.0', n: 1 }]],
    },
  });

describe('rejected books in the decision log', () => {
  it('a crossed book: book.rejected with its reason, the coin stale; a valid one: book.valid', () => {
    const lines: DecisionLine[] = [];
    const feed = new DecisionFeed(engineConfigFrom(parseConfig({ network: 'sim', coins: ['BTC'] })), (l) =>
      lines.push(l),
    );
    let seq = 1;
    const frame = (t: number, data: Uint8Array) =>
      feed.record({ seq: seq++, time: t, epoch: 1, kind: RecordKind.Frame, channel: 'l2Book', data });
    const tick = (t: number) =>
      feed.record({
        seq: seq++,
        time: t,
        epoch: 0,
        kind: RecordKind.Tick,
        channel: 'tick',
        data: jsonBytes({ cause: 'timer', version: -1 }),
      });
    frame(T, book(T, '100000', '100001'));
    tick(T + 10);
    expect(feed.engine!.viewOf('BTC')!.bookInvalid).toBe(false);
    frame(T + 500, book(T + 500, '100002', '100001')); // bid above ask
    tick(T + 600);
    const rejected = lines.filter((l) => l.kind === 'book.rejected');
    expect(rejected).toEqual([
      expect.objectContaining({ coin: 'BTC', channel: 'l2Book', reason: 'crossed', count: 1 }),
    ]);
    expect(feed.engine!.viewOf('BTC')!.bookInvalid).toBe(true);
    expect(feed.engine!.viewOf('BTC')!.stale(T + 600, 3_000)).toBe(true);
    frame(T + 1000, book(T + 1000, '100000', '100001'));
    tick(T + 1100);
    expect(lines.filter((l) => l.kind === 'book.valid')).toEqual([
      expect.objectContaining({ coin: 'BTC', channel: 'l2Book' }),
    ]);
    expect(feed.engine!.viewOf('BTC')!.bookInvalid).toBe(false);
  });
});
