import { describe, expect, it } from 'vitest';
import { parseDecisionRecord } from '../../decision/records.ts';
import { analyseDecisions, KEPT_ERRORS, type PricePoint } from '../../replay/decision-log.ts';
import { regimeSegments, renderReplayReport } from '../../runtime/report.ts';

const T0 = 1_767_225_600_000;

// ---- decision records in the documented format (decision/records.ts), as the engine writes them

const INPUTS = { oiRange15m: 0.01, oiBuild1h: null, fundingDev: 0.00001, depthAsym5s: -0.1 };
const regime = (coin: string, t: number, r: 'SIDEWAYS' | 'EXPANSION' | 'DISABLED') => ({
  t,
  kind: 'regime',
  coin,
  regime: r,
  action: r === 'DISABLED' ? 'DISABLE' : 'ENABLE',
  reason: 'test',
  inputs: INPUTS,
});
const fill = (
  t: number,
  coin: string,
  side: 'BUY' | 'SELL',
  px: number,
  sz: number,
  strategy = 'alpha',
  fee = 0,
) => ({
  t,
  kind: 'exec.fill',
  time: t,
  fill: { coin, strategy, side, px, sz, fee, time: t, clientId: `x${t}` },
  liquidity: 'taker',
});
const position = (t: number, coin: string, realised: number, fees: number, fundingPaid = 0) => ({
  t,
  kind: 'exec.position',
  time: t,
  coin,
  cause: { type: 'fill' },
  position: null,
  totals: { realised, fees, fundingPaid },
});
const day = (t: number, startEquity: number, startPnl = 0) => ({
  t,
  kind: 'exec.day',
  time: t,
  day: { index: Math.floor(t / 86_400_000), startEquity, startPnl },
});
const entered = (t: number, coin: string, strategy: string) => ({
  t,
  kind: 'strategy',
  coin,
  strategy,
  from: 'ARMED.entering',
  to: 'ENTERED',
});
const entryIntent = (t: number, coin: string, strategy: string, side: 'LONG' | 'SHORT') => ({
  t,
  kind: 'exec.intent',
  time: t,
  intent: {
    kind: 'entry',
    id: `${strategy}:${coin}:${t}`,
    strategy,
    coin,
    side,
    sizeFraction: 0.5,
    stop: 1,
    target: 2,
    reason: 'test',
    version: 1,
    time: t,
  },
});
const verdict = (t: number, coin: string, strategy: string, ok: boolean, code: string | null = null) => ({
  t,
  kind: 'exec.verdict',
  time: t,
  intentId: `${strategy}:${coin}:${t}`,
  strategy,
  coin,
  ok,
  code,
  detail: 'test',
});
const order = (t: number, coin: string, event: string) => ({
  t,
  kind: 'exec.order',
  time: t,
  event,
  order: {
    clientId: `x${t}`,
    coin,
    side: 'BUY',
    size: 0.1,
    limitPx: 50_020,
    tif: 'Ioc',
    reduceOnly: false,
    purpose: 'entry',
    intentId: null,
    strategy: 'alpha',
    status: 'pending',
    filled: 0,
    avgPx: 0,
    fees: 0,
  },
});

/** A replay: two coins, a mid path each, regime changes, two round trips on BTC (alpha), one on ETH (beta). */
function replay() {
  const prices: PricePoint[] = [];
  for (let i = 0; i <= 600; i++) {
    prices.push({ t: T0 + i * 1000, coin: 'BTC', mid: 50_000 + 100 * Math.sin(i / 50) });
    prices.push({ t: T0 + i * 1000, coin: 'ETH', mid: 3_000 + 5 * Math.cos(i / 40) });
  }
  const valid: object[] = [
    day(T0, 10_000),
    regime('BTC', T0 + 60_000, 'SIDEWAYS'),
    regime('BTC', T0 + 300_000, 'DISABLED'),
    regime('BTC', T0 + 400_000, 'EXPANSION'),
    regime('ETH', T0 + 100_000, 'SIDEWAYS'),
    entryIntent(T0 + 99_000, 'BTC', 'alpha', 'LONG'),
    verdict(T0 + 99_000, 'BTC', 'alpha', true),
    order(T0 + 100_000, 'BTC', 'submit'),
    entered(T0 + 100_000, 'BTC', 'alpha'),
    fill(T0 + 100_000, 'BTC', 'BUY', 50_010, 0.1, 'alpha', 1),
    position(T0 + 100_000, 'BTC', 0, 1),
    fill(T0 + 200_000, 'BTC', 'SELL', 50_060, 0.1, 'alpha', 1),
    position(T0 + 200_000, 'BTC', 5, 2),
    entryIntent(T0 + 410_000, 'BTC', 'alpha', 'SHORT'),
    verdict(T0 + 410_000, 'BTC', 'alpha', true),
    entered(T0 + 420_000, 'BTC', 'alpha'),
    fill(T0 + 420_000, 'BTC', 'SELL', 49_950, 0.2, 'alpha', 2),
    position(T0 + 420_000, 'BTC', 5, 4),
    fill(T0 + 450_000, 'BTC', 'BUY', 49_900, 0.1, 'alpha', 1),
    position(T0 + 450_000, 'BTC', 10, 5),
    fill(T0 + 460_000, 'BTC', 'BUY', 49_920, 0.1, 'alpha', 1),
    position(T0 + 460_000, 'BTC', 13, 6),
    entryIntent(T0 + 140_000, 'ETH', 'beta', 'LONG'),
    verdict(T0 + 140_000, 'ETH', 'beta', false, 'MAX_EXPOSURE'),
    entryIntent(T0 + 149_000, 'ETH', 'beta', 'LONG'),
    verdict(T0 + 149_000, 'ETH', 'beta', true),
    entered(T0 + 150_000, 'ETH', 'beta'),
    fill(T0 + 150_000, 'ETH', 'BUY', 3_001, 1, 'beta', 0.5),
    position(T0 + 150_000, 'ETH', 5, 2.5),
    fill(T0 + 250_000, 'ETH', 'SELL', 2_999, 1, 'beta', 0.5),
    position(T0 + 250_000, 'ETH', 3, 3, 0.25),
    {
      t: T0 + 470_000,
      kind: 'alarm',
      source: 'execution',
      coin: 'BTC',
      message: 'close of BTC unfilled after 3 attempts',
      attempt: 3,
    },
  ];
  const decisions: unknown[] = [
    ...valid,
    // kinds the format does not know
    { t: T0 + 5_000, kind: 'mystery', payload: { a: 1 } },
    { t: T0 + 6_000, kind: 'mystery' },
    { t: T0 + 7_000, kind: 'weather', sky: 'grey' },
    // known kinds that do not parse, and garbage
    { ...fill(T0, 'BTC', 'BUY', 1, 1), liquidity: 'SIDEWAYS' },
    { t: T0, kind: 'regime', coin: 'BTC' },
    null,
    'text line',
  ];
  return { prices, decisions, valid };
}

describe('replay report', () => {
  it('its fixtures are in the decision-log format', () => {
    for (const l of replay().valid)
      expect(parseDecisionRecord(l), JSON.stringify(l)).toMatchObject({ ok: true });
  });

  it('classifies fills into entries/exits and round trips, net of fees', () => {
    const { prices, decisions, valid } = replay();
    const d = analyseDecisions(decisions, prices);
    expect(d.coins).toEqual(['BTC', 'ETH']);
    expect(d.lines).toBe(decisions.length);
    expect(d.records).toBe(valid.length);
    const btc = d.fills.filter((f) => f.coin === 'BTC').map((f) => f.role);
    expect(btc).toEqual(['entry', 'exit', 'entry', 'exit', 'exit']);
    expect(d.trades).toHaveLength(3);
    const [t1, t2] = d.trades.filter((t) => t.coin === 'BTC');
    expect(t1!.side).toBe('LONG');
    expect(t1!.strategy).toBe('alpha');
    expect(t1!.gross).toBeCloseTo(5, 6); // (50 060 − 50 010) × 0.1
    expect(t1!.fees).toBe(2);
    expect(t1!.pnl).toBeCloseTo(3, 6);
    expect(t2!.side).toBe('SHORT');
    expect(t2!.gross).toBeCloseTo((49_950 - 49_900) * 0.1 + (49_950 - 49_920) * 0.1, 6);
    expect(t2!.pnl).toBeCloseTo(8 - 4, 6);
    expect(t2!.exitPx).toBeCloseTo(49_910, 6);
    const eth = d.trades.find((t) => t.coin === 'ETH')!;
    expect(eth.strategy).toBe('beta');
    expect(eth.pnl).toBeCloseTo(-3, 6);
    expect(d.invalid).toBe(4);
    expect(d.errors.map((e) => [e.line, e.kind])).toEqual([
      [valid.length + 4, 'exec.fill'],
      [valid.length + 5, 'regime'],
      [valid.length + 6, null],
      [valid.length + 7, null],
    ]);
    expect(d.errors[0]!.error).toMatch(/liquidity/);
    expect(d.errors[3]!.error).toMatch(/^not JSON/);
    expect(d.unknown.get('mystery')!.count).toBe(2);
    expect(d.unknown.get('weather')!.count).toBe(1);
    expect(d.kinds.get('exec.fill')).toBe(7);
    expect(d.orders.get('submit')).toBe(1);
    expect(d.intents.get('ETH')).toEqual({ entry: 2, exit: 0 });
    expect(d.verdicts.ok).toBe(3);
    expect(d.verdicts.rejected.get('MAX_EXPOSURE')).toBe(1);
    expect(d.alarms.map((a) => [a.kind, a.coin])).toEqual([['alarm', 'BTC']]);
  });

  it('one row per strategy named in the log: intents, verdicts, entries, trades, wins, PnL, fees', () => {
    const d = analyseDecisions(replay().decisions);
    expect([...d.strategies.keys()]).toEqual(['alpha', 'beta']);
    expect(d.strategies.get('alpha')).toEqual({
      strategy: 'alpha',
      intents: { entry: 2, exit: 0 },
      approved: 2,
      rejected: 0,
      entries: 2,
      fills: 5,
      trades: 2,
      wins: 2,
      pnl: expect.closeTo(7, 6),
      fees: 6,
      open: 0,
    });
    expect(d.strategies.get('beta')).toMatchObject({
      approved: 1,
      rejected: 1,
      entries: 1,
      trades: 1,
      wins: 0,
      pnl: expect.closeTo(-3, 6),
      fees: 1,
    });
    const html = renderReplayReport({ title: 'x', prices: [], decisions: replay().decisions });
    const table = /<table class="strategies">.*?<\/table>/s.exec(html)![0];
    expect(table).toContain('<tr><td>alpha</td><td>2</td><td>0</td><td>2</td><td>0</td><td>2</td><td>5</td>');
    expect(table).toContain('<td>beta</td>');
  });

  it('the equity curve: start equity from exec.day, then start + realised − fees − funding per exec.position', () => {
    const d = analyseDecisions(replay().decisions);
    expect(d.startEquity).toBe(10_000);
    expect(d.equity[0]).toEqual({ time: T0, equity: 10_000 });
    expect(d.equity).toHaveLength(1 + 7);
    expect(d.equity[d.equity.length - 1]).toEqual({ time: T0 + 460_000, equity: 10_000 + 13 - 6 });
    expect(d.equity.find((e) => e.time === T0 + 250_000)!.equity).toBe(10_000 + 3 - 3 - 0.25);
    expect(d.totals).toEqual({ realised: 13, fees: 6, fundingPaid: 0 });
    // a later day's start equity includes what was made before it: the base is start equity − start PnL
    const later = analyseDecisions([day(T0, 10_050, 50), position(T0 + 1, 'BTC', 60, 2)]);
    expect(later.startEquity).toBe(10_000);
    expect(later.equity.map((e) => e.equity)).toEqual([10_000, 10_058]);
    // no exec.day: the curve is the net PnL from 0, said so on the page
    const noDay = analyseDecisions([position(T0 + 1, 'BTC', 60, 2)]);
    expect(noDay.startEquity).toBeNull();
    expect(noDay.equity).toEqual([{ time: T0 + 1, equity: 58 }]);
    expect(
      renderReplayReport({ title: 'x', prices: [], decisions: [position(T0 + 1, 'BTC', 60, 2)] }),
    ).toContain('not in the log (exec.day)');
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
    expect(btcSvg).toContain('<title>alpha entry BUY 0.1 @ 50010 fee 1 (taker)');

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

    // equity curve with every point: the start and each position change
    expect(html).toContain('<polyline class="equity" data-points="8"');

    // summary tables; unknown kinds, invalid lines and alarms listed
    expect(html).toContain('<table class="overview">');
    expect(html).toContain('<table class="trades">');
    expect(html).toContain('<table class="strategies">');
    expect(html).toContain('<table class="unknown">');
    expect(html).toMatch(/<td>mystery<\/td><td>2<\/td>/);
    expect(html).toMatch(/<td>weather<\/td><td>1<\/td>/);
    expect(html).toMatch(/invalid lines \(skipped\)<\/td><td>4</);
    expect(html).toMatch(/lines of other kinds \(skipped\)<\/td><td>3</);
    expect(html).toContain('<table class="invalid">');
    expect(html).toMatch(/<td>\d+<\/td><td>exec\.fill<\/td><td>liquidity: /);
    expect(html).toContain('<table class="alarms">');
    expect(html).toContain('close of BTC unfilled after 3 attempts');
    expect(html).toMatch(/<td>rejected: MAX_EXPOSURE<\/td><td>1<\/td>/);
  });

  it('copes with empty and hostile input, and reads JSON text lines', () => {
    const html = renderReplayReport({ title: 'empty', prices: [], decisions: [] });
    expect(html).toContain('No equity records');
    expect(html).toContain('No fills.');
    expect(html).toContain('No strategy in the decision log.');
    const weird = renderReplayReport({
      title: '"><script>alert(1)</script>',
      prices: [
        { t: Number.NaN, coin: 'X', mid: 1 },
        { t: T0, coin: '<b>', mid: Number.POSITIVE_INFINITY },
      ],
      decisions: [
        { kind: '<img src=x>', t: T0 },
        JSON.stringify(fill(T0, 'X', 'BUY', 12.5, 1, '<i>strat</i>')),
        { ...fill(T0 + 1, 'X', 'SELL', 12.5, 0) },
        { ...fill(T0 + 2, 'X', 'SELL', Number.NaN, 1) },
        undefined,
        42,
        [1, 2],
        '{"t": 1, "kind": "regime"',
        { t: T0, kind: { toString: () => 'x' } },
      ],
    });
    expect(weird).not.toContain('<script>alert');
    expect(weird).not.toContain('<img src=x>');
    expect(weird).not.toContain('<i>strat');
    expect(weird).toContain('&lt;img src=x&gt;');
    expect(weird).toContain('&lt;i&gt;strat&lt;/i&gt;');
    // a JSON text line is a record like any other
    expect(weird.match(/class="marker entry/g)).toHaveLength(1);
    // the zero-size fill, the NaN price, undefined, 42, the array, the cut JSON and the object kind
    expect(weird).toMatch(/invalid lines \(skipped\)<\/td><td>7</);
  });

  it('keeps the first few errors only, counting every invalid line', () => {
    const d = analyseDecisions(Array.from({ length: 50 }, (_, i) => ({ t: i, kind: 'regime', coin: 'BTC' })));
    expect(d.invalid).toBe(50);
    expect(d.errors).toHaveLength(KEPT_ERRORS);
    expect(d.errors[0]).toMatchObject({ line: 1, kind: 'regime' });
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

  it('a fill through zero closes the trade and opens the opposite one, its fee split by size', () => {
    const d = analyseDecisions([
      fill(1, 'BTC', 'BUY', 100, 1, 'alpha', 1),
      fill(2, 'BTC', 'SELL', 110, 3, 'alpha', 3),
      fill(3, 'BTC', 'BUY', 90, 2, 'alpha', 2),
    ]);
    expect(d.fills.map((f) => f.role)).toEqual(['entry', 'exit', 'exit']);
    expect(d.trades.map((t) => [t.side, t.size, t.gross, t.fees, t.pnl])).toEqual([
      ['LONG', 1, 10, 2, 8],
      ['SHORT', 2, 40, 4, 36],
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
