/**
 * The wallet tracker's cost (issue 18):
 *  - wallets.builder_with_tracker: trades/s through the state builder with the tracker on, beside the builder
 *    alone (baseline) on the same frames in the same run (cascade scenario, seed 7, all four hot channels;
 *    runs alternated); ratio = with / without (1 = free);
 *  - wallets.heap: the tracker's heap (JS heap + typed-array stores, after a full GC) at 10 k distinct wallets,
 *    at 1 M distinct wallets through the default cap (50 000), and at 1 M held (cap 1 M).
 * Run with `npm run bench -- wallets` (node is started with --expose-gc by the bench runner; without it the
 * heap figures are null).
 */
import { generate } from '../sim/generate.ts';
import { StateBuilder } from '../state/builder.ts';
import type { WsActiveAssetCtx, WsBbo, WsBook, WsTrade } from '../state/inputs.ts';
import { WalletTracker } from '../state/wallets.ts';
import { type BenchFigure, figure, round, withBaseline } from './lib.ts';

const COINS = ['BTC', 'ETH', 'SOL'];
const gc = (globalThis as { gc?: () => void }).gc;

function heapMb(): number | null {
  if (!gc) return null;
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 1e6;
}

export default async function ({ quick }: { quick: boolean }): Promise<BenchFigure[]> {
  const frames: { ch: string; data: unknown; t: number }[] = [];
  let trades = 0;
  generate({
    seed: 7,
    scenario: 'cascade',
    durationMs: (quick ? 10 : 30) * 60_000,
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
    return (trades / (performance.now() - t0)) * 1000;
  };
  run(false);
  run(true);
  const off: number[] = [];
  const on: number[] = [];
  for (let i = 0; i < 5; i++) {
    off.push(run(false));
    on.push(run(true));
  }
  const extra = { frames: frames.length, trades, scenario: 'cascade seed 7' };
  const out: BenchFigure[] = [
    withBaseline(
      figure('wallets.builder_with_tracker', 'trades/s', on, {
        ...extra,
        method: 'StateBuilder with the wallet tracker on, every hot channel, trades/s of the whole run',
      }),
      figure('wallets.builder_alone', 'trades/s', off, {
        ...extra,
        method: 'the same builder, wallets: false',
      }),
    ),
  ];
  const measure = (wallets: number, cap: number) => {
    const before = heapMb();
    const w = new WalletTracker(COINS, { maxWallets: cap });
    for (let i = 0; i < wallets; i += 2)
      w.onTrade(i % 3, 1_767_225_600_000 + i, 'B', 100, 1, [
        `0x${i.toString(16).padStart(40, '0')}`,
        `0x${(i + 1).toString(16).padStart(40, '0')}`,
      ]);
    const after = heapMb();
    return { mb: before === null || after === null ? null : round(after - before, 1), held: w.size, cap };
  };
  heapMb();
  const k10 = measure(10_000, 50_000);
  const m1capped = measure(1_000_000, 50_000);
  const m1 = quick ? null : measure(1_000_000, 1_000_000);
  out.push({
    bench: 'wallets.heap',
    unit: 'MB',
    median: k10.mb ?? Number.NaN,
    runs: 1,
    at10k: k10,
    at1MDefaultCap: m1capped,
    ...(m1
      ? { at1MHeld: { ...m1, bytesPerWallet: m1.mb === null ? null : Math.round((m1.mb * 1e6) / m1.held) } }
      : {}),
    method: 'JS heap + array buffers after a full GC, before and after feeding the wallets (two per trade)',
  });
  return out;
}
