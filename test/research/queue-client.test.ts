/**
 * The RESP client BullMQ talks to Redis through (research/redis-client.ts): replies decoded whole or not at
 * all from partial reads (every split point of a reply stream), error replies as errors (inside an EXEC
 * array an element, at top level a rejection), commands encoded as bulk-string arrays (binary-safe), URLs
 * checked; against a real redis-server: replies in order, a MULTI/EXEC burst, and a server gone rejects the
 * waiting commands with the "Connection closed" BullMQ's adapter reconnects on.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  decodeReply,
  encodeCommand,
  parseRedisUrl,
  type RedisReply,
  RedisRawClient,
  RedisReplyError,
} from '../../research/redis-client.ts';

const STREAM = Buffer.from(
  '+OK\r\n:42\r\n$4\r\nhé!\r\n$-1\r\n*3\r\n:1\r\n-ERR nested\r\n*2\r\n$1\r\na\r\n*-1\r\n-WRONGTYPE top\r\n$0\r\n\r\n',
);

function decodeAll(buf: Buffer): RedisReply[] {
  const out: RedisReply[] = [];
  let at = 0;
  for (;;) {
    const r = decodeReply(buf, at);
    if (!r) break;
    out.push(r[0]);
    at = r[1];
  }
  return out;
}

describe('RESP decoding and encoding', () => {
  it('decodes every reply type; a partial buffer decodes only the replies it holds whole', () => {
    const all = decodeAll(STREAM);
    expect(all.length).toBe(7);
    expect(all[6]).toBe('');
    expect(all.slice(0, 4)).toEqual(['OK', 42, 'hé!', null]);
    const arr = all[4] as RedisReply[];
    expect(arr[0]).toBe(1);
    expect(arr[1]).toBeInstanceOf(RedisReplyError);
    expect((arr[1] as Error).message).toBe('ERR nested');
    expect(arr[2]).toEqual(['a', null]);
    expect(all[5]).toBeInstanceOf(RedisReplyError);
    let splits = 0;
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const head = decodeAll(STREAM.subarray(0, cut));
      // a prefix decodes to a prefix of the whole decoding, never to something else
      expect(head.map(String)).toEqual(all.slice(0, head.length).map(String));
      splits++;
    }
    console.log(`RESP decoding checked at ${splits} split points`);
    expect(() => decodeReply(Buffer.from('?x\r\n'), 0)).toThrow(/unexpected reply type/);
  });

  it('encodes a command as an array of bulk strings, binary-safe', () => {
    expect(encodeCommand('SET', ['k', 'v\r\n']).toString()).toBe(
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n',
    );
    const bin = encodeCommand('SET', ['k', Buffer.from([0, 255])]);
    expect(bin.subarray(-4)).toEqual(Buffer.from([0, 255, 13, 10]));
  });

  it('checks URLs', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({ host: '127.0.0.1', port: 6380, db: 2 });
    expect(parseRedisUrl('redis://u:p%40ss@h')).toEqual({
      host: 'h',
      port: 6379,
      username: 'u',
      password: 'p@ss',
    });
    expect(() => parseRedisUrl('http://h')).toThrow(/expected a redis:\/\/ URL/);
    expect(() => parseRedisUrl('nope')).toThrow(/not a URL/);
    expect(() => parseRedisUrl('redis://h/x')).toThrow(/not a number/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

describe('a server that speaks no RESP', () => {
  it('garbage in a reply closes the connection and rejects what waits; nothing throws out of the socket', async () => {
    const server = createServer((sock) => sock.on('data', () => sock.write('?garbage\r\n')));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
    const a = server.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    try {
      const c = new RedisRawClient(`redis://127.0.0.1:${port}`);
      const errors: unknown[] = [];
      c.onerror = (e) => errors.push(e);
      await c.connect();
      await expect(c.send('PING', [])).rejects.toThrow(/Connection closed/);
      expect(c.connected).toBe(false);
      expect(String(errors[0])).toMatch(/unexpected reply type/);
    } finally {
      await new Promise<void>((res) => server.close(() => res()));
    }
  });
});

describe('against a real redis-server', () => {
  it('replies in order, MULTI/EXEC, SELECT from the URL; a server gone rejects what waits', async () => {
    const port = await freePort();
    const server = spawn('/usr/bin/redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    const exited = new Promise<void>((res) => server.once('exit', () => res()));
    try {
      await new Promise<void>((resolve, reject) => {
        let text = '';
        const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${text}`)), 20_000);
        server.stdout.on('data', (b: Buffer) => {
          text += b.toString();
          if (text.includes('Ready to accept connections')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const c = new RedisRawClient(`redis://127.0.0.1:${port}/3`);
      let connects = 0;
      const closes: unknown[] = [];
      c.onconnect = () => connects++;
      c.onclose = (e) => closes.push(e);
      await c.connect();
      expect(c.connected).toBe(true);
      expect(connects).toBe(1);
      const replies = await Promise.all(
        Array.from({ length: 200 }, (_, i) => c.send('SET', [`k${i}`, `v${i}`]).then(() => c.get(`k${i}`))),
      );
      expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`));
      expect(await c.send('CLIENT', ['INFO'])).toMatch(/db=3/);
      const multi = c.send('MULTI', []);
      const q1 = c.send('INCR', ['n']);
      const q2 = c.send('LPUSH', ['n', 'x']); // wrong type: an error inside EXEC
      const exec = await c.send<RedisReply[]>('EXEC', []);
      expect([await multi, await q1, await q2]).toEqual(['OK', 'QUEUED', 'QUEUED']);
      expect(exec[0]).toBe(1);
      expect(exec[1]).toBeInstanceOf(RedisReplyError);
      await expect(c.send('NOSUCHCOMMAND', [])).rejects.toThrow(/unknown command/i);
      expect(await c.incr('n')).toBe(2);
      // the server dies with a blocking command waiting: it is rejected, the client says it closed
      const blocked = c.send('BLPOP', ['nothing', '0']);
      server.kill('SIGKILL');
      await expect(blocked).rejects.toThrow(/Connection closed/);
      expect(c.connected).toBe(false);
      expect(closes.length).toBe(1);
      await expect(c.send('PING', [])).rejects.toThrow(/Connection is closed/);
    } finally {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
      await exited;
    }
  }, 60_000);
});
