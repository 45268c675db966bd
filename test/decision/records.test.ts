/** The decision log's format: what parses, what does not, and why (decision/records.ts). */
import { describe, expect, it } from 'vitest';
import { DECISION_KINDS, isKind, parseDecisionRecord } from '../../decision/records.ts';

const gate = {
  t: 1,
  kind: 'gate',
  coin: 'BTC',
  regime: 'SIDEWAYS',
  action: 'ENABLE',
  strategy: 'geometry',
  reason: 'SIDEWAYS confirmed',
  inputs: { oiRange15m: 0.001, oiBuild1h: null, fundingDev: 0, depthAsym5s: 0.1 },
};

describe('DecisionRecord', () => {
  it('a documented record parses, from JSON text or a value, and narrows by kind', () => {
    const r = parseDecisionRecord(JSON.stringify(gate));
    expect(r.ok).toBe(true);
    if (r.ok && isKind(r.record, 'gate')) expect(r.record.strategy).toBe('geometry');
    expect(parseDecisionRecord(gate).ok).toBe(true);
  });
  it('a field the format does not list, a wrong type, an unknown kind and bad JSON are refused with the path', () => {
    expect(parseDecisionRecord({ ...gate, extra: 1 })).toMatchObject({ ok: false });
    expect(parseDecisionRecord({ ...gate, regime: 'TRENDING' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^regime:/),
    });
    expect(parseDecisionRecord({ ...gate, kind: 'gates' })).toMatchObject({ ok: false });
    expect(parseDecisionRecord('{"t":1,')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^not JSON/),
    });
  });
  it('lists every kind once', () => {
    expect(new Set(DECISION_KINDS).size).toBe(DECISION_KINDS.length);
    expect(DECISION_KINDS).toEqual(
      expect.arrayContaining(['health', 'regime', 'gate', 'lease', 'strategy', 'exec.fill']),
    );
  });
});
