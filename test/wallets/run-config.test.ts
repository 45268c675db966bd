/**
 * The `wallets` config section reaches the tracker (issue 18). Defect found: the state builder was always
 * created with the tracker's defaults — in the ingest worker and in replay alike — so `wallets.*` in a
 * config changed nothing. The run's `run.start` record names its config; the pipeline now gives the builder
 * that run's wallet config, live and in replay alike (both read the same record).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../runtime/config.ts';
import { StateBuilder } from '../../state/builder.ts';
import { IngestPipeline } from '../../state/pipeline.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';

function pipelineAfterRunStart(config: unknown): {
  builder: StateBuilder;
  counters: IngestPipeline['counters'];
} {
  const builder = new StateBuilder({ coins: ['BTC'] });
  const p = new IngestPipeline({ builder });
  p.process({
    seq: 1,
    time: 1,
    epoch: 0,
    kind: RecordKind.Decision,
    channel: 'run.start',
    data: jsonBytes({ restore: [], run: { coins: ['BTC'], config } }),
  });
  return { builder, counters: p.counters };
}

describe("the run's wallet config", () => {
  it('a run.start naming wallet settings gives the tracker those settings; off removes it', () => {
    const cfg = parseConfig({ coins: ['BTC'], wallets: { maxWallets: 1234 } });
    const p = pipelineAfterRunStart(cfg);
    expect(p.builder.wallets?.cfg.maxWallets).toBe(1234);
    const off = pipelineAfterRunStart(parseConfig({ coins: ['BTC'], wallets: { enabled: false } }));
    expect(off.builder.wallets).toBeNull();
  });

  it('a run.start without wallet settings keeps the defaults; a refused one is counted, not thrown', () => {
    const none = pipelineAfterRunStart({ coins: ['BTC'] });
    expect(none.builder.wallets?.cfg.maxWallets).toBe(50_000);
    const bad = pipelineAfterRunStart({ coins: ['BTC'], wallets: { maxWallets: -5 } });
    expect(bad.builder.wallets?.cfg.maxWallets).toBe(50_000);
    expect(bad.counters.rejectedByCode['run.start.wallets']).toBe(1);
  });
});
