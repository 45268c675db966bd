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
 * attempt, fails the sweep with the worker's error.
 */
import { createBunRedisClient, type IRedisClient, Queue, QueueEvents, Worker } from 'bullmq';
import { parseRedisUrl, RedisRawClient } from './redis-client.ts';
import { type PoolExecutor, poolExecutor } from './pool.ts';
import type { Executor, RunJob, RunResult } from './sweep.ts';

export const DEFAULT_QUEUE = 'hlt-sweep';

export class QueueConfigError extends Error {}

/**
 * A connection for one BullMQ object (each gets its own: a worker's and the queue events' connections
 * block on Redis). BullMQ's adapter around this project's RESP client (`redis-client.ts`).
 */
export function redisConnection(url: string): IRedisClient {
  try {
    return createBunRedisClient(new RedisRawClient(url));
  } catch (e) {
    throw new QueueConfigError(`--redis ${(e as Error).message}`);
  }
}

/** Check the URL before anything connects (a clear usage error). */
export function checkRedisUrl(url: string): void {
  try {
    parseRedisUrl(url);
  } catch (e) {
    throw new QueueConfigError(`--redis ${(e as Error).message}`);
  }
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
  const connections = [redisConnection(o.redis), redisConnection(o.redis)];
  const queue = new Queue<RunJob, RunResult>(name, { connection: connections[0]! });
  const events = new QueueEvents(name, { connection: connections[1]! });
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
      for (const c of connections) c.disconnect();
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
      connection.disconnect();
    },
  };
}
