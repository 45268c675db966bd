/**
 * The four historical formats `runtime import` reads (docs/hyperliquid-protocol.md §6.1, §6.5, §6.6), each
 * turned line by line into venue frames as the public WebSocket sends them, with the time the data carries:
 *
 * - `archive-l2book`: `market_data/<YYYYMMDD>/<H>/l2Book/<COIN>.lz4`, lines
 *   `{"time": ISO-ns, "ver_num", "raw": {"channel":"l2Book","data":{…}}}` → the `raw` frame, stamped with `time`
 *   (the capture time; the venue time stays inside the frame);
 * - `asset-ctxs`: `asset_ctxs/<YYYYMMDD>.csv.lz4`, a CSV with the header
 *   `time,coin,funding,open_interest,prev_day_px,day_ntl_vlm,premium,oracle_px,mark_px,mid_px,impact_bid_px,
 *   impact_ask_px` → one `activeAssetCtx` frame per row (`mid_px` 0 = no book → `midPx` null);
 * - `node-fills`: `node_fills_by_block/hourly/<YYYYMMDD>/<H>`, one block a line
 *   `{"block_time", "block_number", "events": [[user, fill], …]}` → one `trades` frame per coin per block,
 *   each trade rebuilt from its two fills (buyer and seller, matched by coin and `tid`; the side is the
 *   taker's, `crossed`), liquidation fills kept as the trade's `liquidation`;
 * - `hftbacktest`: the collector's `<recv_ns> <frame JSON>` lines → the frame as written, stamped `recv_ns`.
 *
 * A line that cannot be read is an error string (counted and skipped by the importer), never an exception.
 */
import { DECIMAL_RE } from '../../hyperliquid/decimal.ts';
import { parseServerValue } from '../../hyperliquid/parse.ts';

export const IMPORT_FORMATS = ['archive-l2book', 'asset-ctxs', 'node-fills', 'hftbacktest'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export function isImportFormat(s: string): s is ImportFormat {
  return (IMPORT_FORMATS as readonly string[]).includes(s);
}

/** One venue frame to journal. */
export interface ImportItem {
  /** The time the data carries (ms since epoch, sub-ms fraction kept). */
  time: number;
  channel: string;
  coin: string;
  /** The frame's JSON text. */
  text: string;
}

export interface LineParser {
  /** One line → its frames (none for a header or a channel the import does not keep), or why it is unreadable. */
  line(text: string): ImportItem[] | string;
  /** Lines (or parts of lines) deliberately not imported, by cause: `pong`, `subscriptionResponse`, … */
  readonly skipped: Record<string, number>;
  /** Format-specific counts (fills, trades, liquidations, unpaired fills…). */
  readonly stats: Record<string, number>;
  /** Reasons of the first few skipped parts of otherwise good lines (e.g. a fill without its pair). */
  readonly notes: string[];
}

const MAX_NOTES = 5;
const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]00:?00)?$/;

/** A naive (UTC) or Z ISO time with up to nanoseconds → ms since epoch (fraction kept); NaN when not one. */
export function parseIsoTime(s: unknown): number {
  if (typeof s !== 'string') return Number.NaN;
  const m = ISO.exec(s);
  if (m === null) return Number.NaN;
  const base = Date.parse(`${m[1]}T${m[2]}Z`);
  if (Number.isNaN(base)) return Number.NaN;
  const frac = m[3];
  return frac === undefined ? base : base + Number(`0.${frac}`) * 1000;
}

/** A decimal nanosecond count (as hftbacktest writes it, beyond 2^53) → ms since epoch; NaN when not one. */
export function nsToMs(s: string): number {
  if (!/^\d{7,25}$/.test(s)) return Number.NaN;
  return Number(s.slice(0, -6)) + Number(s.slice(-6)) / 1e6;
}

/** A plain decimal string for a CSV number: kept when already plain, exponents written out exactly. */
export function plainDecimal(s: string): string | null {
  const t = s.trim();
  if (DECIMAL_RE.test(t)) return t;
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const sign = m[1] === '-' ? '-' : '';
  const int = m[2] ?? '';
  const frac = m[3] ?? '';
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 400) return null;
  const digits = int + frac;
  let point = int.length + exp;
  let d = digits;
  if (point <= 0) {
    d = '0'.repeat(1 - point) + d;
    point = 1;
  } else if (point > d.length) d = d + '0'.repeat(point - d.length);
  const ip = d.slice(0, point).replace(/^0+(?=\d)/, '') || '0';
  const fp = d.slice(point).replace(/0+$/, '');
  const out = fp === '' ? ip : `${ip}.${fp}`;
  return out === '0' ? '0' : sign + out;
}

function isObj(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function preview(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** The coin a validated frame is about ('' when it names none). */
function coinOf(channel: string, data: unknown): string {
  if (channel === 'trades') {
    const first = Array.isArray(data) ? data[0] : undefined;
    return isObj(first) && typeof first.coin === 'string' ? first.coin : '';
  }
  return isObj(data) && typeof data.coin === 'string' ? data.coin : '';
}

/** A line that must be a JSON object carrying an ISO time in `field`: the object and the time, or why not. */
function timedObject(text: string, field: string): { obj: Record<string, unknown>; time: number } | string {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    return `not JSON (${errText(e)}): ${preview(text)}`;
  }
  if (!isObj(obj)) return 'not a JSON object';
  const time = parseIsoTime(obj[field]);
  if (Number.isNaN(time))
    return `${field}: expected an ISO time, got ${JSON.stringify(obj[field])?.slice(0, 40)}`;
  return { obj, time };
}

// ------------------------------------------------------------------ archive-l2book

function archiveL2Book(): LineParser {
  const p: LineParser = {
    skipped: {},
    stats: {},
    notes: [],
    line(text) {
      const parsed = timedObject(text, 'time');
      if (typeof parsed === 'string') return parsed;
      const { obj, time } = parsed;
      const raw = obj.raw;
      if (!isObj(raw)) return 'raw: expected the venue frame object';
      if (raw.channel !== 'l2Book')
        return `raw.channel: expected "l2Book", got ${JSON.stringify(raw.channel)?.slice(0, 40)}`;
      const v = parseServerValue(raw);
      if (!v.ok) return v.error.message;
      const coin = coinOf('l2Book', raw.data);
      // the frame's own bytes when `raw` is the line's last key (as the archive writes it), else re-serialised
      let frame: string | null = null;
      const keys = Object.keys(obj);
      if (keys[keys.length - 1] === 'raw') {
        const i = text.indexOf('"raw":');
        const end = text.lastIndexOf('}');
        if (i >= 0 && end > i) {
          const s = text.slice(i + 6, end).trim();
          if (s.startsWith('{') && s.endsWith('}')) frame = s;
        }
      }
      return [{ time, channel: 'l2Book', coin, text: frame ?? JSON.stringify(raw) }];
    },
  };
  return p;
}

// ------------------------------------------------------------------ asset-ctxs

const CTX_COLUMNS = [
  'time',
  'coin',
  'funding',
  'open_interest',
  'prev_day_px',
  'day_ntl_vlm',
  'premium',
  'oracle_px',
  'mark_px',
  'mid_px',
  'impact_bid_px',
  'impact_ask_px',
] as const;
type CtxColumn = (typeof CTX_COLUMNS)[number];

function ctxTime(s: string): number {
  const t = s.trim();
  if (/^\d{10,16}$/.test(t)) return t.length <= 10 ? Number(t) * 1000 : Number(t);
  return parseIsoTime(t);
}

function assetCtxs(): LineParser {
  let cols: Record<CtxColumn, number> | null = null;
  const p: LineParser = {
    skipped: {},
    stats: {},
    notes: [],
    line(text) {
      if (text.trim() === '') {
        p.skipped['empty line'] = (p.skipped['empty line'] ?? 0) + 1;
        return [];
      }
      const f = text.split(',');
      if (cols === null) {
        const names = f.map((x) => x.trim());
        const missing = CTX_COLUMNS.filter((c) => !names.includes(c));
        if (missing.length > 0) return `header: missing column(s) ${missing.join(', ')}`;
        const c: Partial<Record<CtxColumn, number>> = {};
        for (const n of CTX_COLUMNS) c[n] = names.indexOf(n);
        cols = c as Record<CtxColumn, number>;
        return [];
      }
      const col = cols;
      const get = (c: CtxColumn): string => f[col[c]]?.trim() ?? '';
      if (f.length < CTX_COLUMNS.length) return `expected ${CTX_COLUMNS.length} fields, got ${f.length}`;
      const time = ctxTime(get('time'));
      if (Number.isNaN(time)) return `time: not a time: ${JSON.stringify(get('time').slice(0, 40))}`;
      const coin = get('coin');
      if (coin === '' || /["\\]/.test(coin))
        return `coin: not a coin name: ${JSON.stringify(coin.slice(0, 20))}`;
      const req = (c: CtxColumn): string | { bad: string } => {
        const d = plainDecimal(get(c));
        return d === null ? { bad: `${c}: not a number: ${JSON.stringify(get(c).slice(0, 30))}` } : d;
      };
      const opt = (c: CtxColumn): string | null | { bad: string } => (get(c) === '' ? null : req(c));
      const funding = req('funding');
      const oi = req('open_interest');
      const prev = req('prev_day_px');
      const vlm = req('day_ntl_vlm');
      const premium = opt('premium');
      const oracle = req('oracle_px');
      const mark = req('mark_px');
      const mid = opt('mid_px');
      const ib = opt('impact_bid_px');
      const ia = opt('impact_ask_px');
      for (const v of [funding, oi, prev, vlm, premium, oracle, mark, mid, ib, ia])
        if (v !== null && typeof v === 'object') return v.bad;
      const s = (v: string | null | { bad: string }): string => (typeof v === 'string' ? `"${v}"` : 'null');
      // mid_px 0: no book
      const midPx = typeof mid === 'string' && Number(mid) === 0 ? null : mid;
      if (midPx === null && mid !== null) p.stats.noBookRows = (p.stats.noBookRows ?? 0) + 1;
      const impact = typeof ib === 'string' && typeof ia === 'string' ? `[${s(ib)},${s(ia)}]` : 'null';
      // dayBaseVlm is not in the archive's rows: written as "0" and stated in the coverage report
      const frame =
        `{"channel":"activeAssetCtx","data":{"coin":${JSON.stringify(coin)},"ctx":{"funding":${s(funding)},` +
        `"openInterest":${s(oi)},"prevDayPx":${s(prev)},"dayNtlVlm":${s(vlm)},"premium":${s(premium)},` +
        `"oraclePx":${s(oracle)},"markPx":${s(mark)},"midPx":${s(midPx)},"impactPxs":${impact},"dayBaseVlm":"0"}}}`;
      // valid by construction: every value a plain decimal (DECIMAL_RE) or null where the schema allows it, the
      // coin a JSON string (the tests parse every frame with the venue schema)
      return [{ time, channel: 'activeAssetCtx', coin, text: frame }];
    },
  };
  return p;
}

// ------------------------------------------------------------------ node-fills (by block)

interface FillSide {
  user: string;
  fill: Record<string, unknown>;
}

const FILL_FIELDS: ReadonlyArray<[string, (v: unknown) => boolean]> = [
  ['coin', (v) => typeof v === 'string' && v !== ''],
  ['px', (v) => typeof v === 'string' && DECIMAL_RE.test(v)],
  ['sz', (v) => typeof v === 'string' && DECIMAL_RE.test(v)],
  ['side', (v) => v === 'A' || v === 'B'],
  ['time', (v) => typeof v === 'number' && Number.isFinite(v)],
  ['tid', (v) => typeof v === 'number' && Number.isSafeInteger(v)],
  ['hash', (v) => typeof v === 'string'],
  ['crossed', (v) => typeof v === 'boolean'],
];

function nodeFills(): LineParser {
  const p: LineParser = { skipped: {}, stats: {}, notes: [], line: () => [] };
  const count = (k: string, n = 1) => {
    p.stats[k] = (p.stats[k] ?? 0) + n;
  };
  const note = (s: string) => {
    if (p.notes.length < MAX_NOTES) p.notes.push(s);
  };
  p.line = (text) => {
    const parsed = timedObject(text, 'block_time');
    if (typeof parsed === 'string') return parsed;
    const { obj, time } = parsed;
    const events = obj.events;
    if (!Array.isArray(events)) return 'events: expected an array';
    count('blocks');
    // pair the block's fills by coin and trade id, in order of first appearance
    const pairs = new Map<string, FillSide[]>();
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      const user = Array.isArray(ev) ? ev[0] : undefined;
      const fill = Array.isArray(ev) ? ev[1] : undefined;
      count('fills');
      if (typeof user !== 'string' || !isObj(fill)) {
        count('badFills');
        note(`block ${String(obj.block_number)}: event ${i} is not [user, fill]`);
        continue;
      }
      const bad = FILL_FIELDS.find(([k, ok]) => !ok(fill[k]));
      if (bad !== undefined) {
        count('badFills');
        note(
          `block ${String(obj.block_number)}: fill ${i}: ${bad[0]} ${JSON.stringify(fill[bad[0]])?.slice(0, 40)}`,
        );
        continue;
      }
      const key = `${fill.coin as string}\u0000${fill.tid as number}`;
      const l = pairs.get(key);
      if (l) l.push({ user, fill });
      else pairs.set(key, [{ user, fill }]);
    }
    const byCoin = new Map<string, Record<string, unknown>[]>();
    for (const sides of pairs.values()) {
      const f0 = sides[0]!.fill;
      const where = `block ${String(obj.block_number)}: ${f0.coin as string} tid ${f0.tid as number}`;
      if (sides.length !== 2) {
        count('unpairedFills', sides.length);
        note(`${where}: ${sides.length} fill(s), expected a buyer and a seller`);
        continue;
      }
      const buy = sides.find((s) => s.fill.side === 'B');
      const sell = sides.find((s) => s.fill.side === 'A');
      const takers = sides.filter((s) => s.fill.crossed === true);
      if (!buy || !sell || takers.length !== 1) {
        count('unpairedFills', 2);
        note(`${where}: not one buyer, one seller and one taker`);
        continue;
      }
      if (buy.fill.px !== sell.fill.px || buy.fill.sz !== sell.fill.sz) {
        count('unpairedFills', 2);
        note(`${where}: the two fills disagree on px or sz`);
        continue;
      }
      const taker = takers[0]!.fill;
      const trade: Record<string, unknown> = {
        coin: f0.coin,
        side: taker.side,
        px: taker.px,
        sz: taker.sz,
        time: taker.time,
        hash: taker.hash,
        tid: taker.tid,
        users: [buy.user, sell.user],
      };
      const liq = isObj(buy.fill.liquidation) ? buy.fill.liquidation : sell.fill.liquidation;
      if (isObj(liq)) {
        trade.liquidation = liq;
        count('liquidations');
      }
      count('trades');
      const l = byCoin.get(f0.coin as string);
      if (l) l.push(trade);
      else byCoin.set(f0.coin as string, [trade]);
    }
    const out: ImportItem[] = [];
    for (const [coin, trades] of byCoin) {
      const frame = { channel: 'trades', data: trades };
      const v = parseServerValue(frame);
      if (!v.ok) {
        count('badTrades', trades.length);
        note(`block ${String(obj.block_number)}: ${coin} trades: ${v.error.message}`);
        continue;
      }
      out.push({ time, channel: 'trades', coin, text: JSON.stringify(frame) });
    }
    return out;
  };
  return p;
}

// ------------------------------------------------------------------ hftbacktest

const HFT_SKIP = new Set(['pong', 'subscriptionResponse']);

function hftbacktest(): LineParser {
  const p: LineParser = {
    skipped: {},
    stats: {},
    notes: [],
    line(text) {
      const sp = text.indexOf(' ');
      if (sp <= 0) return `expected "<recv_ns> <frame>": ${preview(text)}`;
      const time = nsToMs(text.slice(0, sp));
      if (Number.isNaN(time)) return `recv_ns: not a nanosecond count: ${preview(text.slice(0, sp))}`;
      const frame = text.slice(sp + 1);
      let raw: unknown;
      try {
        raw = JSON.parse(frame);
      } catch (e) {
        return `frame not JSON (${errText(e)}): ${preview(frame)}`;
      }
      const channel = isObj(raw) && typeof raw.channel === 'string' ? raw.channel : '';
      if (HFT_SKIP.has(channel)) {
        p.skipped[channel] = (p.skipped[channel] ?? 0) + 1;
        return [];
      }
      const v = parseServerValue(raw);
      if (!v.ok) return v.error.message;
      const data = isObj(raw) ? raw.data : undefined;
      if (channel === 'trades' && Array.isArray(data) && data.length === 0) {
        p.skipped['empty trades'] = (p.skipped['empty trades'] ?? 0) + 1;
        return [];
      }
      return [{ time, channel, coin: coinOf(channel, data), text: frame }];
    },
  };
  return p;
}

export function lineParser(format: ImportFormat): LineParser {
  switch (format) {
    case 'archive-l2book':
      return archiveL2Book();
    case 'asset-ctxs':
      return assetCtxs();
    case 'node-fills':
      return nodeFills();
    case 'hftbacktest':
      return hftbacktest();
  }
}

/**
 * The earliest time a file's name says it holds (ms; -Infinity when its name says nothing): the hour of an
 * archive or node file (`…/<YYYYMMDD>/<H>/…`, hour not zero-padded), the day of a CSV or collector file.
 */
export function nominalStart(format: ImportFormat, path: string): number {
  const p = path.replaceAll('\\', '/');
  const at = (d: string, h = '0') => {
    const t = Date.parse(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T00:00:00Z`);
    const hour = Number(h);
    return Number.isNaN(t) || !(hour >= 0 && hour < 24) ? Number.NEGATIVE_INFINITY : t + hour * 3_600_000;
  };
  let m: RegExpExecArray | null;
  switch (format) {
    case 'archive-l2book':
      m = /(\d{8})\/(\d{1,2})\/l2Book\/[^/]+$/.exec(p);
      return m ? at(m[1]!, m[2]) : Number.NEGATIVE_INFINITY;
    case 'node-fills':
      m = /(\d{8})\/(\d{1,2})(?:\.[a-z0-9]+)?$/.exec(p);
      return m ? at(m[1]!, m[2]) : Number.NEGATIVE_INFINITY;
    case 'asset-ctxs':
      m = /(\d{8})\.csv(?:\.[a-z0-9]+)?$/.exec(p);
      return m ? at(m[1]!) : Number.NEGATIVE_INFINITY;
    case 'hftbacktest':
      m = /_(\d{8})(?:\.[a-z0-9]+)?$/.exec(p);
      return m ? at(m[1]!) : Number.NEGATIVE_INFINITY;
  }
}
