/**
 * `runtime import` on files in the exact historical formats, generated at test time from the simulator (real
 * LZ4 frames and gzip, `import-files.ts`), and on the real hftbacktest collector sample: round trip to the
 * journal (every frame, its time, its order across coins and files, the source tag), the coverage report
 * (range, counts, missing hours, what the data cannot provide), corrupt lines counted and skipped, and replay
 * over the imported data dir.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { compressFrameSync, compressSync } from 'lz4-napi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalDays, readDays } from '../../actors/journal/days.ts';
import { engineConfigFrom } from '../../decision/engine.ts';
import { parseServerFrame } from '../../hyperliquid/parse.ts';
import { replayJournal } from '../../replay/replay-journal.ts';
import { nsToMs, parseIsoTime, plainDecimal } from '../../research/import/formats.ts';
import { ImportError, type ImportInput, importFiles } from '../../research/import/import.ts';
import { Lz4FormatError, lz4Decode } from '../../research/import/lz4.ts';
import { parseConfig } from '../../runtime/config.ts';
import { ManualClock } from '../../state/clock.ts';
import { type JournalRecord, RecordKind } from '../../state/records.ts';
import { type SimHistory, writeSimHistory } from './import-files.ts';

const SAMPLE = '/work/shared/fixtures/hyperliquid/hftbacktest/btcusd_20250126.gz';
const H = 3_600_000;
/** 2025-11-24 22:00 UTC: the data crosses midnight into 2025-11-25. */
const T22 = Date.UTC(2025, 10, 24, 22);
const COINS = ['BTC', 'ETH'];

const root = mkdtempSync(join(tmpdir(), 'import-'));
let hist: SimHistory;
let n = 0;
const fresh = () => join(root, `data-${n++}`);

beforeAll(() => {
  // three stretches of 3 min at the end of 22:00, the start of 00:00 and of 01:00: hour 23 has no data at all,
  // and ETH's books of hour 00 are left out of the archive (a hole of one coin)
  hist = writeSimHistory(join(root, 'src'), {
    seed: 11,
    coins: COINS,
    segments: [
      { startTime: T22 + 57 * 60_000, durationMs: 180_000 },
      { startTime: T22 + 2 * H, durationMs: 180_000 },
      { startTime: T22 + 3 * H, durationMs: 180_000 },
    ],
    drop: [{ hour: T22 + 2 * H, coin: 'ETH' }],
  });
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function journalOf(dataDir: string): JournalRecord[] {
  return [...readDays(journalDays(dataDir))].map((e) => e.record);
}

const dec = new TextDecoder();
const framesOf = (recs: JournalRecord[]) => recs.filter((r) => r.kind === RecordKind.Frame);
const clock = () => new ManualClock(0);

async function run(inputs: ImportInput[], extra: Partial<Parameters<typeof importFiles>[0]> = {}) {
  const dataDir = fresh();
  const report = await importFiles({ inputs, dataDir, clock: clock(), ...extra });
  return { dataDir, report, records: journalOf(dataDir) };
}

// ---------------------------------------------------------------------------------------------------- lz4

async function decodeAll(buf: Buffer, chunk: number): Promise<Buffer> {
  async function* src() {
    for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk);
  }
  const out: Buffer[] = [];
  for await (const b of lz4Decode(src())) out.push(b);
  return Buffer.concat(out);
}

describe('LZ4 frames, streamed', () => {
  const text = Buffer.from(
    Array.from({ length: 40_000 }, (_, i) => `{"i":${i},"x":"${(i * 7919) % 1013}"}`).join('\n'),
  );

  it('decodes lz4-napi frames whatever the chunking, concatenated frames and skippable frames', async () => {
    const f = compressFrameSync(text);
    for (const chunk of [1, 7, 4096, f.length]) expect((await decodeAll(f, chunk)).equals(text)).toBe(true);
    const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0]), Buffer.from('abc')]);
    const two = Buffer.concat([f, skippable, compressFrameSync(Buffer.from('tail'))]);
    expect((await decodeAll(two, 1000)).toString()).toBe(`${text.toString()}tail`);
  });

  it('decodes linked blocks (each block compressed against the previous 64 KiB)', async () => {
    // a frame by hand: FLG 0x40 (version 1, linked blocks), BD 0x40 (64 KiB blocks), header checksum byte
    const blocks: Buffer[] = [];
    let prev = Buffer.alloc(0);
    for (let i = 0; i < text.length; i += 65_536) {
      const b = text.subarray(i, i + 65_536);
      const c = (prev.length > 0 ? compressSync(b, prev) : compressSync(b)).subarray(4);
      const size = Buffer.alloc(4);
      size.writeUInt32LE(c.length);
      blocks.push(size, c);
      prev = Buffer.from(Buffer.concat([prev, b]).subarray(-65_536));
    }
    const frame = Buffer.concat([
      Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0x00]),
      ...blocks,
      Buffer.alloc(4),
    ]);
    expect((await decodeAll(frame, 5000)).equals(text)).toBe(true);
  });

  it.runIf(existsSync('/usr/bin/lz4'))(
    'decodes what the lz4 tool writes (-BD linked blocks, content size)',
    async () => {
      const p = join(root, 'tool.txt');
      writeFileSync(p, text);
      execFileSync('/usr/bin/lz4', ['-q', '-f', '-BD', '-B4', '--content-size', p, `${p}.lz4`]);
      expect((await decodeAll(readFileSync(`${p}.lz4`), 10_000)).equals(text)).toBe(true);
    },
  );

  it('a truncated or foreign file is an Lz4FormatError, not a crash', async () => {
    const f = compressFrameSync(text);
    await expect(decodeAll(f.subarray(0, f.length - 9), 1000)).rejects.toBeInstanceOf(Lz4FormatError);
    await expect(decodeAll(Buffer.from('{"not":"lz4"}\n'), 1000)).rejects.toThrow(/not an LZ4 frame/);
  });
});

describe('times and numbers of the formats', () => {
  it('naive ISO times with nanoseconds are UTC, the fraction kept', () => {
    expect(parseIsoTime('2023-09-16T09:00:01.039593170')).toBe(Date.UTC(2023, 8, 16, 9, 0, 1) + 39.59317);
    expect(parseIsoTime('2023-09-16T09:00:01Z')).toBe(Date.UTC(2023, 8, 16, 9, 0, 1));
    expect(parseIsoTime('2023-09-16 09:00:01.5')).toBe(Date.UTC(2023, 8, 16, 9, 0, 1) + 500);
    expect(parseIsoTime('16/09/2023')).toBeNaN();
    expect(parseIsoTime(1694854799647)).toBeNaN();
  });

  it('nanosecond counts beyond 2^53 keep their sub-ms part', () => {
    expect(nsToMs('1737918843893903000')).toBe(1737918843893.903);
    expect(nsToMs('12ab')).toBeNaN();
  });

  it('CSV numbers become plain decimals, exponents written out exactly', () => {
    expect(plainDecimal('0.0000125')).toBe('0.0000125');
    expect(plainDecimal('1.25e-05')).toBe('0.0000125');
    expect(plainDecimal('-3.5E2')).toBe('-350');
    expect(plainDecimal('.5')).toBe('0.5');
    expect(plainDecimal('1e3')).toBe('1000');
    expect(plainDecimal('-0e0')).toBe('0');
    expect(plainDecimal('abc')).toBeNull();
    expect(plainDecimal('')).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------- archive

describe('archive-l2book', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(hist.archive.map((path) => ({ format: 'archive-l2book', path })));
  }, 60_000);

  it('round trip: every snapshot journaled once, its bytes as the venue sent them, at its capture time, in time order across coins and files', () => {
    const want = hist.frames
      .filter(
        (f) => f.channel === 'l2Book' && !(f.coin === 'ETH' && f.time >= T22 + 2 * H && f.time < T22 + 3 * H),
      )
      .map((f) => ({ time: f.time, text: f.text }))
      .sort((a, b) => a.time - b.time);
    const got = framesOf(r.records).map((x) => ({ time: x.time, text: dec.decode(x.data) }));
    expect(want.length).toBe(hist.written.l2Book);
    expect(got.length).toBe(want.length);
    // the same multiset, and non-decreasing times (frames of one instant may come in either coin's order)
    expect(got.map((g) => `${g.time} ${g.text}`).sort()).toEqual(
      want.map((w) => `${w.time} ${w.text}`).sort(),
    );
    for (let i = 1; i < got.length; i++) expect(got[i]!.time).toBeGreaterThanOrEqual(got[i - 1]!.time);
    // capture times are the line's `time` to the microsecond and beyond
    expect(got[0]!.time).toBe(want[0]!.time);
  });

  it('frames keep the feed source (the pipeline parses them as the public feed); the ticks carry the import source, the connection names it; a tick every second while data flows, never in a hole', () => {
    for (const x of r.records)
      expect(x.source).toBe(x.kind === RecordKind.Tick ? 'import:archive-l2book' : undefined);
    const connecting = r.records.find((x) => x.kind === RecordKind.Conn && x.channel === 'connecting')!;
    expect(JSON.parse(dec.decode(connecting.data)).url).toBe(
      `import:archive-l2book (${hist.archive.length} files)`,
    );
    expect(hist.archive).toHaveLength(5); // hours 22, 00 and 01 of two coins, less ETH's hour 00
    const ticks = r.records.filter((x) => x.kind === RecordKind.Tick);
    expect(ticks.length).toBe(r.report.journal.ticks);
    for (const t of ticks) expect(t.time % 1000).toBe(0);
    // 3 stretches of 180 s each: about 180 ticks each, none in the 57-minute holes
    expect(ticks.length).toBeGreaterThan(3 * 178);
    expect(ticks.length).toBeLessThanOrEqual(3 * 181);
    expect(ticks.some((t) => t.time > T22 + H && t.time < T22 + 2 * H)).toBe(false);
    // seq strictly increasing from the first
    for (let i = 1; i < r.records.length; i++) expect(r.records[i]!.seq).toBe(r.records[i - 1]!.seq + 1);
  });

  it('the holes in the data are journaled as a closed connection and a new epoch, not a market that stood still', () => {
    const conn = r.records.filter((x) => x.kind === RecordKind.Conn);
    const closed = conn.filter((x) => x.channel === 'closed');
    // two holes (23:00 → 00:00 and 00:03 → 01:00) and the end of the data
    expect(closed.length).toBe(3);
    expect(r.report.journalGaps).toBe(2);
    expect(dec.decode(closed[0]!.data)).toMatch(/no data for \d+\.\d s \(a hole in the source data\)/);
    expect(new Set(framesOf(r.records).map((x) => x.epoch))).toEqual(new Set([1, 2, 3]));
  });

  it('crosses midnight into the next day folder', () => {
    expect(r.report.journal.days).toEqual(['2025-11-24', '2025-11-25']);
    expect(journalDays(r.dataDir).map((d) => d.slice(-10))).toEqual(['2025-11-24', '2025-11-25']);
  });

  it('coverage: range, counts per channel and coin, the missing hours, and what the data cannot provide', () => {
    const c = r.report;
    const books = hist.frames.filter((f) => f.channel === 'l2Book');
    const kept = books.filter((f) => !(f.coin === 'ETH' && f.time >= T22 + 2 * H && f.time < T22 + 3 * H));
    expect(c.from).toBe(new Date(Math.min(...kept.map((f) => f.time))).toISOString());
    expect(c.to).toBe(new Date(Math.max(...kept.map((f) => f.time))).toISOString());
    expect(c.channels).toEqual({ l2Book: kept.length });
    expect(c.coins.BTC).toEqual({ l2Book: kept.filter((f) => f.coin === 'BTC').length });
    expect(c.coins.ETH).toEqual({ l2Book: kept.filter((f) => f.coin === 'ETH').length });
    expect(c.corrupt).toEqual({ lines: 0, files: 0, reasons: [] });
    expect(c.lines).toBe(kept.length);
    expect(c.holes).toEqual([
      { channel: '*', coin: '*', from: '2025-11-24T23:00:00.000Z', to: '2025-11-25T00:00:00.000Z', hours: 1 },
      {
        channel: 'l2Book',
        coin: 'ETH',
        from: '2025-11-25T00:00:00.000Z',
        to: '2025-11-25T01:00:00.000Z',
        hours: 1,
      },
    ]);
    const missing = c.cannotProvide.map((l) => l.input);
    expect(missing).toEqual(['health gate', 'asset contexts (activeAssetCtx)', 'trades']);
    expect(c.cannotProvide[0]!.leaves).toMatch(/^bbo, activeAssetCtx never fresh/);
    expect(c.cannotProvide[0]!.consequence).toMatch(/health never validates \(stays WARMING\)/);
    expect(c.cannotProvide[1]!.consequence).toMatch(/regime DISABLED throughout/);
    expect(c.cannotProvide[2]!.leaves).toMatch(/flow windows NULL/);
    console.log(
      `archive import: ${c.frames} frames over ${c.hours.toFixed(2)} h, holes ${c.holes.map((h) => `${h.channel}/${h.coin} ${h.from}+${h.hours}h`).join(', ')}`,
    );
  });

  it('corrupt lines are counted, the first reasons listed, and skipped; good lines around them are kept; a truncated file is reported', async () => {
    const src = hist.archive.find((p) => p.includes('/22/l2Book/BTC'))!;
    const lines = (await readLz4Lines(src)).slice(0, 20);
    const bad = [
      '{"time":"2025-11-24T22:57:00.1","ver_num":1,"raw":{"channel":"l2Book","data":',
      'garbage',
      '{"time":"yesterday","ver_num":1,"raw":{"channel":"l2Book","data":{"coin":"BTC","time":1,"levels":[[],[]]}}}',
      '{"time":"2025-11-24T22:57:00.1","ver_num":1,"raw":{"channel":"trades","data":[]}}',
      '{"time":"2025-11-24T22:57:00.1","ver_num":1,"raw":{"channel":"l2Book","data":{"coin":"BTC","time":1,"levels":[[{"px":"x","sz":"1","n":1}],[]]}}}',
      '',
    ];
    const mixed = [...lines.slice(0, 10), ...bad, ...lines.slice(10)];
    const p = join(root, 'corrupt', '20251124', '22', 'l2Book', 'BTC.lz4');
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, compressFrameSync(Buffer.from(mixed.join('\n'))));
    const whole = compressFrameSync(Buffer.from(lines.join('\n')));
    const cut = join(root, 'corrupt', '20251124', '22', 'l2Book', 'ETH.lz4');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const c = await run([
      { format: 'archive-l2book', path: p },
      { format: 'archive-l2book', path: cut },
    ]);
    expect(framesOf(c.records).length).toBe(20);
    expect(c.report.corrupt.lines).toBe(bad.length - 1);
    expect(c.report.skipped).toEqual({ 'empty line': 1 });
    expect(c.report.corrupt.files).toBe(1);
    expect(c.report.corrupt.reasons).toHaveLength(5);
    expect(c.report.corrupt.reasons[0]).toMatch(/BTC\.lz4:11: not JSON/);
    expect(c.report.corrupt.reasons[1]).toMatch(/BTC\.lz4:12: not JSON/);
    expect(c.report.corrupt.reasons[2]).toMatch(/BTC\.lz4:13: time: expected an ISO time/);
    expect(c.report.corrupt.reasons[3]).toMatch(/raw\.channel: expected "l2Book", got "trades"/);
    expect(c.report.corrupt.reasons[4]).toMatch(/BTC\.lz4:15: .*px/);
    const cutFile = c.report.files.find((f) => f.path === cut)!;
    expect(cutFile.error).toMatch(/lz4: truncated input/);
    expect(cutFile.frames).toBe(0);
  });
});

async function readLz4Lines(path: string): Promise<string[]> {
  return (await decodeAll(readFileSync(path), 1 << 16))
    .toString()
    .split('\n')
    .filter((l) => l !== '');
}

// ---------------------------------------------------------------------------------------------------- asset ctxs

describe('asset-ctxs', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(hist.ctxs.map((path) => ({ format: 'asset-ctxs', path })));
  });

  it('each row becomes the activeAssetCtx frame the public WebSocket sends, at the row time', () => {
    const frames = framesOf(r.records);
    expect(frames.length).toBe(hist.written.ctxRows);
    // the last context of each minute, as written: compare with the simulator's own frame of that minute
    const lastOfMinute = new Map<string, { ctx: Record<string, unknown> }>();
    for (const f of hist.frames)
      if (f.channel === 'activeAssetCtx')
        lastOfMinute.set(`${f.coin} ${Math.floor(f.time / 60_000) * 60_000}`, JSON.parse(f.text).data);
    for (const f of frames) {
      const d = JSON.parse(dec.decode(f.data)) as {
        channel: string;
        data: { coin: string; ctx: Record<string, unknown> };
      };
      expect(d.channel).toBe('activeAssetCtx');
      expect(parseServerFrame(f.data).ok).toBe(true);
      const sim = lastOfMinute.get(`${d.data.coin} ${f.time}`)!;
      expect(sim).toBeDefined();
      expect({ ...d.data.ctx, dayBaseVlm: null }).toEqual({ ...sim.ctx, dayBaseVlm: null });
      expect(d.data.ctx.dayBaseVlm).toBe('0');
    }
  });

  it('coverage states the minute cadence and the missing dayBaseVlm; no book and no trades', () => {
    const inputs = r.report.cannotProvide.map((l) => l.input);
    expect(inputs[0]).toBe('health gate');
    expect(r.report.cannotProvide[0]!.leaves).toMatch(/^l2Book, bbo never fresh/);
    expect(inputs).toContain('book (l2Book, bbo)');
    expect(inputs).toContain('trades');
    expect(inputs).toContain('asset-context cadence (one row per coin per minute)');
    expect(inputs).toContain('dayBaseVlm (not a column of asset_ctxs)');
    expect(r.report.holeMs).toBe(180_000);
    expect(r.report.holes.map((h) => `${h.channel} ${h.from}`)).toEqual(['* 2025-11-24T23:00:00.000Z']);
  });

  it('bad rows are counted and skipped; mid_px 0 is "no book" (midPx null); exponents are read', async () => {
    const p = join(root, 'ctx-bad', '20251124.csv');
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(
      p,
      [
        'time,coin,funding,open_interest,prev_day_px,day_ntl_vlm,premium,oracle_px,mark_px,mid_px,impact_bid_px,impact_ask_px',
        '2025-11-24T22:00:00Z,BTC,1.25e-05,100.5,90000.0,1e6,,90001.0,90002.0,0,,',
        '2025-11-24T22:01:00Z,BTC,0.0000125,100.5,90000.0,1000000.0,0.0001,90001.0,90002.0,90002.5,90001.5,90003.5',
        '2025-11-24T22:02:00Z,BTC,abc,100.5,90000.0,1000000.0,0.0001,90001.0,90002.0,90002.5,90001.5,90003.5',
        '2025-11-24T22:03:00Z,BTC,0.0000125',
        'later,BTC,0.0000125,100.5,90000.0,1000000.0,0.0001,90001.0,90002.0,90002.5,90001.5,90003.5',
      ].join('\n'),
    );
    const c = await run([{ format: 'asset-ctxs', path: p }]);
    const f = framesOf(c.records).map((x) => JSON.parse(dec.decode(x.data)).data.ctx);
    expect(f).toHaveLength(2);
    for (const x of framesOf(c.records)) expect(parseServerFrame(x.data)).toMatchObject({ ok: true });
    expect(f[0]).toMatchObject({
      funding: '0.0000125',
      dayNtlVlm: '1000000',
      midPx: null,
      premium: null,
      impactPxs: null,
    });
    expect(f[1]).toMatchObject({ midPx: '90002.5', impactPxs: ['90001.5', '90003.5'] });
    expect(c.report.corrupt.lines).toBe(3);
    expect(c.report.corrupt.reasons[0]).toMatch(/:4: funding: not a number/);
    expect(c.report.corrupt.reasons[1]).toMatch(/:5: expected 12 fields, got 3/);
    expect(c.report.corrupt.reasons[2]).toMatch(/:6: time: not a time/);
    expect(c.report.stats.noBookRows).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------- node fills

describe('node-fills', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(hist.fills.map((path) => ({ format: 'node-fills', path })));
  });

  it('trades are rebuilt from their fill pairs: side = the taker, users = [buyer, seller], liquidations kept', () => {
    const want = hist.frames
      .filter(
        (f) => f.channel === 'trades' && !(f.coin === 'ETH' && f.time >= T22 + 2 * H && f.time < T22 + 3 * H),
      )
      .flatMap((f) => JSON.parse(f.text).data as Record<string, unknown>[]);
    const got = framesOf(r.records).flatMap(
      (x) => JSON.parse(dec.decode(x.data)).data as Record<string, unknown>[],
    );
    expect(got.length).toBe(hist.written.fillTrades);
    expect(got.map(({ liquidation: _, ...t }) => t)).toEqual(want);
    const liq = got.filter((t) => t.liquidation !== undefined);
    expect(liq.length).toBe(hist.written.liquidations);
    expect(liq[0]!.liquidation).toMatchObject({ method: 'market' });
    expect(r.report.stats).toMatchObject({
      trades: hist.written.fillTrades,
      fills: 2 * hist.written.fillTrades,
      liquidations: hist.written.liquidations,
    });
    expect(r.report.channels).toEqual({ trades: hist.written.trades });
    expect(r.report.cannotProvide.map((l) => l.input)).toEqual([
      'health gate',
      'book (l2Book, bbo)',
      'asset contexts (activeAssetCtx)',
    ]);
  });

  it('the record time is the block time; a fill without its pair is counted, noted and not made into a trade', async () => {
    const first = framesOf(r.records)[0]!;
    const sim = hist.frames.find((f) => f.channel === 'trades')!;
    expect(first.time).toBe(sim.time);
    const line = readFileSync(hist.fills[0]!, 'utf8').split('\n')[0]!;
    const block = JSON.parse(line) as { events: unknown[][] };
    const lone = { ...block, events: [block.events[0]] };
    const p = join(root, 'fills-lone', '20251124', '22');
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, `${JSON.stringify(lone)}\n${line}\n{"block_time":3}\n`);
    const c = await run([{ format: 'node-fills', path: p }]);
    expect(c.report.stats.unpairedFills).toBe(1);
    expect(c.report.notes[0]).toMatch(/1 fill\(s\), expected a buyer and a seller/);
    expect(c.report.stats.trades).toBe(block.events.length / 2);
    expect(c.report.corrupt.lines).toBe(1);
    expect(c.report.cannotProvide.map((l) => l.input)).toContain(
      '1 fill(s) without their pair in the same block',
    );
  });
});

// ---------------------------------------------------------------------------------------------------- hftbacktest

describe('hftbacktest collector files', () => {
  it('the real sample (BTC, 2025-01-26): 46 l2Book and 9 trades frames, byte for byte at their receive times; replay applies every one', async () => {
    const r = await run([{ format: 'hftbacktest', path: SAMPLE }]);
    const lines = gunzipSync(readFileSync(SAMPLE))
      .toString()
      .split('\n')
      .filter((l) => l !== '');
    expect(lines).toHaveLength(55);
    const frames = framesOf(r.records);
    expect(frames.map((f) => dec.decode(f.data))).toEqual(lines.map((l) => l.slice(l.indexOf(' ') + 1)));
    expect(frames.map((f) => f.time)).toEqual(lines.map((l) => nsToMs(l.slice(0, l.indexOf(' ')))));
    expect(r.report).toMatchObject({
      lines: 55,
      frames: 55,
      channels: { l2Book: 46, trades: 9 },
      coins: { BTC: { l2Book: 46, trades: 9 } },
      corrupt: { lines: 0, files: 0, reasons: [] },
      holes: [],
      from: '2025-01-26T19:14:03.893Z',
      to: '2025-01-26T19:14:29.246Z',
    });
    const config = engineConfigFrom(parseConfig({ coins: ['BTC'] }));
    const rep = replayJournal({ dir: journalDays(r.dataDir), config, out: () => {} });
    expect(rep.frames).toBe(55);
    expect(rep.corrupt).toBe(0);
    expect(rep.ticks).toBe(r.report.journal.ticks);
    expect(rep.ticks).toBeGreaterThan(20);
    expect(rep.pipeline.counters.rejected).toBe(0);
    expect(rep.pipeline.counters.applied).toBe(55);
    // what the coverage report states, the replay shows: no bbo, no contexts → health never validates
    expect(r.report.cannotProvide[0]!.input).toBe('health gate');
    expect(rep.engine!.snapshot().health.level).toBe('WARMING');
    console.log(
      `hftbacktest sample: ${rep.frames} frames, ${rep.ticks} ticks replayed, ${rep.pipeline.counters.applied} applied`,
    );
  });

  it('the collector drops pong and subscriptionResponse, and so does the import; bad lines are counted', async () => {
    const lines = gunzipSync(readFileSync(SAMPLE))
      .toString()
      .split('\n')
      .filter((l) => l !== '');
    const p = join(root, 'hft-bad', 'btc_20250126.gz');
    mkdirSync(join(p, '..'), { recursive: true });
    const t = lines[0]!.slice(0, lines[0]!.indexOf(' '));
    const extra = [
      `${t} {"channel":"pong"}`,
      `${t} {"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"bbo","coin":"BTC"}}}`,
      `${t}`,
      `notanumber {"channel":"pong"}`,
      `${t} {"channel":"l2Book","data":{"coin":"BTC"}}`,
    ];
    writeFileSync(p, gzipSync([lines[0], ...extra, ...lines.slice(1)].join('\n')));
    const r = await run([{ format: 'hftbacktest', path: p }]);
    expect(r.report.frames).toBe(55);
    expect(r.report.skipped).toEqual({ pong: 1, subscriptionResponse: 1 });
    expect(r.report.corrupt.lines).toBe(3);
    expect(r.report.corrupt.reasons[0]).toMatch(/expected "<recv_ns> <frame>"/);
    expect(r.report.corrupt.reasons[1]).toMatch(/recv_ns: not a nanosecond count/);
    expect(r.report.corrupt.reasons[2]).toMatch(/l2Book/);
  });

  it('simulated collector files of two coins merge into one stream in receive order', async () => {
    const r = await run(hist.hft.map((path) => ({ format: 'hftbacktest', path })));
    const want = hist.frames.filter((f) => f.channel !== 'activeAssetCtx');
    expect(r.report.frames).toBe(want.length);
    const got = framesOf(r.records);
    for (let i = 1; i < got.length; i++) expect(got[i]!.time).toBeGreaterThanOrEqual(got[i - 1]!.time);
    expect(got.map((g) => `${g.time} ${dec.decode(g.data)}`).sort()).toEqual(
      want.map((w) => `${w.time} ${w.text}`).sort(),
    );
    expect(r.report.channels).toEqual({
      l2Book: want.filter((f) => f.channel === 'l2Book').length,
      bbo: want.filter((f) => f.channel === 'bbo').length,
      trades: want.filter((f) => f.channel === 'trades').length,
    });
  });
});

// ---------------------------------------------------------------------------------------------------- together

describe('formats imported together', () => {
  it('book, contexts and fills of the same hours merge into one journal; the health gate still lacks the bbo', async () => {
    const r = await run([
      ...hist.archive.map((path): ImportInput => ({ format: 'archive-l2book', path })),
      ...hist.ctxs.map((path): ImportInput => ({ format: 'asset-ctxs', path })),
      ...hist.fills.map((path): ImportInput => ({ format: 'node-fills', path })),
    ]);
    expect(r.report.source).toBe('import:archive-l2book+asset-ctxs+node-fills');
    expect(r.report.channels).toEqual({
      l2Book: hist.written.l2Book,
      activeAssetCtx: hist.written.ctxRows,
      trades: hist.written.trades,
    });
    const frames = framesOf(r.records);
    for (let i = 1; i < frames.length; i++)
      expect(frames[i]!.time).toBeGreaterThanOrEqual(frames[i - 1]!.time);
    expect(r.report.cannotProvide.map((l) => l.input)).toEqual([
      'health gate',
      'asset-context cadence (one row per coin per minute)',
      'dayBaseVlm (not a column of asset_ctxs)',
    ]);
    // ETH's missing hour of books is a hole of that channel only; contexts and fills have it
    expect(r.report.holes.map((h) => `${h.channel}/${h.coin} ${h.from} ${h.hours}`)).toEqual([
      '*/* 2025-11-24T23:00:00.000Z 1',
      'l2Book/ETH 2025-11-25T00:00:00.000Z 1',
      'trades/ETH 2025-11-25T00:00:00.000Z 1',
    ]);
    const config = engineConfigFrom(parseConfig({ coins: COINS }));
    const lines: string[] = [];
    const rep = replayJournal({
      dir: journalDays(r.dataDir),
      config,
      out: (l) => lines.push(JSON.stringify(l)),
    });
    expect(r.report.cannotProvide[0]!.leaves).toMatch(/^bbo never fresh/);
    expect(lines.some((l) => l.includes('"to":"HEALTHY"'))).toBe(false);
    const waiting = lines
      .map((l) => JSON.parse(l) as { kind: string; waitingFor?: Array<{ channel: string; coin: string }> })
      .filter((l) => l.kind === 'health.waiting');
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.every((w) => w.waitingFor?.some((x) => x.channel === 'bbo'))).toBe(true);
    expect(rep.frames).toBe(r.report.frames);
    expect(rep.pipeline.counters.rejected).toBe(0);
    expect(rep.pipeline.counters.applied).toBe(r.report.frames);
  }, 60_000);

  it('an import never writes before a journal day that already exists (a journal is one stream in time order)', async () => {
    const dataDir = fresh();
    await importFiles({ inputs: [{ format: 'hftbacktest', path: SAMPLE }], dataDir, clock: clock() });
    await expect(
      importFiles({ inputs: [{ format: 'hftbacktest', path: SAMPLE }], dataDir, clock: clock() }),
    ).rejects.toBeInstanceOf(ImportError);
    // a later import continues the sequence in its own day
    const r2 = await importFiles({
      inputs: hist.hft.slice(0, 1).map((path) => ({ format: 'hftbacktest', path })),
      dataDir,
      clock: clock(),
    });
    const all = journalOf(dataDir);
    expect(r2.journal.firstSeq).toBe(85);
    for (let i = 1; i < all.length; i++) expect(all[i]!.seq).toBe(all[i - 1]!.seq + 1);
  });
});
