import { describe, expect, it } from 'vitest';
import { StateBuilder } from '../../state/builder.ts';
import { IngestPipeline } from '../../state/pipeline.ts';
import { type JournalRecord, jsonBytes, RecordKind } from '../../state/records.ts';

const enc = new TextEncoder();
const rec = (seq: number, kind: JournalRecord['kind'], channel: string, data: Uint8Array): JournalRecord => ({
  seq,
  time: 1_000 + seq,
  epoch: 1,
  kind,
  channel,
  data,
});

describe('ingest pipeline', () => {
  it('queues operator commands for the next tick; a malformed one is counted, nothing else lost', () => {
    const p = new IngestPipeline({ builder: new StateBuilder({ coins: ['BTC'] }) });
    p.process(rec(1, RecordKind.Decision, 'operator', jsonBytes({ type: 'KILL' })));
    p.process(rec(2, RecordKind.Decision, 'operator', enc.encode('{not json')));
    p.process(rec(3, RecordKind.Decision, 'regime', jsonBytes({ kind: 'regime' })));
    p.process(rec(4, RecordKind.Decision, 'operator', jsonBytes({ type: 'RESET_HALT' })));
    expect(p.drainCommands()).toEqual([{ type: 'KILL' }, { type: 'RESET_HALT' }]);
    expect(p.drainCommands()).toEqual([]);
    expect(p.counters.operatorCommands).toBe(2);
    expect(p.counters.badOperatorRecords).toBe(1);
    expect(p.counters.lastRejection).toMatch(/^operator record 2:/);
    expect(p.drainEvents()).toEqual([]);
  });

  it('a hole in the local sequence, whatever the record kinds, is a gap for the health machine', () => {
    const p = new IngestPipeline({ builder: new StateBuilder({ coins: ['BTC'] }) });
    p.process(rec(1, RecordKind.Tick, 'tick', jsonBytes({ cause: 'timer' })));
    p.process(rec(2, RecordKind.Decision, 'regime', jsonBytes({})));
    p.process(rec(5, RecordKind.Frame, '', enc.encode('Websocket connection established.')));
    const events = p.drainEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'GAP', key: '*' });
    expect(p.counters.rejectedByCode.not_json).toBe(1);
  });
});
