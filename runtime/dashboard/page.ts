/**
 * The dashboard page: one HTML string with inline CSS and JS, no framework and nothing fetched from
 * the internet. It opens `/ws` on the same host, redraws from every pushed snapshot, and sends operator
 * commands over the same socket. The strategy statechart arrives pre-rendered (server side, from the
 * machine JSON) in a <template>; the page clones it per strategy and marks the active state.
 */
import { escapeHtml } from './statechart.ts';

export interface PageOptions {
  title?: string;
  /** The strategy lifecycle as SVG (from `renderStatechartSvg`), or '' when no statechart was given. */
  statechartSvg: string;
}

const CSS = `
:root { color-scheme: dark; --bg:#0f1216; --panel:#171b21; --line:#2a313b; --fg:#d8dee6; --dim:#8792a2;
  --bid:#2fbf71; --ask:#e5534b; --warn:#d29922; --accent:#4c8dff; }
* { box-sizing: border-box; }
body { margin:0; font:13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background:var(--bg); color:var(--fg); }
header { display:flex; flex-wrap:wrap; gap:14px; align-items:center; padding:10px 14px; border-bottom:1px solid var(--line); background:var(--panel); position:sticky; top:0; z-index:2; }
header h1 { font-size:15px; margin:0 8px 0 0; }
.kv { display:flex; gap:5px; align-items:baseline; } .kv .k { color:var(--dim); }
.badge { padding:2px 8px; border-radius:10px; font-weight:bold; border:1px solid var(--line); }
.st-ACTIVE, .lv-HEALTHY { color:var(--bid); } .st-REDUCING, .lv-DEGRADED, .lv-WARMING { color:var(--warn); }
.st-HALTED, .lv-HALTED { color:var(--ask); }
button { font:inherit; color:var(--fg); background:#222a33; border:1px solid var(--line); border-radius:6px; padding:4px 10px; cursor:pointer; }
button.kill { background:#5a1d1d; border-color:var(--ask); color:#fff; font-weight:bold; }
main { padding:12px 14px; display:grid; grid-template-columns:minmax(0, 1fr); gap:14px; }
.panel { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
.panel h2 { font-size:14px; margin:0 0 8px; display:flex; gap:12px; align-items:baseline; }
.coin-grid { display:grid; grid-template-columns: 230px minmax(0, 1fr) 260px; gap:12px; align-items:start; }
table { border-collapse:collapse; width:100%; } td, th { padding:1px 6px; text-align:right; white-space:nowrap; } th { color:var(--dim); font-weight:normal; }
td:first-child, th:first-child { text-align:left; }
.book td.px { font-weight:bold; } .book tr.ask td.px { color:var(--ask); } .book tr.bid td.px { color:var(--bid); }
.book tr.spread td { color:var(--dim); text-align:center; }
svg.midchart { width:100%; height:180px; background:#12161b; border:1px solid var(--line); border-radius:6px; }
svg.midchart polyline { fill:none; stroke:var(--accent); stroke-width:1.5; }
svg.midchart text { fill:var(--dim); font-size:10px; }
.regime-SIDEWAYS { color:var(--bid); } .regime-EXPANSION { color:var(--accent); } .regime-DISABLED { color:var(--dim); }
.strategies { display:flex; flex-wrap:wrap; gap:12px; margin-top:10px; }
.strategy { border:1px solid var(--line); border-radius:6px; padding:6px; }
.strategy .title { display:flex; justify-content:space-between; gap:10px; margin-bottom:4px; }
svg.statechart { width:420px; height:240px; color:#5b6675; }
svg.statechart .state rect { fill:#1c222a; stroke:#3a4452; stroke-width:1.5; }
svg.statechart .state text { fill:var(--fg); font-size:12px; }
svg.statechart .state text.sub { fill:var(--warn); font-size:10px; }
svg.statechart .state.initial rect { stroke-dasharray:4 2; }
svg.statechart .state.active rect { fill:#16345f; stroke:var(--accent); stroke-width:3; }
svg.statechart .state.active text.name { font-weight:bold; }
.stale { color:var(--ask); font-weight:bold; }
pre.decisions { max-height:220px; overflow:auto; margin:0; white-space:pre-wrap; color:#b9c2ce; }
#conn.down { color:var(--ask); } #conn.up { color:var(--bid); }
.muted { color:var(--dim); }
`;

const JS = String.raw`
(function () {
  'use strict';
  var MAX_POINTS = 600;
  var state = { ws: null, seq: 0, pending: {}, coins: {}, history: {}, last: null, retry: 250 };
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function num(x, d) {
    if (x === null || x === undefined || typeof x !== 'number' || !isFinite(x)) return '\u2014';
    return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  function signed(x, d) { return (typeof x === 'number' && x > 0 ? '+' : '') + num(x, d); }
  function pxDigits(p) { if (typeof p !== 'number' || !isFinite(p) || p === 0) return 2; var a = Math.abs(p); return a >= 1000 ? 1 : a >= 10 ? 2 : a >= 1 ? 4 : 6; }
  function setText(node, text) { if (node && node.textContent !== text) node.textContent = text; }
  function setClass(node, prefix, value) {
    if (!node) return;
    var keep = (node.getAttribute('class') || '').split(' ').filter(function (c) { return c && c.indexOf(prefix) !== 0; });
    keep.push(prefix + value);
    node.setAttribute('class', keep.join(' '));
  }

  function coinSection(coin) {
    var s = state.coins[coin];
    if (s) return s;
    var sec = el('section', { 'class': 'panel coin', 'data-coin': coin });
    var h = el('h2');
    h.appendChild(el('span', { 'class': 'name' }, coin));
    h.appendChild(el('span', { 'class': 'mid', 'data-field': 'mid' }, '\u2014'));
    h.appendChild(el('span', { 'class': 'regime', 'data-field': 'regime' }, ''));
    h.appendChild(el('span', { 'class': 'position muted', 'data-field': 'position' }, ''));
    sec.appendChild(h);
    var grid = el('div', { 'class': 'coin-grid' });
    var book = el('table', { 'class': 'book' });
    book.appendChild(el('tbody'));
    var chartBox = el('div');
    var svgNS = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(svgNS, 'svg');
    svg.setAttribute('class', 'midchart'); svg.setAttribute('viewBox', '0 0 600 180'); svg.setAttribute('preserveAspectRatio', 'none');
    var line = document.createElementNS(svgNS, 'polyline'); line.setAttribute('points', '');
    var hi = document.createElementNS(svgNS, 'text'); hi.setAttribute('x', '4'); hi.setAttribute('y', '12'); hi.setAttribute('class', 'hi');
    var lo = document.createElementNS(svgNS, 'text'); lo.setAttribute('x', '4'); lo.setAttribute('y', '174'); lo.setAttribute('class', 'lo');
    svg.appendChild(line); svg.appendChild(hi); svg.appendChild(lo);
    chartBox.appendChild(svg);
    var inputs = el('table', { 'class': 'inputs' });
    var ib = el('tbody');
    ['oiRange15m', 'oiBuild1h', 'fundingDev', 'depthAsym5s'].forEach(function (k) {
      var tr = el('tr'); tr.appendChild(el('td', null, k)); tr.appendChild(el('td', { 'data-input': k }, '\u2014')); ib.appendChild(tr);
    });
    inputs.appendChild(ib);
    grid.appendChild(book); grid.appendChild(chartBox); grid.appendChild(inputs);
    sec.appendChild(grid);
    var strategies = el('div', { 'class': 'strategies' });
    sec.appendChild(strategies);
    $('#coins').appendChild(sec);
    s = { sec: sec, book: book.tBodies[0], line: line, hi: hi, lo: lo, strategies: strategies, strat: {} };
    state.coins[coin] = s;
    return s;
  }

  function renderBook(tbody, c) {
    var rows = [];
    var asks = (c.asks || []).slice(0, 10).reverse();
    var bids = (c.bids || []).slice(0, 10);
    var d = pxDigits(c.mid);
    asks.forEach(function (l) { rows.push(['ask', num(l[0], d), num(l[1], 4)]); });
    var spread = (typeof c.bestAsk === 'number' && typeof c.bestBid === 'number') ? c.bestAsk - c.bestBid : null;
    rows.push(['spread', 'spread ' + num(spread, d), '']);
    bids.forEach(function (l) { rows.push(['bid', num(l[0], d), num(l[1], 4)]); });
    while (tbody.rows.length > rows.length) tbody.deleteRow(-1);
    rows.forEach(function (r, i) {
      var tr = tbody.rows[i] || tbody.insertRow(-1);
      if (tr.className !== r[0]) { tr.className = r[0]; tr.innerHTML = r[0] === 'spread' ? '<td colspan="2"></td>' : '<td class="px"></td><td class="sz"></td>'; }
      setText(tr.cells[0], r[1]);
      if (tr.cells[1]) setText(tr.cells[1], r[2]);
    });
  }

  function renderChart(s, coin, c, t) {
    var h = state.history[coin] || (state.history[coin] = []);
    if (Array.isArray(c.mids) && c.mids.length > h.length) { h.length = 0; c.mids.forEach(function (p) { h.push([p[0], p[1]]); }); }
    else if (typeof c.mid === 'number' && isFinite(c.mid)) {
      var last = h[h.length - 1];
      if (!last || last[0] !== t) h.push([t, c.mid]);
    }
    if (h.length > MAX_POINTS) h.splice(0, h.length - MAX_POINTS);
    if (h.length === 0) return;
    var lo = Infinity, hi = -Infinity, t0 = h[0][0], t1 = h[h.length - 1][0];
    h.forEach(function (p) { if (p[1] < lo) lo = p[1]; if (p[1] > hi) hi = p[1]; });
    if (hi === lo) { hi += 0.5; lo -= 0.5; }
    var span = Math.max(1, t1 - t0);
    var pts = h.map(function (p) {
      return (((p[0] - t0) / span) * 596 + 2).toFixed(1) + ',' + (176 - ((p[1] - lo) / (hi - lo)) * 168).toFixed(1);
    });
    s.line.setAttribute('points', pts.join(' '));
    s.line.setAttribute('data-points', String(h.length));
    var d = pxDigits(c.mid);
    setText(s.hi, num(hi, d)); setText(s.lo, num(lo, d));
  }

  function renderStrategies(s, coin, list) {
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

  function renderHealth(h) {
    var lv = $('#health-level');
    setText(lv, h.level); setClass(lv, 'lv-', h.level);
    setText($('#health-reason'), h.reason || '');
    var tb = $('#channels tbody');
    var chans = h.channels || [];
    while (tb.rows.length > chans.length) tb.deleteRow(-1);
    chans.forEach(function (ch, i) {
      var tr = tb.rows[i] || tb.insertRow(-1);
      if (tr.cells.length !== 4) tr.innerHTML = '<td></td><td></td><td></td><td></td>';
      tr.setAttribute('data-channel', ch.key);
      setText(tr.cells[0], ch.key);
      setText(tr.cells[1], ch.ageMs === null ? 'never' : num(ch.ageMs, 0) + ' ms');
      setText(tr.cells[2], num(ch.expectedMs, 0) + ' ms');
      setText(tr.cells[3], ch.stale ? 'STALE' : 'ok');
      tr.cells[3].className = ch.stale ? 'stale' : '';
    });
  }

  function renderPositions(coins) {
    var tb = $('#positions tbody');
    var rows = coins.filter(function (c) { return c.position; });
    while (tb.rows.length > rows.length) tb.deleteRow(-1);
    rows.forEach(function (c, i) {
      var tr = tb.rows[i] || tb.insertRow(-1);
      if (tr.cells.length !== 5) tr.innerHTML = '<td></td><td></td><td></td><td></td><td></td>';
      var p = c.position;
      setText(tr.cells[0], c.coin); setText(tr.cells[1], p.side); setText(tr.cells[2], num(p.size, 4));
      setText(tr.cells[3], num(p.entry, pxDigits(p.entry))); setText(tr.cells[4], signed(p.unrealised, 2));
    });
    setText($('#no-positions'), rows.length === 0 ? 'flat' : '');
  }

  function setTrading(ts) { var n = $('#trading-state'); setText(n, ts); setClass(n, 'st-', ts); }

  function render(snap) {
    state.last = snap;
    setText($('#time'), new Date(snap.time).toISOString().replace('T', ' ').replace('Z', ''));
    setTrading(snap.tradingState);
    setText($('#equity'), num(snap.equity, 2));
    setText($('#pnl-realised'), signed(snap.realisedPnl, 2));
    setText($('#pnl-unrealised'), signed(snap.unrealisedPnl, 2));
    setText($('#pnl-daily'), signed(snap.dailyPnl, 2));
    var ct = snap.counters || {};
    setText($('#frames'), num(ct.frames, 0)); setText($('#reconnects'), num(ct.reconnects, 0));
    setText($('#gaps'), num(ct.gaps, 0)); setText($('#journal-lag'), num(ct.journalLagBytes, 0) + ' B');
    renderHealth(snap.health || { level: '?', reason: '', channels: [] });
    (snap.coins || []).forEach(function (c) {
      var s = coinSection(c.coin);
      var d = pxDigits(c.mid);
      setText($('[data-field=mid]', s.sec), num(c.mid, d));
      var rg = $('[data-field=regime]', s.sec); setText(rg, c.regime); setClass(rg, 'regime-', c.regime);
      var p = c.position;
      setText($('[data-field=position]', s.sec), p ? p.side + ' ' + num(p.size, 4) + ' @ ' + num(p.entry, pxDigits(p.entry)) + '  uPnL ' + signed(p.unrealised, 2) : 'flat');
      var inp = c.inputs || {};
      ['oiRange15m', 'oiBuild1h', 'fundingDev', 'depthAsym5s'].forEach(function (k) {
        var v = inp[k];
        setText($('[data-input=' + k + ']', s.sec), v === null || v === undefined ? 'warming' : v.toPrecision(4));
      });
      renderBook(s.book, c);
      renderChart(s, c.coin, c, snap.time);
      renderStrategies(s, c.coin, c.strategies);
    });
    renderPositions(snap.coins || []);
    setText($('#decisions'), (snap.decisions || []).join('\n'));
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
    if (msg.type === 'snapshot') render(msg.snapshot);
    else if (msg.type === 'result') {
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
    ws.onopen = function () { state.retry = 250; var c = $('#conn'); setText(c, 'live'); c.className = 'up'; };
    ws.onmessage = onMessage;
    ws.onclose = function () {
      var c = $('#conn'); setText(c, 'disconnected'); c.className = 'down';
      setTimeout(connect, state.retry); state.retry = Math.min(5000, state.retry * 2);
    };
  }

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
  <span class="kv"><span class="k">daily</span><span id="pnl-daily">—</span></span>
  <span class="kv"><span class="k">ws</span><span id="conn" class="down">connecting</span></span>
  <span style="flex:1"></span>
  <select id="set-trading" aria-label="set trading state"><option value="">set trading…</option><option>ACTIVE</option><option>REDUCING</option><option>HALTED</option></select>
  <button id="reset-halt">reset halt</button>
  <button id="kill" class="kill">KILL SWITCH</button>
  <span id="command-result" class="muted"></span>
</header>
<main>
  <div id="coins"></div>
  <section class="panel"><h2>Positions <span id="no-positions" class="muted"></span></h2>
    <table id="positions"><thead><tr><th>coin</th><th>side</th><th>size</th><th>entry</th><th>uPnL</th></tr></thead><tbody></tbody></table></section>
  <section class="panel"><h2>Health per channel</h2>
    <table id="channels"><thead><tr><th>channel</th><th>age</th><th>expected</th><th></th></tr></thead><tbody></tbody></table></section>
  <section class="panel"><h2>Counters</h2>
    <span class="kv"><span class="k">frames</span><span id="frames">—</span></span>
    <span class="kv"><span class="k">reconnects</span><span id="reconnects">—</span></span>
    <span class="kv"><span class="k">gaps</span><span id="gaps">—</span></span>
    <span class="kv"><span class="k">journal lag</span><span id="journal-lag">—</span></span></section>
  <section class="panel"><h2>Recent decisions</h2><pre id="decisions" class="decisions"></pre></section>
</main>
<template id="statechart-template">${opts.statechartSvg}</template>
<script>${JS}</script>
</body></html>
`;
}
