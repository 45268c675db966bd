/**
 * Planted wallets (issue 18): the simulator's trades carry `users: [buyer, seller]`, and some of those
 * wallets behave in known ways, written in the ground truth:
 * - `market-maker` (4): the maker side of about half the fills, inventory-aware — a fill that reduces a
 *   maker's inventory goes to it first — so each holds a position for seconds and flips often;
 * - `trend-follower` (3): in an expansion, the taker of some orders in the trend's direction; they hold;
 * - `manipulator` (1, on every coin): in the `BUILD_MS` before each planned cascade it
 *   takes orders in the cascade's direction (short before longs are liquidated), then from `EXIT_DELAY_MS`
 *   after the cascade's start it covers — the maker of the liquidation flow and the taker against it —
 *   until flat; one episode per cascade, written in the ground truth;
 * - `noise`: everyone else, the engine's population of 400 (picked as before).
 *
 * The market is unchanged: the engine draws its random numbers exactly as it did (the population pick
 * included); the planter only renames the buyer or the seller of a trade, from its own seeded stream.
 */
import { Rng } from './rng.ts';

export const WALLET_ROLES = ['market-maker', 'trend-follower', 'manipulator', 'noise'] as const;
export type WalletRole = (typeof WALLET_ROLES)[number];

export interface PlantedWallet {
  wallet: string;
  role: Exclude<WalletRole, 'noise'>;
}

/** One manipulation: the build before a cascade and the exit after it. */
export interface ManipulatorEpisode {
  wallet: string;
  coin: string;
  /** Planned cascade start (ms). */
  cascadeT: number;
  /** Price direction of the cascade: −1 longs liquidated (down), +1 shorts (up). */
  dir: 1 | -1;
  buildStart: number;
  /** Peak position (coin units, in `dir`), and its USD value at the cascade's planned start. */
  peakSz: number;
  peakUsd: number;
  /** When the position was back to flat or the exit window closed (NaN while under way). */
  exitEnd: number;
}

/** A planned cascade the planter can see ahead (the engine's segment plan). */
export interface PlannedCascade {
  t: number;
  dir: 1 | -1;
}

export const BUILD_MS = 360_000;
export const EXIT_DELAY_MS = 5_000;
export const EXIT_MS = 150_000;
const P_BUILD = 0.3;
const P_EXIT = 0.7;
const P_MAKER = 0.5;
const P_TREND = 0.12;
const MM_LIMIT_FILLS = 6;

interface CoinPlant {
  /** Market makers' inventories (lots). */
  mm: Float64Array;
  mmTypical: number;
  episode: ManipulatorEpisode | null;
  /** The manipulator's position (lots, signed). */
  manipLots: number;
  lastCascade: number;
}

export class WalletPlanter {
  readonly makers: string[];
  readonly trendFollowers: string[];
  readonly manipulators: string[];
  readonly episodes: ManipulatorEpisode[] = [];
  private readonly rng: Rng;
  private readonly coins = new Map<string, CoinPlant>();
  onEpisode: ((e: ManipulatorEpisode) => void) | null = null;

  constructor(seed: number) {
    const ids = Rng.derive(seed, 'wallets:planted');
    const addr = () => `0x${ids.hex(20)}`;
    this.makers = Array.from({ length: 4 }, addr);
    this.trendFollowers = Array.from({ length: 3 }, addr);
    this.manipulators = Array.from({ length: 1 }, addr);
    this.rng = Rng.derive(seed, 'wallets:plant');
  }

  planted(): PlantedWallet[] {
    return [
      ...this.makers.map((wallet) => ({ wallet, role: 'market-maker' as const })),
      ...this.trendFollowers.map((wallet) => ({ wallet, role: 'trend-follower' as const })),
      ...this.manipulators.map((wallet) => ({ wallet, role: 'manipulator' as const })),
    ];
  }

  roleOf(wallet: string): WalletRole {
    return this.planted().find((p) => p.wallet === wallet)?.role ?? 'noise';
  }

  private coin(name: string, typicalLots: number): CoinPlant {
    let c = this.coins.get(name);
    if (c === undefined) {
      c = {
        mm: new Float64Array(this.makers.length),
        mmTypical: typicalLots,
        episode: null,
        manipLots: 0,
        lastCascade: Number.NEGATIVE_INFINITY,
      };
      this.coins.set(name, c);
    }
    return c;
  }

  /**
   * The taker of an aggressive order: `dflt` (the engine's pick) unless a planted wallet takes it.
   * `next` is the next planned cascade of the coin (or null), `trend` the expansion's direction (0: none).
   */
  taker(
    coin: string,
    coinIndex: number,
    t: number,
    isBuy: boolean,
    lots: number,
    px: number,
    lotSize: number,
    typicalLots: number,
    next: PlannedCascade | null,
    trend: 0 | 1 | -1,
    dflt: string,
  ): string {
    const c = this.coin(coin, typicalLots);
    const dir = isBuy ? 1 : -1;
    const manip = this.manipulators[coinIndex % this.manipulators.length]!;
    const ep = this.episodeAt(c, coin, manip, t, next);
    if (ep !== null) {
      const building = t < ep.cascadeT;
      if (building && dir === ep.dir && this.rng.chance(P_BUILD)) {
        c.manipLots += dir * lots;
        ep.peakSz = Math.max(ep.peakSz, Math.abs(c.manipLots) * lotSize);
        ep.peakUsd = Math.max(ep.peakUsd, Math.abs(c.manipLots) * lotSize * px);
        return manip;
      }
      if (!building && t >= ep.cascadeT + EXIT_DELAY_MS && dir !== ep.dir && this.covering(c, ep)) {
        if (this.rng.chance(P_EXIT)) {
          c.manipLots += dir * lots;
          this.maybeEnd(c, ep, t);
          return manip;
        }
      }
    }
    if (trend !== 0 && dir === trend && this.rng.chance(P_TREND))
      return this.trendFollowers[this.rng.int(this.trendFollowers.length)]!;
    return dflt;
  }

  /** The maker of a fill against an aggressive order (`isBuy`: the taker bought, so the maker sold). */
  maker(coin: string, t: number, isBuy: boolean, lots: number, dflt: string): string {
    const c = this.coins.get(coin);
    if (c === undefined) return dflt;
    const makerDir = isBuy ? -1 : 1;
    const ep = c.episode;
    // the manipulator covers into the liquidation flow as its maker
    if (
      ep !== null &&
      t >= ep.cascadeT + EXIT_DELAY_MS &&
      makerDir !== ep.dir &&
      this.covering(c, ep) &&
      this.rng.chance(P_EXIT)
    ) {
      c.manipLots += makerDir * lots;
      this.maybeEnd(c, ep, t);
      return ep.wallet;
    }
    if (!this.rng.chance(P_MAKER)) return dflt;
    // inventory-aware: the maker this fill reduces most, else one with room
    let best = -1;
    let bestInv = 0;
    for (let i = 0; i < c.mm.length; i++) {
      const inv = c.mm[i]! * makerDir;
      if (inv < bestInv) {
        bestInv = inv;
        best = i;
      }
    }
    if (best < 0) {
      const i = this.rng.int(c.mm.length);
      if (Math.abs(c.mm[i]! + makerDir * lots) > MM_LIMIT_FILLS * c.mmTypical) return dflt;
      best = i;
    }
    c.mm[best]! += makerDir * lots;
    return this.makers[best]!;
  }

  /** The coin's episode at t: starts when the next planned cascade is within BUILD_MS. */
  private episodeAt(
    c: CoinPlant,
    coin: string,
    wallet: string,
    t: number,
    next: PlannedCascade | null,
  ): ManipulatorEpisode | null {
    const ep = c.episode;
    if (ep !== null) {
      if (t >= ep.cascadeT && Number.isNaN(ep.exitEnd) && t > ep.cascadeT + EXIT_MS) this.finish(c, ep, t);
      if (ep.cascadeT === c.lastCascade && !Number.isNaN(ep.exitEnd)) c.episode = null;
      else return ep;
    }
    if (next === null || next.t - t > BUILD_MS || next.t <= c.lastCascade || next.t <= t) return null;
    c.lastCascade = next.t;
    c.manipLots = 0;
    c.episode = {
      wallet,
      coin,
      cascadeT: next.t,
      dir: next.dir,
      buildStart: t,
      peakSz: 0,
      peakUsd: 0,
      exitEnd: Number.NaN,
    };
    return c.episode;
  }

  private covering(c: CoinPlant, ep: ManipulatorEpisode): boolean {
    return Number.isNaN(ep.exitEnd) && c.manipLots * ep.dir > 0;
  }

  private maybeEnd(c: CoinPlant, ep: ManipulatorEpisode, t: number): void {
    if (c.manipLots * ep.dir <= 0) this.finish(c, ep, t);
  }

  private finish(c: CoinPlant, ep: ManipulatorEpisode, t: number): void {
    if (!Number.isNaN(ep.exitEnd)) return;
    ep.exitEnd = t;
    this.episodes.push(ep);
    this.onEpisode?.(ep);
    c.episode = null;
  }
}
