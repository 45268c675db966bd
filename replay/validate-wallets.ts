/**
 * Wallet-class validation against the simulator's planted wallets (issue 18): play a scenario's trades
 * and asset contexts through the state builder (its wallet tracker on, as configured) in journal order,
 * collect the class facts it grants and the manipulator flags it writes into each coin's slot, and say
 * - per class, precision and recall against the planted roles: `short-hold` is the market makers'
 *   behaviour; `pre-liquidation`, `post-cascade-exit` and `manipulator` the manipulators';
 * - per planted manipulation episode (a build before a cascade and the exit after it), whether the coin's
 *   slot showed the manipulator active in the episode's direction before the cascade began;
 * - the flag's own precision: the share of flagged publishes inside a planted episode's window.
 */
import { generate } from '../sim/generate.ts';
import type { ManipulatorEpisode, PlantedWallet, WalletRole } from '../sim/wallets.ts';
import { StateBuilder } from '../state/builder.ts';
import { F } from '../state/hotstate-layout.ts';
import type { WsActiveAssetCtx, WsTrade } from '../state/inputs.ts';
import {
  WALLET_CLASSES,
  type WalletClass,
  type WalletClassFact,
  type WalletConfig,
} from '../state/wallets.ts';

/** The planted role each class is meant to find. */
export const CLASS_ROLE: Readonly<Record<WalletClass, WalletRole>> = {
  'short-hold': 'market-maker',
  'pre-liquidation': 'manipulator',
  'post-cascade-exit': 'manipulator',
  manipulator: 'manipulator',
};

export interface ClassScore {
  class: WalletClass;
  role: WalletRole;
  /** Wallets granted the class. */
  predicted: number;
  /** Planted wallets of the role that traded in the run. */
  planted: number;
  hits: number;
  precision: number | null;
  recall: number | null;
  /** Wallets granted the class that are not of the role (the first few), with their role. */
  strays: { wallet: string; role: WalletRole }[];
}

export interface EpisodeScore {
  wallet: string;
  coin: string;
  cascadeT: number;
  dir: 1 | -1;
  peakUsd: number;
  /** First flagged publish in the episode's direction in [buildStart, cascadeT) (null: none). */
  flaggedAt: number | null;
  /** ms from the first flag to the cascade (null: not flagged before it). */
  leadMs: number | null;
}

export interface WalletsValidation {
  scenario: string;
  seed: number;
  coins: string[];
  trades: number;
  wallets: { seen: number; peak: number; evicted: number };
  cascadesSeen: number;
  classes: ClassScore[];
  episodes: EpisodeScore[];
  /** Episodes flagged before their cascade / episodes. */
  flaggedBefore: number | null;
  /** Flagged publishes inside a planted episode window [buildStart, exitEnd] / flagged publishes. */
  flagPrecision: number | null;
  flaggedPublishes: number;
  facts: WalletClassFact[];
  ms: number;
}

export function validateWallets(opts: {
  scenario: string;
  seed: number;
  coins: string[];
  wallets?: Partial<WalletConfig>;
  durationMs?: number;
  now?: () => number;
}): WalletsValidation {
  const now = opts.now ?? (() => 0);
  const started = now();
  const builder = new StateBuilder({ coins: opts.coins, wallets: opts.wallets ?? {} });
  const tracker = builder.wallets;
  if (tracker === null) throw new Error('validate-wallets: the wallet tracker is off in this configuration');
  const facts: WalletClassFact[] = [];
  tracker.onFact = (f) => facts.push(f);
  // flagged publishes per coin: (time, direction)
  const flagged: { coin: string; t: number; dir: number }[] = [];
  let trades = 0;
  const onFrame = (text: string, t: number) => {
    const msg = JSON.parse(text) as { channel: string; data: unknown };
    let coin: string | undefined;
    if (msg.channel === 'trades') {
      const arr = msg.data as WsTrade[];
      trades += arr.length;
      builder.onTrades(arr, t);
      coin = arr[0]?.coin;
    } else if (msg.channel === 'activeAssetCtx') {
      const d = msg.data as WsActiveAssetCtx;
      builder.onAssetCtx(d, t);
      coin = d.coin;
    } else return;
    const s = coin === undefined ? undefined : builder.coin(coin);
    if (s && s.slot[F.isManipulatorActive] === 1)
      flagged.push({ coin: s.coin, t, dir: s.slot[F.manipulatorDirection]! });
  };
  const g: Parameters<typeof generate>[0] = {
    seed: opts.seed,
    scenario: opts.scenario,
    coins: opts.coins,
    channels: ['trades', 'activeAssetCtx'],
    onFrame,
  };
  if (opts.durationMs !== undefined) g.durationMs = opts.durationMs;
  const run = generate(g);
  const gt = run.engine.groundTruth();
  const planted: PlantedWallet[] = gt.wallets ?? [];
  const episodes: ManipulatorEpisode[] = gt.walletEpisodes ?? [];
  const roleOf = (w: string): WalletRole => planted.find((p) => p.wallet === w)?.role ?? 'noise';

  const classes: ClassScore[] = WALLET_CLASSES.map((c) => {
    const role = CLASS_ROLE[c];
    const pred = new Set(facts.filter((f) => f.class === c).map((f) => f.wallet));
    const truth = new Set(
      planted.filter((p) => p.role === role && tracker.wallet(p.wallet)).map((p) => p.wallet),
    );
    // a manipulator that never had an episode in the run is not expected to be found
    if (role === 'manipulator')
      for (const w of [...truth]) if (!episodes.some((e) => e.wallet === w)) truth.delete(w);
    const hits = [...pred].filter((w) => truth.has(w)).length;
    return {
      class: c,
      role,
      predicted: pred.size,
      planted: truth.size,
      hits,
      precision: pred.size === 0 ? null : hits / pred.size,
      recall: truth.size === 0 ? null : hits / truth.size,
      strays: [...pred]
        .filter((w) => !truth.has(w))
        .slice(0, 5)
        .map((wallet) => ({ wallet, role: roleOf(wallet) })),
    };
  });

  const eps: EpisodeScore[] = episodes.map((e) => {
    const first = flagged.find(
      (f) => f.coin === e.coin && f.t >= e.buildStart && f.t < e.cascadeT && f.dir === e.dir,
    );
    return {
      wallet: e.wallet,
      coin: e.coin,
      cascadeT: e.cascadeT,
      dir: e.dir,
      peakUsd: Math.round(e.peakUsd),
      flaggedAt: first?.t ?? null,
      leadMs: first ? e.cascadeT - first.t : null,
    };
  });
  const inside = flagged.filter((f) =>
    episodes.some((e) => e.coin === f.coin && f.t >= e.buildStart && f.t <= e.exitEnd),
  ).length;
  return {
    scenario: opts.scenario,
    seed: opts.seed,
    coins: opts.coins,
    trades,
    wallets: { seen: tracker.size, peak: tracker.counters.peakWallets, evicted: tracker.counters.evicted },
    cascadesSeen: tracker.counters.cascades,
    classes,
    episodes: eps,
    flaggedBefore: eps.length === 0 ? null : eps.filter((e) => e.flaggedAt !== null).length / eps.length,
    flagPrecision: flagged.length === 0 ? null : inside / flagged.length,
    flaggedPublishes: flagged.length,
    facts,
    ms: now() - started,
  };
}

const pct = (x: number | null) => (x === null ? '    —  ' : `${(x * 100).toFixed(1).padStart(6)}%`);

export function formatWalletsValidation(v: WalletsValidation): string {
  const lines = [
    `wallet validation: scenario ${v.scenario}, seed ${v.seed}, coins ${v.coins.join(',')} — ${v.trades} trades, ` +
      `${v.wallets.seen} wallets (peak ${v.wallets.peak}, evicted ${v.wallets.evicted}), cascades seen ${v.cascadesSeen}`,
    'class              planted role    predicted planted hits precision  recall',
  ];
  for (const c of v.classes)
    lines.push(
      `${c.class.padEnd(18)} ${c.role.padEnd(15)} ${String(c.predicted).padStart(9)} ${String(c.planted).padStart(7)} ${String(c.hits).padStart(4)} ${pct(c.precision)} ${pct(c.recall)}` +
        (c.strays.length > 0
          ? `  strays: ${c.strays.map((s) => `${s.wallet.slice(0, 10)}…(${s.role})`).join(' ')}`
          : ''),
    );
  lines.push(
    `manipulation episodes: ${v.episodes.length}, flagged before the cascade ${pct(v.flaggedBefore).trim()}; ` +
      `flag precision ${pct(v.flagPrecision).trim()} of ${v.flaggedPublishes} flagged publishes`,
  );
  for (const e of v.episodes)
    lines.push(
      `  ${e.coin.padEnd(4)} ${new Date(e.cascadeT).toISOString()} ${e.dir === 1 ? 'LONG ' : 'SHORT'} ${e.wallet.slice(0, 10)}… peak $${e.peakUsd.toLocaleString('en-US')} ` +
        (e.leadMs === null
          ? 'not flagged before the cascade'
          : `flagged ${(e.leadMs / 1000).toFixed(0)} s before`),
    );
  return `${lines.join('\n')}\n`;
}
