/**
 * The dashboard page: one HTML string with inline CSS and JS, no framework and nothing fetched from
 * the internet. It opens `/ws` on the same host, redraws from every pushed snapshot, and sends operator
 * commands over the same socket. The strategy statechart arrives pre-rendered (server side, from the
 * machine JSON) in a <template>; the page clones it per strategy and marks the active state.
 *
 * Per coin a price chart (TradingView's lightweight-charts, its standalone bundle served by this server):
 * bid and ask, the regime shaded behind them, every fill marked at its price (entries blue, exits orange)
 * and the open trade's stop and target as lines. Below: the equity curve (realised, from the decision
 * log, and marked to market, live), alarms, health per channel and per source, the blotter (positions
 * with unrealised PnL, working orders, round trips, fills) and the decision feed as a table filtered by
 * kind, coin, strategy and text, each row's raw record one click away. Numbers are formatted for people
 * by the functions of `format.ts`, whose source the page embeds.
 */
import { FORMAT_SOURCE } from './format.ts';
import { escapeHtml } from './statechart.ts';

export interface PageOptions {
  title?: string;
  /** The strategy lifecycle as SVG (from `renderStatechartSvg`), or '' when no statechart was given. */
  statechartSvg: string;
}

const CSS = `
:root { color-scheme: dark; --bg:#0f1216; --panel:#171b21; --line:#2a313b; --fg:#d8dee6; --dim:#8792a2;
  --bid:#2fbf71; --ask:#e5534b; --warn:#d29922; --accent:#4c8dff; --entry:#4c8dff; --exit:#f0883e; }
* { box-sizing: border-box; }
body { margin:0; font:12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background:var(--bg); color:var(--fg); }
header { display:flex; flex-wrap:wrap; gap:12px; align-items:center; padding:8px 12px; border-bottom:1px solid var(--line); background:var(--panel); position:sticky; top:0; z-index:5; }
header h1 { font-size:14px; margin:0 6px 0 0; }
#health-reason { display:inline-block; max-width:340px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; vertical-align:bottom; }
.kv { display:inline-flex; gap:5px; align-items:baseline; margin-right:10px; } .kv .k { color:var(--dim); }
.badge { padding:1px 8px; border-radius:10px; font-weight:bold; border:1px solid var(--line); }
.st-ACTIVE, .lv-HEALTHY { color:var(--bid); } .st-REDUCING, .lv-DEGRADED, .lv-WARMING { color:var(--warn); }
.st-HALTED, .lv-HALTED { color:var(--ask); }
.pos { color:var(--bid); } .neg { color:var(--ask); }
button, select, input { font:inherit; color:var(--fg); background:#222a33; border:1px solid var(--line); border-radius:6px; padding:3px 8px; }
button { cursor:pointer; }
button.kill { background:#5a1d1d; border-color:var(--ask); color:#fff; font-weight:bold; }
main { padding:10px 12px; display:grid; grid-template-columns:minmax(0, 1fr); gap:10px; }
.panel { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:8px 10px; min-width:0; }
.panel h2 { font-size:13px; margin:0 0 6px; display:flex; flex-wrap:wrap; gap:12px; align-items:baseline; }
.panel h2 .count { color:var(--dim); font-weight:normal; }
#coins { display:grid; grid-template-columns:repeat(auto-fit, minmax(620px, 1fr)); gap:10px; }
.coin-grid { display:grid; grid-template-columns:minmax(0, 1fr) 190px; gap:8px; align-items:start; }
.chart { height:250px; border:1px solid var(--line); border-radius:6px; background:#12161b; position:relative; }
.legend { display:flex; flex-wrap:wrap; gap:10px; color:var(--dim); font-size:11px; margin-top:3px; }
.legend i { display:inline-block; width:10px; height:3px; vertical-align:middle; margin-right:3px; }
.row3 { display:grid; grid-template-columns:minmax(0, 1.6fr) minmax(0, 1fr) minmax(0, 1fr); gap:10px; }
.row2 { display:grid; grid-template-columns:minmax(0, 1fr) minmax(0, 1fr); gap:10px; }
#equity-chart { height:200px; border:1px solid var(--line); border-radius:6px; background:#12161b; }
table { border-collapse:collapse; width:100%; } td, th { padding:1px 6px; text-align:right; white-space:nowrap; } th { color:var(--dim); font-weight:normal; border-bottom:1px solid var(--line); }
td:first-child, th:first-child { text-align:left; }
#sources td:nth-child(2) { white-space:normal; word-break:break-all; text-align:left; }
td.l, th.l { text-align:left; }
.scroll { max-height:210px; overflow:auto; }
.book td.px { font-weight:bold; } .book tr.ask td.px { color:var(--ask); } .book tr.bid td.px { color:var(--bid); }
.book tr.spread td { color:var(--dim); text-align:center; }
.inputs { margin-top:4px; color:var(--dim); font-size:11px; }
.regime-SIDEWAYS { color:var(--bid); } .regime-EXPANSION { color:var(--accent); } .regime-DISABLED { color:var(--dim); }
.strategies { display:grid; grid-template-columns:repeat(auto-fill, minmax(140px, 1fr)); gap:6px; margin-top:6px; }
.strategy { border:1px solid var(--line); border-radius:6px; padding:3px 4px; min-width:0; }
.strategy .title { display:flex; justify-content:space-between; gap:6px; margin-bottom:1px; font-size:11px; }
svg.statechart { width:100%; height:82px; color:#5b6675; }
svg.statechart .state rect { fill:#1c222a; stroke:#3a4452; stroke-width:1.5; }
svg.statechart .state text { fill:var(--fg); font-size:12px; }
svg.statechart .state text.sub { fill:var(--warn); font-size:10px; }
svg.statechart .state.initial rect { stroke-dasharray:4 2; }
svg.statechart .state.active rect { fill:#16345f; stroke:var(--accent); stroke-width:3; }
svg.statechart .state.active text.name { font-weight:bold; }
.stale { color:var(--ask); font-weight:bold; }
.role-entry { color:var(--entry); } .role-exit { color:var(--exit); }
.side-BUY, .side-LONG { color:var(--bid); } .side-SELL, .side-SHORT { color:var(--ask); }
#alarms li { margin:0 0 3px; } #alarms { list-style:none; padding:0; margin:0; }
#alarms .kind { color:var(--warn); }
.filters { display:flex; flex-wrap:wrap; gap:8px; align-items:center; margin-bottom:6px; }
#decision-table tbody tr { cursor:pointer; } #decision-table tbody tr:hover { background:#1f2630; }
#decision-table tbody tr.selected { background:#16345f; }
#decision-table td.reason { text-align:left; white-space:normal; color:#b9c2ce; }
.decisions-grid { display:grid; grid-template-columns:minmax(0, 2fr) minmax(0, 1fr); gap:10px; }
.decisions-grid .scroll { max-height:300px; }
pre#decision-raw { margin:0; max-height:300px; overflow:auto; white-space:pre-wrap; color:#b9c2ce; background:#12161b; border:1px solid var(--line); border-radius:6px; padding:6px; }
#conn.down { color:var(--ask); } #conn.up { color:var(--bid); }
.muted { color:var(--dim); }
`;

const JS = String.raw`
(function () {
  'use strict';
  var MAX_POINTS = 3600;
  var MAX_ROWS = 300;
  var MAX_FEED = 2000;
  var state = { ws: null, seq: 0, pending: {}, coins: {}, last: null, history: null, retry: 250,
    feed: [], feedNext: 0, kinds: {}, coinNames: {}, strategyNames: {}, selected: null, feedDirty: true,
    lib: null, equity: null, marked: [] };
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function setText(node, text) { if (node && node.textContent !== text) node.textContent = text; }
  function setClass(node, prefix, value) {
    if (!node) return;
    var keep = (node.getAttribute('class') || '').split(' ').filter(function (c) { return c && c.indexOf(prefix) !== 0; });
    keep.push(prefix + value);
    node.setAttribute('class', keep.join(' '));
  }
  function signClass(node, x) {
    if (!node) return;
    node.classList.toggle('pos', typeof x === 'number' && x > 0);
    node.classList.toggle('neg', typeof x === 'number' && x < 0);
  }
  /** Table rows from arrays of cells ([text, class?]); rows rebuilt only when their text changed. */
  function fillRows(tbody, rows, attrs) {
    while (tbody.rows.length > rows.length) tbody.deleteRow(-1);
    rows.forEach(function (r, i) {
      var tr = tbody.rows[i] || tbody.insertRow(-1);
      while (tr.cells.length < r.length) tr.insertCell(-1);
      while (tr.cells.length > r.length) tr.deleteCell(-1);
      r.forEach(function (c, j) {
        var cell = tr.cells[j];
        var text = Array.isArray(c) ? c[0] : c;
        var cls = Array.isArray(c) ? c[1] || '' : '';
        setText(cell, text);
        if (cell.className !== cls) cell.className = cls;
      });
      var a = attrs ? attrs(i) : null;
      if (a) for (var k in a) tr.setAttribute(k, a[k]);
    });
  }
  var sec = function (ms) { return Math.floor(ms / 1000); };
  var REGIME_COLORS = { SIDEWAYS: 'rgba(47,191,113,0.13)', EXPANSION: 'rgba(76,141,255,0.16)', DISABLED: 'rgba(135,146,162,0.06)' };

  // ------------------------------------------------------------------ charts (lightweight-charts)
  function chartOptions() {
    return {
      autoSize: true,
      layout: { background: { color: '#12161b' }, textColor: '#8792a2', fontSize: 11, attributionLogo: false },
      grid: { vertLines: { color: '#1d232b' }, horzLines: { color: '#1d232b' } },
      rightPriceScale: { borderColor: '#2a313b' },
      timeScale: { borderColor: '#2a313b', timeVisible: true, secondsVisible: true },
      crosshair: { mode: 0 },
    };
  }
  function makeCoinChart(s) {
    var L = state.lib;
    if (!L || s.chart) return;
    var chart = L.createChart(s.chartBox, chartOptions());
    var regime = chart.addSeries(L.HistogramSeries, { priceScaleId: 'regime', lastValueVisible: false, priceLineVisible: false, base: 0 });
    chart.priceScale('regime').applyOptions({ scaleMargins: { top: 0, bottom: 0 }, visible: false });
    var fmt = { type: 'price', precision: s.digits, minMove: Math.pow(10, -s.digits) };
    var ask = chart.addSeries(L.LineSeries, { color: '#e5534b', lineWidth: 1, priceFormat: fmt, title: 'ask', lastValueVisible: true, priceLineVisible: false });
    var bid = chart.addSeries(L.LineSeries, { color: '#2fbf71', lineWidth: 1, priceFormat: fmt, title: 'bid', lastValueVisible: true, priceLineVisible: false });
    var fills = chart.addSeries(L.LineSeries, { color: 'rgba(0,0,0,0)', lineVisible: false, pointMarkersVisible: false, priceFormat: fmt, lastValueVisible: false, priceLineVisible: false, crosshairMarkerVisible: false });
    var marks = L.createSeriesMarkers(fills, []);
    s.chart = chart; s.series = { regime: regime, ask: ask, bid: bid, fills: fills }; s.marks = marks; s.lines = [];
    s.points.forEach(function (p) { addPoint(s, p, false); });
    if (state.history) drawHistory(s, state.history);
  }
  function addPoint(s, p, record) {
    if (record) {
      var last = s.points[s.points.length - 1];
      if (last && last.time > p.time) return;
      if (last && last.time === p.time) s.points[s.points.length - 1] = p; else s.points.push(p);
      if (s.points.length > MAX_POINTS) s.points.splice(0, s.points.length - MAX_POINTS);
    }
    if (!s.chart) return;
    if (p.bid !== null) s.series.bid.update({ time: p.time, value: p.bid });
    if (p.ask !== null) s.series.ask.update({ time: p.time, value: p.ask });
    s.series.regime.update({ time: p.time, value: 1, color: REGIME_COLORS[p.regime] || REGIME_COLORS.DISABLED });
  }
  /** Fills as markers at their prices (entries ▲/▼ blue, exits orange), the open trade's stop and target as lines. */
  function drawHistory(s, h) {
    if (!s.chart) return;
    var fills = (h.fills || []).filter(function (f) { return f.coin === s.coin; });
    var data = [];
    var markers = [];
    var labelled = {};
    fills.forEach(function (f) {
      var t = sec(f.time);
      var last = data[data.length - 1];
      if (last && last.time === t) last.value = f.px; else data.push({ time: t, value: f.px });
      var buy = f.side > 0;
      markers.push({
        time: t, position: 'atPriceMiddle', price: f.px,
        shape: buy ? 'arrowUp' : 'arrowDown',
        color: f.role === 'exit' ? '#f0883e' : '#4c8dff',
        // one label per order's worth: the fills of one second, role and side share the first one's
        text: labelled[f.role + (buy ? 'B' : 'S') + t] ? '' : (labelled[f.role + (buy ? 'B' : 'S') + t] = f.role + ' ' + (buy ? 'buy ' : 'sell ') + fmtPx(f.px)),
        id: f.role + ':' + f.time + ':' + f.px,
      });
    });
    s.series.fills.setData(data);
    s.marks.setMarkers(markers);
    s.lines.forEach(function (l) { s.series.fills.removePriceLine(l); });
    s.lines = [];
    (h.levels || []).filter(function (l) { return l.coin === s.coin; }).forEach(function (l) {
      s.lines.push(s.series.fills.createPriceLine({ price: l.stop, color: '#e5534b', lineWidth: 1, lineStyle: 2, axisLabelVisible: true, title: 'stop' }));
      s.lines.push(s.series.fills.createPriceLine({ price: l.target, color: '#2fbf71', lineWidth: 1, lineStyle: 2, axisLabelVisible: true, title: 'target' }));
    });
    s.marked = { fills: fills.length };
  }
  function makeEquityChart() {
    var L = state.lib;
    if (!L || state.equity) return;
    var chart = L.createChart($('#equity-chart'), chartOptions());
    var fmt = { type: 'price', precision: 2, minMove: 0.01 };
    var realised = chart.addSeries(L.LineSeries, { color: '#4c8dff', lineWidth: 2, lineType: 1, priceFormat: fmt, title: 'realised' });
    var marked = chart.addSeries(L.LineSeries, { color: '#d29922', lineWidth: 1, priceFormat: fmt, title: 'marked' });
    state.equity = { chart: chart, realised: realised, marked: marked };
    if (state.history) drawEquity(state.history);
    state.marked.forEach(function (p) { marked.update(p); });
  }
  function drawEquity(h) {
    if (!state.equity) return;
    var data = [];
    (h.equity || []).forEach(function (p) {
      var t = sec(p.time);
      var last = data[data.length - 1];
      if (last && last.time === t) last.value = p.equity; else if (!last || last.time < t) data.push({ time: t, value: p.equity });
    });
    state.equity.realised.setData(data);
  }

  // ------------------------------------------------------------------ per coin
  function coinSection(coin, c) {
    var s = state.coins[coin];
    if (s) return s;
    var secEl = el('section', { 'class': 'panel coin', 'data-coin': coin });
    var h = el('h2');
    h.appendChild(el('span', { 'class': 'name' }, coin));
    h.appendChild(el('span', { 'class': 'mid', 'data-field': 'mid' }, '\u2014'));
    h.appendChild(el('span', { 'class': 'muted', 'data-field': 'spread' }, ''));
    h.appendChild(el('span', { 'class': 'regime', 'data-field': 'regime' }, ''));
    h.appendChild(el('span', { 'class': 'position muted', 'data-field': 'position' }, ''));
    secEl.appendChild(h);
    var grid = el('div', { 'class': 'coin-grid' });
    var left = el('div');
    var chartBox = el('div', { 'class': 'chart', 'data-chart': coin });
    left.appendChild(chartBox);
    var legend = el('div', { 'class': 'legend' });
    legend.innerHTML = '<span><i style="background:#2fbf71"></i>bid</span><span><i style="background:#e5534b"></i>ask</span>' +
      '<span><i style="background:#4c8dff"></i>entry</span><span><i style="background:#f0883e"></i>exit</span>' +
      '<span>- - stop / target</span><span><i style="background:rgba(47,191,113,.5)"></i>sideways</span><span><i style="background:rgba(76,141,255,.6)"></i>expansion</span>';
    left.appendChild(legend);
    var inputs = el('div', { 'class': 'inputs' });
    [['oiRange15m', 'OI range 15m'], ['oiBuild1h', 'OI build 1h'], ['fundingDev', 'funding dev'], ['depthAsym5s', 'depth asym 5s']].forEach(function (k) {
      var kv = el('span', { 'class': 'kv' });
      kv.appendChild(el('span', { 'class': 'k' }, k[1]));
      kv.appendChild(el('span', { 'data-input': k[0] }, '\u2014'));
      inputs.appendChild(kv);
    });
    left.appendChild(inputs);
    var strategies = el('div', { 'class': 'strategies' });
    left.appendChild(strategies);
    var book = el('table', { 'class': 'book' });
    book.appendChild(el('tbody'));
    grid.appendChild(left); grid.appendChild(book);
    secEl.appendChild(grid);
    $('#coins').appendChild(secEl);
    s = { coin: coin, sec: secEl, book: book.tBodies[0], chartBox: chartBox, strategies: strategies, strat: {},
      points: [], chart: null, digits: pxDigits(c.mid) };
    state.coins[coin] = s;
    makeCoinChart(s);
    return s;
  }

  function renderBook(tbody, c) {
    var rows = [];
    var asks = (c.asks || []).slice(0, 10).reverse();
    var bids = (c.bids || []).slice(0, 10);
    asks.forEach(function (l) { rows.push(['ask', fmtPx(l[0], c.mid), fmtSize(l[1])]); });
    var spread = (typeof c.bestAsk === 'number' && typeof c.bestBid === 'number') ? c.bestAsk - c.bestBid : null;
    rows.push(['spread', 'spread ' + fmtPx(spread, c.mid), '']);
    bids.forEach(function (l) { rows.push(['bid', fmtPx(l[0], c.mid), fmtSize(l[1])]); });
    while (tbody.rows.length > rows.length) tbody.deleteRow(-1);
    rows.forEach(function (r, i) {
      var tr = tbody.rows[i] || tbody.insertRow(-1);
      if (tr.className !== r[0]) { tr.className = r[0]; tr.innerHTML = r[0] === 'spread' ? '<td colspan="2"></td>' : '<td class="px"></td><td class="sz"></td>'; }
      setText(tr.cells[0], r[1]);
      if (tr.cells[1]) setText(tr.cells[1], r[2]);
    });
  }

  function renderStrategies(s, list) {
    var tpl = $('#statechart-template');
    (list || []).forEach(function (st) {
      var v = s.strat[st.name];
      if (!v) {
        var box = el('div', { 'class': 'strategy', 'data-strategy': st.name });
        var title = el('div', { 'class': 'title' });
        title.appendChild(el('span', { 'class': 'sname' }, st.name));
        title.appendChild(el('span', { 'class': 'sstate' }, ''));
        box.appendChild(title);
        if (tpl && tpl.content.firstElementChild) box.appendChild(tpl.content.firstElementChild.cloneNode(true));
        s.strategies.appendChild(box);
        v = s.strat[st.name] = { box: box, label: title.lastChild, svg: box.querySelector('svg') };
      }
      var label = st.substate ? st.state + '.' + st.substate : st.state;
      setText(v.label, label);
      v.box.setAttribute('data-active', st.state);
      if (v.svg) {
        var nodes = v.svg.querySelectorAll('g.state');
        for (var i = 0; i < nodes.length; i++) {
          var g = nodes[i];
          var on = g.getAttribute('data-state') === st.state;
          g.classList.toggle('active', on);
          var sub = g.querySelector('text.sub');
          if (sub) setText(sub, on && st.substate ? st.substate : '');
        }
      }
    });
  }

  // ------------------------------------------------------------------ panels
  function renderHealth(h, sources) {
    var lv = $('#health-level');
    setText(lv, h.level); setClass(lv, 'lv-', h.level);
    var reason = humanise(h.reason || ''); setText($('#health-reason'), reason); $('#health-reason').setAttribute('title', reason);
    var chans = h.channels || [];
    fillRows($('#channels tbody'), chans.map(function (ch) {
      return [ch.key, [ch.ageMs === null ? 'never' : fmtDuration(ch.ageMs), ch.stale ? 'stale' : ''], fmtDuration(ch.expectedMs), [ch.stale ? 'STALE' : 'ok', ch.stale ? 'stale' : '']];
    }), function (i) { return { 'data-channel': chans[i].key }; });
    var names = Object.keys(sources || {}).sort();
    fillRows($('#sources tbody'), names.map(function (n) {
      var x = sources[n];
      var conn = x.connection === undefined ? '\u2014' : x.connection;
      var bad = typeof conn === 'string' && conn !== '\u2014' && !/live|subscribed|connected|open/i.test(conn);
      return [n, [conn, bad ? 'stale' : ''], fmtNum(x.records, 0), fmtNum(x.reconnects, 0), fmtNum(x.gaps, 0), fmtNum(x.lost, 0)];
    }), function (i) { return { 'data-source': names[i] }; });
  }

  function renderPositions(coins) {
    var rows = coins.filter(function (c) { return c.position; });
    fillRows($('#positions tbody'), rows.map(function (c) {
      var p = c.position;
      var bps = (typeof c.mid === 'number' && p.entry > 0) ? (c.mid - p.entry) / p.entry * (p.side === 'LONG' ? 1 : -1) : null;
      return [c.coin, [p.side, 'side-' + p.side], fmtSize(p.size), fmtPx(p.entry, c.mid), fmtPx(c.mid), [fmtUsd(p.unrealised, true), p.unrealised > 0 ? 'pos' : p.unrealised < 0 ? 'neg' : ''], fmtBps(bps)];
    }), function (i) { return { 'data-coin': rows[i].coin }; });
    setText($('#no-positions'), rows.length === 0 ? 'flat' : rows.length + ' open');
  }

  function renderHistory(h) {
    state.history = h;
    Object.keys(state.coins).forEach(function (k) { drawHistory(state.coins[k], h); });
    drawEquity(h);
    var fills = (h.fills || []).slice().reverse();
    setText($('#fills-count'), fills.length + (fills.length === 1 ? ' fill' : ' fills'));
    var shown = fills.slice(0, MAX_ROWS);
    fillRows($('#fills tbody'), shown.map(function (f) {
      var side = f.side > 0 ? 'BUY' : 'SELL';
      return [fmtClock(f.time), [f.coin, 'l'], [f.strategy, 'l'], [side, 'side-' + side], [f.role, 'role-' + f.role], fmtSize(f.size), fmtPx(f.px), fmtUsd(f.fee), f.liquidity];
    }), function (i) { return { 'data-px': String(shown[i].px), 'data-size': String(shown[i].size), 'data-time': String(shown[i].time), 'data-coin': shown[i].coin }; });
    var orders = h.openOrders || [];
    fillRows($('#orders tbody'), orders.map(function (o) {
      return [fmtClock(o.time), [o.coin, 'l'], [o.strategy, 'l'], [o.side, 'side-' + o.side], fmtSize(o.size), fmtSize(o.filled), fmtPx(o.limitPx), o.tif, o.purpose, o.status];
    }), function (i) { return { 'data-client-id': orders[i].clientId }; });
    setText($('#orders-count'), orders.length === 0 ? 'none working' : orders.length + ' working');
    var trades = (h.trades || []).slice().reverse().slice(0, MAX_ROWS);
    fillRows($('#trades tbody'), trades.map(function (t) {
      return [fmtClock(t.openTime), [t.coin, 'l'], [t.strategy, 'l'], [t.side, 'side-' + t.side], fmtSize(t.size), fmtPx(t.entryPx), fmtPx(t.exitPx), t.closeTime === null ? 'open' : fmtDuration(t.closeTime - t.openTime), [t.pnl === null ? '\u2014' : fmtUsd(t.pnl, true), t.pnl > 0 ? 'pos' : t.pnl < 0 ? 'neg' : '']];
    }));
    var closed = (h.trades || []).filter(function (t) { return t.pnl !== null; });
    var net = closed.reduce(function (a, t) { return a + t.pnl; }, 0);
    setText($('#trades-count'), closed.length + ' closed, net ' + fmtUsd(net, true));
    var alarms = (h.alarms || []).slice().reverse();
    var ul = $('#alarms');
    while (ul.children.length > alarms.length) ul.removeChild(ul.lastChild);
    alarms.forEach(function (a, i) {
      var li = ul.children[i] || ul.appendChild(el('li'));
      var text = fmtClock(a.time) + ' ' + a.kind + (a.coin ? ' ' + a.coin : '') + (a.strategy ? ' ' + a.strategy : '') + ': ' + humanise(a.message);
      if (li.textContent !== text) {
        li.textContent = '';
        li.appendChild(el('span', { 'class': 'muted' }, fmtClock(a.time) + ' '));
        li.appendChild(el('span', { 'class': 'kind' }, a.kind));
        li.appendChild(document.createTextNode((a.coin ? ' ' + a.coin : '') + (a.strategy ? ' ' + a.strategy : '') + ': ' + humanise(a.message)));
      }
    });
    setText($('#alarms-count'), alarms.length === 0 ? 'none' : String(alarms.length));
    var sx = h.totals;
    setText($('#equity-totals'), sx ? 'realised ' + fmtUsd(sx.realised, true) + ', fees ' + fmtUsd(sx.fees) + ', funding ' + fmtUsd(sx.fundingPaid) : 'no fills yet');
  }

  // ------------------------------------------------------------------ decision feed
  function addOption(sel, value) {
    var o = el('option', { value: value }, value);
    sel.appendChild(o);
  }
  function takeFeed(f) {
    if (f.from > state.feedNext) setText($('#feed-gap'), (f.from - state.feedNext) + ' lines left the feed before this page saw them');
    (f.lines || []).forEach(function (rec, i) {
      var row = recordRow(rec);
      row.seq = f.from + i;
      row.raw = rec;
      state.feed.push(row);
      if (!state.kinds[row.kind]) { state.kinds[row.kind] = true; addOption($('#filter-kind'), row.kind); }
      if (row.coin && !state.coinNames[row.coin]) { state.coinNames[row.coin] = true; addOption($('#filter-coin'), row.coin); }
      if (row.strategy && !state.strategyNames[row.strategy]) { state.strategyNames[row.strategy] = true; addOption($('#filter-strategy'), row.strategy); }
    });
    if (state.feed.length > MAX_FEED) state.feed.splice(0, state.feed.length - MAX_FEED);
    state.feedNext = f.next;
    var c = f.counts || {};
    setText($('#feed-counts'), fmtNum(c.lines, 0) + ' lines' + (c.invalid ? ', ' + fmtNum(c.invalid, 0) + ' unreadable' : '') + (c.dropped ? ', ' + fmtNum(c.dropped, 0) + ' dropped' : ''));
    if ((f.lines || []).length > 0) state.feedDirty = true;
  }
  function renderFeed() {
    if (!state.feedDirty) return;
    state.feedDirty = false;
    var kind = $('#filter-kind').value, coin = $('#filter-coin').value, strategy = $('#filter-strategy').value;
    var text = $('#filter-text').value.trim().toLowerCase();
    var rows = [];
    for (var i = state.feed.length - 1; i >= 0 && rows.length < MAX_ROWS; i--) {
      var r = state.feed[i];
      if (kind && r.kind !== kind) continue;
      if (coin && r.coin !== coin) continue;
      if (strategy && r.strategy !== strategy) continue;
      if (text && (r.kind + ' ' + r.coin + ' ' + r.strategy + ' ' + r.reason).toLowerCase().indexOf(text) < 0) continue;
      rows.push(r);
    }
    var total = state.feed.length;
    setText($('#feed-shown'), rows.length + ' of ' + total + ' shown');
    fillRows($('#decision-table tbody'), rows.map(function (r) {
      return [r.t === null ? '\u2014' : fmtClock(r.t), [r.kind, 'l'], [r.coin, 'l'], [r.strategy, 'l'], [humanise(r.reason), 'reason']];
    }), function (i) {
      return { 'data-seq': String(rows[i].seq), 'data-kind': rows[i].kind, 'class': rows[i].seq === state.selected ? 'selected' : '' };
    });
  }
  function showRaw(seq) {
    state.selected = seq;
    var r = null;
    for (var i = state.feed.length - 1; i >= 0; i--) if (state.feed[i].seq === seq) { r = state.feed[i]; break; }
    setText($('#decision-raw'), r ? JSON.stringify(r.raw, null, 2) : 'that line has left the feed');
    $('#decision-raw').setAttribute('data-seq', String(seq));
    state.feedDirty = true;
    renderFeed();
  }

  /** The recent past of each coin's quotes (sent once as the page connects): the charts start with it. */
  function takeBacklog(b, snap) {
    Object.keys(b).forEach(function (coin) {
      var list = b[coin];
      if (!Array.isArray(list) || list.length === 0) return;
      var live = (snap.coins || []).filter(function (c) { return c.coin === coin; })[0];
      var s = coinSection(coin, live || { mid: list[list.length - 1][1] });
      if (s.points.length > 0) return;
      list.forEach(function (q) {
        addPoint(s, { time: sec(q[0]), bid: typeof q[1] === 'number' ? q[1] : null, ask: typeof q[2] === 'number' ? q[2] : null, regime: q[3] }, true);
      });
    });
  }

  // ------------------------------------------------------------------ snapshot
  function setTrading(ts) { var n = $('#trading-state'); setText(n, ts); setClass(n, 'st-', ts); }

  function render(snap) {
    state.last = snap;
    setText($('#time'), fmtClock(snap.time) + ' UTC');
    setTrading(snap.tradingState);
    setText($('#equity'), fmtUsd(snap.equity));
    [['#pnl-realised', snap.realisedPnl], ['#pnl-unrealised', snap.unrealisedPnl], ['#pnl-daily', snap.dailyPnl]].forEach(function (p) {
      var n = $(p[0]); setText(n, fmtUsd(p[1], true)); signClass(n, p[1]);
    });
    var ct = snap.counters || {};
    setText($('#frames'), fmtNum(ct.frames, 0)); setText($('#reconnects'), fmtNum(ct.reconnects, 0));
    setText($('#gaps'), fmtNum(ct.gaps, 0)); setText($('#journal-lag'), fmtNum(ct.journalLagBytes, 0) + ' records');
    renderHealth(snap.health || { level: '?', reason: '', channels: [] }, snap.sources);
    var t = sec(snap.time);
    (snap.coins || []).forEach(function (c) {
      var s = coinSection(c.coin, c);
      setText($('[data-field=mid]', s.sec), fmtPx(c.mid));
      var spread = (typeof c.bestAsk === 'number' && typeof c.bestBid === 'number' && typeof c.mid === 'number' && c.mid > 0) ? (c.bestAsk - c.bestBid) / c.mid : null;
      setText($('[data-field=spread]', s.sec), 'bid ' + fmtPx(c.bestBid, c.mid) + ' / ask ' + fmtPx(c.bestAsk, c.mid) + ' \u00b7 ' + fmtBps(spread));
      var rg = $('[data-field=regime]', s.sec); setText(rg, c.regime); setClass(rg, 'regime-', c.regime);
      var p = c.position;
      setText($('[data-field=position]', s.sec), p ? p.side + ' ' + fmtSize(p.size) + ' @ ' + fmtPx(p.entry, c.mid) + '  uPnL ' + fmtUsd(p.unrealised, true) : 'flat');
      var inp = c.inputs || {};
      ['oiRange15m', 'oiBuild1h', 'fundingDev', 'depthAsym5s'].forEach(function (k) {
        var v = inp[k];
        setText($('[data-input=' + k + ']', s.sec), v === null || v === undefined ? 'warming' : v.toPrecision(4));
      });
      renderBook(s.book, c);
      if (typeof c.bestBid === 'number' || typeof c.bestAsk === 'number')
        addPoint(s, { time: t, bid: typeof c.bestBid === 'number' ? c.bestBid : null, ask: typeof c.bestAsk === 'number' ? c.bestAsk : null, regime: c.regime }, true);
      renderStrategies(s, c.strategies);
    });
    renderPositions(snap.coins || []);
    if (typeof snap.equity === 'number') {
      var last = state.marked[state.marked.length - 1];
      var point = { time: t, value: snap.equity };
      if (!last || last.time <= t) {
        if (last && last.time === t) state.marked[state.marked.length - 1] = point; else state.marked.push(point);
        if (state.marked.length > MAX_POINTS) state.marked.shift();
        if (state.equity) state.equity.marked.update(point);
      }
    }
  }

  function send(cmd) {
    if (!state.ws || state.ws.readyState !== 1) { setText($('#command-result'), 'not connected'); return; }
    var id = String(++state.seq);
    cmd.id = id;
    state.pending[id] = cmd.type;
    state.ws.send(JSON.stringify(cmd));
  }

  function onMessage(ev) {
    var msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    if (msg.type === 'snapshot') {
      if (msg.backlog) takeBacklog(msg.backlog, msg.snapshot);
      render(msg.snapshot);
      if (msg.history) renderHistory(msg.history);
      if (msg.feed) takeFeed(msg.feed);
      renderFeed();
    } else if (msg.type === 'result') {
      var what = state.pending[msg.id] || 'command'; delete state.pending[msg.id];
      var r = msg.result || {};
      if (r.tradingState) setTrading(r.tradingState);
      var out = $('#command-result');
      setText(out, what + ': ' + (r.ok ? 'ok' : 'FAILED') + ' \u2192 ' + r.tradingState + (r.message ? ' (' + r.message + ')' : ''));
      out.setAttribute('data-trading-state', r.tradingState || '');
    } else if (msg.type === 'error') setText($('#command-result'), 'error: ' + msg.error);
  }

  function connect() {
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws' + location.search);
    state.ws = ws;
    ws.onopen = function () {
      state.retry = 250; var c = $('#conn'); setText(c, 'live'); c.className = 'up';
      // a reconnect is a new client: the server sends the whole history and feed again
      state.feed = []; state.feedNext = 0; state.feedDirty = true;
    };
    ws.onmessage = onMessage;
    ws.onclose = function () {
      var c = $('#conn'); setText(c, 'disconnected'); c.className = 'down';
      setTimeout(connect, state.retry); state.retry = Math.min(5000, state.retry * 2);
    };
  }

  /** What the charts were given, read back from the library (for tests and the curious). */
  window.dashboardCharts = function () {
    var out = { ready: !!state.lib, coins: {}, equity: null };
    Object.keys(state.coins).forEach(function (k) {
      var s = state.coins[k];
      if (!s.chart) return;
      var box = s.chartBox.getBoundingClientRect();
      out.coins[k] = {
        points: s.series.bid.data().length,
        firstTime: s.series.bid.data().length > 0 ? s.series.bid.data()[0].time : null,
        regimeBars: s.series.regime.data().length,
        markers: s.marks.markers().map(function (m) {
          return { id: m.id, time: m.time, price: m.price, text: m.text, y: s.series.fills.priceToCoordinate(m.price), x: s.chart.timeScale().timeToCoordinate(m.time) };
        }),
        priceLines: s.series.fills.priceLines().map(function (l) { var o = l.options(); return { title: o.title, price: o.price }; }),
        height: box.height, width: box.width,
      };
    });
    if (state.equity) out.equity = { realised: state.equity.realised.data().slice(), marked: state.equity.marked.data().slice() };
    return out;
  };

  $('#kill').addEventListener('click', function () {
    if (window.confirm('KILL: halt trading and flatten every position?')) send({ type: 'KILL', reason: 'operator (dashboard)' });
  });
  $('#reset-halt').addEventListener('click', function () {
    if (window.confirm('Reset the HALT (trading becomes ACTIVE)?')) send({ type: 'RESET_HALT' });
  });
  $('#set-trading').addEventListener('change', function (e) {
    var v = e.target.value; e.target.value = '';
    if (v && window.confirm('Set trading state to ' + v + '?')) send({ type: 'SET_TRADING', state: v });
  });
  ['#filter-kind', '#filter-coin', '#filter-strategy'].forEach(function (id) {
    $(id).addEventListener('change', function () { state.feedDirty = true; renderFeed(); });
  });
  $('#filter-text').addEventListener('input', function () { state.feedDirty = true; renderFeed(); });
  $('#decision-table tbody').addEventListener('click', function (e) {
    var tr = e.target.closest('tr');
    if (tr && tr.hasAttribute('data-seq')) showRaw(Number(tr.getAttribute('data-seq')));
  });

  // the charting library from this server (never a CDN); the page works without it, charts appear when it loads
  var lib = document.createElement('script');
  lib.src = '/assets/lightweight-charts.js' + location.search;
  lib.onload = function () {
    state.lib = window.LightweightCharts || null;
    Object.keys(state.coins).forEach(function (k) { makeCoinChart(state.coins[k]); });
    makeEquityChart();
  };
  lib.onerror = function () { setText($('#chart-status'), 'charting library failed to load'); };
  document.head.appendChild(lib);
  connect();
})();
`;

/** The whole page as one HTML string. */
export function renderDashboardPage(opts: PageOptions): string {
  const title = escapeHtml(opts.title ?? 'hl-regime-trader');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${CSS}</style></head>
<body>
<header>
  <h1>${title}</h1>
  <span class="kv"><span class="k">time</span><span id="time">—</span></span>
  <span class="kv"><span class="k">trading</span><span id="trading-state" class="badge">—</span></span>
  <span class="kv"><span class="k">health</span><span id="health-level" class="badge">—</span><span id="health-reason" class="muted"></span></span>
  <span class="kv"><span class="k">equity</span><span id="equity">—</span></span>
  <span class="kv"><span class="k">realised</span><span id="pnl-realised">—</span></span>
  <span class="kv"><span class="k">unrealised</span><span id="pnl-unrealised">—</span></span>
  <span class="kv"><span class="k">day</span><span id="pnl-daily">—</span></span>
  <span class="kv"><span class="k">ws</span><span id="conn" class="down">connecting</span></span>
  <span id="chart-status" class="muted"></span>
  <span style="flex:1"></span>
  <select id="set-trading" aria-label="set trading state"><option value="">set trading…</option><option>ACTIVE</option><option>REDUCING</option><option>HALTED</option></select>
  <button id="reset-halt">reset halt</button>
  <button id="kill" class="kill">KILL SWITCH</button>
  <span id="command-result" class="muted"></span>
</header>
<main>
  <div id="coins"></div>
  <div class="row3">
    <section class="panel"><h2>Equity <span id="equity-totals" class="count"></span></h2>
      <div id="equity-chart"></div>
      <div class="legend"><span><i style="background:#4c8dff"></i>realised (decision log)</span><span><i style="background:#d29922"></i>marked to market (live)</span></div></section>
    <section class="panel"><h2>Alarms <span id="alarms-count" class="count">none</span></h2>
      <div class="scroll"><ul id="alarms"></ul></div></section>
    <section class="panel"><h2>Health per channel</h2>
      <div class="scroll"><table id="channels"><thead><tr><th>channel</th><th>age</th><th>expected</th><th></th></tr></thead><tbody></tbody></table></div>
      <h2 style="margin-top:8px">Per source</h2>
      <table id="sources"><thead><tr><th>source</th><th>connection</th><th>records</th><th>reconn.</th><th>gaps</th><th>lost</th></tr></thead><tbody></tbody></table></section>
  </div>
  <section class="panel"><h2>Blotter</h2>
    <div class="row2">
      <div><h2>Positions <span id="no-positions" class="count"></span></h2>
        <table id="positions"><thead><tr><th>coin</th><th>side</th><th>size</th><th>entry</th><th>mark</th><th>uPnL</th><th>move</th></tr></thead><tbody></tbody></table>
        <h2 style="margin-top:8px">Open orders <span id="orders-count" class="count"></span></h2>
        <table id="orders"><thead><tr><th>time</th><th class="l">coin</th><th class="l">strategy</th><th>side</th><th>size</th><th>filled</th><th>limit</th><th>tif</th><th>purpose</th><th>status</th></tr></thead><tbody></tbody></table>
        <h2 style="margin-top:8px">Round trips <span id="trades-count" class="count"></span></h2>
        <div class="scroll"><table id="trades"><thead><tr><th>opened</th><th class="l">coin</th><th class="l">strategy</th><th>side</th><th>size</th><th>entry</th><th>exit</th><th>held</th><th>net PnL</th></tr></thead><tbody></tbody></table></div></div>
      <div><h2>Fills <span id="fills-count" class="count"></span></h2>
        <div class="scroll" style="max-height:330px"><table id="fills"><thead><tr><th>time</th><th class="l">coin</th><th class="l">strategy</th><th>side</th><th>role</th><th>size</th><th>price</th><th>fee</th><th>liq.</th></tr></thead><tbody></tbody></table></div></div>
    </div></section>
  <section class="panel"><h2>Decisions <span id="feed-shown" class="count"></span> <span id="feed-counts" class="count"></span> <span id="feed-gap" class="count"></span></h2>
    <div class="filters">
      <label>kind <select id="filter-kind"><option value="">all</option></select></label>
      <label>coin <select id="filter-coin"><option value="">all</option></select></label>
      <label>strategy <select id="filter-strategy"><option value="">all</option></select></label>
      <label>search <input id="filter-text" type="search" placeholder="reason, kind, …" size="28"></label>
      <span class="muted">click a row for the raw record</span>
    </div>
    <div class="decisions-grid">
      <div class="scroll"><table id="decision-table"><thead><tr><th>time</th><th class="l">kind</th><th class="l">coin</th><th class="l">strategy</th><th class="l">reason</th></tr></thead><tbody></tbody></table></div>
      <pre id="decision-raw" class="muted">(no record selected)</pre>
    </div></section>
  <section class="panel"><h2>Counters</h2>
    <span class="kv"><span class="k">frames</span><span id="frames">—</span></span>
    <span class="kv"><span class="k">reconnects</span><span id="reconnects">—</span></span>
    <span class="kv"><span class="k">gaps</span><span id="gaps">—</span></span>
    <span class="kv"><span class="k">journal lag</span><span id="journal-lag">—</span></span></section>
</main>
<template id="statechart-template">${opts.statechartSvg}</template>
<script>${FORMAT_SOURCE}
${JS}</script>
</body></html>
`;
}
