/**
 * The node's sources started together for the live system (config `sources` has `node`): the by-block
 * files tail (resuming after the last journaled height), the order_book_server client and the info-server
 * liveness poll, each where configured, all through the one journal inlet with their own source names.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock } from '../../state/clock.ts';
import { l4ConfigProblem, l4SourceOf } from '../../state/node-books.ts';
import { jsonBytes, RecordKind } from '../../state/records.ts';
import type { FeedLogger } from '../feed/socket.ts';
import { type BookServerSource, type SourceInlet, startBookServer } from './book-server.ts';
import { type FetchLike, type InfoPoll, startInfoPoll } from './info-poll.ts';
import { lastJournaledHeights } from './resume.ts';
import { type L4SnapshotPoll, startL4SnapshotPoll } from './snapshot.ts';
import { type NodeStream, type NodeTail, startNodeTail } from './tail.ts';

/** The tail reads nothing while more records than this wait in the inlet's overflow queue. */
export const HOLD_OFF_QUEUED = 10_000;

/** The config's `node` section, as these sources need it. */
export interface NodeSourcesConfig {
  dir?: string | undefined;
  streams: readonly NodeStream[];
  pollMs: number;
  bookServer?: string | undefined;
  nLevels: number;
  infoUrl?: string | undefined;
  infoPollMs: number;
  staleMs: number;
  /** Which L4 book drives the hot-state book (state/node-books.ts `l4SourceOf`); default `auto`. */
  l4?: 'auto' | 'book' | 'files' | 'off';
  /** With the files' L4 book: how often an L4 snapshot is asked of the info server (ms). */
  snapshotMs?: number;
}

export interface NodeSourcesOptions {
  config: NodeSourcesConfig;
  coins: readonly string[];
  clock: Clock;
  inlet: SourceInlet;
  /** The journal root (`<data>/journal`): where the tail finds the heights to resume after. */
  journalRoot: string;
  logger?: FeedLogger;
  fetch?: FetchLike;
  /** The book server's connection timings (the feed's). */
  timings?: Parameters<typeof startBookServer>[0]['timings'];
  /** The config's `sources` (default `['public', 'node']`): with them `node.l4` resolves. */
  sources?: readonly string[];
}

/** What the system reports per source (runtime SourceStatus fields). */
export interface NodeSourceStatus {
  connection?: string;
  reconnects?: number;
  lost?: number;
}

export interface NodeSources {
  readonly tail: NodeTail | null;
  readonly book: BookServerSource | null;
  readonly info: InfoPoll | null;
  /** The L4 snapshot poll (the files' L4 book: `node.l4` resolves to `files`). */
  readonly snapshots: L4SnapshotPoll | null;
  /** Where the tail resumed (the last journaled height per stream). */
  readonly resumedFrom: Partial<Record<NodeStream, number>>;
  status(): Record<string, NodeSourceStatus>;
  stop(): void;
}

/** Why the config cannot run the node source, or null. */
export function nodeConfigProblem(
  c: NodeSourcesConfig,
  sources: readonly string[] = ['public', 'node'],
): string | null {
  if (c.dir === undefined && c.bookServer === undefined)
    return 'sources has node but neither node.dir (--node-dir) nor node.bookServer (--book-server) is set';
  if (c.infoUrl !== undefined && c.infoPollMs >= c.staleMs)
    return `node.infoPollMs (${c.infoPollMs}) must be below node.staleMs (${c.staleMs}): a poll that slow reads as a stale node`;
  return l4ConfigProblem(sources, c);
}

export function startNodeSources(opts: NodeSourcesOptions): NodeSources {
  const { config: c, clock, inlet, logger } = opts;
  const sources = opts.sources ?? ['public', 'node'];
  const problem = nodeConfigProblem(c, sources);
  if (problem !== null) throw new RangeError(problem);
  let tail: NodeTail | null = null;
  let resumedFrom: Partial<Record<NodeStream, number>> = {};
  if (c.dir !== undefined) {
    resumedFrom = lastJournaledHeights(opts.journalRoot, c.streams);
    const nodeDir = c.dir;
    const missing = c.streams.filter((s) => !existsSync(join(nodeDir, s, 'hourly')));
    if (missing.length > 0)
      logger?.warn(
        { dir: c.dir, missing },
        `node files: no ${missing.map((s) => `${s}/hourly`).join(', ')} under ${c.dir} yet (waiting for the node to write them; is node.dir right?)`,
      );
    logger?.info({ dir: c.dir, resume: resumedFrom }, 'node files: tail');
    const gap = (stream: NodeStream, reason: string) => {
      inlet.sourced(RecordKind.Conn, 'node', 'gap', jsonBytes({ type: 'gap', key: stream, reason }), 0);
      logger?.warn({ stream, reason }, 'node files: gap');
    };
    const wantedAfter = { ...resumedFrom };
    tail = startNodeTail({
      dir: c.dir,
      clock,
      streams: c.streams,
      pollMs: c.pollMs,
      resume: resumedFrom,
      // a catch-up reads only while the inlet's overflow queue is short (the ring drains it)
      holdOff: () => (inlet.counters?.queued ?? 0) > HOLD_OFF_QUEUED,
      emit: (l) => {
        // the first block after a restart must follow the last journaled one
        const after = wantedAfter[l.stream];
        if (after !== undefined && !Number.isNaN(l.height)) {
          delete wantedAfter[l.stream];
          if (l.height > after + 1)
            gap(
              l.stream,
              `${l.height - after - 1 === 1 ? `height ${after + 1}` : `heights ${after + 1}-${l.height - 1}`} missing on node:${l.stream} (since the restart)`,
            );
        }
        inlet.sourced(RecordKind.Frame, 'node', l.stream, l.bytes, 0);
      },
      onEvent: (e) => {
        if (e.type === 'truncated')
          gap(e.stream, `a truncated line (${e.bytes} bytes) at the end of ${e.file}`);
        else if (e.type === 'oversize')
          gap(e.stream, `a line over the limit (${e.bytes} bytes) in ${e.file}`);
        else if (e.type === 'error')
          logger?.error({ stream: e.stream, message: e.message }, 'node files: error');
        else logger?.info({ stream: e.stream, file: e.file, offset: e.offset }, 'node files: reading');
      },
    });
  }
  const book =
    c.bookServer !== undefined
      ? startBookServer({
          url: c.bookServer,
          coins: opts.coins,
          clock,
          inlet,
          nLevels: c.nLevels,
          ...(opts.timings ? { timings: opts.timings } : {}),
          ...(logger ? { logger } : {}),
        })
      : null;
  const info =
    c.infoUrl !== undefined
      ? startInfoPoll({
          url: c.infoUrl,
          clock,
          inlet,
          everyMs: c.infoPollMs,
          fetch: opts.fetch ?? globalThis.fetch,
        })
      : null;
  // the files' L4 book starts from the node's own snapshots (state/node-books.ts): asked of its info server
  const snapshots =
    l4SourceOf(sources, c) === 'files' && c.infoUrl !== undefined
      ? startL4SnapshotPoll({
          url: c.infoUrl,
          outDir: join(dirname(opts.journalRoot), 'node-snapshots'),
          coins: opts.coins,
          clock,
          inlet,
          everyMs: c.snapshotMs ?? 60_000,
          fetch: opts.fetch ?? globalThis.fetch,
          ...(logger ? { logger } : {}),
        })
      : null;
  return {
    tail,
    book,
    info,
    snapshots,
    resumedFrom,
    status() {
      // their gaps are counted where they are judged, in the ingest pipeline (journaled, so the tail's too)
      const out: Record<string, NodeSourceStatus> = {};
      if (tail) out.node = { connection: `tail ${tail.counters.lines} lines`, lost: tail.counters.truncated };
      if (book)
        out[book.source] = { connection: stateText(book.state()), reconnects: book.counters().reconnects };
      if (info) out['node-info'] = { connection: info.up() ? 'answering' : 'not answering' };
      if (snapshots) {
        const k = snapshots.counters;
        out['node-l4'] = {
          connection: `${k.snapshots} L4 snapshots${Number.isNaN(k.lastHeight) ? '' : ` (last at height ${k.lastHeight})`}${k.failures > 0 ? `, ${k.failures} failed: ${k.lastError}` : ''}`,
        };
      }
      return out;
    },
    stop() {
      tail?.stop();
      book?.stop();
      info?.stop();
      snapshots?.stop();
    },
  };
}

function stateText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') {
    const [k, inner] = Object.entries(v)[0] ?? ['?', null];
    return inner === null ? k : `${k}.${stateText(inner)}`;
  }
  return String(v);
}
