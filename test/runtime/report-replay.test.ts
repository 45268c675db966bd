/**
 * `runtime replay <dir> --report out.html` end to end (issue 15): a journal of the simulator's cascade
 * scenario (seed 7, written as a live run journals it), replayed by the command with a decision log and a
 * report. The report draws each coin's mid as the decision side saw it (the command samples
 * `engine.viewOf(coin).mid` every 10 s at ticks), a marker per `exec.fill` of the decision log, at the
 * price the fill was made, over the same span, and reads every line of the log as a record.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock as JournalClock } from '../../actors/journal/system-clock.ts';
import { JournalWriter } from '../../actors/journal/writer.ts';
import { engineConfigFrom } from '../../decision/engine.ts';
import { parseDecisionRecord, type RecordOf } from '../../decision/records.ts';
import { simSession } from '../../replay/sim-session.ts';
import { main } from '../../runtime/cli.ts';
import { parseConfig } from '../../runtime/config.ts';

const config = engineConfigFrom(parseConfig({}));
const dir = mkdtempSync(join(tmpdir(), 'report-replay-'));
let html = '';
const fills: RecordOf<'exec.fill'>[] = [];
let records = 0;
let lines = 0;

beforeAll(async () => {
  const journal = join(dir, 'journal');
  const w = new JournalWriter({ dir: journal, clock: new JournalClock() });
  simSession({
    seed: 7,
    scenario: 'cascade',
    coins: [...config.coins],
    tickMs: config.tickMs,
    fast: config.health.fastBook,
    onRecord: (r) => w.append(r),
  });
  await w.close();
  let err = '';
  const io = { stdout: () => {}, stderr: (s: string) => void (err += `${s}\n`) };
  const decisions = join(dir, 'decisions.jsonl');
  const report = join(dir, 'report.html');
  const code = await main(['replay', journal, '--decisions', decisions, '--report', report, '--json'], io);
  expect(code, err).toBe(0);
  html = readFileSync(report, 'utf8');
  const text = readFileSync(decisions, 'utf8').trim().split('\n');
  lines = text.length;
  for (const l of text) {
    const p = parseDecisionRecord(l);
    if (!p.ok) continue;
    records++;
    if (p.record.kind === 'exec.fill') fills.push(p.record);
  }
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The price chart of one coin: its polyline's points in data space (via the axis labels) and its markers. */
function chart(coin: string) {
  const start = html.indexOf(`data-coin="${coin}"`);
  const svg = html.slice(start, html.indexOf('</svg>', start));
  const n = Number(/<polyline class="price" data-points="(\d+)"/.exec(svg)?.[1] ?? 0);
  const markers = [...svg.matchAll(/<path class="marker (entry|exit) (buy|sell)" data-time="(\d+)"/g)];
  return { svg, n, markers };
}

describe('runtime replay --report over a cascade journal', () => {
  it('reads every decision line as a record; a marker per exec.fill on its coin', () => {
    console.log(
      `replay report: ${lines} decision lines, ${fills.length} fills, ${html.length} bytes of HTML`,
    );
    expect(fills.length).toBeGreaterThanOrEqual(10);
    expect(records).toBe(lines);
    expect(html).toMatch(/invalid lines \(skipped\)<\/td><td>0</);
    expect(html).toMatch(/lines of other kinds \(skipped\)<\/td><td>0</);
    expect(html).not.toContain('<table class="unknown">');
    expect(html.match(/class="marker /g)).toHaveLength(fills.length);
    for (const coin of config.coins) {
      const c = chart(coin);
      expect(
        c.markers.map((m) => Number(m[3])),
        coin,
      ).toEqual(fills.filter((f) => f.fill.coin === coin).map((f) => f.t));
    }
  });

  it('draws each coin mid sampled every 10 s over the replay, and the fills lie on it', () => {
    let worst = 0;
    const offs: number[] = [];
    for (const coin of config.coins) {
      const c = chart(coin);
      // the scenario runs 1.7 h: a mid every 10 s from the first tick to the last
      expect(c.n, coin).toBeGreaterThan(600);
      const points = /<polyline class="price" data-points="\d+" points="([^"]*)"/
        .exec(c.svg)![1]!
        .split(' ')
        .map((p) => p.split(',').map(Number) as [number, number]);
      expect(points.length, coin).toBe(c.n);
      // the y axis: its top and bottom labels, over the plot's 208 px
      const [hi, lo] = [
        ...c.svg.matchAll(/<text class="tick" x="[\d.]+" y="[\d.]+" text-anchor="end">([\d,.]+)<\/text>/g),
      ].map((m) => Number(m[1]!.replaceAll(',', ''))) as [number, number];
      expect(hi, coin).toBeGreaterThan(lo);
      const perPx = (hi - lo) / 208;
      // each fill's marker against the drawn mid around its x (± 1.5 px): the distance from the line's y range,
      // as a share of the price (taker fills sweep the book: in a cascade they are made away from the mid)
      for (const m of c.svg.matchAll(/class="marker [^"]*" data-time="\d+" d="M([\d.]+),([\d.]+)/g)) {
        const [x, y] = [Number(m[1]), Number(m[2])];
        const near = points.filter(([px]) => Math.abs(px - x) <= 1.5).map(([, py]) => py);
        expect(near.length, `${coin} x=${x}`).toBeGreaterThan(0);
        const off = (Math.max(0, Math.min(...near) - y, y - Math.max(...near)) * perPx) / lo;
        offs.push(off);
        worst = Math.max(worst, off);
      }
      console.log(`${coin}: ${c.n} mids drawn, ${c.markers.length} markers, axis ${lo} … ${hi}`);
    }
    const onLine = offs.filter((o) => o === 0).length;
    console.log(
      `fill markers on the drawn mid: ${onLine} of ${offs.length}; worst ${(worst * 100).toFixed(3)} % of the price away`,
    );
    expect(offs).toHaveLength(fills.length);
    expect(onLine / offs.length).toBeGreaterThanOrEqual(0.5);
    expect(worst).toBeLessThan(0.005);
    // the per-strategy table names the strategies the log names
    const table = /<table class="strategies">.*?<\/table>/s.exec(html)![0];
    expect(table).toContain('<td>cascade</td>');
  });
});
