import { afterEach, describe, expect, it } from 'vitest';
import { runSimCommand } from '../../sim/cli.ts';
import { SIM_EPOCH } from '../../sim/engine.ts';
import { StrategyEventLineSchema } from '../../sim/events.ts';
import { strategyEventsOf } from '../../sim/generate.ts';
import { type SimServer, startSim } from '../../sim/server.ts';
import { ManualClock } from '../../state/clock.ts';
import { channelOf, TestClient } from './client.ts';

let sim: SimServer | null = null;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await sim?.close();
  sim = null;
});

describe('sim speeds and CLI', () => {
  it('numeric speed runs on the injected clock: ×10 on a ManualClock', async () => {
    const clock = new ManualClock(1_767_225_600_000);
    sim = await startSim({ seed: 2, speed: 10, clock });
    expect(sim.engine.startTime).toBe(1_767_225_600_000);
    const idP = sim.nextConnection();
    const c = await TestClient.connect(sim.wsUrl);
    clients.push(c);
    const id = await idP;
    c.subscribe({ type: 'activeAssetCtx', coin: 'BTC' });
    await c.waitForCount(2);
    expect(sim.stats().blocks).toBe(0);
    clock.advance(1_000); // 10 s of simulated time
    expect(sim.now()).toBeGreaterThanOrEqual(1_767_225_609_900);
    expect(sim.stats().blocks).toBeGreaterThan(99);
    expect(sim.stats().blocks).toBeLessThan(144);
    const sent = sim.stats().connections.find((x) => x.id === id)!.framesSent;
    await c.waitForCount(sent);
    expect(c.frames.filter((f) => channelOf(f) === 'activeAssetCtx').length).toBeGreaterThanOrEqual(10);
  });

  it("runSimCommand serves at speed 'max', prints the URL and writes ground truth", async () => {
    const lines: string[] = [];
    const gt = `/tmp/sim-gt-${process.pid}.jsonl`;
    const h = await runSimCommand(
      { port: 0, seed: 7, scenario: 'default', speed: 'max', groundTruth: gt },
      (l) => lines.push(l),
    );
    try {
      expect(lines[0]).toContain(h.url);
      expect(h.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
      const c = await TestClient.connect(h.url);
      clients.push(c);
      c.subscribe({ type: 'trades', coin: 'ETH' });
      await c.waitFor((f) => channelOf(f) === 'trades');
    } finally {
      await h.close();
    }
    const { readFileSync, rmSync } = await import('node:fs');
    const rows = readFileSync(gt, 'utf8').trim().split('\n');
    rmSync(gt);
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.parse(rows[0]!)).toMatchObject({ coin: 'BTC', regime: 'DISABLED' });
  });

  it('rejects unknown scenarios with the list of known ones', async () => {
    await expect(runSimCommand({ port: 0, seed: 1, scenario: 'nope', speed: 1 }, () => {})).rejects.toThrow(
      /known: default, sideways, expansion-cascade, chop, exhaustion, cascade$/,
    );
  });

  it('the ground-truth file gets each labelled strategy event when it is over, as the engine lists it', async () => {
    const gt = `/tmp/sim-gt-events-${process.pid}.jsonl`;
    const h = await runSimCommand(
      { port: 0, seed: 7, scenario: 'exhaustion', speed: 'max', groundTruth: gt },
      () => {},
    );
    const until = SIM_EPOCH + 66 * 60_000;
    try {
      const c = await TestClient.connect(h.url);
      clients.push(c);
      c.subscribe({ type: 'l2Book', coin: 'BTC' });
      // wait on the simulated clock (the book's time), not the wall clock
      await c.waitFor((f) => channelOf(f) === 'l2Book' && JSON.parse(f).data.time >= until);
    } finally {
      await h.close();
    }
    const { readFileSync, rmSync } = await import('node:fs');
    const rows = readFileSync(gt, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    rmSync(gt);
    const written = rows
      .filter((r) => r.event === 'strategyEvent')
      .map((r) => StrategyEventLineSchema.parse(r))
      .map(({ event: _e, ...rest }) => rest);
    const listed = strategyEventsOf({ seed: 7, scenario: 'exhaustion', until, finishOpen: false });
    expect(listed.some((e) => e.kind === 'exhaustion')).toBe(true);
    // the server ran on past `until`: everything listed up to then was written, in the same order
    expect(written.slice(0, listed.length)).toEqual(listed);
  });
});
