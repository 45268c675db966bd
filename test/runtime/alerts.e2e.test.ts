/**
 * Alerts on the live stack (issue 22): simulator on loopback, real sockets, journal, worker, decision side, and
 * two webhook receivers on loopback — `ops`, which fails its first request (503) and then accepts, and `hang`,
 * which accepts connections and never answers. A KILL's halt reaches `ops` exactly once after one retry; the
 * decision side keeps ticking while `hang` holds a request open (the time the decision side spends handing
 * lines to the dispatcher is measured and printed); each outcome is an `alert` record in the journal, and
 * not in the decision log a replay rebuilds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalDays, readDays } from '../../actors/journal/days.ts';
import type { DecisionLine } from '../../decision/engine.ts';
import { AlertDispatcher, type AlertRecord } from '../../runtime/alerts.ts';
import { SystemClock, WarpClock } from '../../runtime/clocks.ts';
import { parseConfig } from '../../runtime/config.ts';
import { type RunningSystem, startSystem } from '../../runtime/system.ts';
import { type SimServer, startSim } from '../../sim/server.ts';
import { bytesJson, RecordKind } from '../../state/records.ts';

async function waitFor(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Rx {
  url: string;
  halts: unknown[];
  requests: number;
  server: Server;
  open: Set<ServerResponse>;
}

async function rx(mode: 'fail-first' | 'hang'): Promise<Rx> {
  const r: Rx = { url: '', halts: [], requests: 0, server: createServer(), open: new Set() };
  r.server.on('request', (req, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      r.requests++;
      if (mode === 'hang') {
        r.open.add(res);
        return;
      }
      if (r.requests === 1) {
        res.writeHead(503).end();
        return;
      }
      const b = JSON.parse(body) as { kind: string };
      if (b.kind === 'halt') r.halts.push(b);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hook`;
  return r;
}

describe('alerts on the live stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alerts-e2e-'));
  let sim: SimServer;
  let system: RunningSystem;
  let alerts: AlertDispatcher;
  let ops: Rx;
  let hang: Rx;
  const lines: DecisionLine[] = [];
  const outcomes: AlertRecord[] = [];
  const onLineUs: number[] = [];
  const ticks = () => system.engine()?.summary.ticks ?? 0;

  beforeAll(async () => {
    ops = await rx('fail-first');
    hang = await rx('hang');
    // ×50 from the start: a halt needs no warmed-up market (a control tick every 20 ms of wall time)
    const clock = new WarpClock(Math.floor(new SystemClock().now() / 1000) * 1000, 50, 0, 50);
    sim = await startSim({ seed: 7, scenario: 'sideways', clock, speed: 1, coins: ['BTC'] });
    const config = parseConfig({
      dataDir: dir,
      coins: ['BTC'],
      alerts: {
        webhooks: [
          { name: 'ops', url: ops.url, kinds: ['halt'], backoffMs: 50 },
          { name: 'hang', url: hang.url, timeoutMs: 60_000 },
        ],
      },
    });
    let ref: RunningSystem | null = null;
    alerts = new AlertDispatcher({
      config: config.alerts,
      now: () => clock.now(),
      journal: (r) => {
        outcomes.push(r);
        ref?.journalNote(r);
      },
    });
    system = await startSystem({
      config,
      url: sim.wsUrl,
      clock,
      journalDir: join(dir, 'journal'),
      logger: pino({ level: 'silent' }),
      onLine: (l) => {
        lines.push(l);
        const t0 = performance.now();
        alerts.onLine(l);
        onLineUs.push((performance.now() - t0) * 1000);
      },
    });
    ref = system;
    await waitFor(() => ticks() > 3, 'the first ticks');
  }, 60_000);

  afterAll(async () => {
    alerts?.close();
    await system?.stop();
    await sim?.close();
    for (const r of [ops, hang]) {
      for (const res of r?.open ?? []) res.destroy();
      r?.server.closeAllConnections();
      r?.server.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a halt reaches the webhook once, after one retry; a webhook that never answers delays no tick', async () => {
    system.command({ type: 'KILL', reason: 'alert test' });
    await waitFor(() => ops.halts.length > 0, 'the halt at the ops webhook');
    await waitFor(() => hang.requests > 0, 'a request held open by the hanging webhook');
    // the decision side goes on ticking while that request hangs
    const t0 = ticks();
    await waitFor(() => ticks() > t0 + 20, '20 more ticks while a webhook hangs');
    expect(hang.open.size).toBe(1);
    expect(ops.requests).toBe(2);
    expect(ops.halts).toHaveLength(1);
    expect(ops.halts[0]).toMatchObject({ kind: 'halt', record: { kind: 'exec.trading', state: 'HALTED' } });
    const forOps = outcomes.filter((o) => o.webhook === 'ops');
    expect(forOps.map((o) => [o.outcome, o.attempt, o.status])).toEqual([
      ['retry', 1, 503],
      ['sent', 2, 200],
    ]);
    const sorted = [...onLineUs].sort((a, b) => a - b);
    const q = (p: number) => Number(sorted[Math.floor(p * (sorted.length - 1))]!.toFixed(1));
    console.log(
      JSON.stringify({
        bench: 'alerts: decision side time in AlertDispatcher.onLine, live stack, one webhook hanging',
        lines: sorted.length,
        p50Us: q(0.5),
        p99Us: q(0.99),
        maxUs: q(1),
        ticksWhileHanging: ticks() - t0,
      }),
    );
  }, 60_000);

  it('the outcomes are alert records in the journal, and no alert is in the decision log', async () => {
    const n = outcomes.length;
    await system.stop();
    const journaled = [...readDays(journalDays(join(dir, 'journal')))]
      .map((e) => e.record)
      .filter((r) => r.kind === RecordKind.Decision && r.channel === 'alert')
      .map((r) => bytesJson<AlertRecord>(r.data));
    expect(journaled.length).toBeGreaterThanOrEqual(2);
    expect(
      journaled
        .slice(0, n)
        .filter((r) => r.webhook === 'ops')
        .map((r) => r.outcome),
    ).toEqual(['retry', 'sent']);
    expect(lines.some((l) => l.kind === 'alert')).toBe(false);
  }, 60_000);
});
