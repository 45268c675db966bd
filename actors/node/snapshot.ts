/**
 * L4 snapshots of the node's books through its local info server (protocol §6.1 item 6, §6.2), the
 * base an L4 book rebuilt from the node's files (order statuses + raw book diffs) starts from. Each
 * round, on the injected clock (the first at once, then every `everyMs`, one at a time), asks the node
 * to write a snapshot file, the request hyperliquid-dex/order_book_server sends
 * (server/src/listeners/order_book/utils.rs `process_rmp_file`):
 *   POST {"type":"fileSnapshot","request":{"type":"l4Snapshots","includeUsers":true,
 *         "includeTriggerOrders":false},"outPath":"<outDir>/l4-snapshot-<round>.json","includeHeightInOutput":true}
 * and, as the reference does, trusts only the HTTP status, then reads the file the node wrote:
 * `[height, [[coin, [[[user, order]…], [[user, order]…]]]…]]`. The entries of the configured coins are
 * kept (in the file's order), validated (hyperliquid/node-parse.ts `parseNodeL4FileSnapshot`, on the
 * very bytes that are journaled) and journaled as ONE frame of source `node`, channel `l4Snapshot`,
 * `[height, kept]`. The file is then deleted. A failure of any kind (network, HTTP status, no answer in
 * `timeoutMs`, a file missing or unreadable, not JSON, a wrong shape, an order that does not parse) is
 * counted, kept as `lastError` and logged with what to check; nothing is journaled, nothing thrown,
 * and the next round tries again. An answer arriving after `stop()` journals nothing.
 *
 * The node writes the file on its own machine: `outDir` must be a folder the node can write and this
 * process can read (the same host, or a shared mount).
 *
 * Cost of a big file (a mainnet snapshot of every coin is tens of MB): it is read once into memory,
 * `JSON.parse`d whole, filtered, and every reference to the text and the tree dropped before the
 * journal write, so the peak is the file text plus its parsed tree (several times the file) for the
 * length of one round, and the time is `JSON.parse`'s: in test/node/snapshot.test.ts on the 2-core dev
 * host a 20 MB file of 60 coins (66 k orders) is parsed, filtered to 3 coins (1 MB), validated and
 * journaled in 0.2–0.3 s, of which `JSON.parse` of the whole text alone is 0.12–0.18 s (printed,
 * not asserted tightly). Streaming the file coin by coin would bound the peak; not needed at one
 * snapshot a minute.
 */
import { mkdir, readFile as fsReadFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseNodeL4FileSnapshot } from '../../hyperliquid/node-parse.ts';
import type { Clock, TimerId } from '../../state/clock.ts';
import { jsonBytes, RecordKind, type SourceName } from '../../state/records.ts';
import type { FeedLogger } from '../feed/socket.ts';
import type { SourceInlet } from './book-server.ts';
import type { FetchLike } from './info-poll.ts';

/** The journal channel of a snapshot record. */
export const L4_SNAPSHOT_CHANNEL = 'l4Snapshot';

export interface L4SnapshotPollOptions {
  /** The node's info server, e.g. `http://localhost:3001/info`. */
  url: string;
  /** Where the node is asked to write (made absolute; created when missing). */
  outDir: string;
  /** Coins kept from the snapshot. */
  coins: readonly string[];
  clock: Clock;
  inlet: SourceInlet;
  /** First request at once, then every this many ms. */
  everyMs: number;
  fetch: FetchLike;
  /** A round (request and file read) not done in this long is a failure (default: `everyMs`). */
  timeoutMs?: number;
  /** Default `fs/promises.readFile`. */
  readFile?: (path: string) => Promise<Uint8Array | string>;
  logger?: FeedLogger;
  /** Source of the journaled records (default `node`). */
  source?: SourceName;
}

export interface L4SnapshotPollCounters {
  requests: number;
  /** Snapshots journaled. */
  snapshots: number;
  failures: number;
  lastError: string;
  /** Height of the last journaled snapshot (NaN before the first). */
  lastHeight: number;
  /** Size of the last file read, in bytes. */
  lastBytes: number;
  /** Size of the last journaled record (the kept coins), in bytes. */
  lastKeptBytes: number;
}

export interface L4SnapshotPoll {
  readonly counters: L4SnapshotPollCounters;
  /** Resolves when no round is in flight (at once when idle). */
  settled(): Promise<void>;
  stop(): void;
}

/** The request body of one round. */
export function l4SnapshotRequestBody(outPath: string): string {
  return JSON.stringify({
    type: 'fileSnapshot',
    request: { type: 'l4Snapshots', includeUsers: true, includeTriggerOrders: false },
    outPath,
    includeHeightInOutput: true,
  });
}

function shapeOf(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  return typeof v;
}

/** Thrown inside a round only, to end it with a counted failure. */
class RoundFailure extends Error {}

export function startL4SnapshotPoll(opts: L4SnapshotPollOptions): L4SnapshotPoll {
  const { clock, inlet, logger } = opts;
  const source = opts.source ?? 'node';
  const everyMs = opts.everyMs;
  if (!(everyMs > 0)) throw new RangeError(`l4Snapshot: everyMs must be > 0, got ${everyMs}`);
  const timeoutMs = opts.timeoutMs ?? everyMs;
  const outDir = resolve(opts.outDir);
  const coins = new Set(opts.coins);
  const read = opts.readFile ?? ((p: string) => fsReadFile(p));
  const counters: L4SnapshotPollCounters = {
    requests: 0,
    snapshots: 0,
    failures: 0,
    lastError: '',
    lastHeight: Number.NaN,
    lastBytes: 0,
    lastKeptBytes: 0,
  };
  let timer: TimerId | null = null;
  let stopped = false;
  let inFlight: Promise<void> | null = null;
  /** The file of the previous round when it may have been written late (after a timeout). */
  let leftover: string | null = null;

  const fail = (round: number, why: string) => {
    counters.failures++;
    counters.lastError = why;
    logger?.warn({ source, url: opts.url, round, failures: counters.failures }, why);
  };

  const remove = async (path: string) => {
    try {
      await rm(path, { force: true });
    } catch (e) {
      logger?.warn({ source, path }, `l4Snapshot: cannot delete ${path}: ${(e as Error).message}`);
    }
  };

  const once = async (round: number) => {
    counters.requests++;
    const outPath = resolve(outDir, `l4-snapshot-${round}.json`);
    const abort = new AbortController();
    const deadline = clock.setTimeout(() => abort.abort(), timeoutMs);
    let asked = false;
    let done = false;
    const check = () => {
      if (abort.signal.aborted)
        throw new RoundFailure(
          `l4Snapshot: no snapshot in ${timeoutMs} ms from ${opts.url} (is the node busy or down? a mainnet snapshot takes seconds: raise the timeout)`,
        );
    };
    try {
      if (leftover !== null) {
        await remove(leftover);
        leftover = null;
      }
      try {
        await mkdir(outDir, { recursive: true });
      } catch (e) {
        throw new RoundFailure(
          `l4Snapshot: cannot create the snapshot folder ${outDir}: ${(e as Error).message}`,
        );
      }
      check();
      asked = true;
      let res: Awaited<ReturnType<FetchLike>>;
      let text: string;
      try {
        res = await opts.fetch(opts.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: l4SnapshotRequestBody(outPath),
          signal: abort.signal,
        });
        text = await res.text();
      } catch (e) {
        if (stopped) return;
        check();
        throw new RoundFailure(
          `l4Snapshot: POST ${opts.url} failed: ${(e as Error).message} (is the node running with --serve-info?)`,
        );
      }
      if (stopped) return;
      check();
      if (!res.ok) {
        throw new RoundFailure(
          `l4Snapshot: HTTP ${res.status} from ${opts.url}${text === '' ? '' : `: ${text.slice(0, 200)}`}`,
        );
      }
      let raw: Uint8Array | string;
      try {
        raw = await read(outPath);
      } catch (e) {
        if (stopped) return;
        throw new RoundFailure(
          `l4Snapshot: the node answered but ${outPath} cannot be read (${(e as Error).message}): the node must write where this process reads (same host or a shared folder)`,
        );
      }
      if (stopped) return;
      check();
      counters.lastBytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
      let parsed: unknown;
      try {
        parsed = JSON.parse(
          typeof raw === 'string'
            ? raw
            : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'),
        );
      } catch (e) {
        throw new RoundFailure(`l4Snapshot: ${outPath} is not JSON: ${(e as Error).message}`);
      }
      raw = '';
      if (
        !Array.isArray(parsed) ||
        parsed.length !== 2 ||
        !Number.isSafeInteger(parsed[0]) ||
        (parsed[0] as number) < 0 ||
        !Array.isArray(parsed[1])
      ) {
        throw new RoundFailure(
          `l4Snapshot: ${outPath} is not [height, [[coin, [bids, asks]]…]] (got ${shapeOf(parsed)}${
            Array.isArray(parsed) ? ` starting ${JSON.stringify(parsed[0])?.slice(0, 40)}` : ''
          }): was it written with includeHeightInOutput:true?`,
        );
      }
      const height = parsed[0] as number;
      const kept: unknown[] = [];
      const found = new Set<string>();
      for (const e of parsed[1] as unknown[]) {
        if (Array.isArray(e) && typeof e[0] === 'string' && coins.has(e[0])) {
          kept.push(e);
          found.add(e[0]);
        }
      }
      parsed = null;
      const bytes = jsonBytes([height, kept]);
      kept.length = 0;
      const checked = parseNodeL4FileSnapshot(bytes);
      if (!checked.ok)
        throw new RoundFailure(`l4Snapshot: ${outPath} at height ${height}: ${checked.error.message}`);
      const missing = opts.coins.filter((c) => !found.has(c));
      inlet.sourced(RecordKind.Frame, source, L4_SNAPSHOT_CHANNEL, bytes, 0);
      counters.snapshots++;
      counters.lastHeight = height;
      counters.lastKeptBytes = bytes.byteLength;
      logger?.info(
        { source, round, height, fileBytes: counters.lastBytes, keptBytes: bytes.byteLength },
        `l4Snapshot: height ${height}, ${found.size} of ${opts.coins.length} coins`,
      );
      if (missing.length > 0)
        logger?.warn(
          { source, round, height, missing },
          `l4Snapshot: no book for ${missing.join(', ')} in the node's snapshot (a coin name the node does not know, or a spot pair)`,
        );
      done = true;
    } catch (e) {
      if (stopped) return;
      fail(round, e instanceof RoundFailure ? e.message : `l4Snapshot: ${(e as Error).message}`);
    } finally {
      clock.clearTimeout(deadline);
      if (asked) {
        await remove(outPath);
        // a node still writing after a timeout finishes later: try again next round
        if (!done && abort.signal.aborted) leftover = outPath;
      }
    }
  };

  let round = 0;
  const loop = () => {
    timer = null;
    if (stopped) return;
    if (inFlight === null) {
      const p = once(++round).finally(() => {
        inFlight = null;
      });
      inFlight = p;
    }
    timer = clock.setTimeout(loop, everyMs);
  };
  timer = clock.setTimeout(loop, 0);

  return {
    counters,
    settled: async () => {
      while (inFlight !== null) await inFlight;
    },
    stop() {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
    },
  };
}
