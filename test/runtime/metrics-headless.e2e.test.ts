/**
 * Metrics headless (issue 22): `runtime start --no-dashboard` still serves `/metrics` (on its own loopback
 * server, named in the data dir's lock), `runtime status` reads the running instance's state through it with
 * the data dir's token, and the Grafana dashboard in the repo (docs/grafana/hl-regime-trader.json) is valid and
 * charts only metrics that endpoint serves, with labels they carry — and every metric of the process's own.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../runtime/metrics.ts';
import { BIN, ensureBuilt, ROOT, spawnRuntime } from '../setup/runtime-bin.ts';

const dir = mkdtempSync(join(tmpdir(), 'metrics-headless-'));
beforeAll(ensureBuilt, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { uid: string };
  targets: { refId: string; expr: string }[];
}
const GRAFANA = JSON.parse(readFileSync(join(ROOT, 'docs/grafana/hl-regime-trader.json'), 'utf8')) as {
  __inputs: { name: string; type: string; pluginId: string }[];
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
};

/** Metric names as they appear in the exposition text (`# TYPE name type`; a histogram also as its series). */
function servedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (!m) continue;
    names.add(m[1]!);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1]! + s);
  }
  return names;
}

describe('the Grafana dashboard', () => {
  it('is a valid dashboard: unique panel ids, a 24-column grid, every query on the imported Prometheus', () => {
    expect(GRAFANA.uid).toBe('hl-regime-trader');
    expect(GRAFANA.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(GRAFANA.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ]);
    const ids = GRAFANA.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of GRAFANA.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.datasource.uid, p.title).toBe(`\${DS_PROMETHEUS}`);
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.expr, p.title).toMatch(/hl_[a-z0-9_]+/);
    }
  });

  it('charts only series the process defines, grouped by labels they carry, and every metric of its own', async () => {
    const m = createMetrics({ processMetrics: true });
    const names = servedNames(await m.text());
    const used = new Set<string>();
    let groupings = 0;
    for (const p of GRAFANA.panels)
      for (const t of p.targets) {
        const metrics = t.expr.match(/hl_[a-z0-9_]+/g) ?? [];
        for (const name of metrics) {
          expect(names.has(name), `${p.title}: ${name}`).toBe(true);
          used.add(name.replace(/_(bucket|sum|count)$/, ''));
        }
        for (const by of t.expr.matchAll(/by \(([^)]*)\)/g)) {
          const labels = by[1]!.split(',').map((s) => s.trim());
          for (const l of labels.filter((x) => x !== 'le')) {
            groupings++;
            const carried = metrics.some((name) => {
              const metric = m.registry.getSingleMetric(name.replace(/_bucket$/, ''));
              return (metric as unknown as { labelNames?: string[] } | undefined)?.labelNames?.includes(l);
            });
            expect(carried, `${p.title}: by ${l}`).toBe(true);
          }
        }
      }
    const own = [...names].filter((n) => !/_(bucket|sum|count)$/.test(n) && !/^hl_(process|nodejs)_/.test(n));
    for (const n of own) expect(used.has(n), `not charted: ${n}`).toBe(true);
    console.log(
      JSON.stringify({
        panels: GRAFANA.panels.length,
        metricsCharted: used.size,
        own: own.length,
        groupings,
      }),
    );
  });
});

describe('runtime start --no-dashboard', () => {
  it('serves /metrics on its own server, and runtime status reads the instance through it', async () => {
    const data = join(dir, 'headless');
    const p = spawnRuntime(['start', '--data', data, '--no-dashboard', '--log-level', 'warn']);
    try {
      await p.waitForOutput(
        (o) => /^metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/m.test(o),
        'the metrics line',
      );
      await p.waitForJournalBytes(100_000);
      const url = /^metrics: (\S+)$/m.exec(p.stdout())![1]!;
      // the frame counters move with the ingest worker's stats (every statsEveryMs): poll until they have
      const scrape = async () => {
        const res = await fetch(url);
        expect(res.status).toBe(200);
        return res.text();
      };
      await expect
        .poll(scrape, { timeout: 30_000, interval: 250 })
        .toMatch(/^hl_frames_total\{channel="l2Book"\} \d+/m);
      const text = await scrape();
      // the served names cover everything the Grafana dashboard charts
      const names = servedNames(text);
      for (const panel of GRAFANA.panels)
        for (const t of panel.targets)
          for (const name of t.expr.match(/hl_[a-z0-9_]+/g) ?? []) expect(names.has(name), name).toBe(true);
      // the snapshot API needs the token
      expect((await fetch(url.replace('/metrics', '/api/snapshot'))).status).toBe(401);
      const st = spawnSync(process.execPath, [BIN, 'status', '--data', data, '--json'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(st.status, st.stderr).toBe(0);
      const status = JSON.parse(st.stdout) as {
        running: boolean;
        snapshot: { tradingState: string; health: { level: string } } | null;
        why?: string;
      };
      expect(status.running).toBe(true);
      expect(status.why).toBeUndefined();
      expect(status.snapshot?.tradingState).toBe('ACTIVE');
      expect(['WARMING', 'HEALTHY', 'DEGRADED']).toContain(status.snapshot?.health.level);
      // for scripts and cron: the text form names health, trading state and the last tick's age
      const statusText = () =>
        spawnSync(process.execPath, [BIN, 'status', '--data', data], {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 30_000,
        }).stdout;
      await expect.poll(statusText, { timeout: 60_000, interval: 500 }).toMatch(/last tick \d+\.\d s ago/);
      const shown = statusText();
      expect(shown).toMatch(/^ {2}trading ACTIVE, equity \d/m);
      expect(shown).toMatch(/^ {2}health (WARMING|HEALTHY|DEGRADED)/m);
      p.child.kill('SIGINT');
      const { code } = await p.exited;
      expect(code, p.stderr()).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
  }, 120_000);
});
