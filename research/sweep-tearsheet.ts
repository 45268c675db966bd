/**
 * A sweep's tearsheet (`sweep.html` in the sweep folder): one static page, no network (the chart library
 * and the data inlined, as the per-run tearsheet's `pageShell`). It states the walk-forward split, then:
 * - the folds: for each fold after the first, its in-sample and out-of-sample days, the config chosen on the
 *   in-sample span and its figures in and out of sample;
 * - the parameter surface: the objective over the final in-sample span — for one swept parameter a line
 *   (lightweight-charts' options chart: the parameter's value on the horizontal scale) when its values are
 *   numbers, else a one-row table; for two, a table heatmap (rows × columns) with a colour scale; for more,
 *   one heatmap per pair of the three parameters that move the objective most (each cell the best objective
 *   over the other parameters);
 * - the top configs (ranked on the final in-sample span) with their in-sample and out-of-sample (the last
 *   fold) figures side by side — every figure cell carries `data-figure` and `data-value` (the JSON number)
 *   so a reader can match the page to `runtime sweep --json`'s `walkForward.top`;
 * - each top config's equity curve: the in-sample run, then the out-of-sample run, in two colours.
 */
import type { ParamSet } from './grid.ts';
import type { EquityPoint } from './metrics.ts';
import { escapeHtml, type FigureFormat, formatFigure, pageShell, scriptJson } from './tearsheet.ts';
import { type ShownFigures, type SurfacePoint, SHOWN, type WalkForwardReport } from './walk-forward.ts';

const FORMATS: Record<keyof ShownFigures, [string, FigureFormat]> = {
  totalReturn: ['return', 'pct'],
  sharpe: ['Sharpe', 'num'],
  calmar: ['Calmar', 'num'],
  maxDrawdown: ['max DD', 'pct'],
  trades: ['trades', 'int'],
  winRate: ['win rate', 'pct'],
  pnl: ['net PnL', 'usd'],
  fees: ['fees', 'usd'],
  funding: ['funding', 'usd'],
};

function cell(name: string, x: number | null, format: FigureFormat): string {
  const value = x === null || !Number.isFinite(x) ? 'null' : String(x);
  return `<td data-figure="${escapeHtml(name)}" data-value="${value}">${formatFigure(x, format)}</td>`;
}

function figureCells(prefix: string, f: ShownFigures | null): string {
  return SHOWN.map((k) => cell(`${prefix}.${k}`, f ? f[k] : null, FORMATS[k][1])).join('');
}

const setText = (s: ParamSet): string =>
  Object.entries(s)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');

const dayspan = (d: readonly string[]): string =>
  d.length === 0 ? '—' : d.length === 1 ? d[0]! : `${d[0]} … ${d[d.length - 1]} (${d.length} days)`;

function foldsTable(r: WalkForwardReport): string {
  const heads = SHOWN.map((k) => FORMATS[k][0]);
  const head = `<tr><th rowspan="2">fold</th><th rowspan="2">in sample</th><th rowspan="2">out of sample</th><th rowspan="2">chosen config</th><th colspan="${SHOWN.length}">in sample</th><th colspan="${SHOWN.length}">out of sample</th></tr>
<tr>${[...heads, ...heads].map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const rows = r.steps.map(
    (s) =>
      `<tr data-fold="${s.fold}"><td>${s.fold}</td><td>${escapeHtml(dayspan(s.inSampleDays))}</td><td>${escapeHtml(dayspan(s.outOfSampleDays))}</td><td><code data-config-hash="${escapeHtml(s.chosen?.configHash ?? '')}">${escapeHtml(s.chosen?.configHash.slice(0, 10) ?? 'none')}</code> ${escapeHtml(s.chosen ? setText(s.chosen.set) : '')}</td>${figureCells('inSample', s.chosen?.inSample ?? null)}${figureCells('outOfSample', s.outOfSample)}</tr>`,
  );
  return `<table data-table="folds">${head}${rows.join('')}</table>`;
}

function topTable(r: WalkForwardReport): string {
  const heads = SHOWN.map((k) => FORMATS[k][0]);
  const head = `<tr><th rowspan="2">rank</th><th rowspan="2">config</th><th rowspan="2">parameters</th><th rowspan="2">objective (${escapeHtml(r.objective)})</th><th colspan="${SHOWN.length}">in sample: ${escapeHtml(dayspan(r.finalInSampleDays))}</th><th colspan="${SHOWN.length}">out of sample: ${escapeHtml(dayspan(r.finalOutOfSampleDays))}</th></tr>
<tr>${[...heads, ...heads].map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const rows = r.top.map(
    (t) =>
      `<tr data-rank="${t.rank}" data-config-hash="${escapeHtml(t.configHash)}"><td>${t.rank}</td><td><code>${escapeHtml(t.configHash.slice(0, 10))}</code></td><td>${escapeHtml(setText(t.set))}</td>${cell('objective', t.objective, 'num')}${figureCells('inSample', t.inSample)}${figureCells('outOfSample', t.outOfSample)}</tr>`,
  );
  return `<table data-table="top">${head}${rows.join('')}</table>`;
}

// ------------------------------------------------------------------ the parameter surface

type Value = string | number | boolean | null;

/** The swept parameters whose values differ between configs, with their distinct values sorted. */
export function varyingParams(points: readonly SurfacePoint[]): { key: string; values: Value[] }[] {
  const keys = new Set<string>();
  for (const p of points) for (const k of Object.keys(p.set)) keys.add(k);
  const out: { key: string; values: Value[] }[] = [];
  for (const key of [...keys].sort()) {
    const seen = new Map<string, Value>();
    for (const p of points) {
      const v = p.set[key] ?? null;
      seen.set(JSON.stringify(v), v);
    }
    if (seen.size < 2) continue;
    const values = [...seen.values()].sort((a, b) =>
      typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)),
    );
    out.push({ key, values });
  }
  return out;
}

/** How much a parameter moves the objective: the range of its values' mean objectives. */
function spread(points: readonly SurfacePoint[], key: string, values: readonly Value[]): number {
  const means: number[] = [];
  for (const v of values) {
    const xs = points
      .filter((p) => JSON.stringify(p.set[key] ?? null) === JSON.stringify(v))
      .map((p) => p.objective)
      .filter((x): x is number => x !== null);
    if (xs.length > 0) means.push(xs.reduce((a, b) => a + b, 0) / xs.length);
  }
  return means.length > 1 ? Math.max(...means) - Math.min(...means) : 0;
}

/** The best objective of the configs at (a, b) over the other parameters (null: none defined). */
function best(points: readonly SurfacePoint[], cond: (p: SurfacePoint) => boolean): number | null {
  let out: number | null = null;
  for (const p of points)
    if (cond(p) && p.objective !== null && (out === null || p.objective > out)) out = p.objective;
  return out;
}

/** A colour from red (lowest) through white to green (highest). */
function colour(x: number | null, lo: number, hi: number): string {
  if (x === null) return '#eeeeee';
  const t = hi > lo ? (x - lo) / (hi - lo) : 0.5;
  const mix = (a: number, b: number, u: number) => Math.round(a + (b - a) * u);
  const [r, g, b] =
    t < 0.5
      ? [mix(214, 255, t * 2), mix(96, 255, t * 2), mix(77, 255, t * 2)]
      : [mix(255, 46, (t - 0.5) * 2), mix(255, 160, (t - 0.5) * 2), mix(255, 80, (t - 0.5) * 2)];
  return `rgb(${r}, ${g}, ${b})`;
}

const eq = (a: Value | undefined, b: Value) => JSON.stringify(a ?? null) === JSON.stringify(b);

function heatmap(
  points: readonly SurfacePoint[],
  a: { key: string; values: Value[] },
  b: { key: string; values: Value[] } | null,
  lo: number,
  hi: number,
): string {
  const cols = b ? b.values : [null];
  const head = `<tr><th>${escapeHtml(a.key)} \\ ${escapeHtml(b?.key ?? '')}</th>${cols.map((v) => `<th>${escapeHtml(b ? JSON.stringify(v) : 'objective')}</th>`).join('')}</tr>`;
  const rows = a.values.map((va) => {
    const cells = cols.map((vb) => {
      const x = best(points, (p) => eq(p.set[a.key], va) && (!b || eq(p.set[b.key], vb)));
      const value = x === null ? 'null' : String(x);
      return `<td class="heat" data-value="${value}" style="background:${colour(x, lo, hi)}">${formatFigure(x, 'num')}</td>`;
    });
    return `<tr><th>${escapeHtml(JSON.stringify(va))}</th>${cells.join('')}</tr>`;
  });
  return `<table class="heatmap" data-heatmap="${escapeHtml(a.key)}${b ? `|${escapeHtml(b.key)}` : ''}">${head}${rows.join('')}</table>`;
}

export interface SurfaceView {
  html: string;
  /** A line chart's data (one numeric parameter), else null. */
  line: { key: string; points: [number, number][] } | null;
}

export function surfaceView(points: readonly SurfacePoint[], objective: string): SurfaceView {
  const params = varyingParams(points);
  const defined = points.map((p) => p.objective).filter((x): x is number => x !== null);
  const lo = defined.length ? Math.min(...defined) : 0;
  const hi = defined.length ? Math.max(...defined) : 0;
  const scale = `<div class="legend">colour scale: <span style="background:${colour(lo, lo, hi)}">&nbsp;${formatFigure(defined.length ? lo : null, 'num')}&nbsp;</span> → <span style="background:${colour(hi, lo, hi)}">&nbsp;${formatFigure(defined.length ? hi : null, 'num')}&nbsp;</span>; grey: ${escapeHtml(objective)} undefined (no trade)</div>`;
  if (params.length === 0)
    return { html: '<p class="note">One config: no parameter varies, no surface.</p>', line: null };
  if (params.length === 1) {
    const p = params[0]!;
    const numeric = p.values.every((v) => typeof v === 'number');
    const table = heatmap(points, p, null, lo, hi);
    if (!numeric) return { html: `${scale}${table}`, line: null };
    const line: [number, number][] = [];
    for (const v of p.values) {
      const x = best(points, (q) => eq(q.set[p.key], v));
      if (x !== null) line.push([v as number, x]);
    }
    return {
      html: `<div class="chart small" id="surface-line" data-chart="surface" data-points="${line.length}"></div>${scale}${table}`,
      line: { key: p.key, points: line },
    };
  }
  let chosen = params;
  if (params.length > 2)
    chosen = [...params]
      .map((p) => ({ p, s: spread(points, p.key, p.values) }))
      .sort((x, y) => y.s - x.s || x.p.key.localeCompare(y.p.key))
      .slice(0, 3)
      .map((x) => x.p);
  const panels: string[] = [];
  for (let i = 0; i < chosen.length; i++)
    for (let j = i + 1; j < chosen.length; j++)
      panels.push(
        `<h3>${escapeHtml(chosen[i]!.key)} × ${escapeHtml(chosen[j]!.key)}</h3>${heatmap(points, chosen[i]!, chosen[j]!, lo, hi)}`,
      );
  const note =
    params.length > 2
      ? `<p class="note">${params.length} parameters vary: one panel per pair of the three that move the objective most (${chosen.map((p) => escapeHtml(p.key)).join(', ')}); each cell is the best objective over the other parameters.</p>`
      : '';
  return { html: `${note}${scale}${panels.join('\n')}`, line: null };
}

// ------------------------------------------------------------------ charts

type Series = [number, number][];

/** Seconds, strictly increasing (a later point of a second wins). */
function series(points: readonly EquityPoint[]): Series {
  const out: Series = [];
  for (const p of points) {
    if (!Number.isFinite(p.time) || !Number.isFinite(p.equity)) continue;
    const s = Math.floor(p.time / 1000);
    const last = out[out.length - 1];
    if (last && last[0] >= s) {
      if (last[0] === s) last[1] = p.equity;
      continue;
    }
    out.push([s, p.equity]);
  }
  return out;
}

interface SweepChartData {
  surface: { key: string; points: Series } | null;
  equity: { rank: number; inSample: Series; outOfSample: Series }[];
}

const SWEEP_CHART_SCRIPT = `<script>
(function () {
  var LC = window.LightweightCharts, D = window.SWEEP_CHART_DATA;
  var pts = function (s) { return s.map(function (p) { return { time: p[0], value: p[1] }; }); };
  var base = { autoSize: true, layout: { background: { color: '#ffffff' }, textColor: '#1d2129', attributionLogo: false },
    grid: { vertLines: { color: '#eef0f3' }, horzLines: { color: '#eef0f3' } } };
  var done = [];
  var el = document.getElementById('surface-line');
  if (el && D.surface && LC.createOptionsChart) {
    var sc = LC.createOptionsChart(el, base);
    sc.addSeries(LC.LineSeries, { color: '#1a73e8', pointMarkersVisible: true, title: D.surface.key }).setData(pts(D.surface.points));
    sc.timeScale().fitContent(); done.push('surface');
  }
  D.equity.forEach(function (e) {
    var c = document.getElementById('equity-' + e.rank); if (!c) return;
    var ch = LC.createChart(c, Object.assign({}, base, { timeScale: { timeVisible: true, secondsVisible: false } }));
    ch.addSeries(LC.LineSeries, { color: '#1a73e8', title: 'in sample' }).setData(pts(e.inSample));
    var oos = ch.addSeries(LC.LineSeries, { color: '#e37400', title: 'out of sample' });
    oos.setData(pts(e.outOfSample));
    if (LC.createSeriesMarkers && e.outOfSample.length) LC.createSeriesMarkers(oos, [{ time: e.outOfSample[0][0], position: 'aboveBar', shape: 'arrowDown', color: '#e37400', text: 'out of sample' }]);
    ch.timeScale().fitContent(); done.push('equity-' + e.rank);
  });
  window.CHARTS_DRAWN = done;
})();
</script>`;

export interface SweepPageInfo {
  /** Configs run, the range's days, the cache folder. */
  configs: number;
  days: readonly string[];
  runs: number;
  cached: number;
}

export function renderSweepTearsheet(
  r: WalkForwardReport,
  info: SweepPageInfo,
  title = 'Sweep tearsheet',
): string {
  const surface = surfaceView(r.surface, r.objective);
  const data: SweepChartData = {
    surface: surface.line,
    equity: r.top.map((t) => ({
      rank: t.rank,
      inSample: series(t.inSampleEquity),
      outOfSample: series(t.outOfSampleEquity),
    })),
  };
  const curves = r.top
    .map(
      (t) =>
        `<h3>#${t.rank} <code>${escapeHtml(t.configHash.slice(0, 10))}</code> ${escapeHtml(setText(t.set))}</h3><div class="chart small" id="equity-${t.rank}" data-chart="equity" data-rank="${t.rank}" data-points="${data.equity[t.rank - 1]!.inSample.length + data.equity[t.rank - 1]!.outOfSample.length}"></div>`,
    )
    .join('\n');
  const oos = r.outOfSample;
  const body = `<h1>${escapeHtml(title)}</h1>
<p class="meta">${info.configs} configs over ${escapeHtml(dayspan(info.days))}; ${info.runs} runs (${info.cached} read back from the cache); objective <b>${escapeHtml(r.objective)}</b> (ties: smaller max drawdown).</p>
<h2>Walk-forward split</h2>
<p class="note" data-split>${escapeHtml(r.split)}.</p>
<p class="note">Out of sample, the chosen configs chained over ${oos.folds} fold(s): compounded return <span data-figure="outOfSample.compoundedReturn" data-value="${oos.compoundedReturn ?? 'null'}">${formatFigure(oos.compoundedReturn, 'pct')}</span>, net PnL <span data-figure="outOfSample.pnl" data-value="${oos.pnl}">${formatFigure(oos.pnl, 'usd')}</span>. Each run starts at the span's first day with the start equity (a fresh replay of its days).</p>
${foldsTable(r)}
<h2>Parameter surface: ${escapeHtml(r.objective)} over the final in-sample span (${escapeHtml(dayspan(r.finalInSampleDays))})</h2>
${surface.html}
<h2>Top configs: in sample (${escapeHtml(dayspan(r.finalInSampleDays))}) and out of sample (${escapeHtml(dayspan(r.finalOutOfSampleDays))})</h2>
${topTable(r)}
<h2>Equity of the top configs: in sample (blue), then out of sample (orange)</h2>
${curves}
<script type="application/json" id="sweep-report">${scriptJson({ ...r, top: r.top.map(({ inSampleEquity: _a, outOfSampleEquity: _b, ...t }) => t) })}</script>`;
  return pageShell({
    title,
    body,
    css: 'td.heat { text-align: center; min-width: 56px; } .legend span { padding: 0 4px; }',
    scripts: [`<script>window.SWEEP_CHART_DATA = ${scriptJson(data)};</script>`, SWEEP_CHART_SCRIPT],
  });
}
