/**
 * What one subscriber receives: its subscriptions, in the order they were made, and the frames each
 * block produces for them. The server keeps one Feed per connection and the offline generator one
 * Feed for its imaginary client, so both produce the same frames for the same subscriptions.
 */
import type { Engine } from './engine.ts';
import {
  activeAssetCtxFrame,
  allMidsFrame,
  bboFrame,
  l2BookFrame,
  midsJson,
  type BookParams,
  tradesFrame,
} from './frames.ts';
import type { Subscription } from './subscriptions.ts';

export interface FeedOptions {
  /** Non-fast l2Book cadence (ms); the venue pushes on a block at least this long after the last push. */
  slowBookMs?: number;
  /** fast:true l2Book cadence (ms). */
  fastBookMs?: number;
  /** Minimum gap between activeAssetCtx pushes (ms). */
  ctxMinMs?: number;
}

export const DEFAULT_SLOW_BOOK_MS = 5_000;
export const DEFAULT_FAST_BOOK_MS = 500;
export const DEFAULT_CTX_MIN_MS = 1_000;

interface Entry {
  sub: Subscription;
  lastPush: number;
  lastText: string;
}

/** Per-block frame cache shared by all feeds of one engine (formatting work is done once). */
export class FrameCache {
  private version = -1;
  private readonly map = new Map<string, string | null>();
  constructor(readonly engine: Engine) {}
  get(key: string, make: () => string | null): string | null {
    if (this.version !== this.engine.version) {
      this.map.clear();
      this.version = this.engine.version;
    }
    let v = this.map.get(key);
    if (v === undefined) {
      v = make();
      this.map.set(key, v);
    }
    return v;
  }
}

export type FrameSink = (text: string, sub: Subscription) => void;

export class Feed {
  private readonly entries = new Map<string, Entry>();
  readonly slowBookMs: number;
  readonly fastBookMs: number;
  readonly ctxMinMs: number;

  constructor(
    private readonly cache: FrameCache,
    opts: FeedOptions = {},
  ) {
    this.slowBookMs = opts.slowBookMs ?? DEFAULT_SLOW_BOOK_MS;
    this.fastBookMs = opts.fastBookMs ?? DEFAULT_FAST_BOOK_MS;
    this.ctxMinMs = opts.ctxMinMs ?? DEFAULT_CTX_MIN_MS;
  }

  private get engine(): Engine {
    return this.cache.engine;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  size(): number {
    return this.entries.size;
  }

  subscriptions(): Subscription[] {
    return [...this.entries.values()].map((e) => e.sub);
  }

  /** Distinct users across user subscriptions (plus `extra` if given). */
  users(extra?: string): Set<string> {
    const s = new Set<string>();
    for (const e of this.entries.values()) if (e.sub.user !== undefined) s.add(e.sub.user);
    if (extra !== undefined) s.add(extra);
    return s;
  }

  remove(key: string): boolean {
    return this.entries.delete(key);
  }

  /** Add a subscription and emit its initial snapshot (if the channel has one). */
  add(sub: Subscription, sink: FrameSink): void {
    const e: Entry = { sub, lastPush: this.engine.time, lastText: '' };
    this.entries.set(sub.key, e);
    const f = this.snapshot(sub);
    if (f !== null) {
      if (sub.type === 'activeAssetCtx') e.lastText = f;
      if (sub.type === 'allMids') e.lastText = this.cache.get('mids', () => midsJson(this.engine))!;
      sink(f, sub);
    }
  }

  private bookParams(sub: Subscription): BookParams {
    return { nLevels: sub.fast ? 5 : 20, nSigFigs: sub.nSigFigs ?? null, mantissa: sub.mantissa ?? null };
  }

  private bookFrame(sub: Subscription): string {
    return this.cache.get(sub.key, () => l2BookFrame(this.engine, sub.coin!, this.bookParams(sub)))!;
  }

  private snapshot(sub: Subscription): string | null {
    const eng = this.engine;
    switch (sub.type) {
      case 'l2Book':
        return this.bookFrame(sub);
      case 'bbo':
        return this.cache.get(`bbo:${sub.coin}`, () => bboFrame(eng, sub.coin!));
      case 'activeAssetCtx':
        return this.cache.get(`ctx:${sub.coin}`, () => activeAssetCtxFrame(eng, sub.coin!));
      case 'allMids':
        return this.cache.get('allMids', () => allMidsFrame(eng));
      case 'userFills':
        return `{"channel":"userFills","data":{"isSnapshot":true,"user":"${sub.user}","fills":[]}}`;
      default:
        return null;
    }
  }

  /** Frames due after the engine produced a block. */
  onBlock(sink: FrameSink): void {
    const eng = this.engine;
    const t = eng.time;
    for (const e of this.entries.values()) {
      const sub = e.sub;
      switch (sub.type) {
        case 'l2Book': {
          const every = sub.fast ? this.fastBookMs : this.slowBookMs;
          if (t - e.lastPush >= every) {
            e.lastPush = t;
            sink(this.bookFrame(sub), sub);
          }
          break;
        }
        case 'bbo':
          if (eng.market(sub.coin!).bboChanged)
            sink(this.cache.get(`bbo:${sub.coin}`, () => bboFrame(eng, sub.coin!))!, sub);
          break;
        case 'trades': {
          const f = this.cache.get(`trades:${sub.coin}`, () => tradesFrame(eng, sub.coin!));
          if (f !== null) sink(f, sub);
          break;
        }
        case 'activeAssetCtx':
          if (t - e.lastPush >= this.ctxMinMs) {
            const f = this.cache.get(`ctx:${sub.coin}`, () => activeAssetCtxFrame(eng, sub.coin!))!;
            if (f !== e.lastText) {
              e.lastPush = t;
              e.lastText = f;
              sink(f, sub);
            }
          }
          break;
        case 'allMids': {
          const mids = this.cache.get('mids', () => midsJson(eng))!;
          if (mids !== e.lastText) {
            e.lastText = mids;
            sink(this.cache.get('allMids', () => allMidsFrame(eng))!, sub);
          }
          break;
        }
        default:
          break;
      }
    }
  }
}
