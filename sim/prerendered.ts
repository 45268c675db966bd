/**
 * The simulated market pre-rendered: the frames of a seeded scenario generated before serving (the same
 * frames, byte for byte, that the live simulator sends for those subscriptions), then played over a real
 * loopback WebSocket at ×speed on the wall clock. Playing costs a `send` per frame and nothing else, so a
 * load test at thousands of frames per second measures the system under test, not the load generator
 * (at ×230 the live simulator takes most of a 2-core machine by itself).
 *
 * It speaks the market side of the protocol (docs/hyperliquid-protocol.md §1): subscribe requests get
 * their `subscriptionResponse`, `ping` its `pong`; frames are sent for the channels subscribed on that
 * connection (l2Book, bbo, trades, activeAssetCtx), in generation order. Used by `runtime sim
 * --prerender S` and the ingest-latency benchmark.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { PONG_FRAME, subscriptionResponseFrame } from './frames.ts';
import { generate, type MarketChannel } from './generate.ts';
import { parseClientRequest } from './subscriptions.ts';

export interface PrerenderedOptions {
  seed: number;
  scenario: string;
  coins?: string[];
  /** × real time while playing. */
  speed: number;
  /** Wall-clock seconds of play to render (sim time = seconds × speed). */
  seconds: number;
  /** l2Book with fast:true (the system's default subscription). */
  fast?: boolean;
  port?: number;
}

export interface PrerenderedSim {
  url: string;
  frames: number;
  /** Sim-time length rendered (ms). */
  simMs: number;
  close(): Promise<void>;
}

const CHANNELS: readonly MarketChannel[] = ['l2Book', 'bbo', 'trades', 'activeAssetCtx'];

/** The channel of a frame as the generator wrote it (`{"channel":"bbo",…`). */
function channelOf(text: string): string {
  const m = /^\{"channel":"([A-Za-z0-9]+)"/.exec(text);
  return m ? m[1]! : '';
}

export async function startPrerenderedSim(opts: PrerenderedOptions): Promise<PrerenderedSim> {
  const texts: string[] = [];
  const times: number[] = [];
  const channels: string[] = [];
  const coins = opts.coins ?? ['BTC', 'ETH', 'SOL'];
  const genOpts: Parameters<typeof generate>[0] = {
    seed: opts.seed,
    scenario: opts.scenario,
    coins,
    durationMs: opts.seconds * opts.speed * 1000,
    channels: CHANNELS,
    onFrame: (text, t) => {
      texts.push(text);
      times.push(t);
      channels.push(channelOf(text));
    },
  };
  if (opts.fast !== undefined) genOpts.fast = opts.fast;
  generate(genOpts);
  const t0 = times[0] ?? 0;
  const simMs = (times.at(-1) ?? t0) - t0;

  const http = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server: http, path: '/ws' });
  const coinSet = new Set(coins);
  const players = new Set<() => void>();
  wss.on('connection', (ws: WebSocket) => {
    const subscribed = new Set<string>();
    let playing = false;
    let i = 0;
    let start = 0;
    let timer: NodeJS.Timeout | null = null;
    const play = () => {
      timer = null;
      if (ws.readyState !== ws.OPEN) return;
      const now = performance.now();
      // every frame due by now, in order; then wait for the next one
      while (i < texts.length && t0 + (now - start) * opts.speed >= times[i]!) {
        if (subscribed.has(channels[i]!)) ws.send(texts[i]!);
        i++;
      }
      if (i >= texts.length) return;
      const waitMs = (times[i]! - t0) / opts.speed - (now - start);
      timer = waitMs > 1 ? setTimeout(play, waitMs - 0.5) : setTimeout(play, 0);
    };
    const stop = () => {
      if (timer) clearTimeout(timer);
    };
    players.add(stop);
    ws.on('close', () => {
      stop();
      players.delete(stop);
    });
    ws.on('message', (data) => {
      const req = parseClientRequest(data.toString(), coinSet);
      if (req.kind === 'ping') ws.send(PONG_FRAME);
      else if (req.kind === 'subscribe') {
        ws.send(subscriptionResponseFrame('subscribe', req.sub.key));
        subscribed.add(req.sub.type);
        if (!playing) {
          playing = true;
          start = performance.now();
          play();
        }
      }
    });
  });
  await new Promise<void>((res) => http.listen(opts.port ?? 0, '127.0.0.1', res));
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    frames: texts.length,
    simMs,
    close: async () => {
      for (const stop of players) stop();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((res) => wss.close(() => http.close(() => res())));
    },
  };
}
