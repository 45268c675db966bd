// Worker bootstrap for running from the TypeScript sources (vitest, tsx): registers tsx in this thread,
// then imports the worker body named in workerData.entry. (On Node 20, `execArgv: ['--import', 'tsx']` is
// not honoured by worker threads.) The compiled build (dist/) does not use it: the hosts start their
// workers straight from the compiled .js files.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
