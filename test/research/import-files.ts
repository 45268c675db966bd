/**
 * Test helper: the simulator's market written in the exact historical formats `runtime import` reads
 * (docs/hyperliquid-protocol.md §6.1, §6.5, §6.6), at test time — real LZ4 frames (lz4-napi) and gzip:
 * - `market_data/<YYYYMMDD>/<H>/l2Book/<COIN>.lz4` (hour not zero-padded), lines
 *   `{"time":"<naive ISO ns>","ver_num":1,"raw":<the venue's l2Book frame>}`;
 * - `asset_ctxs/<YYYYMMDD>.csv.lz4`, one row per coin per minute (the last context of the minute);
 * - `node_fills_by_block/hourly/<YYYYMMDD>/<H>`, one block a line, each trade as its two fills (buyer, seller;
 *   the taker `crossed`), every 25th trade a liquidation (its taker's fill carries `liquidation`);
 * - `<coin>_<YYYYMMDD>.gz` collector lines `<recv_ns> <frame>` (l2Book, trades, bbo).
 * The market is generated in segments (a few minutes each, hours apart: the hours between have no data, a hole
 * as the archive has them); `drop` leaves a coin's (or every coin's) hour out of the hourly files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compressFrameSync } from 'lz4-napi';
import { generate, type MarketChannel } from '../../sim/generate.ts';

export const LATENCY_MS = 0.25;

/** ms since epoch → naive ISO with 9 fraction digits, as the archive and the node write times. */
export function isoNs(ms: number): string {
  const whole = Math.floor(ms);
  const ns = Math.round((ms - whole) * 1e6);
  const base = new Date(whole).toISOString().slice(0, 19);
  const frac = String(whole % 1000).padStart(3, '0') + String(ns).padStart(6, '0');
  return `${base}.${frac}`;
}

/** ms since epoch → integer nanoseconds as a decimal string. */
export function nsOf(ms: number): string {
  const whole = Math.floor(ms);
  const ns = Math.round((ms - whole) * 1e6);
  return `${whole}${String(ns).padStart(6, '0')}`;
}

const ymd = (t: number) => new Date(t).toISOString().slice(0, 10).replaceAll('-', '');
const hourOf = (t: number) => new Date(t).getUTCHours();

export interface SimFrame {
  text: string;
  channel: string;
  coin: string;
  /** Receive (capture) time, ms. */
  time: number;
}

export interface SimHistory {
  frames: SimFrame[];
  archive: string[];
  ctxs: string[];
  fills: string[];
  hft: string[];
  /** Frames written to each format (after the dropped hours). */
  written: {
    l2Book: number;
    ctxRows: number;
    trades: number;
    fillTrades: number;
    liquidations: number;
    hft: number;
  };
}

export interface SimHistoryOptions {
  seed: number;
  coins: string[];
  /** Stretches of market (each its own simulator run from its start), in time order. */
  segments: Array<{ startTime: number; durationMs: number }>;
  /** Hours (start, ms) left out of the hourly archive and node files: for every coin, or one. */
  drop?: Array<{ hour: number; coin?: string }>;
  channels?: MarketChannel[];
  scenario?: string;
}

/** Generate the simulator's frames, each stamped with its receive time. */
export function simFrames(o: Omit<SimHistoryOptions, 'drop'>): SimFrame[] {
  const frames: SimFrame[] = [];
  for (const seg of o.segments)
    generate({
      seed: o.seed,
      scenario: o.scenario ?? 'default',
      coins: o.coins,
      startTime: seg.startTime,
      durationMs: seg.durationMs,
      channels: o.channels ?? ['l2Book', 'bbo', 'trades', 'activeAssetCtx'],
      slowBookMs: 500,
      onFrame: (text, t) => {
        const f = JSON.parse(text) as { channel: string; data: { coin?: string } | Array<{ coin: string }> };
        const coin = Array.isArray(f.data) ? (f.data[0]?.coin ?? '') : (f.data.coin ?? '');
        frames.push({ text, channel: f.channel, coin, time: t + LATENCY_MS });
      },
    });
  return frames;
}

interface WsTradeLike {
  coin: string;
  side: 'A' | 'B';
  px: string;
  sz: string;
  time: number;
  hash: string;
  tid: number;
  users: [string, string];
}

export function writeSimHistory(dir: string, o: SimHistoryOptions): SimHistory {
  const frames = simFrames(o);
  const drop = o.drop ?? [];
  const dropped = (t: number, coin: string) =>
    drop.some(
      (d) => d.hour === Math.floor(t / 3_600_000) * 3_600_000 && (d.coin === undefined || d.coin === coin),
    );
  const archive = new Map<string, string[]>();
  const fills = new Map<string, string[]>();
  const hft = new Map<string, string[]>();
  const ctxRows = new Map<string, string[]>();
  const lastCtx = new Map<string, { minute: number; row: string }>();
  const written = { l2Book: 0, ctxRows: 0, trades: 0, fillTrades: 0, liquidations: 0, hft: 0 };
  const push = (m: Map<string, string[]>, k: string, line: string) => {
    const l = m.get(k);
    if (l) l.push(line);
    else m.set(k, [line]);
  };
  const flushCtx = (coin: string) => {
    const c = lastCtx.get(coin);
    if (!c) return;
    push(ctxRows, ymd(c.minute), c.row);
    written.ctxRows++;
    lastCtx.delete(coin);
  };
  let nTrades = 0;
  let block = 500_000_000;
  for (const f of frames) {
    if (f.channel === 'l2Book' || f.channel === 'trades' || f.channel === 'bbo') {
      push(hft, `${f.coin.toLowerCase()}_${ymd(f.time)}.gz`, `${nsOf(f.time)} ${f.text}`);
      written.hft++;
    }
    if (f.channel === 'l2Book' && !dropped(f.time, f.coin)) {
      push(
        archive,
        join('market_data', ymd(f.time), String(hourOf(f.time)), 'l2Book', `${f.coin}.lz4`),
        `{"time":"${isoNs(f.time)}","ver_num":1,"raw":${f.text}}`,
      );
      written.l2Book++;
    }
    if (f.channel === 'trades' && !dropped(f.time, f.coin)) {
      const trades = (JSON.parse(f.text) as { data: WsTradeLike[] }).data;
      const events: unknown[] = [];
      for (const t of trades) {
        nTrades++;
        const liq = nTrades % 25 === 0;
        const fill = (side: 'A' | 'B', user: string) => {
          const taker = side === t.side;
          const out: Record<string, unknown> = {
            coin: t.coin,
            px: t.px,
            sz: t.sz,
            side,
            time: t.time,
            startPosition: '0.0',
            dir: side === 'B' ? 'Open Long' : 'Open Short',
            closedPnl: '0.0',
            hash: t.hash,
            oid: t.tid * 2 + (side === 'B' ? 0 : 1),
            crossed: taker,
            fee: '0.0',
            tid: t.tid,
            feeToken: 'USDC',
          };
          if (liq && taker) out.liquidation = { liquidatedUser: user, markPx: t.px, method: 'market' };
          return [user, out];
        };
        events.push(fill('B', t.users[0]), fill('A', t.users[1]));
        written.fillTrades++;
        if (liq) written.liquidations++;
      }
      written.trades++;
      push(
        fills,
        join('node_fills_by_block', 'hourly', ymd(f.time), String(hourOf(f.time))),
        JSON.stringify({
          local_time: isoNs(f.time + 3),
          block_time: isoNs(f.time),
          block_number: block++,
          events,
        }),
      );
    }
    if (f.channel === 'activeAssetCtx') {
      const minute = Math.floor(f.time / 60_000) * 60_000;
      const prev = lastCtx.get(f.coin);
      if (prev && prev.minute !== minute) flushCtx(f.coin);
      const c = (JSON.parse(f.text) as { data: { ctx: Record<string, unknown> } }).data.ctx;
      const ip = c.impactPxs as [string, string] | null;
      const row = [
        new Date(minute).toISOString().replace('.000Z', 'Z'),
        f.coin,
        c.funding,
        c.openInterest,
        c.prevDayPx,
        c.dayNtlVlm,
        c.premium ?? '',
        c.oraclePx,
        c.markPx,
        c.midPx ?? '0',
        ip?.[0] ?? '',
        ip?.[1] ?? '',
      ].join(',');
      lastCtx.set(f.coin, { minute, row });
    }
  }
  for (const coin of [...lastCtx.keys()]) flushCtx(coin);
  const out: SimHistory = { frames, archive: [], ctxs: [], fills: [], hft: [], written };
  const write = (rel: string, body: Buffer) => {
    const p = join(dir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, body);
    return p;
  };
  for (const [rel, lines] of archive)
    out.archive.push(write(rel, compressFrameSync(Buffer.from(`${lines.join('\n')}\n`))));
  for (const [rel, lines] of fills) out.fills.push(write(rel, Buffer.from(`${lines.join('\n')}\n`)));
  for (const [rel, lines] of hft) out.hft.push(write(rel, gzipSync(`${lines.join('\n')}\n`)));
  const header =
    'time,coin,funding,open_interest,prev_day_px,day_ntl_vlm,premium,oracle_px,mark_px,mid_px,impact_bid_px,impact_ask_px';
  for (const [day, rows] of ctxRows)
    out.ctxs.push(
      write(
        join('asset_ctxs', `${day}.csv.lz4`),
        compressFrameSync(Buffer.from(`${[header, ...rows].join('\n')}\n`)),
      ),
    );
  return out;
}
