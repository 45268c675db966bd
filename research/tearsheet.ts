/**
 * A backtest's tearsheet: one static HTML file, no network — the charting library (TradingView's
 * lightweight-charts, its standalone bundle from node_modules) is inlined, and so is the data. It shows the
 * equity and drawdown curves, the figures table (the whole run, then split by strategy, coin and regime),
 * each coin's price with its regime timeline shaded behind it, and the fees and funding paid over time.
 *
 * The pieces are exported for other pages (a sweep's tearsheet adds its parameter surface and top
 * configs): `pageShell`, `chartLibraryScript`, `figuresTable`, `splitTable`, `chartData`, `chartBlocks`,
 * `CHART_SCRIPT`. Every figure cell carries `data-figure` (its name) and `data-value` (the JSON number, or
 * `null`), so a reader (or a test) can match the page to the result.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BacktestResult } from './backtest.ts';
import type { EquityPoint, Metrics, SplitFigures } from './metrics.ts';

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON safe inside a `<script>` element (no `</script>`, no `<!--`). */
export function scriptJson(x: unknown): string {
  return JSON.stringify(x)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

let bundle: string | null = null;

/** The lightweight-charts standalone bundle as an inline `<script>` (it defines `window.LightweightCharts`). */
export function chartLibraryScript(): string {
  if (bundle === null) {
    // the package exports only its ES modules and package.json: the standalone bundle sits beside them
    const pkg = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
    const path = join(dirname(pkg), 'dist', 'lightweight-charts.standalone.production.js');
    bundle = readFileSync(path, 'utf8').replace(/<\/script/gi, '<\\/script');
  }
  return `<script>${bundle}</script>`;
}

export const TEARSHEET_CSS = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #1d2129; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; } h3 { font-size: 14px; margin: 16px 0 6px; }
.meta { color: #5c6370; margin: 0 0 12px; } .meta code { font-size: 12px; }
table { border-collapse: collapse; margin: 4px 0 12px; }
th, td { border: 1px solid #d8dce3; padding: 3px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; } th { background: #f3f5f8; }
.chart { width: 100%; height: 260px; margin: 4px 0 8px; position: relative; }
.chart.small { height: 200px; }
.legend span { display: inline-block; margin-right: 12px; } .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px; }
.note { color: #5c6370; max-width: 900px; }
`;

export const REGIME_COLORS: Record<string, string> = {
  SIDEWAYS: 'rgba(66, 133, 244, 0.18)',
  EXPANSION: 'rgba(244, 160, 0, 0.22)',
  DISABLED: 'rgba(120, 120, 120, 0.12)',
};
export const OTHER_REGIME_COLOR = 'rgba(156, 39, 176, 0.16)';

/** A page: title, the library, the style, a body and the scripts after it. */
export function pageShell(opts: { title: string; body: string; scripts?: string[]; css?: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(opts.title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<style>${TEARSHEET_CSS}${opts.css ?? ''}</style>
${chartLibraryScript()}
</head><body>
${opts.body}
${(opts.scripts ?? []).join('\n')}
</body></html>
`;
}

export type FigureFormat = 'pct' | 'num' | 'int' | 'usd' | 'hours';

/** How a figure is shown (the page and its test use this one formatting). */
export function formatFigure(x: number | null, format: FigureFormat): string {
  if (x === null || !Number.isFinite(x)) return '—';
  switch (format) {
    case 'pct':
      return `${(x * 100).toFixed(2)} %`;
    case 'int':
      return String(Math.round(x));
    case 'usd':
      return x.toFixed(2);
    case 'hours':
      return `${(x / 3_600_000).toFixed(2)} h`;
    default:
      return x.toFixed(3);
  }
}

function cell(name: string, x: number | null, format: FigureFormat): string {
  const value = x === null || !Number.isFinite(x) ? 'null' : String(x);
  return `<td data-figure="${escapeHtml(name)}" data-value="${value}" data-format="${format}">${formatFigure(x, format)}</td>`;
}

/** The whole run's figures: [label, JSON path in `metrics`, format]. */
export const FIGURES: readonly [string, string, FigureFormat][] = [
  ['start equity', 'startEquity', 'usd'],
  ['end equity', 'endEquity', 'usd'],
  ['total return', 'totalReturn', 'pct'],
  ['annualised return', 'annualisedReturn', 'pct'],
  ['volatility (annualised)', 'volatility', 'pct'],
  ['Sharpe', 'sharpe', 'num'],
  ['Sortino', 'sortino', 'num'],
  ['Calmar', 'calmar', 'num'],
  ['max drawdown', 'drawdown.max', 'pct'],
  ['max drawdown duration', 'drawdown.durationMs', 'hours'],
  ['days', 'days', 'num'],
  ['trades', 'trades', 'int'],
  ['trades per day', 'tradesPerDay', 'num'],
  ['win rate', 'winRate', 'pct'],
  ['profit factor', 'profitFactor', 'num'],
  ['expectancy', 'expectancy', 'usd'],
  ['average winner', 'avgWinner', 'usd'],
  ['average loser', 'avgLoser', 'usd'],
  ['largest winner', 'maxWinner', 'usd'],
  ['largest loser', 'maxLoser', 'usd'],
  ['net PnL of closed trades', 'pnl', 'usd'],
  ['exposure (time in market)', 'exposure', 'pct'],
  ['leverage (mean gross / equity)', 'leverage', 'num'],
  ['turnover (traded / mean equity)', 'turnover', 'num'],
  ['traded notional', 'tradedNotional', 'usd'],
  ['fees paid', 'fees', 'usd'],
  ['funding paid', 'funding', 'usd'],
];

/** The number at a dotted path of the metrics or a split's figures (null when absent). */
export function figureAt(m: Metrics | SplitFigures, path: string): number | null {
  let x: unknown = m;
  for (const p of path.split('.'))
    x = x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[p] : undefined;
  return typeof x === 'number' ? x : null;
}

export function figuresTable(m: Metrics): string {
  const rows = FIGURES.map(
    ([label, path, format]) =>
      `<tr><td>${escapeHtml(label)}</td>${cell(path, figureAt(m, path), format)}</tr>`,
  );
  return `<table class="figures" data-table="figures"><tr><th>figure</th><th>value</th></tr>${rows.join('')}</table>`;
}

/** The columns of a split table: [heading, dotted path in SplitFigures, format]. */
export const SPLIT_COLUMNS: readonly [string, string, FigureFormat][] = [
  ['trades', 'trades', 'int'],
  ['trades / day', 'tradesPerDay', 'num'],
  ['win rate', 'winRate', 'pct'],
  ['net PnL', 'pnl', 'usd'],
  ['profit factor', 'profitFactor', 'num'],
  ['expectancy', 'expectancy', 'usd'],
  ['avg winner', 'avgWinner', 'usd'],
  ['avg loser', 'avgLoser', 'usd'],
  ['largest winner', 'maxWinner', 'usd'],
  ['largest loser', 'maxLoser', 'usd'],
  ['fills', 'fills', 'int'],
  ['traded notional', 'tradedNotional', 'usd'],
  ['fees', 'fees', 'usd'],
  ['funding', 'funding', 'usd'],
  ['return (realised)', 'totalReturn', 'pct'],
  ['Sharpe', 'sharpe', 'num'],
  ['Sortino', 'sortino', 'num'],
  ['max DD', 'drawdown.max', 'pct'],
];

export function splitTable(by: string, rows: Readonly<Record<string, SplitFigures>>): string {
  const head = `<tr><th>${escapeHtml(by)}</th>${SPLIT_COLUMNS.map(([h]) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = Object.entries(rows).map(
    ([key, f]) =>
      `<tr data-key="${escapeHtml(key)}"><td>${escapeHtml(key)}</td>${SPLIT_COLUMNS.map(([, path, format]) => cell(path, figureAt(f, path), format)).join('')}</tr>`,
  );
  const empty = body.length === 0 ? `<tr><td colspan="${SPLIT_COLUMNS.length + 1}">none</td></tr>` : '';
  return `<table class="split" data-split="${escapeHtml(by)}">${head}${body.join('')}${empty}</table>`;
}

/** Seconds (the chart library's time unit), each series strictly increasing (a later point of a second wins). */
type Series = [number, number][];

function series(points: Iterable<{ time: number; value: number }>): Series {
  const out: Series = [];
  for (const p of points) {
    if (!Number.isFinite(p.time) || !Number.isFinite(p.value)) continue;
    const s = Math.floor(p.time / 1000);
    const last = out[out.length - 1];
    if (last && last[0] >= s) {
      if (last[0] === s) last[1] = p.value;
      continue;
    }
    out.push([s, p.value]);
  }
  return out;
}

/** The drawdown at each sample: equity / running peak − 1 (0 at a new peak, −0.1 ten per cent below it). */
export function drawdownCurve(equity: readonly EquityPoint[]): { time: number; value: number }[] {
  let peak = Number.NEGATIVE_INFINITY;
  return equity.map((p) => {
    peak = Math.max(peak, p.equity);
    return { time: p.time, value: peak > 0 ? p.equity / peak - 1 : 0 };
  });
}

function cumulative(xs: readonly { time: number; usdc: number }[]): { time: number; value: number }[] {
  let acc = 0;
  return [...xs].sort((a, b) => a.time - b.time).map((x) => ({ time: x.time, value: (acc += x.usdc) }));
}

export interface CoinChartData {
  coin: string;
  price: Series;
  /** The coin's regime at each price point (the shading behind the price). */
  regime: [number, string][];
  /** Trade entries and exits: [time s, side (1 buy, −1 sell), average px]. */
  fills: [number, 1 | -1, number][];
}

export interface ChartData {
  equity: Series;
  drawdown: Series;
  fees: Series;
  funding: Series;
  coins: CoinChartData[];
  regimeColors: Record<string, string>;
  otherRegimeColor: string;
}

/** What the page's charts draw, from a backtest result. */
export function chartData(r: BacktestResult): ChartData {
  const coins: CoinChartData[] = Object.entries(r.prices).map(([coin, prices]) => {
    const timeline = r.regimes[coin] ?? [];
    let k = 0;
    let regime = 'DISABLED';
    const price = series(prices.map((p) => ({ time: p.time, value: p.mid })));
    const regimeOf: [number, string][] = price.map(([s]) => {
      while (k < timeline.length && timeline[k]!.time <= s * 1000 + 999) regime = timeline[k++]!.regime;
      return [s, regime];
    });
    const fills: [number, 1 | -1, number][] = [];
    return { coin, price, regime: regimeOf, fills };
  });
  const byCoin = new Map(coins.map((c) => [c.coin, c]));
  // the markers: each closed trade's entry and exit, at its average price
  for (const t of r.trades) {
    const c = byCoin.get(t.coin);
    if (!c) continue;
    const open: 1 | -1 = t.side === 'LONG' ? 1 : -1;
    c.fills.push([Math.floor(t.openTime / 1000), open, t.entryPx]);
    if (t.exitPx !== null) c.fills.push([Math.floor(t.closeTime / 1000), open === 1 ? -1 : 1, t.exitPx]);
  }
  for (const c of coins) c.fills.sort((a, b) => a[0] - b[0]);
  return {
    equity: series(r.equity.map((p) => ({ time: p.time, value: p.equity }))),
    drawdown: series(drawdownCurve(r.equity)),
    fees: series(cumulative(r.fills.map((f) => ({ time: f.time, usdc: f.fee })))),
    funding: series(cumulative(r.funding)),
    coins,
    regimeColors: REGIME_COLORS,
    otherRegimeColor: OTHER_REGIME_COLOR,
  };
}

/** The chart containers of a page (ids the script fills). */
export function chartBlocks(d: ChartData): string {
  const legend = Object.entries(d.regimeColors)
    .map(([k, c]) => `<span><i style="background:${c}"></i>${escapeHtml(k)}</span>`)
    .join('');
  const coins = d.coins
    .map(
      (c, i) =>
        `<h3>${escapeHtml(c.coin)}: price, regime shaded, trade entries and exits</h3><div class="chart" id="price-${i}" data-chart="price" data-coin="${escapeHtml(c.coin)}" data-points="${c.price.length}"></div>`,
    )
    .join('\n');
  return `<h2>Equity</h2><div class="chart" id="equity" data-chart="equity" data-points="${d.equity.length}"></div>
<h2>Drawdown</h2><div class="chart small" id="drawdown" data-chart="drawdown" data-points="${d.drawdown.length}"></div>
<h2>Regimes over price</h2><div class="legend">${legend}</div>
${coins}
<h2>Fees and funding paid (cumulative)</h2><div class="chart small" id="costs" data-chart="costs" data-points="${d.fees.length + d.funding.length}"></div>`;
}

/** The page script: draws `window.CHART_DATA` into the blocks of `chartBlocks`. */
export const CHART_SCRIPT = `<script>
(function () {
  var LC = window.LightweightCharts, D = window.CHART_DATA;
  var pts = function (s) { return s.map(function (p) { return { time: p[0], value: p[1] }; }); };
  var base = { autoSize: true, layout: { background: { color: '#ffffff' }, textColor: '#1d2129', attributionLogo: false },
    grid: { vertLines: { color: '#eef0f3' }, horzLines: { color: '#eef0f3' } }, timeScale: { timeVisible: true, secondsVisible: false } };
  var make = function (id) { var el = document.getElementById(id); return el ? LC.createChart(el, base) : null; };
  var done = [];
  var eq = make('equity');
  if (eq) { eq.addSeries(LC.AreaSeries, { lineColor: '#1a73e8', topColor: 'rgba(26,115,232,0.25)', bottomColor: 'rgba(26,115,232,0.02)' }).setData(pts(D.equity)); eq.timeScale().fitContent(); done.push('equity'); }
  var dd = make('drawdown');
  if (dd) { dd.addSeries(LC.AreaSeries, { lineColor: '#d93025', topColor: 'rgba(217,48,37,0.02)', bottomColor: 'rgba(217,48,37,0.3)', invertFilledArea: true, priceFormat: { type: 'percent' } })
      .setData(D.drawdown.map(function (p) { return { time: p[0], value: p[1] * 100 }; })); dd.timeScale().fitContent(); done.push('drawdown'); }
  D.coins.forEach(function (c, i) {
    var ch = make('price-' + i); if (!ch) return;
    var shade = ch.addSeries(LC.HistogramSeries, { priceScaleId: 'regime', priceLineVisible: false, lastValueVisible: false, base: 0 });
    ch.priceScale('regime').applyOptions({ scaleMargins: { top: 0, bottom: 0 }, visible: false });
    shade.setData(c.regime.map(function (r) { return { time: r[0], value: 1, color: D.regimeColors[r[1]] || D.otherRegimeColor }; }));
    var line = ch.addSeries(LC.LineSeries, { color: '#202124', lineWidth: 1 });
    line.setData(pts(c.price));
    if (LC.createSeriesMarkers && c.fills.length) LC.createSeriesMarkers(line, c.fills.map(function (f) {
      return { time: f[0], position: f[1] > 0 ? 'belowBar' : 'aboveBar', shape: f[1] > 0 ? 'arrowUp' : 'arrowDown', color: f[1] > 0 ? '#188038' : '#d93025' };
    }));
    ch.timeScale().fitContent(); done.push('price-' + i);
  });
  var costs = make('costs');
  if (costs) {
    costs.addSeries(LC.LineSeries, { color: '#e37400', title: 'fees' }).setData(pts(D.fees));
    costs.addSeries(LC.LineSeries, { color: '#9334e6', title: 'funding' }).setData(pts(D.funding));
    costs.timeScale().fitContent(); done.push('costs');
  }
  window.CHARTS_DRAWN = done;
})();
</script>`;

/** The data script: `window.CHART_DATA`. */
export function chartDataScript(d: ChartData): string {
  return `<script>window.CHART_DATA = ${scriptJson(d)};</script>`;
}

const iso = (t: number | null): string =>
  t === null ? '—' : new Date(t).toISOString().replace('.000Z', 'Z');

export function renderTearsheet(r: BacktestResult, title = 'Backtest tearsheet'): string {
  const m = r.metrics;
  const d = chartData(r);
  const set = Object.entries(r.set);
  const body = `<h1>${escapeHtml(title)}</h1>
<p class="meta">journal ${escapeHtml(r.range.firstDay ?? '—')} … ${escapeHtml(r.range.lastDay ?? '—')} (${r.range.days.length} days, ${iso(r.range.firstTime)} → ${iso(r.range.lastTime)}),
${r.replay.records} records, ${r.replay.ticks} ticks; config <code data-config-hash="${escapeHtml(r.configHash)}">${escapeHtml(r.configHash.slice(0, 16))}</code>${
    set.length > 0
      ? `; --set ${set.map(([k, v]) => `<code>${escapeHtml(`${k}=${v}`)}</code>`).join(' ')}`
      : ''
  }</p>
${chartBlocks(d)}
<h2>Figures</h2>
${figuresTable(m)}
<p class="note">Returns between equity samples (every ${formatFigure(m.periodMs === null ? null : m.periodMs / 1000, 'int')} s of journal time, marked to market), annualised over 365 days;
Sharpe and Sortino with a zero risk-free rate. A trade's PnL is net of its fees and of the funding paid while it was open. Funding is the paper
venue's: every open position settles on the hour at the venue's hourly rate and mark (positive: paid). ${r.openTrades} round trip(s) still open at the end (not in the trade figures).</p>
<p class="note">A split's return, Sharpe, Sortino and drawdown are those of its realised curve: the start equity plus the net PnL of its trades closed by each sample.</p>
<h2>By strategy</h2>${splitTable('strategy', m.split.strategy)}
<h2>By coin</h2>${splitTable('coin', m.split.coin)}
<h2>By regime (at the trade's entry, the fill, the funding payment)</h2>${splitTable('regime', m.split.regime)}
<script type="application/json" id="result-metrics">${scriptJson(m)}</script>`;
  return pageShell({
    title: `${title} ${r.configHash.slice(0, 12)}`,
    body,
    scripts: [chartDataScript(d), CHART_SCRIPT],
  });
}
