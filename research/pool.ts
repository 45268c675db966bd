/**
 * Local sweeps on every core: a `piscina` worker pool, one thread per core by default, each running
 * `runJob` (this module's default export is the pool's task). From the TypeScript sources the workers boot
 * through `pool-boot.mjs` (tsx registered in the thread, as `actors/worker-boot.mjs` does); compiled, they
 * start from `pool.js` itself. A worker keeps the range's tick tape loaded between jobs.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { type Executor, type RunJob, type RunResult, runJob } from './sweep.ts';

/** What a pool task answers: the result, and the thread that ran it (to show every core worked). */
export interface PoolAnswer {
  result: RunResult;
  threadId: number;
}

/** The pool's task (runs in a worker thread). */
export default function poolTask(job: RunJob): PoolAnswer {
  return { result: runJob(job), threadId };
}

export interface PoolExecutor extends Executor {
  readonly threads: number;
  /** Jobs run by each worker thread so far (thread id → jobs). */
  readonly perThread: Map<number, number>;
}

/** A pool of `threads` workers (default: every core of this host). */
export function poolExecutor(opts: { threads?: number } = {}): PoolExecutor {
  const threads = Math.max(1, opts.threads ?? availableParallelism());
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSources ? './pool.ts' : './pool.js', import.meta.url);
  const pool = new Piscina({
    filename: fileURLToPath(fromSources ? new URL('./pool-boot.mjs', import.meta.url) : entry),
    workerData: { entry: entry.href },
    minThreads: threads,
    maxThreads: threads,
    // a job is seconds of CPU: one at a time per thread, the queue holds the rest
    concurrentTasksPerWorker: 1,
    idleTimeout: 60_000,
  });
  const perThread = new Map<number, number>();
  return {
    threads,
    perThread,
    async run(jobs, onResult) {
      await Promise.all(
        jobs.map(async (j) => {
          const a = (await pool.run(j)) as PoolAnswer;
          perThread.set(a.threadId, (perThread.get(a.threadId) ?? 0) + 1);
          onResult(a.result);
        }),
      );
    },
    async close() {
      await pool.destroy();
    },
  };
}
