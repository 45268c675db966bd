/**
 * A minimal Redis client for BullMQ, over one TCP connection speaking RESP2: what BullMQ's own adapter for
 * a "raw" client (`createBunRedisClient`: `send` + `connected`, the shape of Bun's built-in client) needs —
 * connect, send a command and read its reply in order, close, and the `onconnect` / `onclose` callbacks.
 * BullMQ keeps the queue logic (its Lua scripts, locks, stalled-job checks, retries, reconnects); this only
 * carries bytes. It exists because the installed BullMQ finds no `ioredis` here (its optional client);
 * with `ioredis` installed, `redisConnection` hands BullMQ plain connection options instead.
 *
 * Commands are written to the socket in call order, at once (a MULTI … EXEC burst stays contiguous), and
 * replies resolve them in that order; an error reply rejects its own command (inside an EXEC array it is an
 * `Error` element, as BullMQ expects); a closed connection rejects every command waiting on it with
 * "Connection closed", which BullMQ's adapter treats as a dropped connection and reconnects.
 */
import { connect as netConnect, type Socket } from 'node:net';

export type RedisArg = string | Buffer;
export type RedisReply = string | number | null | Error | RedisReply[];

/** An error reply of the server (`-ERR …`). */
export class RedisReplyError extends Error {}

export interface RedisTarget {
  host: string;
  port: number;
  db?: number;
  username?: string;
  password?: string;
}

/** `redis://[user:pass@]host[:port][/db]` → target; throws a clear error for anything else. */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${url}: not a URL (expected redis://host:port[/db])`);
  }
  if (u.protocol !== 'redis:') throw new Error(`${url}: expected a redis:// URL, got ${u.protocol}`);
  const t: RedisTarget = { host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 6379 };
  const db = u.pathname.replace(/^\//, '');
  if (db !== '') {
    const n = Number(db);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${url}: database '${db}' is not a number`);
    t.db = n;
  }
  if (u.username) t.username = decodeURIComponent(u.username);
  if (u.password) t.password = decodeURIComponent(u.password);
  return t;
}

const CRLF = Buffer.from('\r\n');

/** One command as RESP: an array of bulk strings. */
export function encodeCommand(command: string, args: readonly RedisArg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length + 1}\r\n`)];
  for (const a of [command, ...args]) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}

/** One reply from `buf` at `at`: the value and where the next begins, or null when it is not all there yet. */
export function decodeReply(buf: Buffer, at: number): [RedisReply, number] | null {
  const eol = buf.indexOf(CRLF, at);
  if (eol < 0) return null;
  const type = buf[at];
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case 0x2b: // + simple string
      return [line, next];
    case 0x2d: // - error
      return [new RedisReplyError(line), next];
    case 0x3a: // : integer
      return [Number(line), next];
    case 0x24: {
      // $ bulk string
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return null;
      return [buf.toString('utf8', next, next + n), next + n + 2];
    }
    case 0x2a: {
      // * array
      const n = Number(line);
      if (n < 0) return [null, next];
      const out: RedisReply[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = decodeReply(buf, p);
        if (r === null) return null;
        out.push(r[0]);
        p = r[1];
      }
      return [out, p];
    }
    default:
      throw new Error(`redis: unexpected reply type ${JSON.stringify(String.fromCharCode(type ?? 0))}`);
  }
}

interface Waiting {
  resolve: (v: RedisReply) => void;
  reject: (e: Error) => void;
}

/** One connection. `new RedisRawClient(url)` (BullMQ's adapter makes its duplicates that way). */
export class RedisRawClient {
  connected = false;
  onconnect: ((...args: unknown[]) => void) | null = null;
  onclose: ((...args: unknown[]) => void) | null = null;
  onerror: ((...args: unknown[]) => void) | null = null;
  private socket: Socket | null = null;
  private waiting: Waiting[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private closing = false;
  private readonly target: RedisTarget;

  constructor(readonly url: string) {
    this.target = parseRedisUrl(url);
  }

  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    this.closing = false;
    return new Promise((resolve, reject) => {
      const s = netConnect({ host: this.target.host, port: this.target.port });
      s.setNoDelay(true);
      let opened = false;
      s.once('connect', () => {
        opened = true;
        this.socket = s;
        void this.handshake().then(
          () => {
            this.connected = true;
            resolve();
            this.onconnect?.();
          },
          (e: Error) => {
            s.destroy();
            reject(e);
          },
        );
      });
      s.on('data', (d: Buffer) => this.data(d));
      s.on('error', (e) => {
        if (!opened) reject(e);
        else this.onerror?.(e);
      });
      s.on('close', () => this.closed(opened));
    });
  }

  /** AUTH and SELECT before the connection counts as connected. */
  private async handshake(): Promise<void> {
    const t = this.target;
    if (t.password !== undefined)
      await this.write('AUTH', t.username !== undefined ? [t.username, t.password] : [t.password]);
    if (t.db !== undefined && t.db !== 0) await this.write('SELECT', [String(t.db)]);
  }

  private closed(opened: boolean): void {
    const was = this.connected;
    this.connected = false;
    this.socket = null;
    this.buf = Buffer.alloc(0);
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.reject(new Error('Connection closed'));
    if (opened || was) this.onclose?.(this.closing ? undefined : new Error('Connection closed'));
  }

  private data(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    let at = 0;
    for (;;) {
      let r: [RedisReply, number] | null;
      try {
        r = decodeReply(this.buf, at);
      } catch (e) {
        // not RESP: nothing after it can be trusted — the connection closes and what waits is rejected
        this.onerror?.(e);
        this.socket?.destroy();
        return;
      }
      if (r === null) break;
      at = r[1];
      const w = this.waiting.shift();
      if (!w) continue; // a reply nobody waits for (cannot happen: one per command)
      if (r[0] instanceof RedisReplyError) w.reject(r[0]);
      else w.resolve(r[0]);
    }
    this.buf = at >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(at);
  }

  private write(command: string, args: readonly RedisArg[]): Promise<RedisReply> {
    const s = this.socket;
    if (s === null) return Promise.reject(new Error('Connection is closed.'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      s.write(encodeCommand(command, args));
    });
  }

  send<T = RedisReply>(command: string, args: RedisArg[]): Promise<T> {
    if (!this.connected) return Promise.reject(new Error('Connection is closed.'));
    return this.write(command, args).then((v) => v as T);
  }

  get(key: string): Promise<string | null> {
    return this.send<string | null>('GET', [key]);
  }

  smembers(key: string): Promise<RedisReply[]> {
    return this.send<RedisReply[]>('SMEMBERS', [key]);
  }

  incr(key: string): Promise<number> {
    return this.send<number>('INCR', [key]);
  }

  close(): void {
    this.closing = true;
    this.socket?.end();
  }
}
