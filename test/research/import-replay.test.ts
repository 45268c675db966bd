/**
 * An import replays as the recording it stands for: a simulator session journaled as a live recorder does
 * (`simSession`), and the same frames written as hftbacktest collector files (`<recv_ns> <frame>` gzip, one per
 * coin) and imported, give the same decision log through the whole decision side — frames at the same times,
 * control ticks at the same times, the same hot state.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { journalDays } from '../../actors/journal/days.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { engineConfigFrom } from '../../decision/engine.ts';
import { replayJournal } from '../../replay/replay-journal.ts';
import { simSession } from '../../replay/sim-session.ts';
import { importFiles } from '../../research/import/import.ts';
import { parseConfig } from '../../runtime/config.ts';
import { ManualClock } from '../../state/clock.ts';
import { type JournalRecord, RecordKind } from '../../state/records.ts';
import { nsOf } from './import-files.ts';

const root = mkdtempSync(join(tmpdir(), 'import-replay-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('an imported recording replays like the recording', () => {
  it('the same decision-side state at every tick and the same decision log as the recorder journal of the same frames', async () => {
    const coins = ['BTC', 'ETH'];
    const config = engineConfigFrom(parseConfig({ coins }));
    const liveDir = join(root, 'live', '2025-11-24');
    mkdirSync(liveDir, { recursive: true });
    const writer = new JournalWriter({ dir: liveDir, clock: new ManualClock(0) });
    const recorded: JournalRecord[] = [];
    const dec = new TextDecoder();
    const perCoin = new Map<string, string[]>();
    simSession({
      seed: 21,
      scenario: 'default',
      coins,
      tickMs: config.tickMs,
      durationMs: 8 * 60_000,
      latencyMs: 0.25,
      channels: ['l2Book', 'bbo', 'trades', 'activeAssetCtx'],
      onRecord: (rec) => {
        const copy = { ...rec, data: rec.data.slice() };
        recorded.push(copy);
        writer.append(copy);
        if (rec.kind !== RecordKind.Frame) return;
        const text = dec.decode(rec.data);
        const f = JSON.parse(text) as { data: { coin?: string } | Array<{ coin: string }> };
        const coin = Array.isArray(f.data) ? f.data[0]!.coin : f.data.coin!;
        const day = new Date(rec.time).toISOString().slice(0, 10).replaceAll('-', '');
        const k = `${coin.toLowerCase()}_${day}.gz`;
        const l = perCoin.get(k) ?? [];
        l.push(`${nsOf(rec.time)} ${text}`);
        perCoin.set(k, l);
      },
    });
    await writer.close();
    const files = [...perCoin].map(([name, lines]) => {
      const p = join(root, 'collector', name);
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, gzipSync(`${lines.join('\n')}\n`));
      return p;
    });
    const dataDir = join(root, 'imported');
    const report = await importFiles({
      inputs: files.map((path) => ({ format: 'hftbacktest' as const, path })),
      dataDir,
      clock: new ManualClock(0),
      tickMs: config.tickMs,
    });
    const frames = recorded.filter((r) => r.kind === RecordKind.Frame);
    const ticks = recorded.filter((r) => r.kind === RecordKind.Tick).map((r) => r.time);
    expect(report.frames).toBe(frames.length);
    expect(report.corrupt.lines).toBe(0);
    // the imported ticks are the recorder's (the recorder's first tick falls before the first frame)
    expect(report.journal.ticks).toBe(ticks.filter((t) => t >= frames[0]!.time).length);

    const replay = (dir: string | string[]) => {
      const out: string[] = [];
      const snaps: string[] = [];
      const r = replayJournal({
        dir,
        config,
        out: (l) => out.push(JSON.stringify(l)),
        // the decision side's view at every tick: books, mids, regime inputs, health and channel ages
        onTick: (engine, time) => snaps.push(JSON.stringify(engine.snapshot(time))),
      });
      return { out, snaps, r };
    };
    const live = replay(liveDir);
    const imported = replay(journalDays(dataDir));
    expect(imported.r.frames).toBe(live.r.frames);
    expect(imported.r.pipeline.counters.applied).toBe(live.r.pipeline.counters.applied);
    expect(imported.r.pipeline.counters.rejected).toBe(0);
    // after the import's first tick (the recorder ticked once before the first frame: there its engine started,
    // and the import's starts one tick later — the start lines differ in time only)
    const t0 = Math.ceil(frames[0]!.time / config.tickMs) * config.tickMs;
    const from = (lines: string[]) => lines.filter((l) => (JSON.parse(l) as { t: number }).t > t0);
    expect(from(live.out).length).toBeGreaterThan(0);
    expect(from(imported.out)).toEqual(from(live.out));
    // the view at every tick once health has validated (the 5 s warm-up's text counts from each engine's start)
    const tickFrom = (snaps: string[]) =>
      snaps.filter((x) => (JSON.parse(x) as { time: number }).time > t0 + 5000);
    const a = tickFrom(imported.snaps);
    const b = tickFrom(live.snaps);
    expect(a.length).toBe(report.journal.ticks - 6);
    expect(b.length).toBe(a.length);
    expect(a.filter((x, i) => x !== b[i]).length).toBe(0);
    expect(a[0]).toMatch(/"level":"HEALTHY"/);
    expect(imported.snaps.at(-1)).toMatch(/"mid":\d/);
    console.log(
      `import replay: ${report.frames} frames, ${report.journal.ticks} ticks; ${a.length} tick snapshots and ${from(live.out).length} decision line(s) identical to the recorded journal's`,
    );
  }, 120_000);
});
