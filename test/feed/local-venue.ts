/**
 * A minimal scripted venue on loopback for the feed tests: a real `ws` server that acknowledges
 * subscriptions the way Hyperliquid does (normalised echo with defaults), answers pings unless told not
 * to, and lets the test push frames, reject subscriptions, and cut connections.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface VenueConn {
  ws: WebSocket;
  received: Array<Record<string, unknown>>;
  /** Frames this connection was sent by the test (data frames and control frames). */
  sent: number;
}

export interface LocalVenue {
  url: string;
  conns: VenueConn[];
  /** Answer pings with pongs (default true). */
  answerPings: boolean;
  /** Acknowledge subscriptions automatically (default true). */
  autoAck: boolean;
  /** Subscriptions (by coin) to reject with `Invalid subscription {…}`. */
  rejectCoins: Set<string>;
  current(): VenueConn | undefined;
  send(text: string, conn?: VenueConn): void;
  /** Resolves when `n` connections have been accepted in total. */
  connections(n: number): Promise<VenueConn>;
  /** Resolves when the connection has received `n` messages of this method. */
  messages(conn: VenueConn, method: string, n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalVenue(): Promise<LocalVenue> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws', perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as AddressInfo).port;
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  const until = (cond: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (cond()) resolve();
        else waiters.push(check);
      };
      check();
    });

  const venue: LocalVenue = {
    url: `ws://127.0.0.1:${port}/ws`,
    conns: [],
    answerPings: true,
    autoAck: true,
    rejectCoins: new Set(),
    current: () => venue.conns.at(-1),
    send(text, conn = venue.current()) {
      if (!conn) throw new Error('no connection');
      conn.sent++;
      conn.ws.send(text);
    },
    connections: (n) => until(() => venue.conns.length >= n).then(() => venue.conns[n - 1]!),
    messages: (conn, method, n) => until(() => conn.received.filter((m) => m.method === method).length >= n),
    async close() {
      for (const c of venue.conns) c.ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };

  wss.on('connection', (ws) => {
    const conn: VenueConn = { ws, received: [], sent: 0 };
    venue.conns.push(conn);
    ws.on('message', (raw) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(String(raw));
      } catch {
        return;
      }
      conn.received.push(m);
      if (m.method === 'ping' && venue.answerPings) venue.send('{"channel":"pong"}', conn);
      if (m.method === 'subscribe' && venue.autoAck) {
        const sub = m.subscription as Record<string, unknown>;
        if (venue.rejectCoins.has(String(sub.coin))) {
          venue.send(
            JSON.stringify({ channel: 'error', data: `Invalid subscription ${JSON.stringify(sub)}` }),
            conn,
          );
        } else {
          const echo = sub.type === 'l2Book' ? { nSigFigs: null, mantissa: null, fast: false, ...sub } : sub;
          venue.send(
            JSON.stringify({
              channel: 'subscriptionResponse',
              data: { method: 'subscribe', subscription: echo },
            }),
            conn,
          );
        }
      }
      wake();
    });
    wake();
  });
  return venue;
}

/** Yield to I/O until `cond` holds (no wall-clock sleeps: setImmediate turns), or fail after `turns`. */
export async function until(cond: () => boolean, what: string, turns = 200_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for: ${what}`);
}
