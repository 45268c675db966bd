/** Runs one benchmark module in this process and prints its figures, one JSON object a line. */
import { pathToFileURL } from 'node:url';
import { type BenchModule, machineInfo } from './lib.ts';

const [file, quick] = process.argv.slice(2);
if (!file) throw new Error('usage: one.ts <bench file> [quick]');
const mod = (await import(pathToFileURL(file).href)) as BenchModule;
const figures = await mod.default({ quick: quick === '1' });
const machine = machineInfo();
const date = new Date().toISOString().slice(0, 10);
for (const f of figures) console.log(JSON.stringify({ ...f, date, machine }));
