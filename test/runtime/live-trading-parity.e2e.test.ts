/**
 * Live-trading parity (issue 16's done-when): a `--live-trading` run of the whole system against the
 * simulator's `/exchange` — signed orders over WS post, fills on the private streams — then two replays of
 * its journal: the three decision logs are byte-identical and the final positions equal.
 *
 * The orders come from the decision side itself: the process "restarts" with a long BTC position (the
 * ledger recovered into its run.start; the simulated account holds it too), so its first tick flattens it
 * and halts, closing through the live venue with scripted venue faults on the way:
 *  1. the first close is rejected by the venue (an error status);
 *  2. the second fills partially (Ioc remainder canceled) and the private-stream connection drops as it
 *     fills: the fill is pushed to nobody, the venue reconnects and its REST reconciliation recovers it;
 *  3. the third fills partially and both the connection carrying its answer and the private streams drop:
 *     the venue reports a timeout, execution asks to cancel an order that has already ended at the venue (a
 *     cancel race), and the fill and the remainder's cancel come back through the reconnect's reconciliation;
 *  4. the fourth closes the rest.
 * Every one of those answers is a journaled input the replays apply at the same ticks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../actors/journal/reader.ts';
import { SystemClock as JournalClock } from '../../actors/journal/system-clock.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { restoreLedger } from '../../actors/execution/positions.ts';
import { createLiveVenue, type LiveVenue } from '../../actors/venue/live/venue.ts';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import {
  firstRunInfo,
  RestoreBuilder,
  recoverFromJournal,
  replayJournal,
  restoreFromDataDir,
} from '../../replay/replay-journal.ts';
import { SystemClock } from '../../runtime/clocks.ts';
import { recordedConfig } from '../../runtime/commands/common.ts';
import { parseConfig } from '../../runtime/config.ts';
import { PrivateKeyHolder } from '../../runtime/secrets.ts';
import { type RunningSystem, startSystem } from '../../runtime/system.ts';
import { type SimServer, startSim } from '../../sim/server.ts';
import { bytesJson, type JournalRecord, RecordKind } from '../../state/records.ts';
import { ADDR_A, KEY_A } from '../live/rig.ts';

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const clock = new SystemClock();
  const t0 = clock.now();
  while (!cond()) {
    if (clock.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
  }
}

const SIZE = 0.03;
const PART = 0.01;

describe('live-trading parity: a --live-trading run against the simulator /exchange, replayed twice', () => {
  const dir = mkdtempSync(join(tmpdir(), 'live-parity-'));
  const journalDir = join(dir, 'journal');
  const input = { dataDir: dir, coins: ['BTC'], shutdown: { flatten: true } };
  const config = parseConfig(input);
  /** The live run's decision lines and what it recovered at start (shared with the crash case below). */
  const live: DecisionLine[] = [];
  let restore: unknown[] = [];
  let sim: SimServer | null = null;
  let venue: LiveVenue | null = null;
  let system: RunningSystem | null = null;
  afterAll(async () => {
    await system?.stop();
    await venue?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('three decision logs byte-identical, equal final positions; rejects, partial fills, a cancel race and a reconnect with reconciliation on the way', async () => {
    const clock = new SystemClock();
    sim = await startSim({
      seed: 5,
      scenario: 'sideways',
      speed: 1,
      clock,
      coins: ['BTC'],
      accounts: [{ address: ADDR_A, equity: 100_000 }],
    });
    const s = sim;
    const mid = (s.engine.market('BTC').bids[0]!.p + s.engine.market('BTC').asks[0]!.p) / 2;
    const px = mid * s.engine.market('BTC').tick;
    s.exchange.seedPosition(ADDR_A, 'BTC', SIZE, px);

    /** The open connection that has carried frames of `channel` (private streams: userFills; WS post: post). */
    const connWith = (channel: string) =>
      s
        .stats()
        .connections.find(
          (c) => c.open && (c.framesByChannel[channel] ?? 0) > 0 && c.framesByChannel.l2Book === undefined,
        );
    const drop = (channel: string) => () => {
      const c = connWith(channel);
      if (c === undefined) throw new Error(`no open connection with ${channel} frames`);
      s.faults.terminate(c.id);
    };
    s.exchange.scriptOrder({ kind: 'reject', message: 'Insufficient margin to place order. asset=0' });
    s.exchange.scriptOrder({ kind: 'partial', maxSz: PART, afterPlace: drop('userFills') });
    s.exchange.scriptOrder({
      kind: 'partial',
      maxSz: PART,
      afterPlace: () => {
        drop('post')();
        drop('userFills')();
      },
    });

    venue = await createLiveVenue({
      liveTrading: true,
      clock,
      key: new PrivateKeyHolder(KEY_A, 'test'),
      isMainnet: false,
      httpUrl: s.httpUrl,
      wsUrl: s.wsUrl,
      fetch: (url, init) => fetch(url, init),
      signer: 'inline',
    });
    const v = venue;
    const decisionsFile = join(dir, 'decisions.jsonl');
    // what a restart recovers: the ledger of a long BTC position (the account at the venue holds it too)
    restore = [
      {
        kind: 'position',
        cause: {
          type: 'fill',
          fill: {
            coin: 'BTC',
            strategy: 'geometry',
            side: 'BUY',
            px,
            sz: SIZE,
            fee: 0,
            time: clock.now() - 60_000,
            clientId: 'before',
          },
        },
      },
    ];
    system = await startSystem({
      config,
      url: s.wsUrl,
      clock,
      journalDir,
      decisionsFile,
      logger: pino({ level: 'silent' }),
      venue: v,
      restore,
      run: { coins: ['BTC'], venue: 'live', network: 'sim', config: input },
      onLine: (l) => live.push(l),
    });
    const sys = system;
    const acct = s.exchange.account(ADDR_A)!;
    await until(
      () =>
        s.exchange.orderFaults.length === 0 &&
        acct.position('BTC') === 0 &&
        (sys.engine()?.execution.positions().positions.length ?? 1) === 0,
      'the recovered position closed at the venue and in the ledger',
    );
    await until(() => v.state === 'ready', 'the venue ready again');
    // two more ticks: every answer journaled before them has been applied
    const ticks = sys.summary().ticks;
    await until(() => sys.summary().ticks >= ticks + 2, 'two more ticks');
    const summary = await sys.stop();
    system = null;
    const livePositions = sys.engine()!.execution.positions();
    expect(livePositions.positions).toEqual([]);
    expect(sys.engine()!.execution.tradingState()).toBe('HALTED');
    expect(summary.venueReports?.unjournaled).toBe(0);
    expect(summary.badTickItems).toBe(0);

    // what the venue went through (the reach of this test)
    const byChannel: Record<string, number> = {};
    // how long each answer waited in the journal for the tick that applied it (journal time)
    let waiting: number[] = [];
    let maxWaitMs = 0;
    for (const { record } of readJournal(journalDir, { onCorrupt: () => {} })) {
      if (record.kind === RecordKind.Venue) {
        byChannel[record.channel] = (byChannel[record.channel] ?? 0) + 1;
        waiting.push(record.time);
      } else if (record.kind === RecordKind.Tick) {
        for (const t of waiting) maxWaitMs = Math.max(maxWaitMs, record.time - t);
        waiting = [];
      }
    }
    expect(waiting).toEqual([]); // every answer was followed by a tick
    // tracked per source: the inlet stamped every venue answer as the venue's, and the summary says so
    const venueRecords = Object.values(byChannel).reduce((a, b) => a + b, 0);
    expect(summary.sources.venue).toMatchObject({
      records: venueRecords,
      journaled: venueRecords,
      unjournaled: 0,
    });
    expect(summary.sources.venue?.connection).toBeDefined();
    expect(summary.sources.feed!.records).toBeGreaterThan(100);
    expect(summary.sources.local!.records).toBeGreaterThan(10);
    const reach = {
      venueRecords: byChannel,
      scripted: s.exchange.faultsApplied,
      reconciles: v.counters.reconciles,
      recoveredFills: v.counters.recoveredFills,
      duplicateFills: v.counters.duplicateFills,
      snapshots: v.counters.snapshots,
      timeouts: v.counters.timeouts,
      statusLookups: v.counters.statusLookups,
      fills: v.counters.fills,
      liveLines: live.length,
      journaled: summary.venueReports?.journaled,
      maxWaitMs: Math.round(maxWaitMs * 10) / 10,
      delivered: summary.venueReports?.delivered,
    };
    console.log(`live-trading parity reach: ${JSON.stringify(reach)}`);
    expect(s.exchange.faultsApplied).toEqual({ reject: 1, partial: 2 });
    // an answer asks for a tick at once: it does not wait for the next timer tick (every 1 000 ms)
    expect(maxWaitMs).toBeLessThan(config.control.tickMs / 4);
    expect(byChannel.rejected ?? 0).toBeGreaterThanOrEqual(1);
    expect(byChannel.fill ?? 0).toBeGreaterThanOrEqual(3);
    expect(byChannel.canceled ?? 0).toBeGreaterThanOrEqual(2);
    expect(byChannel.timeout ?? 0).toBeGreaterThanOrEqual(1);
    expect(v.counters.reconciles).toBeGreaterThanOrEqual(3);
    // the fills made while the streams were down came back with the reconnect (snapshot or REST), once each
    expect(v.counters.reconcileFillsReturned).toBeGreaterThanOrEqual(1);
    expect(v.counters.snapshots).toBeGreaterThanOrEqual(3);
    expect(v.counters.fills).toBe(acct.fills.length);
    // every journaled answer was applied live, at a tick
    expect(summary.venueReports?.delivered).toBe(summary.venueReports?.journaled);
    // the decision side asked for the cancel of the timed-out order (the race)
    expect(live.some((l) => l.kind === 'exec.order' && l.event === 'cancelRequest')).toBe(true);
    expect(live.filter((l) => l.kind === 'exec.fill').length).toBeGreaterThanOrEqual(3);

    // two replays of the journal: the recorded run's config, the venue's journaled answers
    const liveText = readFileSync(decisionsFile, 'utf8');
    expect(liveText).toBe(live.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const replays = [0, 1].map(() => {
      const out: string[] = [];
      const r = replayJournal({
        dir: journalDir,
        config: engineConfigFrom(config),
        configFor: (run) => engineConfigFrom(recordedConfig(run)),
        out: (l) => out.push(`${JSON.stringify(l)}\n`),
      });
      return { text: out.join(''), r };
    });
    for (const { text, r } of replays) {
      expect(r.versionMismatches).toBe(0);
      expect(r.undeliveredReports).toBe(0);
      expect(r.venue).not.toBeNull();
      expect(r.venue!.counters.mismatches, r.venue!.mismatchNotes.join('\n')).toBe(0);
      expect(r.venue!.unmatched()).toEqual({ replay: 0, live: 0 });
      expect(r.venue!.counters.compared).toBeGreaterThanOrEqual(5);
      expect(r.venue!.counters.delivered).toBe(summary.venueReports?.delivered);
      expect(r.engine!.execution.positions()).toEqual(livePositions);
      expect(text.length).toBe(liveText.length);
      expect(text === liveText).toBe(true);
    }
    expect(replays[0]!.text === replays[1]!.text).toBe(true);
    // the run.start record names the venue and the config it ran with
    expect(firstRunInfo(journalDir)).toMatchObject({ venue: 'live', coins: ['BTC'], config: input });
  }, 120_000);

  it("a replay that leaves the live run's path is flagged: other exit slippage, other limit prices, counted mismatches", () => {
    expect(live.length).toBeGreaterThan(0);
    const r = replayJournal({
      dir: journalDir,
      config: engineConfigFrom(config),
      configFor: (run) => {
        const c = engineConfigFrom(recordedConfig(run));
        return { ...c, risk: { ...c.risk, exitSlippageBps: c.risk.exitSlippageBps + 25 } };
      },
      out: () => {},
    });
    expect(r.venue).not.toBeNull();
    expect(r.venue!.counters.mismatches).toBeGreaterThanOrEqual(1);
    expect(r.venue!.mismatchNotes[0]).toMatch(
      /^ask \d+: live submit .*limitPx=\d+.*; replay submit .*limitPx=\d+/,
    );
  });

  it('a crash of that live run (its journal cut before the shutdown): restart recovery replays it against the journaled answers', async () => {
    expect(live.length).toBeGreaterThan(0);
    const records: JournalRecord[] = [];
    for (const { record } of readJournal(journalDir, { onCorrupt: () => {} })) records.push(record);
    const isShutdown = (r: JournalRecord) =>
      r.kind === RecordKind.Decision &&
      r.channel === 'operator' &&
      bytesJson<{ type?: unknown }>(r.data).type === 'SHUTDOWN';
    const cut = records.findIndex(isShutdown);
    expect(cut).toBeGreaterThan(0);
    // what a SIGKILL just before the shutdown leaves: every record before it, durable
    const crashDir = join(dir, 'crashed');
    const w = new JournalWriter({ dir: crashDir, clock: new JournalClock() });
    for (const r of records.slice(0, cut)) w.append(r);
    await w.close();

    const configFor = (run: Parameters<typeof recordedConfig>[0] | null) =>
      engineConfigFrom(run ? recordedConfig(run) : config);
    const recovered = recoverFromJournal(crashDir, configFor);
    // the live run's own chain up to the shutdown: its restore, then what its decision lines say
    const expected = new RestoreBuilder();
    expected.runStart(restore);
    const end = live.findIndex((l) => l.kind === 'operator.applied' && l.command === 'SHUTDOWN');
    expect(end).toBeGreaterThan(0);
    for (const l of live.slice(0, end)) expected.line(l);
    const fills = expected.records().filter((r) => (r as { kind?: unknown }).kind === 'position').length;
    expect(fills).toBeGreaterThanOrEqual(4); // the recovered position and the closing fills
    expect(JSON.stringify(recovered.records())).toBe(JSON.stringify(expected.records()));
    expect(recovered.trading()?.state).toBe('HALTED');
    expect(Object.keys(restoreLedger(recovered.records()).ledger.positions)).toEqual([]);

    // the same crashed run as a run across midnight leaves it: its run.start in one day folder, the rest in
    // the next. Replayed as one stream it is the same run; a restart recovers what it recovers from one folder
    const root = join(dir, 'data', 'journal');
    const tick = records.findIndex((r, i) => i > cut / 2 && r.kind === RecordKind.Tick);
    const days = [join(root, '2026-11-20'), join(root, '2026-11-21')];
    for (const [d, part] of [
      [days[0]!, records.slice(0, tick)],
      [days[1]!, records.slice(tick, cut)],
    ] as const) {
      const dw = new JournalWriter({ dir: d, clock: new JournalClock() });
      for (const r of part) dw.append(r);
      await dw.close();
    }
    const overMidnight = restoreFromDataDir(root, Date.parse('2026-11-21T12:00:00Z'), configFor);
    expect(overMidnight.dir).toBe(days[0]);
    expect(JSON.stringify(overMidnight.records)).toBe(JSON.stringify(expected.records()));
    const one: string[] = [];
    const two: string[] = [];
    replayJournal({
      dir: crashDir,
      config: engineConfigFrom(config),
      configFor,
      out: (l) => one.push(JSON.stringify(l)),
    });
    const r2 = replayJournal({
      dir: days,
      config: engineConfigFrom(config),
      configFor,
      out: (l) => two.push(JSON.stringify(l)),
    });
    expect(r2.versionMismatches).toBe(0);
    expect(r2.venue!.counters.mismatches).toBe(0);
    expect(two.length).toBeGreaterThan(0);
    expect(two.join('\n') === one.join('\n')).toBe(true);
  }, 60_000);
});
