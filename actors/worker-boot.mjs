// Worker bootstrap: registers tsx in this thread, then imports the TypeScript worker body named in
// workerData.entry. (On Node 20, `execArgv: ['--import', 'tsx']` is not honoured by worker threads.)
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
