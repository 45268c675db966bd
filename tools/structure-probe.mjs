// Worker body of the side-effect check: imports each module with traps on everything that opens a
// resource, and reports what each import opened. Plain JS so it runs before any loader is set up.
import { register } from 'tsx/esm/api';
import { parentPort, workerData } from 'node:worker_threads';
import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import wt from 'node:worker_threads';
import { syncBuiltinESMExports } from 'node:module';
import { pathToFileURL } from 'node:url';

register();

const opened = [];
const trap = (obj, name, label) => {
  const orig = obj[name];
  if (typeof orig !== 'function') return;
  obj[name] = function (...args) {
    opened.push(label + '(' + String(args[0]).slice(0, 80) + ')');
    return orig.apply(this, args);
  };
};
for (const n of [
  'open',
  'openSync',
  'createWriteStream',
  'createReadStream',
  'writeFile',
  'writeFileSync',
  'appendFile',
  'appendFileSync',
  'watch',
  'mkdirSync',
])
  trap(fs, n, 'fs.' + n);
trap(net, 'connect', 'net.connect');
trap(net, 'createConnection', 'net.createConnection');
trap(net, 'createServer', 'net.createServer');
trap(http, 'createServer', 'http.createServer');
trap(http, 'request', 'http.request');
for (const n of ['setTimeout', 'setInterval', 'setImmediate']) trap(globalThis, n, n);
const OrigWorker = wt.Worker;
wt.Worker = class extends OrigWorker {
  constructor(...a) {
    opened.push('Worker(' + String(a[0]).slice(0, 80) + ')');
    super(...a);
  }
};
syncBuiltinESMExports();

const results = [];
for (const file of workerData.files) {
  const before = process.getActiveResourcesInfo().filter((r) => r !== 'MessagePort');
  opened.length = 0;
  try {
    await import(pathToFileURL(file).href);
  } catch (e) {
    results.push({ module: file, opened: ['import threw: ' + (e?.message ? e.message : String(e))] });
    continue;
  }
  const after = process.getActiveResourcesInfo().filter((r) => r !== 'MessagePort');
  const extra = after.slice(before.length);
  const all = [...opened, ...extra.map((r) => 'active resource ' + r)];
  if (all.length) results.push({ module: file, opened: all });
}
parentPort.postMessage(results);
