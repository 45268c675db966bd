/**
 * Liveness of the node through its local info server (protocol §6.2: "check freshness by polling
 * `exchangeStatus` and comparing L1 time with local time"). Polls on the injected clock, one request at a
 * time; every answer is journaled through the inlet as a frame of its own source (channel `exchangeStatus`,
 * the answer as `data`), a failure as that source's connection `error` (a gap), the first answer after one
 * as `open`. The pipeline judges the answers' time like any source's block time (state/heights.ts).
 */
import type { Clock, TimerId } from '../../state/clock.ts';
import { jsonBytes, RecordKind, type SourceName } from '../../state/records.ts';
import type { SourceInlet } from './book-server.ts';

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export interface InfoPollOptions {
  url: string;
  clock: Clock;
  inlet: SourceInlet;
  fetch: FetchLike;
  /** Default 5 000 ms. */
  everyMs?: number;
  /** A request unanswered this long is a failure (default: `everyMs`). */
  timeoutMs?: number;
  /** Default `node-info`. */
  source?: SourceName;
}

export interface InfoPollCounters {
  requests: number;
  answers: number;
  failures: number;
  lastError: string;
}

export interface InfoPoll {
  readonly counters: InfoPollCounters;
  /** Whether the last request was answered. */
  up(): boolean;
  stop(): void;
}

export function startInfoPoll(opts: InfoPollOptions): InfoPoll {
  const { clock, inlet } = opts;
  const source = opts.source ?? 'node-info';
  const everyMs = opts.everyMs ?? 5_000;
  const timeoutMs = opts.timeoutMs ?? everyMs;
  const counters: InfoPollCounters = { requests: 0, answers: 0, failures: 0, lastError: '' };
  let up: boolean | null = null;
  let timer: TimerId | null = null;
  let stopped = false;
  let inFlight = false;

  const failed = (why: string) => {
    counters.failures++;
    counters.lastError = why;
    if (up !== false)
      inlet.sourced(
        RecordKind.Conn,
        source,
        'error',
        jsonBytes({ type: 'error', url: opts.url, reason: why }),
        0,
      );
    up = false;
  };

  const once = async () => {
    inFlight = true;
    counters.requests++;
    const abort = new AbortController();
    const deadline = clock.setTimeout(() => abort.abort(), timeoutMs);
    try {
      const res = await opts.fetch(opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"type":"exchangeStatus"}',
        signal: abort.signal,
      });
      const text = await res.text();
      if (stopped) return;
      if (!res.ok) return failed(`exchangeStatus: HTTP ${res.status}`);
      let answer: unknown;
      try {
        answer = JSON.parse(text);
      } catch {
        return failed(`exchangeStatus: not JSON (${text.slice(0, 80)})`);
      }
      counters.answers++;
      if (up !== true)
        inlet.sourced(RecordKind.Conn, source, 'open', jsonBytes({ type: 'open', url: opts.url }), 0);
      up = true;
      inlet.sourced(
        RecordKind.Frame,
        source,
        'exchangeStatus',
        jsonBytes({ channel: 'exchangeStatus', data: answer }),
        0,
      );
    } catch (e) {
      if (!stopped)
        failed(
          `exchangeStatus: ${abort.signal.aborted ? `no answer in ${timeoutMs} ms` : (e as Error).message}`,
        );
    } finally {
      clock.clearTimeout(deadline);
      inFlight = false;
    }
  };

  const loop = () => {
    timer = null;
    if (stopped) return;
    if (!inFlight) void once();
    timer = clock.setTimeout(loop, everyMs);
  };
  timer = clock.setTimeout(loop, 0);

  return {
    counters,
    up: () => up === true,
    stop() {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
    },
  };
}
