// Piscina worker bootstrap for running from the TypeScript sources (vitest, tsx), as actors/worker-boot.mjs
// does for the ingest and signer workers: registers tsx in this worker thread, then re-exports the task
// handler of the module named in workerData.entry (piscina calls the default export). The compiled build
// (dist/) does not use it: the pool starts its workers straight from the compiled pool.js.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const mod = await import(workerData.entry);
export default mod.default;
