/**
 * `backtest` over a simulated data dir: the simulator's default scenario (seed 1) started at 21:33 UTC, so
 * the run crosses midnight (two day folders) and the venue's funding hours (23:00 and 00:00) while positions
 * are open. A replay through the real decision side, read as trades, equity and figures:
 * - the round trips, the funding and the marked-to-market equity agree with each other;
 * - every funding payment is the journal's hourly rate × mark × the position held (`usdc = −szi × mark × rate`);
 * - `--set` changes the decision side (and the config hash); a bad setting is a clear error, not a crash;
 * - `runtime backtest --from --json --out` gives the in-process result for that range, byte for byte.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import {
  type BacktestResult,
  BacktestError,
  backtest,
  configHash,
  fundingPayments,
  parseSetArgs,
  setOverrides,
  stableJson,
} from '../../research/backtest.ts';
import { main } from '../../runtime/cli.ts';
import { backtestConfigResolver, summaryText } from '../../runtime/commands/backtest.ts';
import { ConfigError, parseConfig } from '../../runtime/config.ts';
import { RecordKind } from '../../state/records.ts';
import { type SimJournal, writeSimJournal } from './backtest-session.ts';

const config = engineConfigFrom(parseConfig({}));
const dir = mkdtempSync(join(tmpdir(), 'backtest-'));
const START = Date.parse('2025-12-31T21:33:00Z');
const resolveConfig = backtestConfigResolver();
let journal: SimJournal;
let base: BacktestResult;
/** Each coin's asset contexts in the journal: [record time, funding rate, mark]. */
const ctxs = new Map<string, [number, number, number][]>();

beforeAll(async () => {
  const dec = new TextDecoder();
  journal = await writeSimJournal({
    dataDir: dir,
    seed: 1,
    scenario: 'default',
    coins: [...config.coins],
    tickMs: config.tickMs,
    fast: config.health.fastBook,
    startTime: START,
    onRecord: (r) => {
      if (r.kind !== RecordKind.Frame || r.channel !== 'activeAssetCtx') return;
      const f = JSON.parse(dec.decode(r.data)) as {
        data: { coin: string; ctx: { funding: string; markPx: string } };
      };
      let list = ctxs.get(f.data.coin);
      if (!list) ctxs.set(f.data.coin, (list = []));
      list.push([r.time, Number(f.data.ctx.funding), Number(f.data.ctx.markPx)]);
    },
  });
  const t0 = Date.now();
  base = backtest({ dataDir: dir, set: {}, resolveConfig });
  console.log(
    `backtest: ${base.replay.records} records over ${journal.days.join(', ')} in ${Date.now() - t0} ms: ` +
      `${base.trades.length} trades, ${base.funding.length} funding payments, ${base.equity.length} equity samples`,
  );
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('backtest over a two-day simulated data dir', () => {
  it('names the config (hash of its stable JSON) and the journal range it read', () => {
    expect(base.config).toEqual(parseConfig({}));
    expect(base.configHash).toBe(configHash(parseConfig({})));
    expect(base.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(journal.days).toEqual(['2025-12-31', '2026-01-01']);
    expect(base.range).toEqual({
      days: journal.days,
      firstDay: '2025-12-31',
      lastDay: '2026-01-01',
      firstTime: journal.firstTime,
      lastTime: journal.lastTime,
    });
    expect(base.key).toBe(`${base.configHash}:${journal.firstTime}-${journal.lastTime}`);
    expect(base.replay).toMatchObject({
      records: journal.records,
      corrupt: 0,
      versionMismatches: 0,
      invalidLines: 0,
    });
  });

  it('trades, funding and the marked-to-market equity agree', () => {
    const m = base.metrics;
    console.log(
      `figures: return ${m.totalReturn}, Sharpe ${m.sharpe}, max DD ${m.drawdown.max}, trades ${m.trades}, ` +
        `win rate ${m.winRate}, PF ${m.profitFactor}, fees ${m.fees}, funding ${m.funding}, exposure ${m.exposure}`,
    );
    expect(base.trades.length).toBeGreaterThanOrEqual(30);
    expect(base.openTrades).toBe(0);
    for (const t of base.trades) expect(t.pnl).toBeCloseTo(t.gross - t.fees - t.funding, 9);
    // every payment fell inside a round trip on its coin, so the trades carry all of it
    const paid = base.funding.reduce((a, f) => a + f.usdc, 0);
    expect(base.trades.reduce((a, t) => a + t.funding, 0)).toBeCloseTo(paid, 12);
    expect(m.funding).toBeCloseTo(paid, 12);
    // nothing open at the end: the equity moved by exactly the closed trades' net PnL
    const first = base.equity[0]!;
    const last = base.equity[base.equity.length - 1]!;
    expect(first.equity).toBe(config.risk.startEquity);
    expect(last.time).toBe(journal.lastTime);
    expect(last.equity - first.equity).toBeCloseTo(m.pnl, 6);
    expect(m.fees).toBeCloseTo(
      base.fills.reduce((a, f) => a + f.fee, 0),
      9,
    );
    expect(m.fees).toBeGreaterThan(0);
    expect(m.exposure).toBeGreaterThan(0);
    expect(m.exposure).toBeLessThan(1);
    expect(Object.keys(m.split.strategy)).toContain('geometry');
    expect(JSON.stringify(base)).not.toMatch(/NaN|Infinity/);
  });

  it('funding: charged on the hour at the journal’s hourly rate and mark on the position held', () => {
    expect(base.funding.length).toBeGreaterThanOrEqual(2);
    for (const f of base.funding) {
      expect(f.time % 3_600_000).toBe(0);
      // the asset context as the decision side read it at its last tick before the hour (the venue settles
      // on the market as of that tick: a context that arrived within the last tick interval is not in it)
      const ctx = (ctxs.get(f.coin) ?? []).filter(([t]) => t <= f.time - config.tickMs).at(-1);
      expect(ctx).toBeDefined();
      const [, rate, mark] = ctx!;
      expect(f.rate).toBe(rate);
      expect(f.markPx).toBe(mark);
      // the position held then: the round trip on the coin open across the hour
      const t = base.trades.find((x) => x.coin === f.coin && x.openTime <= f.time && x.closeTime >= f.time);
      expect(t).toBeDefined();
      // a long pays a positive rate: paid = szi × mark × rate (the venue's cash flow is its negative)
      const szi = (t!.side === 'LONG' ? 1 : -1) * t!.size;
      expect(f.usdc).toBeCloseTo(szi * mark * rate, 12);
      expect(f.usdc).not.toBe(0);
      expect(f.strategy).toBe(t!.strategy);
    }
    // the split carries it: by coin, the payments on that coin
    for (const [coin, row] of Object.entries(base.metrics.split.coin)) {
      const onCoin = base.funding.filter((f) => f.coin === coin).reduce((a, f) => a + f.usdc, 0);
      expect(row.funding).toBeCloseTo(onCoin, 12);
    }
  });

  it('--set changes the decision side and the config hash', () => {
    const r = backtest({ dataDir: dir, set: { 'strategies.geometry.enabled': 'false' }, resolveConfig });
    console.log(`without geometry: ${r.trades.length} trades (${base.trades.length} with it)`);
    expect(r.config.strategies.geometry).toMatchObject({ enabled: false });
    expect(r.configHash).not.toBe(base.configHash);
    expect(r.range).toEqual(base.range);
    expect(r.trades.every((t) => t.strategy !== 'geometry')).toBe(true);
    expect(Object.keys(r.metrics.split.strategy)).not.toContain('geometry');
    expect(r.trades.length).toBeLessThan(base.trades.length);
  }, 300_000);

  it('runtime backtest --from --json --out: the in-process result for that range, byte for byte', async () => {
    let out = '';
    let err = '';
    const io = { stdout: (s: string) => void (out += s), stderr: (s: string) => void (err += s) };
    const html = join(dir, 'tearsheet.html');
    const code = await main(['backtest', dir, '--from', '2026-01-01', '--json', '--out', html], io);
    expect(code, err).toBe(0);
    const direct = backtest({ dataDir: dir, from: '2026-01-01', set: {}, resolveConfig });
    expect(out).toBe(JSON.stringify(direct));
    expect(direct.range.days).toEqual(['2026-01-01']);
    expect(direct.range.firstTime).toBeGreaterThanOrEqual(Date.parse('2026-01-01T00:00:00Z'));
    expect(existsSync(html)).toBe(true);
    expect(readFileSync(html, 'utf8')).toContain(`data-config-hash="${direct.configHash}"`);
  }, 300_000);

  it('the terminal summary shows the result’s figures; --help the usage', async () => {
    const m = base.metrics;
    const text = summaryText(base);
    console.log(text);
    expect(text).toContain(`config ${base.configHash.slice(0, 12)}`);
    expect(text).toContain('2025-12-31 … 2026-01-01 (2 days');
    expect(text).toContain(`return ${(m.totalReturn! * 100).toFixed(2)} %`);
    expect(text).toContain(`Sharpe ${m.sharpe!.toFixed(2)}`);
    expect(text).toContain(`max drawdown ${(m.drawdown.max * 100).toFixed(2)} %`);
    expect(text).toContain(`trades ${m.trades} (${m.tradesPerDay!.toFixed(2)} a day)`);
    expect(text).toContain(`fees ${m.fees.toFixed(2)}, funding ${m.funding.toFixed(4)}`);
    let out = '';
    const code = await main(['backtest', '--help'], { stdout: (s) => void (out += s), stderr: () => {} });
    expect(code).toBe(0);
    expect(out).toContain('usage: runtime backtest');
  });

  it('bad input: a clear error, exit 2, never a crash', async () => {
    // one call, both properties of its error (each call reads the data dir's first day before it fails)
    let unknownKey: unknown = null;
    try {
      backtest({ dataDir: dir, set: { 'risk.nope': '1' }, resolveConfig });
    } catch (e) {
      unknownKey = e;
    }
    expect(unknownKey).toBeInstanceOf(ConfigError);
    expect((unknownKey as ConfigError).message).toMatch(/risk\.nope/);
    expect(() => backtest({ dataDir: dir, set: { 'risk.startEquity': '"lots"' }, resolveConfig })).toThrow(
      /risk\.startEquity/,
    );
    const cases: [string[], RegExp][] = [
      [['backtest', dir, '--set', 'noequals'], /expected key=value/],
      [['backtest', dir, '--set', 'risk..x=1'], /dotted config path/],
      [['backtest', dir, '--set', 'risk.nope=1'], /risk\.nope/],
      [['backtest', join(dir, 'missing')], /does not exist/],
      [['backtest', dir, '--from', '2026-13-01'], /not a day/],
      [['backtest', dir, '--sample-ms', '0'], /--sample-ms/],
      [['backtest'], /missing <data dir>/],
    ];
    for (const [argv, message] of cases) {
      let err = '';
      const code = await main(argv, { stdout: () => {}, stderr: (s) => void (err += s) });
      expect(code, argv.join(' ')).toBe(2);
      expect(err).toMatch(message);
    }
  });
});

describe('settings, hashing and funding reading (pure)', () => {
  it('--set key=value: dotted paths, JSON values, strings otherwise', () => {
    expect(parseSetArgs(['risk.startEquity=50000', 'a.b=x=y', 'risk.startEquity=60000'])).toEqual({
      'risk.startEquity': '60000',
      'a.b': 'x=y',
    });
    expect(
      setOverrides({
        'risk.startEquity': '50000',
        'strategies.geometry.enabled': 'false',
        coins: '["BTC"]',
        'x.y': 'abc',
      }),
    ).toEqual({
      risk: { startEquity: 50000 },
      strategies: { geometry: { enabled: false } },
      coins: ['BTC'],
      x: { y: 'abc' },
    });
    expect(() => parseSetArgs(['=1'])).toThrow(BacktestError);
    expect(() => setOverrides({ 'a.': '1' })).toThrow(BacktestError);
  });

  it('the config hash does not depend on key order', () => {
    expect(stableJson({ b: 1, a: { d: [2, { y: 1, x: 2 }], c: 3 } })).toBe(
      '{"a":{"c":3,"d":[2,{"x":2,"y":1}]},"b":1}',
    );
    expect(configHash({ a: 1, b: 2 })).toBe(configHash({ b: 2, a: 1 }));
    expect(configHash({ a: 1 })).not.toBe(configHash({ a: 2 }));
  });

  it('funding payments are the moves of totals.fundingPaid on funding records', () => {
    const pos = (t: number, type: string, fundingPaid: number, funding?: unknown): DecisionLine => ({
      t,
      kind: 'exec.position',
      time: t,
      coin: 'BTC',
      cause: { type, ...(funding ? { funding } : {}) },
      position: { coin: 'BTC', strategy: 'geometry', size: 0.1, avgEntry: 100, realised: 0 },
      totals: { realised: 0, fees: 0, fundingPaid },
    });
    const lines: DecisionLine[] = [
      pos(1, 'fill', 0),
      pos(2, 'funding', 0.5, { coin: 'BTC', usdc: -0.5, rate: 0.0001, markPx: 50_000, time: 2 }),
      { t: 3, kind: 'exec.fill' },
      pos(4, 'fill', 0.5),
      pos(5, 'funding', 0.25),
      { t: 6, kind: 'exec.position', totals: 'bad' },
    ];
    expect(fundingPayments(lines)).toEqual([
      { time: 2, coin: 'BTC', strategy: 'geometry', usdc: 0.5, rate: 0.0001, markPx: 50_000 },
      { time: 5, coin: 'BTC', strategy: 'geometry', usdc: -0.25, rate: null, markPx: null },
    ]);
  });
});
