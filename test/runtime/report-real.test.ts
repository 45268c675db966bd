/**
 * The replay report over a real decision log (issue 15): the decision side run over the simulator's cascade
 * scenario (seed 7, every registry strategy enabled, the Cascade strategy trades), its lines fed to the
 * report. The report must read the documented format (`decision/records.ts`): every `exec.fill` a fill,
 * the round trips per coin and per strategy as `validateStrategies` counts them from the same log, the
 * regime timelines, the equity curve from `exec.position` totals, and no line left as "unknown".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type DecisionLine, engineConfigFrom } from '../../decision/engine.ts';
import { parseDecisionRecord, type RecordOf } from '../../decision/records.ts';
import { type StrategiesValidation, validateStrategies } from '../../replay/validate-strategies.ts';
import { parseConfig } from '../../runtime/config.ts';
import { analyseDecisions } from '../../replay/decision-log.ts';
import { renderReplayReport } from '../../runtime/report.ts';

const config = engineConfigFrom(parseConfig({}));
const lines: DecisionLine[] = [];
let v: StrategiesValidation;

beforeAll(() => {
  v = validateStrategies({ scenario: 'cascade', seed: 7, config, onLine: (l) => lines.push(l) });
}, 300_000);

const ofKind = <K extends 'exec.fill' | 'exec.position' | 'regime' | 'exec.day'>(k: K): RecordOf<K>[] =>
  lines
    .map((l) => parseDecisionRecord(l))
    .flatMap((p) => (p.ok && p.record.kind === k ? [p.record as RecordOf<K>] : []));

describe('replay report over a real decision log (cascade scenario, seed 7)', () => {
  it('finds every fill, the round trips, the regimes, and no unknown kinds', () => {
    const d = analyseDecisions(lines);
    const fills = ofKind('exec.fill');
    const regimes = ofKind('regime');
    console.log(
      `report over ${lines.length} lines: ${d.fills.length} fills, ${d.trades.length} trades, ` +
        `${regimes.length} regime records, kinds ${JSON.stringify(Object.fromEntries(d.kinds))}`,
    );
    // the run reaches what the report is for: entries and fills of a strategy, regime changes on every coin
    expect(fills.length).toBeGreaterThanOrEqual(10);
    expect(d.invalid).toBe(0);
    expect([...d.unknown.keys()]).toEqual([]);
    expect(d.kinds.get('exec.fill')).toBe(fills.length);

    expect(d.fills).toHaveLength(fills.length);
    expect(d.fills.reduce((a, f) => a + f.size, 0)).toBeCloseTo(
      fills.reduce((a, r) => a + r.fill.sz, 0),
      9,
    );
    expect(d.fills.reduce((a, f) => a + f.fee, 0)).toBeCloseTo(
      fills.reduce((a, r) => a + r.fill.fee, 0),
      9,
    );
    for (const f of d.fills) expect(f.strategy).toBe('cascade');
    expect(d.coins).toEqual(config.coins.slice().sort());

    // regimes: one timeline per coin, every regime record in it
    for (const coin of config.coins)
      expect(d.regimes.get(coin)?.map((r) => r.regime)).toEqual(
        regimes.filter((r) => r.coin === coin).map((r) => r.regime),
      );
    expect(regimes.some((r) => r.regime === 'EXPANSION')).toBe(true);
  });

  it('counts trades, wins, PnL and fees per strategy as the validation does from the same log', () => {
    const d = analyseDecisions(lines);
    const cascade = v.strategies.find((s) => s.strategy === 'cascade')!;
    expect(cascade.trades).toBeGreaterThanOrEqual(3);
    const closed = d.trades.filter((t) => t.pnl !== null);
    expect(closed).toHaveLength(cascade.trades);
    // strategies are the ones named in the log (every registry strategy is gated in this run)
    expect([...d.strategies.keys()].sort()).toEqual(v.strategies.map((s) => s.strategy).sort());
    for (const s of v.strategies) {
      const row = d.strategies.get(s.strategy)!;
      expect(row.entries, s.strategy).toBe(s.entries);
      expect(row.trades, s.strategy).toBe(s.trades);
      expect(row.wins, s.strategy).toBe(s.wins);
      expect(row.pnl, s.strategy).toBeCloseTo(s.pnl, 6);
      expect(row.fees, s.strategy).toBeCloseTo(s.fees, 6);
    }
  });

  it('draws the equity curve from the execution totals, starting at the day start equity', () => {
    const d = analyseDecisions(lines);
    const day = ofKind('exec.day')[0]!;
    const positions = ofKind('exec.position');
    const last = positions[positions.length - 1]!.totals;
    expect(d.startEquity).toBe(day.day.startEquity - day.day.startPnl);
    expect(d.equity).toHaveLength(positions.length + 1);
    expect(d.equity[0]!.equity).toBe(d.startEquity);
    expect(d.equity[d.equity.length - 1]!.equity).toBeCloseTo(
      day.day.startEquity + last.realised - last.fees - last.fundingPaid,
      6,
    );
    // every trade closed: the equity change is the trades' net PnL
    expect(d.trades.every((t) => t.pnl !== null)).toBe(true);
    expect(d.equity[d.equity.length - 1]!.equity - d.startEquity!).toBeCloseTo(
      d.trades.reduce((a, t) => a + t.pnl!, 0) - last.fundingPaid,
      6,
    );
  });

  it('renders the fills, the per-strategy table and no "other kinds" table', () => {
    const html = renderReplayReport({ title: 'cascade', prices: [], decisions: lines });
    const fills = ofKind('exec.fill').length;
    expect(html.match(/class="marker /g)).toHaveLength(fills);
    expect(html).toContain('<table class="strategies">');
    const row = /<table class="strategies">.*?<\/table>/s.exec(html)![0];
    for (const s of v.strategies) expect(row).toContain(`<td>${s.strategy}</td>`);
    expect(html).not.toContain('<table class="unknown">');
    expect(html).toContain('<polyline class="equity"');
  });
});
