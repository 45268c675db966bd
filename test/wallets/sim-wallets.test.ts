import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatWalletsValidation, validateWallets } from '../../replay/validate-wallets.ts';
import { generate } from '../../sim/generate.ts';
import { WalletPlanter } from '../../sim/wallets.ts';

const COINS = ['BTC', 'ETH', 'SOL'];
const USERS = /"users":\["(0x[0-9a-f]{40})","(0x[0-9a-f]{40})"\]/g;

/** Hash of every frame with the users taken out (the market), and the wallets seen. */
function marketHash(scenario: string, seed: number, minutes: number) {
  const h = createHash('sha256');
  const seen = new Set<string>();
  let frames = 0;
  const r = generate({
    seed,
    scenario,
    durationMs: minutes * 60_000,
    onFrame: (text, t) => {
      frames++;
      for (const m of text.matchAll(USERS)) {
        seen.add(m[1]!);
        seen.add(m[2]!);
      }
      h.update(`${t}|${text.replace(USERS, '"users":[]')}\n`);
    },
  });
  return { hash: h.digest('hex'), frames, seen, engine: r.engine };
}

describe('planted wallets in the simulator', () => {
  it('leave the market as it was: the frames without their users hash as before the planting (HEAD d73f3ca)', () => {
    // hashes computed with the engine of commit d73f3ca (no planter), same seed, scenario and length
    const c = marketHash('cascade', 7, 80);
    expect(c.frames).toBe(304_195);
    expect(c.hash).toBe('6a7ddf1d75121d8aa2e5ce614adfd612eec7bbe49e2c7bc103f3fe813678db08');
    const d = marketHash('default', 3, 30);
    expect(d.frames).toBe(114_269);
    expect(d.hash).toBe('0b789ca52f7f8f5e651ee83111a42f1c0007b45baab34ac265d15e597cc0f323');
    // the planted wallets trade, and the ground truth names them and the manipulator's episodes
    const gt = c.engine.groundTruth();
    expect(gt.wallets!.map((w) => w.role)).toEqual([
      'market-maker',
      'market-maker',
      'market-maker',
      'market-maker',
      'trend-follower',
      'trend-follower',
      'trend-follower',
      'manipulator',
    ]);
    for (const w of gt.wallets!) expect(c.seen.has(w.wallet)).toBe(true);
    expect(gt.walletEpisodes!.length).toBe(3); // the first cascade of each coin (the next come after 80 min)
    const lines = c.engine.groundTruthJsonl().trim().split('\n');
    expect(lines.filter((l) => l.includes('"event":"manipulatorEpisode"')).length).toBe(3);
    for (const e of gt.walletEpisodes!) {
      // built before the cascade, out by the end of the exit window
      expect(e.cascadeT - e.buildStart).toBeLessThanOrEqual(360_000);
      expect(e.cascadeT - e.buildStart).toBeGreaterThan(300_000);
      expect(e.exitEnd).toBeGreaterThan(e.cascadeT);
      expect(e.peakUsd).toBeGreaterThan(400_000);
    }
  }, 300_000);

  it('the planter is seeded: same seed, same addresses; another seed, others', () => {
    expect(new WalletPlanter(7).planted()).toEqual(new WalletPlanter(7).planted());
    expect(new WalletPlanter(8).manipulators[0]).not.toBe(new WalletPlanter(7).manipulators[0]);
  });
});

describe('validate-wallets against the planted wallets', () => {
  for (const [scenario, episodes, flagged] of [
    ['cascade', 9, 7],
    ['expansion-cascade', 6, 5],
  ] as const) {
    it(`${scenario} (seed 7): every class precision and recall 1, ${flagged} of ${episodes} episodes flagged before the cascade`, () => {
      const v = validateWallets({ scenario, seed: 7, coins: COINS });
      console.log(formatWalletsValidation(v));
      for (const c of v.classes) {
        expect(c.precision, c.class).toBe(1);
        expect(c.recall, c.class).toBe(1);
        expect(c.predicted, c.class).toBe(c.class === 'short-hold' ? 4 : 1);
      }
      expect(v.episodes.length).toBe(episodes);
      expect(v.cascadesSeen).toBe(episodes);
      expect(v.episodes.filter((e) => e.flaggedAt !== null).length).toBe(flagged);
      expect(v.flaggedBefore!).toBeGreaterThanOrEqual(0.75);
      // only the manipulator's first cascade goes unflagged (nothing classifies a wallet before its first)
      const unflagged = v.episodes.filter((e) => e.flaggedAt === null);
      const firstExit = Math.min(...v.facts.filter((f) => f.class === 'manipulator').map((f) => f.t));
      for (const e of unflagged) expect(e.cascadeT).toBeLessThan(firstExit);
      expect(v.flagPrecision).toBe(1);
      // the class facts never come before the evidence they rest on
      for (const f of v.facts)
        if (f.class !== 'short-hold') expect(f.t).toBeGreaterThanOrEqual(Number(f.evidence.cascadeT));
    }, 400_000);
  }
});
