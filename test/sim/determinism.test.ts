import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generate, type MarketChannel } from '../../sim/generate.ts';

function streamHash(
  seed: number,
  scenario: string,
  durationMs = 20 * 60_000,
  channels?: MarketChannel[],
): { hash: string; frames: number; gt: string } {
  const h = createHash('sha256');
  let frames = 0;
  const r = generate({
    seed,
    scenario,
    durationMs,
    ...(channels ? { channels } : {}),
    onFrame: (f, t) => {
      frames++;
      h.update(`${t}\n${f}\n`);
    },
  });
  return { hash: h.digest('hex'), frames, gt: r.engine.groundTruthJsonl() };
}

describe('sim determinism', () => {
  it('the same seed and scenario give the same stream byte for byte; another seed does not', () => {
    const a = streamHash(7, 'default');
    const b = streamHash(7, 'default');
    const c = streamHash(8, 'default');
    const d = streamHash(7, 'chop');
    expect(a.frames).toBeGreaterThan(50_000);
    expect(b.hash).toBe(a.hash);
    expect(b.gt).toBe(a.gt);
    expect(c.hash).not.toBe(a.hash);
    expect(d.hash).not.toBe(a.hash);
  });

  it('the scenarios with labelled events too: same frames, same ground truth with the same events', () => {
    for (const scenario of ['exhaustion', 'cascade']) {
      // past the warm-up hour, into the first spikes / the first cascade
      const durationMs = (scenario === 'exhaustion' ? 72 : 75) * 60_000;
      // (trades and the asset context: the books are the costly frames and are a function of the same state)
      const a = streamHash(5, scenario, durationMs, ['trades', 'activeAssetCtx']);
      const b = streamHash(5, scenario, durationMs, ['trades', 'activeAssetCtx']);
      expect(b.hash).toBe(a.hash);
      expect(b.gt).toBe(a.gt);
      expect(a.gt).toContain('"event":"strategyEvent"');
      expect(a.gt).toContain(`"kind":"${scenario}"`);
    }
  });

  it('ground truth exports as JSONL: one label per coin per second', () => {
    const { gt } = streamHash(3, 'sideways');
    const lines = gt
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(3 * 20 * 60);
    expect(lines[0]).toEqual({
      t: 1767225600000,
      coin: 'BTC',
      regime: 'DISABLED',
      cascade: false,
      segment: 'warmup',
    });
    expect(new Set(lines.map((l) => l.coin))).toEqual(new Set(['BTC', 'ETH', 'SOL']));
  });
});
