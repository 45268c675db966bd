/**
 * What a running system feeds its metrics (issue 22). Defect found: outside unit tests nothing ever incremented
 * `hl_orders_total`, `hl_fills_total`, `hl_reconnects_total` or `hl_gaps_total` — the running process fed only
 * frames and latency, so a Grafana board on them stayed flat through orders, fills, reconnects and gaps. The
 * snapshot's cumulative counters now advance the counters by their increase, and the decision lines count
 * orders and fills.
 */
import { describe, expect, it } from 'vitest';
import type { DashboardSnapshot } from '../../runtime/dashboard/types.ts';
import { createMetrics } from '../../runtime/metrics.ts';

function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    if (line.slice(0, i) === series) return Number(line.slice(i + 1));
  }
  return undefined;
}

function snapshot(counters: { reconnects: number; gaps: number; pending: number }): DashboardSnapshot {
  return {
    time: 0,
    tradingState: 'ACTIVE',
    equity: 10_000,
    realisedPnl: 0,
    unrealisedPnl: 0,
    dailyPnl: 0,
    health: { level: 'HEALTHY', reason: '', channels: [] },
    coins: [],
    decisions: [],
    counters: {
      frames: 10,
      reconnects: counters.reconnects,
      gaps: counters.gaps,
      journalLagBytes: counters.pending,
    },
  } as DashboardSnapshot;
}

describe('the running system feeds its metrics', () => {
  it('reconnects and gaps of the snapshot advance the counters by their increase', async () => {
    const m = createMetrics();
    m.applySnapshot(snapshot({ reconnects: 0, gaps: 0, pending: 0 }));
    m.applySnapshot(snapshot({ reconnects: 2, gaps: 3, pending: 5 }));
    m.applySnapshot(snapshot({ reconnects: 2, gaps: 4, pending: 0 }));
    const t = await m.text();
    expect(sample(t, 'hl_reconnects_total')).toBe(2);
    expect(sample(t, 'hl_gaps_total{channel="*"}')).toBe(4);
    expect(sample(t, 'hl_journal_pending_records')).toBe(0);
  });

  it('decision lines count orders by status and fills by coin and side', async () => {
    const m = createMetrics();
    const order = (status: string) => ({
      t: 1,
      kind: 'exec.order',
      time: 1,
      event: status,
      order: {
        clientId: 'c',
        coin: 'BTC',
        side: 'BUY',
        size: 1,
        limitPx: 1,
        tif: 'Ioc',
        reduceOnly: false,
        purpose: 'entry',
        status,
      },
    });
    m.decision(order('pending'));
    m.decision(order('filled'));
    m.decision({
      t: 1,
      kind: 'exec.fill',
      time: 1,
      fill: { coin: 'ETH', side: 'SELL', px: 1, sz: 1 },
      liquidity: 'taker',
    });
    m.decision({ t: 1, kind: 'regime' });
    const t = await m.text();
    expect(sample(t, 'hl_orders_total{status="pending"}')).toBe(1);
    expect(sample(t, 'hl_orders_total{status="filled"}')).toBe(1);
    expect(sample(t, 'hl_fills_total{coin="ETH",side="SELL"}')).toBe(1);
    expect(m.rejected).toBe(0);
  });

  it('alert outcomes are counted by kind and outcome', async () => {
    const m = createMetrics();
    m.alert('halt', 'retry');
    m.alert('halt', 'sent');
    const t = await m.text();
    expect(sample(t, 'hl_alerts_total{kind="halt",outcome="sent"}')).toBe(1);
    expect(sample(t, 'hl_alerts_total{kind="halt",outcome="retry"}')).toBe(1);
  });
});
