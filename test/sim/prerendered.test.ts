/**
 * The pre-rendered simulator (sim/prerendered.ts) speaks the market protocol over a real loopback socket:
 * a subscribe gets its subscriptionResponse, a ping its pong, and it sends exactly the frames the seeded
 * generator produces for the subscribed channels, byte for byte and in order.
 */
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generate } from '../../sim/generate.ts';
import { type PrerenderedSim, startPrerenderedSim } from '../../sim/prerendered.ts';

let sim: PrerenderedSim | null = null;
afterAll(async () => sim?.close());

describe('pre-rendered simulator', () => {
  it('answers subscribe and ping, then sends the generated frames of the subscribed channels in order', async () => {
    sim = await startPrerenderedSim({
      seed: 5,
      scenario: 'default',
      coins: ['BTC'],
      speed: 100,
      seconds: 0.5,
    });
    const expected: string[] = [];
    generate({
      seed: 5,
      scenario: 'default',
      coins: ['BTC'],
      durationMs: 50_000,
      channels: ['l2Book', 'bbo', 'trades', 'activeAssetCtx'],
      onFrame: (t) => {
        if (t.startsWith('{"channel":"bbo"')) expected.push(t);
      },
    });
    const ws = new WebSocket(sim.url);
    const got: string[] = [];
    const done = new Promise<void>((resolve) => {
      ws.on('message', (d) => {
        const text = d.toString();
        got.push(text);
        if (got.filter((x) => x.startsWith('{"channel":"bbo"')).length === expected.length) resolve();
      });
    });
    await new Promise<void>((r) => ws.once('open', () => r()));
    ws.send(JSON.stringify({ method: 'ping' }));
    ws.send(JSON.stringify({ method: 'subscribe', subscription: { type: 'bbo', coin: 'BTC' } }));
    await done;
    ws.close();
    expect(got).toContain('{"channel":"pong"}');
    expect(got.find((x) => x.includes('subscriptionResponse'))).toBe(
      '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"bbo","coin":"BTC"}}}',
    );
    const bbo = got.filter((x) => x.startsWith('{"channel":"bbo"'));
    console.log(`pre-rendered: ${sim.frames} frames rendered, ${bbo.length} bbo frames received`);
    expect(bbo.length).toBeGreaterThan(10);
    expect(bbo).toEqual(expected);
    // nothing of a channel not subscribed
    expect(got.some((x) => x.startsWith('{"channel":"l2Book"'))).toBe(false);
  }, 30_000);
});
