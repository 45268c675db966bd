/**
 * Replay validation on a journal recorded from the simulator (made at test time): determinism, and no
 * leakage — truncating the journal after time t, or altering every record after t, never changes any
 * decision at or before t.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import { DecisionFeed, replayJournal } from '../../replay/replay-journal.ts';
import { simSession } from '../../replay/sim-session.ts';
import { parseConfig } from '../../runtime/config.ts';
import { ManualClock } from '../../state/clock.ts';
import { type JournalRecord, RecordKind } from '../../state/records.ts';

const config = engineConfigFrom(parseConfig({}));
const dir = mkdtempSync(join(tmpdir(), 'leak-'));
const records: JournalRecord[] = [];
const live: string[] = [];

beforeAll(async () => {
  // a "live" run: the decision side fed record by record as the recorder journals them
  const clock = new ManualClock(0);
  const writer = new JournalWriter({ dir, clock });
  const feed = new DecisionFeed(config, (l) => live.push(JSON.stringify(l)));
  simSession({
    seed: 3,
    scenario: 'sideways',
    coins: [...config.coins],
    tickMs: config.tickMs,
    durationMs: 75 * 60_000, // 1 h warm-up + 15 min of SIDEWAYS trading
    onRecord: (rec) => {
      const copy = { ...rec, data: rec.data.slice() };
      records.push(copy);
      writer.append(copy);
      feed.record(copy);
    },
  });
  await writer.close();
  expect(live.some((l) => l.includes('"to":"ENTERED"'))).toBe(true);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function replay(opts: { toTime?: number; alter?: (r: JournalRecord) => JournalRecord } = {}): string[] {
  if (!opts.alter) {
    const out: string[] = [];
    const o: Parameters<typeof replayJournal>[0] = { dir, config, out: (l) => out.push(JSON.stringify(l)) };
    if (opts.toTime !== undefined) o.toTime = opts.toTime;
    replayJournal(o);
    return out;
  }
  const out: string[] = [];
  const feed = new DecisionFeed(config, (l: DecisionLine) => out.push(JSON.stringify(l)));
  for (const r of records) feed.record(opts.alter(r));
  return out;
}

/**
 * The untouched full replay, computed once: the determinism test replays a second time and compares, so
 * the leakage tests compare their cut or altered replays against this one (it equals every other full replay).
 */
let fullMemo: string[] | null = null;
const fullReplay = (): string[] => (fullMemo ??= replay());

const atOrBefore = (lines: string[], t: number) =>
  lines.filter((l) => (JSON.parse(l) as { t: number }).t <= t);

describe('replay validation', () => {
  it('determinism: two replays of the journal give identical decision logs, equal to the live run', () => {
    const a = fullReplay();
    const b = replay();
    expect(a.length).toBeGreaterThan(50);
    expect(b).toEqual(a);
    expect(a).toEqual(live);
  }, 120_000);

  it('no leakage: truncating after t never changes a decision at or before t', () => {
    const full = fullReplay();
    const entries = full
      .map((l) => JSON.parse(l) as { t: number; kind: string; to?: string })
      .filter((l) => l.to === 'ENTERED');
    const times = [entries[0]!.t, entries.at(-1)!.t, records[Math.floor(records.length * 0.9)]!.time];
    for (const t of times) {
      const cut = replay({ toTime: t });
      expect(atOrBefore(cut, t)).toEqual(atOrBefore(full, t));
    }
  }, 180_000);

  it('no leakage: altering every record after t (prices, OI, trades) never changes a decision at or before t', () => {
    const full = fullReplay();
    const first = full
      .map((l) => JSON.parse(l) as { t: number; to?: string })
      .find((l) => l.to === 'ENTERED')!;
    const t = first.t;
    const enc = new TextEncoder();
    const dec = new TextDecoder();
    const altered = replay({
      alter: (r) => {
        if (r.time <= t || r.kind !== RecordKind.Frame) return r;
        // scale every price and size after t: a completely different future
        const text = dec
          .decode(r.data)
          .replace(
            /"(px|sz|markPx|oraclePx|openInterest|funding)":"([0-9.]+)"/g,
            (_, k, v) => `"${k}":"${(Number(v) * 1.37).toPrecision(5)}"`,
          );
        return { ...r, data: enc.encode(text) };
      },
    });
    expect(altered).not.toEqual(full);
    expect(atOrBefore(altered, t)).toEqual(atOrBefore(full, t));
  }, 180_000);
});
