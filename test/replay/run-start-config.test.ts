/**
 * Defect (found by the node-book parity run, issue 17): a replay read each `run.start` record with the
 * pipeline of the run before it, then replaced that pipeline with a fresh one (a restarted process's), so
 * what the record configures in the ingest pipeline — the sources' staleness bound (`node.staleMs`), the
 * wallet tracker's config, which L4 book drives the hot-state book (`node.l4`) — never applied in a replay,
 * while the live run's worker had applied it: live and replay diverged.
 */
import { describe, expect, it } from 'vitest';
import { engineConfigFrom } from '../../decision/engine.ts';
import { DecisionFeed } from '../../replay/replay-journal.ts';
import { parseConfig } from '../../runtime/config.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';

describe('a replay applies each run.start record to the pipeline of the run it starts', () => {
  it('node.staleMs and node.l4 of the run hold in the replay’s pipeline', () => {
    const feed = new DecisionFeed(
      engineConfigFrom(parseConfig({ network: 'sim', coins: ['BTC'] })),
      () => {},
    );
    const config = {
      sources: ['public', 'node'],
      node: { staleMs: 7_500, bookServer: 'ws://127.0.0.1:8000/ws', l4: 'auto', nLevels: 20 },
    };
    feed.record({
      seq: 1,
      time: 1_000,
      epoch: 0,
      kind: RecordKind.Decision,
      channel: 'run.start',
      data: jsonBytes({ restore: [], run: { coins: ['BTC'], config } }),
    });
    expect(feed.pipeline.sources.heights.staleMs).toBe(7_500);
    expect(feed.pipeline.nodeBooks?.from).toBe('book');
    // a second run (a restart) with other settings: its own apply
    feed.record({
      seq: 2,
      time: 2_000,
      epoch: 0,
      kind: RecordKind.Decision,
      channel: 'run.start',
      data: jsonBytes({
        restore: [],
        run: { coins: ['BTC'], config: { ...config, node: { staleMs: 9_000 } } },
      }),
    });
    expect(feed.pipeline.sources.heights.staleMs).toBe(9_000);
    expect(feed.pipeline.nodeBooks).toBeNull();
  });
});
