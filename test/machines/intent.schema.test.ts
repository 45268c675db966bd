import { describe, expect, it } from 'vitest';
import { checkIntent } from '../../machines/intent.schema.ts';

const entry = {
  kind: 'entry',
  id: 'geometry:BTC:0',
  strategy: 'geometry',
  coin: 'BTC',
  side: 'LONG',
  sizeFraction: 0.2,
  stop: 99,
  target: 101,
  reason: 'edge',
  version: 7,
  time: 1,
};
const exit = {
  kind: 'exit',
  id: 'geometry:BTC:1',
  strategy: 'geometry',
  coin: 'BTC',
  atMarket: true,
  emergency: true,
  reason: 'disable',
  detail: 'regime',
  version: 8,
  time: 2,
  attempt: 0,
};

describe('intent schema', () => {
  it('accepts well-formed entry and exit intents', () => {
    expect(checkIntent(entry)).toEqual({ ok: true });
    expect(checkIntent({ ...entry, side: 'SHORT', stop: 101, target: 99 })).toEqual({ ok: true });
    expect(checkIntent(exit)).toEqual({ ok: true });
  });
  it('rejects malformed intents with the field named', () => {
    const bad = (x: unknown, re: RegExp) => {
      const r = checkIntent(x);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(re);
    };
    bad({ ...entry, stop: Number.NaN }, /stop/);
    bad({ ...entry, stop: 102 }, /stop: stop and target must lie on opposite sides/);
    bad({ ...entry, sizeFraction: 0 }, /sizeFraction/);
    bad({ ...entry, side: 'UP' }, /side/);
    bad({ ...exit, atMarket: false }, /atMarket/);
    bad({ ...exit, reason: 'whim' }, /reason/);
    bad(null, /intent/);
  });
});
