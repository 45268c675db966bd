/**
 * The replay report: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched) with,
 * per coin, the mid price, entry/exit markers from the fills and a regime timeline band underneath (and
 * the simulator's ground truth under that, when given); the equity curve; summary tables, one row per
 * strategy found in the log.
 *
 * The decision log is read as the documented format (`decision/records.ts`, the README's "Decision log"):
 * every line is checked with `parseDecisionRecord` and read as its typed record — fills from `exec.fill`,
 * the equity curve from the `exec.position` totals (from the `exec.day` start equity), regimes from
 * `regime`, intents, verdicts and orders from `exec.intent` / `exec.verdict` / `exec.order`, alarms from
 * `alarm`, `exec.alarm` and the error records. A line of a kind the format does not know is listed under
 * "other kinds"; any other line that does not parse is counted as invalid with its error (the first few
 * kept). Nothing in the log makes the report throw.
 */
import {
  analyseDecisions,
  finite,
  isObj,
  isPricePoint,
  type PricePoint,
  type ReportData,
} from '../replay/decision-log.ts';
import { escapeHtml } from './dashboard/statechart.ts';

export interface GroundTruthLabelInput {
  t: number;
  coin: string;
  regime: string;
  cascade?: boolean;
}

export type GroundTruthInput = { labels: GroundTruthLabelInput[] } | GroundTruthLabelInput[];

export interface ReplayReportInput {
  title: string;
  prices: PricePoint[];
  /** Decision log lines: records as the engine writes them, or their JSON text. */
  decisions: readonly unknown[];
  groundTruth?: GroundTruthInput;
}

export interface RegimeSegment {
  coin: string;
  from: number;
  to: number;
  regime: string;
}

/** Regime segments of one coin over [t0, t1]; before the first decision the regime is `initial`. */
export function regimeSegments(
  coin: string,
  changes: readonly { time: number; regime: string }[],
  t0: number,
  t1: number,
  initial = 'DISABLED',
): RegimeSegment[] {
  const out: RegimeSegment[] = [];
  let cur = initial;
  let from = t0;
  for (const c of changes) {
    const at = Math.min(Math.max(c.time, t0), t1);
    if (c.regime === cur) continue;
    if (at > from) out.push({ coin, from, to: at, regime: cur });
    cur = c.regime;
    from = at;
  }
  if (t1 > from) out.push({ coin, from, to: t1, regime: cur });
  return out;
}

function truthLabels(gt: GroundTruthInput | undefined): GroundTruthLabelInput[] {
  if (!gt) return [];
  const labels = Array.isArray(gt) ? gt : gt.labels;
  if (!Array.isArray(labels)) return [];
  return labels.filter(
    (l) =>
      isObj(l) &&
      finite(l.t) &&
      typeof l.coin === 'string' &&
      l.coin !== '' &&
      typeof l.regime === 'string' &&
      l.regime !== '',
  ) as GroundTruthLabelInput[];
}

/** The regime in force at `t` given sorted changes (initial before the first). */
function regimeAt(
  changes: readonly { time: number; regime: string }[],
  t: number,
  initial = 'DISABLED',
): string {
  let lo = 0;
  let hi = changes.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (changes[m]!.time <= t) lo = m + 1;
    else hi = m;
  }
  return lo === 0 ? initial : changes[lo - 1]!.regime;
}

// ---------------------------------------------------------------- rendering

const W = 960;
const PAD_L = 70;
const PAD_R = 12;
const PRICE_H = 220;
const BAND_H = 16;

const fx = (x: number): string => (Math.round(x * 10) / 10).toString();
const iso = (t: number): string => {
  const d = new Date(t);
  return Number.isNaN(d.getTime())
    ? String(t)
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
};
const fmt = (x: number | null | undefined, digits = 2): string =>
  x === null || x === undefined || !Number.isFinite(x)
    ? '—'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pxDigits = (p: number): number => {
  const a = Math.abs(p);
  return a >= 1000 ? 1 : a >= 10 ? 2 : a >= 1 ? 4 : 6;
};

/** At most two points (min and max) per horizontal pixel, in time order. */
function downsample(
  points: readonly { t: number; v: number }[],
  xOf: (t: number) => number,
): { t: number; v: number }[] {
  if (points.length <= 2 * W) return [...points];
  const out: { t: number; v: number }[] = [];
  let px = Number.NaN;
  let lo: { t: number; v: number } | null = null;
  let hi: { t: number; v: number } | null = null;
  const emit = (): void => {
    if (!lo || !hi) return;
    if (lo === hi) out.push(lo);
    else if (lo.t <= hi.t) out.push(lo, hi);
    else out.push(hi, lo);
  };
  for (const p of points) {
    const x = Math.round(xOf(p.t));
    if (x !== px) {
      emit();
      px = x;
      lo = hi = p;
    } else {
      if (p.v < lo!.v) lo = p;
      if (p.v > hi!.v) hi = p;
    }
  }
  emit();
  return out;
}

function timeAxis(t0: number, t1: number, y: number, xOf: (t: number) => number): string {
  const parts: string[] = [`<line class="axis" x1="${PAD_L}" x2="${W - PAD_R}" y1="${y}" y2="${y}"/>`];
  for (let i = 0; i <= 4; i++) {
    const t = t0 + ((t1 - t0) * i) / 4;
    const x = xOf(t);
    const anchor = i === 0 ? 'start' : i === 4 ? 'end' : 'middle';
    parts.push(
      `<text class="tick" x="${fx(x)}" y="${y + 13}" text-anchor="${anchor}">${escapeHtml(iso(t).slice(5))}</text>`,
    );
  }
  return parts.join('');
}

function band(
  segments: RegimeSegment[],
  y: number,
  cls: string,
  label: string,
  xOf: (t: number) => number,
): string {
  const out = [
    `<g class="${cls}"><text class="band-label" x="${PAD_L - 6}" y="${y + BAND_H - 4}" text-anchor="end">${label}</text>`,
  ];
  for (const s of segments) {
    const x1 = xOf(s.from);
    const x2 = xOf(s.to);
    out.push(
      `<rect class="regime-seg regime-${escapeHtml(s.regime)}" data-regime="${escapeHtml(s.regime)}" ` +
        `x="${fx(x1)}" y="${y}" width="${fx(Math.max(0.5, x2 - x1))}" height="${BAND_H}">` +
        `<title>${escapeHtml(`${s.regime} ${iso(s.from)} → ${iso(s.to)}`)}</title></rect>`,
    );
  }
  out.push('</g>');
  return out.join('');
}

function coinChart(
  coin: string,
  prices: readonly { t: number; v: number }[],
  d: ReportData,
  truth: GroundTruthLabelInput[],
): { svg: string; segments: RegimeSegment[]; agreement: number | null } {
  const { t0, t1 } = d;
  const xOf = (t: number): number => PAD_L + ((t - t0) / (t1 - t0)) * (W - PAD_L - PAD_R);
  const fills = d.fills.filter((f) => f.coin === coin);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of prices) {
    if (p.v < lo) lo = p.v;
    if (p.v > hi) hi = p.v;
  }
  for (const f of fills) {
    if (f.px < lo) lo = f.px;
    if (f.px > hi) hi = f.px;
  }
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) {
    hi += Math.abs(hi) * 0.001 + 0.5;
    lo -= Math.abs(lo) * 0.001 + 0.5;
  }
  const top = 8;
  const yOf = (v: number): number => top + (1 - (v - lo) / (hi - lo)) * (PRICE_H - top - 4);
  const changes = d.regimes.get(coin) ?? [];
  const segments = regimeSegments(coin, changes, t0, t1);
  const coinTruth = truth.filter((l) => l.coin === coin).sort((a, b) => a.t - b.t);
  const truthSegs: RegimeSegment[] = [];
  let agree = 0;
  for (let i = 0; i < coinTruth.length; i++) {
    const l = coinTruth[i]!;
    if (regimeAt(changes, l.t) === l.regime) agree++;
    const next = coinTruth[i + 1]?.t ?? Math.max(l.t, t1);
    const last = truthSegs[truthSegs.length - 1];
    if (last && last.regime === l.regime && last.to === l.t) last.to = Math.min(next, t1);
    else if (l.t < t1)
      truthSegs.push({ coin, from: Math.max(l.t, t0), to: Math.min(next, t1), regime: l.regime });
  }
  const hasTruth = coinTruth.length > 0;
  const height = PRICE_H + 6 + BAND_H + (hasTruth ? BAND_H + 4 : 0) + 22;
  const entries = fills.filter((f) => f.role === 'entry').length;
  const exits = fills.length - entries;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="price-chart" data-coin="${escapeHtml(coin)}" ` +
      `data-entries="${entries}" data-exits="${exits}" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}">`,
  );
  out.push(
    `<rect class="plot" x="${PAD_L}" y="${top}" width="${W - PAD_L - PAD_R}" height="${PRICE_H - top - 4}"/>`,
  );
  const dg = pxDigits(hi);
  out.push(`<text class="tick" x="${PAD_L - 6}" y="${top + 10}" text-anchor="end">${fmt(hi, dg)}</text>`);
  out.push(`<text class="tick" x="${PAD_L - 6}" y="${PRICE_H - 6}" text-anchor="end">${fmt(lo, dg)}</text>`);
  const pts = downsample(prices, xOf)
    .map((p) => `${fx(xOf(p.t))},${fx(yOf(p.v))}`)
    .join(' ');
  out.push(`<polyline class="price" data-points="${prices.length}" points="${pts}"/>`);
  for (const f of fills) {
    const x = xOf(f.time);
    const y = yOf(f.px);
    // ▲ buy, ▼ sell; entries filled, exits hollow
    const dy = f.side > 0 ? 7 : -7;
    const path = `M${fx(x)},${fx(y)} l-5,${dy} h10 z`;
    out.push(
      `<path class="marker ${f.role} ${f.side > 0 ? 'buy' : 'sell'}" data-time="${f.time}" d="${path}">` +
        `<title>${escapeHtml(`${f.strategy} ${f.role} ${f.side > 0 ? 'BUY' : 'SELL'} ${f.size} @ ${f.px} fee ${f.fee} (${f.liquidity}) ${iso(f.time)}`)}</title></path>`,
    );
  }
  out.push(band(segments, PRICE_H + 6, 'regime-band', 'regime', xOf));
  if (hasTruth) out.push(band(truthSegs, PRICE_H + 6 + BAND_H + 4, 'truth-band', 'truth', xOf));
  out.push(timeAxis(t0, t1, height - 20, xOf));
  out.push('</svg>');
  return { svg: out.join(''), segments, agreement: hasTruth ? agree / coinTruth.length : null };
}

function equityChart(d: ReportData): string {
  if (d.equity.length === 0) return '<p class="muted">No equity records in the decision log.</p>';
  const { t0, t1 } = d;
  const H = 180;
  const xOf = (t: number): number => PAD_L + ((t - t0) / (t1 - t0)) * (W - PAD_L - PAD_R);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const e of d.equity) {
    if (e.equity < lo) lo = e.equity;
    if (e.equity > hi) hi = e.equity;
  }
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const yOf = (v: number): number => 8 + (1 - (v - lo) / (hi - lo)) * (H - 40);
  const pts = downsample(
    d.equity.map((e) => ({ t: e.time, v: e.equity })),
    xOf,
  )
    .map((p) => `${fx(xOf(p.t))},${fx(yOf(p.v))}`)
    .join(' ');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="equity-chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">` +
    `<rect class="plot" x="${PAD_L}" y="8" width="${W - PAD_L - PAD_R}" height="${H - 40}"/>` +
    `<text class="tick" x="${PAD_L - 6}" y="18" text-anchor="end">${fmt(hi)}</text>` +
    `<text class="tick" x="${PAD_L - 6}" y="${H - 34}" text-anchor="end">${fmt(lo)}</text>` +
    `<polyline class="equity" data-points="${d.equity.length}" points="${pts}"/>` +
    timeAxis(t0, t1, H - 20, xOf) +
    '</svg>'
  );
}

function table(cls: string, head: string[], rows: (string | number)[][]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c) => `<td>${typeof c === 'number' ? c : escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

const CSS = `
body { font: 13px/1.45 system-ui, sans-serif; margin: 20px; color: #1d232b; background: #fff; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 26px; } h3 { font-size: 14px; margin: 14px 0 4px; }
table { border-collapse: collapse; margin: 6px 0 12px; } th, td { border: 1px solid #d5dae0; padding: 2px 8px; text-align: right; }
th { background: #f1f3f6; } td:first-child, th:first-child { text-align: left; }
td.example, table.unknown td:last-child, table.invalid td:last-child, table.alarms td:last-child { text-align: left; font-family: ui-monospace, monospace; font-size: 11px; max-width: 560px; overflow-wrap: anywhere; }
svg .plot { fill: #fafbfc; stroke: #d5dae0; } svg .axis { stroke: #9aa4b1; } svg .tick, svg .band-label { font-size: 10px; fill: #5b6675; }
svg polyline.price { fill: none; stroke: #2f6fdb; stroke-width: 1.2; } svg polyline.equity { fill: none; stroke: #13865a; stroke-width: 1.5; }
.marker.entry { stroke: #0b5d2c; stroke-width: 1; } .marker.entry.buy { fill: #20a35a; } .marker.entry.sell { fill: #d9412f; }
.marker.exit { fill: #fff; stroke-width: 1.5; } .marker.exit.buy { stroke: #20a35a; } .marker.exit.sell { stroke: #d9412f; }
.regime-SIDEWAYS { fill: #7cc79a; } .regime-EXPANSION { fill: #6d9be8; } .regime-DISABLED { fill: #d4d8de; }
rect.regime-seg:not(.regime-SIDEWAYS):not(.regime-EXPANSION):not(.regime-DISABLED) { fill: #e8c36d; }
.legend span { display: inline-block; padding: 0 8px; margin-right: 6px; border-radius: 3px; }
.legend .SIDEWAYS { background: #7cc79a; } .legend .EXPANSION { background: #6d9be8; } .legend .DISABLED { background: #d4d8de; }
.muted { color: #6b7480; }
`;

/** The report as one self-contained HTML string. */
export function renderReplayReport(input: ReplayReportInput): string {
  const d = analyseDecisions(input.decisions ?? [], input.prices ?? []);
  const truth = truthLabels(input.groundTruth);
  for (const l of truth) if (!d.coins.includes(l.coin)) d.coins.push(l.coin);
  d.coins.sort();
  const byCoin = new Map<string, { t: number; v: number }[]>();
  let priceCount = 0;
  for (const p of input.prices ?? []) {
    if (!isPricePoint(p)) continue;
    let list = byCoin.get(p.coin);
    if (!list) byCoin.set(p.coin, (list = []));
    list.push({ t: p.t, v: p.mid });
    priceCount++;
  }
  for (const list of byCoin.values()) list.sort((a, b) => a.t - b.t);

  const charts: string[] = [];
  const coinRows: (string | number)[][] = [];
  for (const coin of d.coins) {
    const prices = byCoin.get(coin) ?? [];
    const c = coinChart(coin, prices, d, truth);
    charts.push(`<h3>${escapeHtml(coin)}</h3>${c.svg}`);
    const share = new Map<string, number>();
    for (const s of c.segments) share.set(s.regime, (share.get(s.regime) ?? 0) + (s.to - s.from));
    const span = d.t1 - d.t0;
    const pct = (r: string): string => `${(((share.get(r) ?? 0) / span) * 100).toFixed(1)}%`;
    const fills = d.fills.filter((f) => f.coin === coin);
    const trades = d.trades.filter((t) => t.coin === coin && t.pnl !== null);
    const first = prices[0]?.v ?? null;
    const last = prices[prices.length - 1]?.v ?? null;
    const dg = pxDigits(first ?? 1);
    coinRows.push([
      coin,
      prices.length,
      fmt(first, dg),
      fmt(last, dg),
      first !== null && last !== null && first !== 0
        ? `${(((last - first) / first) * 100).toFixed(2)}%`
        : '—',
      (d.regimes.get(coin) ?? []).length,
      pct('SIDEWAYS'),
      pct('EXPANSION'),
      pct('DISABLED'),
      c.agreement === null ? '—' : `${(c.agreement * 100).toFixed(1)}%`,
      fills.filter((f) => f.role === 'entry').length,
      fills.filter((f) => f.role === 'exit').length,
      trades.length,
      fmt(trades.reduce((a, t) => a + (t.pnl ?? 0), 0)),
    ]);
  }

  const closed = d.trades.filter((t) => t.pnl !== null);
  const wins = closed.filter((t) => (t.pnl ?? 0) > 0).length;
  const net = closed.reduce((a, t) => a + (t.pnl ?? 0), 0);
  const eq0 = d.equity[0]?.equity ?? null;
  const eq1 = d.equity[d.equity.length - 1]?.equity ?? null;
  let peak = Number.NEGATIVE_INFINITY;
  let maxDd = 0;
  for (const e of d.equity) {
    peak = Math.max(peak, e.equity);
    if (peak > 0) maxDd = Math.max(maxDd, (peak - e.equity) / peak);
  }
  let unknownLines = 0;
  for (const u of d.unknown.values()) unknownLines += u.count;
  const overview: (string | number)[][] = [
    ['span', `${iso(d.t0)} → ${iso(d.t1)}`],
    ['coins', d.coins.join(', ') || '—'],
    ['strategies', [...d.strategies.keys()].join(', ') || '—'],
    ['price points', priceCount],
    ['decision lines (records)', `${d.lines} (${d.records})`],
    ['invalid lines (skipped)', d.invalid],
    ['lines of other kinds (skipped)', unknownLines],
    [
      'fills (entries / exits)',
      `${d.fills.length} (${d.fills.filter((f) => f.role === 'entry').length} / ${d.fills.filter((f) => f.role === 'exit').length})`,
    ],
    ['closed trades (wins)', `${closed.length} (${wins})`],
    ['net PnL of closed trades (fees included)', fmt(net)],
    [
      'realised / fees / funding paid',
      d.totals ? `${fmt(d.totals.realised)} / ${fmt(d.totals.fees)} / ${fmt(d.totals.fundingPaid)}` : '—',
    ],
    [
      'start equity',
      d.startEquity === null ? 'not in the log (exec.day): the curve starts at 0' : fmt(d.startEquity),
    ],
    ['realised equity start → end', `${fmt(eq0)} → ${fmt(eq1)}`],
    ['realised equity change', eq0 !== null && eq1 !== null ? fmt(eq1 - eq0) : '—'],
    ['max drawdown', d.equity.length > 0 && d.startEquity !== null ? `${(maxDd * 100).toFixed(2)}%` : '—'],
    ['alarms and errors', d.alarms.length],
  ];
  if (truth.length > 0) overview.push(['ground-truth labels', truth.length]);

  const strategyRows = [...d.strategies.values()].map((s) => [
    s.strategy,
    s.intents.entry,
    s.intents.exit,
    s.approved,
    s.rejected,
    s.entries,
    s.fills,
    s.trades,
    s.wins,
    fmt(s.pnl),
    fmt(s.fees),
    s.open,
  ]);
  const tradeRows = d.trades
    .slice(0, 500)
    .map((t) => [
      t.coin,
      t.strategy,
      t.side,
      iso(t.openTime),
      fmt(t.entryPx, pxDigits(t.entryPx)),
      t.closeTime === null ? 'open' : iso(t.closeTime),
      t.exitPx === null ? '—' : fmt(t.exitPx, pxDigits(t.exitPx)),
      fmt(t.size, 5),
      t.fills,
      fmt(t.fees),
      t.pnl === null ? '—' : fmt(t.pnl),
    ]);
  const kindRows = [...d.kinds.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, n]);
  const intentRows = [...d.intents.entries()].sort().map(([c, n]) => [c, n.entry, n.exit]);
  const verdictRows: (string | number)[][] = [
    ['approved', d.verdicts.ok],
    ...[...d.verdicts.rejected.entries()].sort((a, b) => b[1] - a[1]).map(([c, n]) => [`rejected: ${c}`, n]),
  ];
  const orderRows = [...d.orders.entries()].sort((a, b) => b[1] - a[1]).map(([s, n]) => [s, n]);
  const alarmRows = d.alarms
    .slice(0, 200)
    .map((a) => [iso(a.time), a.kind, a.coin ?? '—', a.strategy ?? '—', a.message]);
  const unknownRows = [...d.unknown.entries()].map(([k, u]) => [
    k,
    u.count,
    u.first === null ? '—' : iso(u.first),
    u.example,
  ]);
  const errorRows = d.errors.map((e) => [e.line, e.kind ?? '—', e.error]);

  const title = escapeHtml(input.title);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>${CSS}</style></head>
<body>
<h1>${title}</h1>
<h2>Summary</h2>
${table('overview', ['', ''], overview)}
<h2>Price, entries/exits and regime timeline</h2>
<p class="legend"><span class="SIDEWAYS">SIDEWAYS</span><span class="EXPANSION">EXPANSION</span><span class="DISABLED">DISABLED</span>
 ▲ buy ▼ sell — filled: entry, hollow: exit${truth.length > 0 ? ' — lower band: simulator ground truth' : ''}</p>
${charts.join('\n')}
<h2>Realised equity</h2>
<p class="muted">start equity + realised − fees − funding, after each position change (exec.position totals)</p>
${equityChart(d)}
<h2>Per strategy</h2>
${strategyRows.length > 0 ? table('strategies', ['strategy', 'entry intents', 'exit intents', 'approved', 'rejected', 'entries', 'fills', 'closed trades', 'wins', 'net PnL', 'fees', 'open'], strategyRows) : '<p class="muted">No strategy in the decision log.</p>'}
<h2>Per coin</h2>
${table('coins', ['coin', 'prices', 'first', 'last', 'change', 'regime records', 'SIDEWAYS', 'EXPANSION', 'DISABLED', 'truth agreement', 'entry fills', 'exit fills', 'closed trades', 'net PnL'], coinRows)}
<h2>Trades</h2>
${tradeRows.length > 0 ? table('trades', ['coin', 'strategy', 'side', 'opened', 'entry', 'closed', 'exit', 'size', 'fills', 'fees', 'net PnL'], tradeRows) : '<p class="muted">No fills.</p>'}
${d.trades.length > 500 ? `<p class="muted">first 500 of ${d.trades.length} trades shown</p>` : ''}
<h2>Alarms and errors</h2>
${alarmRows.length > 0 ? table('alarms', ['time', 'kind', 'coin', 'strategy', 'message'], alarmRows) : '<p class="muted">None.</p>'}
${d.alarms.length > 200 ? `<p class="muted">first 200 of ${d.alarms.length} shown</p>` : ''}
<h2>Decisions by kind</h2>
${table('kinds', ['kind', 'count'], kindRows)}
${intentRows.length > 0 ? `<h3>Intents</h3>${table('intents', ['coin', 'entry', 'exit'], intentRows)}` : ''}
${d.verdicts.ok + d.verdicts.rejected.size > 0 ? `<h3>Risk verdicts</h3>${table('verdicts', ['verdict', 'count'], verdictRows)}` : ''}
${orderRows.length > 0 ? `<h3>Orders by event</h3>${table('orders', ['event', 'count'], orderRows)}` : ''}
${unknownRows.length > 0 ? `<h3>Other kinds (not in the decision-log format)</h3>${table('unknown', ['kind', 'count', 'first', 'example'], unknownRows)}` : ''}
${errorRows.length > 0 ? `<h3>Invalid lines (first ${errorRows.length} of ${d.invalid})</h3>${table('invalid', ['line', 'kind', 'error'], errorRows)}` : ''}
</body></html>
`;
}
