// Worker bootstrap: registers tsx, then imports the TypeScript worker body named in workerData.entry.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
