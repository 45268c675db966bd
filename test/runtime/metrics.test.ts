import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, LATENCY_BUCKETS, serveMetrics } from '../../runtime/metrics.ts';
import type { DashboardSnapshot } from '../../runtime/dashboard/types.ts';

/** The value of one sample line `name{labels} value` in the exposition text. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    if (line.slice(0, i) === series) return Number(line.slice(i + 1));
  }
  return undefined;
}

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers) await c();
  closers = [];
});

describe('metrics', () => {
  it('exposes every metric after updates', async () => {
    const m = createMetrics();
    m.frame('l2Book');
    m.frame('l2Book', 4);
    m.frame('trades', 2);
    m.observeLatency(0.00002); // 20 µs
    m.observeLatency(0.003);
    m.observeLatency(0.2); // beyond the last bucket: only +Inf
    m.reconnect();
    m.gap('l2Book:BTC', 3);
    m.gap('*');
    m.setStaleness('l2Book:BTC', 0.25);
    m.setJournalLag(4096);
    m.order('pending');
    m.order('filled');
    m.order('filled');
    m.fill('BTC', 'BUY');
    m.setPnl({ realised: 12.5, unrealised: -3.25, equity: 10_009.25, daily: 9.25 });
    m.setRegime('BTC', 'SIDEWAYS');
    m.setRegime('ETH', 'EXPANSION');
    m.setHealth('DEGRADED');
    m.setTradingState('REDUCING');
    const t = await m.text();

    expect(sample(t, 'hl_frames_total{channel="l2Book"}')).toBe(5);
    expect(sample(t, 'hl_frames_total{channel="trades"}')).toBe(2);
    expect(t).toContain('# TYPE hl_frame_to_hotstate_latency_seconds histogram');
    expect(sample(t, 'hl_frame_to_hotstate_latency_seconds_bucket{le="0.00001"}')).toBe(0);
    expect(sample(t, 'hl_frame_to_hotstate_latency_seconds_bucket{le="0.000025"}')).toBe(1);
    expect(sample(t, 'hl_frame_to_hotstate_latency_seconds_bucket{le="0.005"}')).toBe(2);
    expect(sample(t, 'hl_frame_to_hotstate_latency_seconds_bucket{le="0.1"}')).toBe(2);
    expect(sample(t, 'hl_frame_to_hotstate_latency_seconds_bucket{le="+Inf"}')).toBe(3);
    expect(sample(t, 'hl_frame_to_hotstate_latency_seconds_count')).toBe(3);
    expect(LATENCY_BUCKETS[0]).toBe(0.00001);
    expect(LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1]).toBe(0.1);
    expect(sample(t, 'hl_reconnects_total')).toBe(1);
    expect(sample(t, 'hl_gaps_total{channel="l2Book:BTC"}')).toBe(1);
    expect(sample(t, 'hl_gaps_total{channel="*"}')).toBe(1);
    expect(sample(t, 'hl_gap_frames_lost_total')).toBe(3);
    expect(sample(t, 'hl_channel_staleness_seconds{channel="l2Book:BTC"}')).toBe(0.25);
    expect(sample(t, 'hl_journal_pending_records')).toBe(4096);
    expect(sample(t, 'hl_orders_total{status="filled"}')).toBe(2);
    expect(sample(t, 'hl_orders_total{status="pending"}')).toBe(1);
    expect(sample(t, 'hl_fills_total{coin="BTC",side="BUY"}')).toBe(1);
    expect(sample(t, 'hl_pnl_realised_usd')).toBe(12.5);
    expect(sample(t, 'hl_pnl_unrealised_usd')).toBe(-3.25);
    expect(sample(t, 'hl_pnl_daily_usd')).toBe(9.25);
    expect(sample(t, 'hl_equity_usd')).toBe(10_009.25);
    expect(sample(t, 'hl_regime{coin="BTC"}')).toBe(1);
    expect(sample(t, 'hl_regime{coin="ETH"}')).toBe(2);
    expect(sample(t, 'hl_regime_state{coin="BTC",regime="SIDEWAYS"}')).toBe(1);
    expect(sample(t, 'hl_regime_state{coin="BTC",regime="EXPANSION"}')).toBe(0);
    expect(sample(t, 'hl_health_level')).toBe(2);
    expect(sample(t, 'hl_health_state{level="DEGRADED"}')).toBe(1);
    expect(sample(t, 'hl_trading_state')).toBe(1);
    expect(m.rejected).toBe(0);
  });

  it('ignores and counts bad updates instead of throwing', async () => {
    const m = createMetrics();
    m.frame('', 1);
    m.frame('x', Number.NaN);
    m.observeLatency(-1);
    m.setStaleness('a', Number.POSITIVE_INFINITY);
    m.setRegime('BTC', 'MOON');
    m.setHealth('FINE');
    m.setPnl({ equity: Number.NaN, realised: null });
    expect(m.rejected).toBe(7);
    const t = await m.text();
    expect(sample(t, 'hl_metrics_rejected_updates_total')).toBe(7);
    expect(t).not.toContain('MOON');
  });

  it('sets the gauges from a dashboard snapshot', async () => {
    const m = createMetrics();
    const snap: DashboardSnapshot = {
      time: 0,
      tradingState: 'HALTED',
      equity: 9_800,
      realisedPnl: -200,
      unrealisedPnl: 0,
      dailyPnl: -200,
      health: {
        level: 'HALTED',
        reason: 'daily loss',
        channels: [
          { key: 'l2Book:BTC', ageMs: 1500, stale: false, expectedMs: 2000 },
          { key: 'trades:BTC', ageMs: null, stale: true, expectedMs: 5000 },
        ],
      },
      coins: [
        {
          coin: 'BTC',
          mid: null,
          bestBid: null,
          bestAsk: null,
          bids: [],
          asks: [],
          regime: 'DISABLED',
          inputs: { oiRange15m: null, oiBuild1h: null, fundingDev: null, depthAsym5s: null },
          strategies: [],
          position: null,
        },
      ],
      decisions: [],
      counters: { frames: 1, reconnects: 0, gaps: 0, journalLagBytes: 77 },
    };
    m.applySnapshot(snap);
    const t = await m.text();
    expect(sample(t, 'hl_channel_staleness_seconds{channel="l2Book:BTC"}')).toBe(1.5);
    expect(t).not.toContain('channel="trades:BTC"');
    expect(sample(t, 'hl_equity_usd')).toBe(9_800);
    expect(sample(t, 'hl_regime{coin="BTC"}')).toBe(0);
    expect(sample(t, 'hl_health_level')).toBe(3);
    expect(sample(t, 'hl_trading_state')).toBe(2);
    expect(sample(t, 'hl_journal_pending_records')).toBe(77);
  });

  it('two instances do not share a registry; process metrics on request', async () => {
    const a = createMetrics();
    const b = createMetrics({ processMetrics: true });
    a.frame('x');
    expect(sample(await b.text(), 'hl_frames_total{channel="x"}')).toBeUndefined();
    expect(await b.text()).toContain('hl_process_cpu_user_seconds_total');
  });

  it('serves /metrics stand-alone on loopback', async () => {
    const m = createMetrics();
    m.reconnect(2);
    const s = await serveMetrics({ host: '127.0.0.1', port: 0, metrics: m });
    closers.push(() => s.close());
    const res = await fetch(s.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(sample(await res.text(), 'hl_reconnects_total')).toBe(2);
    expect((await fetch(s.url.replace('/metrics', '/other'))).status).toBe(404);
  });
});
