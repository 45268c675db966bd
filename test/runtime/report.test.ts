import { describe, expect, it } from 'vitest';
import {
  analyseDecisions,
  regimeSegments,
  renderReplayReport,
  type PricePoint,
} from '../../runtime/report.ts';

const T0 = 1_767_225_600_000;

/** A replay: two coins, a mid path each, regime changes, two round trips on BTC and one on ETH. */
function replay() {
  const prices: PricePoint[] = [];
  for (let i = 0; i <= 600; i++) {
    prices.push({ t: T0 + i * 1000, coin: 'BTC', mid: 50_000 + 100 * Math.sin(i / 50) });
    prices.push({ t: T0 + i * 1000, coin: 'ETH', mid: 3_000 + 5 * Math.cos(i / 40) });
  }
  const decisions: unknown[] = [
    { kind: 'regime', coin: 'BTC', time: T0 + 60_000, regime: 'SIDEWAYS', reason: 'x', inputs: {} },
    { kind: 'regime', coin: 'BTC', time: T0 + 300_000, regime: 'DISABLED' },
    { kind: 'regime', coin: 'BTC', time: T0 + 400_000, regime: 'EXPANSION' },
    { kind: 'regime', coin: 'ETH', time: T0 + 100_000, regime: 'SIDEWAYS' },
    // nested shapes, as the execution machine records them
    { kind: 'intent', time: T0 + 99_000, intent: { kind: 'entry', coin: 'BTC', side: 'LONG' } },
    { kind: 'order', time: T0 + 100_000, event: 'accepted', order: { coin: 'BTC', status: 'resting' } },
    {
      kind: 'fill',
      time: T0 + 100_000,
      fill: { coin: 'BTC', side: 'BUY', px: 50_010, sz: 0.1, time: T0 + 100_000 },
    },
    {
      kind: 'fill',
      time: T0 + 200_000,
      fill: { coin: 'BTC', side: 'SELL', px: 50_060, sz: 0.1, time: T0 + 200_000 },
    },
    // flat shapes
    { kind: 'fill', time: T0 + 420_000, coin: 'BTC', side: 'SELL', px: 49_950, size: 0.2 },
    { kind: 'fill', time: T0 + 450_000, coin: 'BTC', side: 'BUY', px: 49_900, size: 0.1 },
    { kind: 'fill', time: T0 + 460_000, coin: 'BTC', side: 'BUY', px: 49_920, size: 0.1 },
    { kind: 'fill', time: T0 + 150_000, coin: 'ETH', side: 'BUY', px: 3_001, size: 1 },
    { kind: 'fill', time: T0 + 250_000, coin: 'ETH', side: 'SELL', px: 2_999, size: 1 },
    { kind: 'equity', time: T0, equity: 10_000 },
    { kind: 'equity', time: T0 + 200_000, equity: 10_005 },
    { kind: 'equity', time: T0 + 250_000, equity: 10_003 },
    { kind: 'equity', time: T0 + 460_000, equity: 10_008 },
    // unknown kinds and garbage
    { kind: 'mystery', time: T0 + 5_000, payload: { a: 1 } },
    { kind: 'mystery', time: T0 + 6_000 },
    { kind: 'weather', time: T0 + 7_000, sky: 'grey' },
    { kind: 'fill', coin: 'BTC', side: 'SIDEWAYS', px: 1, size: 1, time: T0 },
    { kind: 'regime', coin: 'BTC' },
    null,
    'text line',
  ];
  return { prices, decisions };
}

describe('replay report', () => {
  it('classifies fills into entries/exits and round trips', () => {
    const { prices, decisions } = replay();
    const d = analyseDecisions(decisions, prices);
    expect(d.coins).toEqual(['BTC', 'ETH']);
    const btc = d.fills.filter((f) => f.coin === 'BTC').map((f) => f.role);
    expect(btc).toEqual(['entry', 'exit', 'entry', 'exit', 'exit']);
    expect(d.trades).toHaveLength(3);
    const [t1, t2] = d.trades.filter((t) => t.coin === 'BTC');
    expect(t1!.side).toBe('LONG');
    expect(t1!.pnl).toBeCloseTo(5, 6); // (50 060 − 50 010) × 0.1
    expect(t2!.side).toBe('SHORT');
    expect(t2!.pnl).toBeCloseTo((49_950 - 49_900) * 0.1 + (49_950 - 49_920) * 0.1, 6);
    expect(d.trades.find((t) => t.coin === 'ETH')!.pnl).toBeCloseTo(-2, 6);
    expect(d.invalid).toBe(4);
    expect(d.unknown.get('mystery')!.count).toBe(2);
    expect(d.unknown.get('weather')!.count).toBe(1);
    expect(d.orders.get('accepted')).toBe(1);
  });

  it('renders a self-contained HTML page whose charts match the input', () => {
    const { prices, decisions } = replay();
    const truth = {
      labels: [
        { t: T0, coin: 'BTC', regime: 'DISABLED' },
        { t: T0 + 60_000, coin: 'BTC', regime: 'SIDEWAYS' },
        { t: T0 + 300_000, coin: 'BTC', regime: 'SIDEWAYS' },
        { t: T0 + 400_000, coin: 'BTC', regime: 'EXPANSION' },
      ],
    };
    const html = renderReplayReport({ title: 'Replay <test>', prices, decisions, groundTruth: truth });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>Replay &lt;test&gt;</title>');
    // self-contained: no scripts, no external references
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?https?:/i);

    // one price chart per coin, each with its price line
    expect(html.match(/<svg[^>]*class="price-chart"/g)).toHaveLength(2);
    expect(html.match(/<polyline class="price"/g)).toHaveLength(2);
    expect(html).toContain('<polyline class="price" data-points="601"');

    // markers: counts match the valid fills
    const btcSvg = html.slice(html.indexOf('data-coin="BTC"'), html.indexOf('data-coin="ETH"'));
    const ethSvg = html.slice(
      html.indexOf('data-coin="ETH"'),
      html.indexOf('</svg>', html.indexOf('data-coin="ETH"')),
    );
    expect(btcSvg.match(/class="marker entry/g)).toHaveLength(2);
    expect(btcSvg.match(/class="marker exit/g)).toHaveLength(3);
    expect(ethSvg.match(/class="marker entry/g)).toHaveLength(1);
    expect(ethSvg.match(/class="marker exit/g)).toHaveLength(1);
    expect(html.match(/class="marker /g)).toHaveLength(7);
    expect(btcSvg).toContain('data-entries="2" data-exits="3"');

    // regime band: BTC DISABLED → SIDEWAYS → DISABLED → EXPANSION, ETH DISABLED → SIDEWAYS
    const band = (svg: string) =>
      [
        ...svg
          .slice(svg.indexOf('class="regime-band"'), svg.indexOf('</g>', svg.indexOf('class="regime-band"')))
          .matchAll(/data-regime="(\w+)"/g),
      ].map((m) => m[1]);
    expect(band(btcSvg)).toEqual(['DISABLED', 'SIDEWAYS', 'DISABLED', 'EXPANSION']);
    expect(band(ethSvg)).toEqual(['DISABLED', 'SIDEWAYS']);
    // ground truth band under BTC only (merged into runs)
    expect(btcSvg).toContain('class="truth-band"');
    expect(ethSvg).not.toContain('class="truth-band"');
    // truth agreement: 3 of 4 labels match the decided regime
    expect(html).toContain('75.0%');

    // equity curve with every point
    expect(html).toContain('<polyline class="equity" data-points="4"');

    // summary tables, unknown kinds listed
    expect(html).toContain('<table class="overview">');
    expect(html).toContain('<table class="trades">');
    expect(html).toContain('<table class="unknown">');
    expect(html).toMatch(/<td>mystery<\/td><td>2<\/td>/);
    expect(html).toMatch(/<td>weather<\/td><td>1<\/td>/);
    expect(html).toMatch(/malformed lines \(skipped\)<\/td><td>4</);
  });

  it('copes with empty and hostile input', () => {
    const html = renderReplayReport({ title: 'empty', prices: [], decisions: [] });
    expect(html).toContain('No equity records');
    expect(html).toContain('No fills.');
    const weird = renderReplayReport({
      title: '"><script>alert(1)</script>',
      prices: [
        { t: Number.NaN, coin: 'X', mid: 1 },
        { t: T0, coin: '<b>', mid: Number.POSITIVE_INFINITY },
      ],
      decisions: [
        { kind: '<img src=x>', time: T0 },
        { kind: 'fill', coin: 'X', side: 'BUY', px: '12.5', size: '1', time: T0 },
      ],
    });
    expect(weird).not.toContain('<script>alert');
    expect(weird).not.toContain('<img src=x>');
    expect(weird).toContain('&lt;img src=x&gt;');
    // numeric strings are accepted (decision logs often carry venue decimals)
    expect(weird.match(/class="marker entry/g)).toHaveLength(1);
  });

  it('downsamples long price series to the pixel width', () => {
    const prices: PricePoint[] = [];
    for (let i = 0; i < 50_000; i++) prices.push({ t: T0 + i * 100, coin: 'BTC', mid: 100 + (i % 97) });
    const html = renderReplayReport({ title: 'long', prices, decisions: [] });
    const pts = /<polyline class="price" data-points="50000" points="([^"]*)"/.exec(html)![1]!.split(' ');
    expect(pts.length).toBeLessThanOrEqual(2 * 960);
    expect(pts.length).toBeGreaterThan(800);
    // the extremes survive downsampling
    const ys = pts.map((p) => Number(p.split(',')[1]));
    expect(Math.min(...ys)).toBeLessThan(10);
    expect(Math.max(...ys)).toBeGreaterThan(200);
  });

  it('a fill through zero closes the trade and opens the opposite one', () => {
    const d = analyseDecisions([
      { kind: 'fill', time: 1, coin: 'BTC', side: 'BUY', px: 100, size: 1 },
      { kind: 'fill', time: 2, coin: 'BTC', side: 'SELL', px: 110, size: 3 },
      { kind: 'fill', time: 3, coin: 'BTC', side: 'BUY', px: 90, size: 2 },
    ]);
    expect(d.fills.map((f) => f.role)).toEqual(['entry', 'exit', 'exit']);
    expect(d.trades.map((t) => [t.side, t.size, t.pnl])).toEqual([
      ['LONG', 1, 10],
      ['SHORT', 2, 40],
    ]);
  });

  it('regime segments start from DISABLED and skip repeats', () => {
    const segs = regimeSegments(
      'BTC',
      [
        { time: 10, regime: 'SIDEWAYS' },
        { time: 20, regime: 'SIDEWAYS' },
        { time: 30, regime: 'EXPANSION' },
      ],
      0,
      50,
    );
    expect(segs.map((s) => [s.regime, s.from, s.to])).toEqual([
      ['DISABLED', 0, 10],
      ['SIDEWAYS', 10, 30],
      ['EXPANSION', 30, 50],
    ]);
  });
});
