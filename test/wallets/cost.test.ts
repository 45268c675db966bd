/**
 * What the wallet tracker costs (issue 18's benchmark figures, measured in-process, printed): trades per
 * second through the state builder with and without the tracker on the same frames in the same run, and the
 * tracker's heap at 10 k and 1 M distinct wallets. Timing on a shared host is noisy: the assertions are
 * loose bounds, the printed figures are the measurement.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { generate } from '../../sim/generate.ts';
import { StateBuilder } from '../../state/builder.ts';
import type { WsActiveAssetCtx, WsBbo, WsBook, WsTrade } from '../../state/inputs.ts';
import { WalletTracker } from '../../state/wallets.ts';

const COINS = ['BTC', 'ETH', 'SOL'];

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live heap plus typed-array backing stores (the tracker's Float64Arrays live there), after a full GC. */
function heapMb(): number {
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 1e6;
}

describe('wallet tracker cost', () => {
  it('trades/s through the builder with the tracker vs the builder alone, on the same frames', () => {
    const frames: { ch: string; data: unknown; t: number }[] = [];
    let trades = 0;
    generate({
      seed: 7,
      scenario: 'cascade',
      durationMs: 20 * 60_000,
      channels: ['l2Book', 'bbo', 'trades', 'activeAssetCtx'],
      onFrame: (text, t) => {
        const m = JSON.parse(text) as { channel: string; data: unknown };
        if (m.channel === 'trades') trades += (m.data as unknown[]).length;
        frames.push({ ch: m.channel, data: m.data, t });
      },
    });
    const run = (wallets: boolean): number => {
      const b = new StateBuilder({ coins: COINS, wallets: wallets ? {} : false });
      const t0 = performance.now();
      for (const f of frames)
        if (f.ch === 'trades') b.onTrades(f.data as WsTrade[], f.t);
        else if (f.ch === 'l2Book') b.onBook(f.data as WsBook, f.t);
        else if (f.ch === 'bbo') b.onBbo(f.data as WsBbo, f.t);
        else b.onAssetCtx(f.data as WsActiveAssetCtx, f.t);
      return performance.now() - t0;
    };
    // alternate, best of 5 each (the host is shared)
    const off: number[] = [];
    const on: number[] = [];
    for (let i = 0; i < 5; i++) {
      off.push(run(false));
      on.push(run(true));
    }
    const bestOff = Math.min(...off);
    const bestOn = Math.min(...on);
    const ratio = bestOff / bestOn;
    console.log(
      `builder on ${frames.length} frames (l2Book, bbo, trades, activeAssetCtx; ${trades} trades; cascade seed 7, 20 min): alone ${((trades / bestOff) * 1000).toFixed(0)} trades/s, ` +
        `with the wallet tracker ${((trades / bestOn) * 1000).toFixed(0)} trades/s — ratio ${ratio.toFixed(2)} (best of 5 each, alternated)`,
    );
    expect(trades).toBeGreaterThan(20_000);
    expect(ratio).toBeGreaterThan(0.2);
  }, 300_000);

  it('heap at 10 k and 1 M distinct wallets (cap 50 000 by default; 1 M wallets held at cap 1 M)', () => {
    const measure = (wallets: number, cap: number): { mb: number; held: number } => {
      const before = heapMb();
      const w = new WalletTracker(COINS, { maxWallets: cap });
      for (let i = 0; i < wallets; i += 2)
        w.onTrade(i % 3, 1_767_225_600_000 + i, 'B', 100, 1, [
          `0x${i.toString(16).padStart(40, '0')}`,
          `0x${(i + 1).toString(16).padStart(40, '0')}`,
        ]);
      const mb = heapMb() - before;
      const held = w.size;
      expect(held).toBeLessThanOrEqual(cap);
      return { mb, held };
    };
    heapMb(); // settle what earlier tests left
    const k10 = measure(10_000, 50_000);
    const m1capped = measure(1_000_000, 50_000);
    const m1 = measure(1_000_000, 1_000_000);
    console.log(
      `wallet tracker heap: 10 k wallets ${k10.mb.toFixed(1)} MB (${k10.held} held); 1 M wallets at the default cap ` +
        `${m1capped.mb.toFixed(1)} MB (${m1capped.held} held); 1 M wallets at cap 1 M ${m1.mb.toFixed(1)} MB (${m1.held} held, ` +
        `${((m1.mb * 1e6) / m1.held).toFixed(0)} B a wallet)`,
    );
    expect(k10.held).toBe(10_000);
    expect(m1capped.held).toBeLessThanOrEqual(50_000);
    expect(m1.held).toBe(1_000_000);
  }, 300_000);
});
