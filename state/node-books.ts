/**
 * The node's L4 books as the hot-state book's source (issue 17). Per coin an L4 book (state/l4book.ts) is
 * kept whole from one of two inputs, chosen per run (`node.l4`, read from the run's `run.start` record so a
 * replay chooses the same):
 *  - `book`: a local order_book_server's `l4Book` — a Snapshot per coin on subscribe, then per block an
 *    `Updates` for each coin that had events in it. The server sends a coin nothing for a block without its
 *    events, and within one connection it drops nothing (a lagging client is disconnected), so a height it
 *    skipped for a coin is a quiet block for that coin: when the stream reaches a new height, every coin
 *    without an update at the previous one is advanced to it (its book as of that block, published again
 *    so its freshness follows the node's). An update at or below a coin's snapshot height was in flight
 *    before the snapshot (ignored); one below the coin's held height but above its snapshot is out of
 *    order: the book is in doubt until a new snapshot. A lost connection or a height missing from the whole
 *    stream (the pipeline's height check) takes every book out of service until the server's next snapshots.
 *  - `files`: the node's `node_order_statuses_by_block` and `node_raw_book_diffs_by_block` lines, paired
 *    by height (each stream arrives in its own order; a height one stream skipped is dropped and the books
 *    see the hole), based on L4 snapshots the node writes on request (`fileSnapshot` through its info
 *    server, journaled as `l4Snapshot` records by actors/node/snapshot.ts). A snapshot loads a book that is
 *    not whole, catching up from the blocks held since (as order_book_server caches updates while it
 *    fetches one); for a whole book it is a check at the same height, order for order, and a book that
 *    differs is replaced (counted: the book had drifted).
 * While a coin's L4 book is whole and has a time, it drives that coin's hot-state book (its L2 view, as
 * order_book_server's `l2Book` would print it) and the public feed's l2Book for the coin is not applied;
 * otherwise the public l2Book drives it again. Each loss of a coin's book is a problem the pipeline turns
 * into a GAP (data in doubt). Pure code on journal records: the same live and in replay.
 */
import { validateObsL4InPlace } from '../hyperliquid/node-hot.ts';
import type {
  NodeBookDiffsBlock,
  NodeL4FileSnapshot,
  NodeOrderStatusesBlock,
  ObsL4Updates,
} from '../hyperliquid/node-schemas.ts';
import { naiveTimeToMs, ObsL4Book } from '../hyperliquid/node-schemas.ts';
import type { WsBook } from './inputs.ts';
import { type CoinShare, L4Apply, L4Book, l4SnapshotFromFile, shareByCoin } from './l4book.ts';

/** Which input keeps the L4 books (resolved from the config's `node.l4`). */
export type L4From = 'book' | 'files' | 'off';

/** The parts of the config's `node` section that choose the L4 input. */
export interface NodeL4Settings {
  l4?: string | undefined;
  bookServer?: string | undefined;
  dir?: string | undefined;
  streams?: readonly string[] | undefined;
  infoUrl?: string | undefined;
}

const STATUSES = 'node_order_statuses_by_block';
const DIFFS = 'node_raw_book_diffs_by_block';

function filesPossible(n: NodeL4Settings): boolean {
  const streams = n.streams ?? [STATUSES, DIFFS];
  return (
    n.dir !== undefined && n.infoUrl !== undefined && streams.includes(STATUSES) && streams.includes(DIFFS)
  );
}

/** The L4 input a run uses: `auto` is the book server where one is set, else the files where they can be. */
export function l4SourceOf(sources: readonly string[], node: NodeL4Settings): L4From {
  if (!sources.includes('node')) return 'off';
  const l4 = node.l4 ?? 'auto';
  if (l4 === 'off') return 'off';
  if (l4 === 'book') return node.bookServer !== undefined ? 'book' : 'off';
  if (l4 === 'files') return filesPossible(node) ? 'files' : 'off';
  if (node.bookServer !== undefined) return 'book';
  return filesPossible(node) ? 'files' : 'off';
}

/** Why an explicit `node.l4` cannot run, or null. */
export function l4ConfigProblem(sources: readonly string[], node: NodeL4Settings): string | null {
  if (!sources.includes('node')) return null;
  if (node.l4 === 'book' && node.bookServer === undefined)
    return 'node.l4 is book but node.bookServer (--book-server) is not set';
  if (node.l4 === 'files' && !filesPossible(node))
    return `node.l4 is files: it needs node.dir (--node-dir), node.infoUrl (--node-info, for the L4 snapshots) and the streams ${STATUSES} and ${DIFFS}`;
  return null;
}

export interface NodeBooksCounters {
  /** Snapshots loaded (a book made whole), refused (invalid, another height than its blocks allow). */
  snapshots: number;
  snapshotsRefused: number;
  /** Blocks applied to some coin's book (book server updates, or paired file blocks). */
  blocks: number;
  /** L2 views handed to the hot-state book. */
  published: number;
  /** Coins advanced over a block without their events (book server). */
  quietAdvances: number;
  /** Updates in flight before their coin's snapshot (ignored), or at a height already applied. */
  stale: number;
  /** Updates below a coin's held height but above its snapshot: the book is in doubt. */
  outOfOrder: number;
  /** Updates for a coin whose book is not whole (waiting for a snapshot). */
  notReady: number;
  /** Times a coin's book went out of service (lost block, lost connection, out of order, refused snapshot). */
  broken: number;
  /** l4Book frames that are not a valid Snapshot / Updates (every book is then in doubt). */
  malformed: number;
  /** Updates or snapshots for a coin not traded here; updates without events. */
  foreign: number;
  empty: number;
  /** File blocks without their other half (dropped: the books see the hole). */
  unpaired: number;
  /** File snapshots compared with a whole book at the same height, and those that differed. */
  checks: number;
  mismatches: number;
  lastProblem: string;
}

/** A coin whose book went out of service, and why. */
export interface NodeBookProblem {
  coin: string;
  reason: string;
}

interface CoinL4 {
  book: L4Book;
  /** Height of the snapshot the book was built from (book server): updates at or below it are stale. */
  snapHeight: number;
  /** A file snapshot ahead of the book: compared when the book reaches its height. */
  pendingCheck: L4Book | null;
}

/** One paired file block's share for the traded coins, held for snapshots that arrive after it. */
interface HeldBlock {
  height: number;
  time: number;
  shares: Map<string, CoinShare>;
}

export interface NodeBooksOptions {
  /** Levels per side of the L2 view handed to the hot-state book (default 20). */
  nLevels?: number;
  /** File blocks held for a snapshot to catch up from (default 1 200, ~2 min of mainnet blocks). */
  holdBlocks?: number;
  /** Unpaired file blocks waiting for their other half, per stream (default 600). */
  maxUnpaired?: number;
}

export class NodeBooks {
  readonly counters: NodeBooksCounters = {
    snapshots: 0,
    snapshotsRefused: 0,
    blocks: 0,
    published: 0,
    quietAdvances: 0,
    stale: 0,
    outOfOrder: 0,
    notReady: 0,
    broken: 0,
    malformed: 0,
    foreign: 0,
    empty: 0,
    unpaired: 0,
    checks: 0,
    mismatches: 0,
    lastProblem: '',
  };
  /** The coins whose L2 view changed in the last call, in order (read them with `l2`). */
  readonly publish: string[] = [];
  /** The coins whose book went out of service in the last call. */
  readonly problems: NodeBookProblem[] = [];
  private readonly coins = new Map<string, CoinL4>();
  private readonly nLevels: number;
  private readonly holdBlocks: number;
  private readonly maxUnpaired: number;
  // book server: the stream's height and time (every coin's updates share one height sequence)
  private unionHeight = Number.NaN;
  private unionTime = Number.NaN;
  // files: each stream's blocks waiting for the other's, in height order; paired blocks held for snapshots
  private readonly statusQ: NodeOrderStatusesBlock[] = [];
  private readonly diffQ: NodeBookDiffsBlock[] = [];
  private readonly held: HeldBlock[] = [];

  constructor(
    coins: readonly string[],
    readonly from: L4From,
    opts: NodeBooksOptions = {},
  ) {
    for (const c of coins)
      this.coins.set(c, { book: new L4Book(c), snapHeight: Number.NaN, pendingCheck: null });
    this.nLevels = opts.nLevels ?? 20;
    this.holdBlocks = opts.holdBlocks ?? 1_200;
    this.maxUnpaired = opts.maxUnpaired ?? 600;
  }

  /** Whether the node's book drives `coin`'s hot-state book now (whole, with a time). */
  drives(coin: string): boolean {
    if (this.from === 'off') return false;
    const book = this.coins.get(coin)?.book;
    return book?.ready === true && Number.isFinite(book.time);
  }

  /** The coin's L4 book (tests, status). */
  book(coin: string): L4Book | undefined {
    return this.coins.get(coin)?.book;
  }

  /** The coin's L2 view for the hot-state book (as order_book_server's l2Book with `nLevels`). */
  l2(coin: string): WsBook {
    const c = this.coins.get(coin);
    if (c === undefined) throw new RangeError(`no L4 book for ${coin}`);
    return c.book.l2({ nLevels: this.nLevels });
  }

  private begin(): void {
    this.publish.length = 0;
    this.problems.length = 0;
  }

  private out(coin: string): void {
    if (!this.publish.includes(coin)) {
      this.publish.push(coin);
      this.counters.published++;
    }
  }

  /** Take a coin's book out of service (once per loss) with its reason. */
  private breakCoin(c: CoinL4, reason: string, wasWhole = c.book.ready): void {
    c.book.invalidate();
    c.pendingCheck = null;
    if (!wasWhole) return;
    this.counters.broken++;
    this.counters.lastProblem = reason;
    this.problems.push({ coin: c.book.coin, reason });
    const i = this.publish.indexOf(c.book.coin);
    if (i >= 0) this.publish.splice(i, 1);
  }

  /**
   * The source feeding the books lost data for every coin (its connection closed, a height missing from the
   * whole stream): every book waits for a new snapshot. `source` is the record's source (`book` or `node`).
   */
  lost(source: string, reason: string): void {
    this.begin();
    if (!this.owns(source)) return;
    for (const c of this.coins.values()) this.breakCoin(c, `${c.book.coin}: ${reason}`);
    this.unionHeight = Number.NaN;
    this.unionTime = Number.NaN;
  }

  /** Whether records of `source` keep the books (`book` for the book server, `node` for the files). */
  owns(source: string): boolean {
    return (this.from === 'book' && source === 'book') || (this.from === 'files' && source === 'node');
  }

  // ---------------------------------------------------------------------------------------------
  // order_book_server l4Book
  // ---------------------------------------------------------------------------------------------

  /** An l4Book frame's `data` (`{Snapshot:…}` or `{Updates:…}`), already JSON-parsed. */
  obsL4(data: unknown): void {
    this.begin();
    if (this.from !== 'book') return;
    let v = validateObsL4InPlace(data);
    if (v === undefined) {
      const r = ObsL4Book.safeParse(data);
      if (!r.success) {
        this.counters.malformed++;
        // a block's updates for some coin could not be read: every book is in doubt
        for (const c of this.coins.values())
          this.breakCoin(c, `${c.book.coin}: an l4Book frame that is neither a Snapshot nor Updates`);
        return;
      }
      v = r.data;
    }
    if ('Snapshot' in v) {
      const s = v.Snapshot;
      const c = this.coins.get(s.coin);
      if (c === undefined) {
        this.counters.foreign++;
        return;
      }
      const r = c.book.loadSnapshot(s);
      if (r !== L4Apply.Ok) {
        this.counters.snapshotsRefused++;
        this.breakCoin(c, `l4Book snapshot refused: ${c.book.lastError}`);
        return;
      }
      c.snapHeight = s.height;
      this.counters.snapshots++;
      if (Number.isFinite(c.book.time)) this.out(s.coin);
      return;
    }
    this.updates(v.Updates);
  }

  private updates(u: ObsL4Updates): void {
    this.advanceUnion(u.height, u.time);
    const coin = u.book_diffs[0]?.coin ?? u.order_statuses[0]?.order.coin;
    if (coin === undefined) {
      this.counters.empty++;
      return;
    }
    const c = this.coins.get(coin);
    if (c === undefined) {
      this.counters.foreign++;
      return;
    }
    const book = c.book;
    if (!book.ready) {
      this.counters.notReady++;
      return;
    }
    if (u.height <= c.snapHeight) {
      this.counters.stale++;
      return;
    }
    if (u.height <= book.height) {
      this.counters.outOfOrder++;
      this.breakCoin(
        c,
        `${coin}: l4Book updates of height ${u.height} after ${book.height} (out of order): in doubt until a new snapshot`,
      );
      return;
    }
    book.advanceTo(u.height - 1, Number.NaN);
    const r = book.applyUpdates(u);
    if (r !== L4Apply.Ok) {
      this.breakCoin(c, `l4Book updates of height ${u.height} refused: ${book.lastError}`);
      return;
    }
    this.counters.blocks++;
    this.out(coin);
  }

  /** The stream reached `height`: every whole coin without an update at the previous height is as of it. */
  private advanceUnion(height: number, time: number): void {
    if (!(height > this.unionHeight) && !Number.isNaN(this.unionHeight)) return;
    const prevH = this.unionHeight;
    const prevT = this.unionTime;
    this.unionHeight = height;
    this.unionTime = time;
    if (Number.isNaN(prevH)) return;
    for (const c of this.coins.values()) {
      if (!(prevH > c.snapHeight)) continue;
      if (c.book.advanceTo(prevH, prevT)) {
        this.counters.quietAdvances++;
        this.out(c.book.coin);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // node files
  // ---------------------------------------------------------------------------------------------

  /** A block of order statuses (kept: not a duplicate), waiting for the book diffs of its height. */
  statusesBlock(b: NodeOrderStatusesBlock): void {
    this.begin();
    if (this.from !== 'files') return;
    this.statusQ.push(b);
    this.pair();
  }

  /** A block of raw book diffs (kept: not a duplicate), waiting for the order statuses of its height. */
  diffsBlock(b: NodeBookDiffsBlock): void {
    this.begin();
    if (this.from !== 'files') return;
    this.diffQ.push(b);
    this.pair();
  }

  private pair(): void {
    const sq = this.statusQ;
    const dq = this.diffQ;
    while (sq.length > 0 && dq.length > 0) {
      const s = sq[0] as NodeOrderStatusesBlock;
      const d = dq[0] as NodeBookDiffsBlock;
      if (s.block_number === d.block_number) {
        sq.shift();
        dq.shift();
        this.fileBlock(s, d);
      } else if (s.block_number < d.block_number) {
        // the diffs skipped this height: the block is lost for the books (they see the hole)
        sq.shift();
        this.counters.unpaired++;
      } else {
        dq.shift();
        this.counters.unpaired++;
      }
    }
    // one stream stalled: keep a bounded wait
    while (sq.length > this.maxUnpaired) {
      sq.shift();
      this.counters.unpaired++;
    }
    while (dq.length > this.maxUnpaired) {
      dq.shift();
      this.counters.unpaired++;
    }
  }

  private fileBlock(s: NodeOrderStatusesBlock, d: NodeBookDiffsBlock): void {
    const height = d.block_number;
    const time = naiveTimeToMs(d.block_time);
    // fresh arrays per block (not L4Books' reused scratch): the shares are held for later snapshots
    const shares = new Map<string, CoinShare>();
    for (const coin of this.coins.keys()) shares.set(coin, { statuses: [], diffs: [] });
    shareByCoin(s.events, d.events, shares);
    this.held.push({ height, time, shares });
    if (this.held.length > this.holdBlocks) this.held.shift();
    this.counters.blocks++;
    for (const c of this.coins.values()) {
      const share = shares.get(c.book.coin) as CoinShare;
      const was = c.book.ready;
      const r = c.book.applyBlock(height, time, share.statuses, share.diffs);
      if (r === L4Apply.Ok) {
        this.out(c.book.coin);
        if (c.pendingCheck !== null && c.pendingCheck.height === c.book.height) this.check(c, c.pendingCheck);
      } else if (r === L4Apply.Gap && was) {
        // applyBlock already took the book out of service: report the loss once
        this.breakCoin(c, `${c.book.lastError}: its L4 book waits for the next snapshot`, true);
      } else if (r === L4Apply.NotReady) this.counters.notReady++;
    }
  }

  /**
   * A journaled L4 snapshot file (`[height, [[coin, [bids, asks]]…]]`, the traded coins only): loads the
   * books that are not whole (catching up from the blocks held since), checks the whole ones.
   */
  fileSnapshot(file: NodeL4FileSnapshot): void {
    this.begin();
    if (this.from !== 'files') return;
    const h = file[0];
    const at = this.held.find((b) => b.height === h);
    for (const c of this.coins.values()) {
      const coin = c.book.coin;
      const snap = l4SnapshotFromFile(file, coin, at?.time ?? Number.NaN) ?? {
        coin,
        time: at?.time ?? Number.NaN,
        height: h,
        levels: [[], []],
      };
      const fresh = new L4Book(coin, { decimals: c.book.decimals });
      if (fresh.loadSnapshot(snap) !== L4Apply.Ok) {
        this.counters.snapshotsRefused++;
        this.counters.lastProblem = `L4 snapshot of height ${h} refused: ${fresh.lastError}`;
        continue;
      }
      if (c.book.ready && c.book.height < h) {
        // the files are behind the node: compare when they reach its height
        c.pendingCheck = fresh;
        continue;
      }
      // catch up from the blocks held since the snapshot's height
      const upTo = c.book.ready ? c.book.height : Number.POSITIVE_INFINITY;
      for (const b of this.held) {
        if (b.height <= h || b.height > upTo) continue;
        const share = b.shares.get(coin) as CoinShare;
        if (fresh.applyBlock(b.height, b.time, share.statuses, share.diffs) !== L4Apply.Ok) break;
      }
      if (!fresh.ready) {
        this.counters.snapshotsRefused++;
        this.counters.lastProblem = `L4 snapshot of height ${h} cannot catch up: ${fresh.lastError}`;
        continue;
      }
      if (c.book.ready) {
        if (fresh.height === c.book.height) this.check(c, fresh);
        continue;
      }
      c.book = fresh;
      c.pendingCheck = null;
      this.counters.snapshots++;
      if (Number.isFinite(fresh.time)) this.out(coin);
    }
  }

  /** A whole book against a snapshot of the same height: a difference replaces it (counted, reported). */
  private check(c: CoinL4, expected: L4Book): void {
    c.pendingCheck = null;
    this.counters.checks++;
    const diff = c.book.differenceFrom(expected);
    if (diff === '') return;
    this.counters.mismatches++;
    const reason = `${c.book.coin}: L4 book differs from the node's snapshot at height ${expected.height}: ${diff}`;
    this.counters.lastProblem = reason;
    this.problems.push({ coin: c.book.coin, reason });
    if (!Number.isFinite(expected.time)) expected.time = c.book.time;
    c.book = expected;
    this.out(c.book.coin);
  }
}
