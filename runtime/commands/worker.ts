/**
 * `runtime worker --redis URL [--queue NAME] [--threads N]`: take sweep runs from the BullMQ queue on Redis
 * and run them on this host's worker pool until SIGINT / SIGTERM (then finish the runs under way and exit 0).
 * Any number of workers on any number of machines that share the data (the same paths) serve one sweep;
 * a worker killed mid-run loses nothing: its runs go back to the queue when their locks expire.
 */
import { QueueConfigError, startQueueWorker } from '../../research/queue.ts';
import { guarded, type Io, num, parse, UsageError } from './common.ts';

export const WORKER_USAGE = `usage: runtime worker --redis URL [options]

Runs the sweep runs queued on Redis (by \`runtime sweep --redis URL\`) on every core of this host, until
SIGINT or SIGTERM. The data dir (and the sweep folder holding the tick tape) must be at the same path as
on the machine that runs the sweep (a shared mount or a synced copy).

options:
  --redis URL         redis://host:port[/db] (required)
  --queue NAME        the BullMQ queue (default hlt-sweep)
  --threads N         runs at a time (default: every core)
  --lock-ms MS        a run's lock: a worker silent this long is presumed dead and its runs are
                      retried elsewhere (default 30000)
  --stalled-ms MS     how often this worker checks for runs of dead workers (default lock / 2)
`;

export interface WorkerCommandDeps {
  /** Resolves when the worker should stop (default: the first SIGINT or SIGTERM). */
  stop?: Promise<void>;
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const on = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve();
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function workerCommand(argv: string[], io: Io, deps: WorkerCommandDeps = {}): Promise<number> {
  return guarded(io, WORKER_USAGE, async () => {
    const { values } = parse(argv, {
      redis: { type: 'string' },
      queue: { type: 'string' },
      threads: { type: 'string' },
      'lock-ms': { type: 'string' },
      'stalled-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(WORKER_USAGE);
      return 0;
    }
    if (!values.redis) throw new UsageError('missing --redis URL');
    const opts: Parameters<typeof startQueueWorker>[0] = {
      redis: values.redis,
      onJob: (e) => {
        io.stderr(`worker: ${e.state} ${e.key}${e.error ? `: ${e.error}` : ''}`);
      },
    };
    if (values.queue) opts.queue = values.queue;
    if (values.threads !== undefined) opts.threads = num(values.threads, 'threads', 1);
    if (values['lock-ms'] !== undefined) opts.lockMs = num(values['lock-ms'], 'lock-ms', 30_000);
    if (values['stalled-ms'] !== undefined)
      opts.stalledIntervalMs = num(values['stalled-ms'], 'stalled-ms', 15_000);
    const stop = deps.stop ?? signalled();
    let worker: Awaited<ReturnType<typeof startQueueWorker>>;
    try {
      worker = await startQueueWorker(opts);
    } catch (e) {
      if (e instanceof QueueConfigError) throw new UsageError(e.message);
      throw e;
    }
    io.stderr(
      `worker: ready (queue ${values.queue ?? 'hlt-sweep'} on ${values.redis}, ${worker.pool.threads} threads, pid ${process.pid})`,
    );
    await stop;
    io.stderr('worker: stopping (finishing the runs under way)');
    await worker.close();
    io.stderr(`worker: stopped (${worker.counts.completed} completed, ${worker.counts.failed} failed)`);
    return 0;
  });
}
