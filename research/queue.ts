/**
 * Sweeps across machines: the same `RunJob`s through a BullMQ queue on Redis to `runtime worker`
 * processes on any number of machines that share the data (the day folders and the sweep folder holding
 * the tick tape, at the same paths: a shared mount or a synced copy).
 *
 * The sweep enqueues each job under its result key as the BullMQ job id (a job already in the queue is
 * not added twice: its result is taken when it is done) and waits for each one's answer. A worker runs
 * the jobs on its own worker pool (`pool.ts`), so its event loop stays free to renew the job locks while
 * the replays run; a worker that dies mid-run (killed, machine lost) stops renewing, its jobs' locks expire
 * after `lockMs`, and the stalled-job check of any live worker moves them back to the queue — another
 * worker runs them, no result is lost. A job that throws is retried (`attempts`) and, failing every
 * attempt, fails the sweep with the worker's error. Redis is reached through ioredis, BullMQ's own client.
 */
import { type ConnectionOptions, Queue, QueueEvents, Worker } from 'bullmq';
import { type PoolExecutor, poolExecutor } from './pool.ts';
import type { Executor, RunJob, RunResult } from './sweep.ts';

export const DEFAULT_QUEUE = 'hlt-sweep';

export class QueueConfigError extends Error {}

export interface RedisTarget {
  host: string;
  port: number;
  db?: number;
  username?: string;
  password?: string;
}

/** `redis://[user:pass@]host[:port][/db]` → target; throws a clear error for anything else. */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${url}: not a URL (expected redis://host:port[/db])`);
  }
  if (u.protocol !== 'redis:') throw new Error(`${url}: expected a redis:// URL, got ${u.protocol}`);
  const t: RedisTarget = { host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 6379 };
  const db = u.pathname.replace(/^\//, '');
  if (db !== '') {
    const n = Number(db);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${url}: database '${db}' is not a number`);
    t.db = n;
  }
  if (u.username) t.username = decodeURIComponent(u.username);
  if (u.password) t.password = decodeURIComponent(u.password);
  return t;
}

/**
 * The connection options of one BullMQ object: BullMQ opens its own ioredis client from them (each object
 * its own connection: a worker's and the queue events' block on Redis). `maxRetriesPerRequest: null`, as
 * BullMQ requires for blocking connections: a command waits through a reconnect instead of failing.
 */
export function redisConnection(url: string): ConnectionOptions {
  try {
    return { ...parseRedisUrl(url), maxRetriesPerRequest: null };
  } catch (e) {
    throw new QueueConfigError(`--redis ${(e as Error).message}`);
  }
}

/** Check the URL before anything connects (a clear usage error). */
export function checkRedisUrl(url: string): void {
  redisConnection(url);
}

export interface QueueExecutorOptions {
  redis: string;
  queue?: string;
  /** Tries of a job that throws (default 3). */
  attempts?: number;
}

/** The sweep's side: enqueue the jobs, answer each as a worker finishes it. */
export function queueExecutor(o: QueueExecutorOptions): Executor {
  checkRedisUrl(o.redis);
  const name = o.queue ?? DEFAULT_QUEUE;
  const queue = new Queue<RunJob, RunResult>(name, { connection: redisConnection(o.redis) });
  const events = new QueueEvents(name, { connection: redisConnection(o.redis) });
  return {
    async run(jobs, onResult) {
      await events.waitUntilReady();
      // a job of an earlier sweep that failed every attempt is run again (a result is never taken from it)
      for (const j of jobs) {
        const old = await queue.getJob(j.key);
        if (old && (await old.isFailed())) await old.remove();
      }
      await queue.addBulk(
        jobs.map((j) => ({
          name: 'run',
          data: j,
          opts: {
            jobId: j.key,
            attempts: o.attempts ?? 3,
            backoff: { type: 'fixed', delay: 200 },
            removeOnComplete: { age: 24 * 3600 },
            removeOnFail: { age: 24 * 3600 },
          },
        })),
      );
      await Promise.all(
        jobs.map(async (j) => {
          const job = await queue.getJob(j.key);
          if (!job) throw new Error(`sweep queue: job ${j.key} vanished from the queue`);
          try {
            onResult((await job.waitUntilFinished(events)) as RunResult);
          } catch (e) {
            throw new Error(`sweep queue: run ${j.key} failed on the worker: ${(e as Error).message}`);
          }
        }),
      );
    },
    async close() {
      await events.close();
      await queue.close();
    },
  };
}

export interface QueueWorkerOptions {
  redis: string;
  queue?: string;
  /** Jobs at a time, one a pool thread (default: every core). */
  threads?: number;
  /** A job's lock: a worker silent this long is presumed dead and its jobs go back to the queue (default 30 s). */
  lockMs?: number;
  /** How often the stalled-job check runs (default 15 s). */
  stalledIntervalMs?: number;
  /** Times a job may be found stalled before it fails (default 3). */
  maxStalledCount?: number;
  onJob?: (e: { key: string; state: 'active' | 'completed' | 'failed'; error?: string }) => void;
}

export interface QueueWorker {
  readonly pool: PoolExecutor;
  /** Jobs completed and failed by this worker. */
  readonly counts: { completed: number; failed: number };
  close(): Promise<void>;
}

/** A `runtime worker`: take jobs from the queue and run them on this host's worker pool. */
export async function startQueueWorker(o: QueueWorkerOptions): Promise<QueueWorker> {
  checkRedisUrl(o.redis);
  const connection = redisConnection(o.redis);
  const pool = poolExecutor(o.threads !== undefined ? { threads: o.threads } : {});
  const counts = { completed: 0, failed: 0 };
  const lockMs = o.lockMs ?? 30_000;
  const worker = new Worker<RunJob, RunResult>(
    o.queue ?? DEFAULT_QUEUE,
    async (job) => {
      o.onJob?.({ key: job.data.key, state: 'active' });
      let result: RunResult | null = null;
      await pool.run([job.data], (r) => {
        result = r;
      });
      if (result === null) throw new Error(`run ${job.data.key}: the pool gave no result`);
      return result;
    },
    {
      connection,
      concurrency: pool.threads,
      lockDuration: lockMs,
      stalledInterval: o.stalledIntervalMs ?? Math.max(1_000, Math.floor(lockMs / 2)),
      maxStalledCount: o.maxStalledCount ?? 3,
    },
  );
  worker.on('completed', (job) => {
    counts.completed++;
    o.onJob?.({ key: job.data.key, state: 'completed' });
  });
  worker.on('failed', (job, err) => {
    counts.failed++;
    o.onJob?.({ key: job?.data.key ?? '?', state: 'failed', error: err.message });
  });
  worker.on('error', () => {
    /* connection errors: ioredis reconnects; the job locks decide what is retried */
  });
  await worker.waitUntilReady();
  return {
    pool,
    counts,
    async close() {
      await worker.close();
      await pool.close();
    },
  };
}
