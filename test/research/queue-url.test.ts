/** The `--redis` URL of `runtime sweep` / `runtime worker`: checked before anything connects. */
import { describe, expect, it } from 'vitest';
import { checkRedisUrl, parseRedisUrl, QueueConfigError, redisConnection } from '../../research/queue.ts';

describe('redis URLs', () => {
  it('parses host, port, database and credentials; refuses anything else with a clear message', () => {
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

  it('hands BullMQ connection options for its ioredis clients (blocking commands wait through a reconnect)', () => {
    expect(redisConnection('redis://127.0.0.1:6390/1')).toEqual({
      host: '127.0.0.1',
      port: 6390,
      db: 1,
      maxRetriesPerRequest: null,
    });
    expect(() => checkRedisUrl('tcp://x')).toThrow(QueueConfigError);
  });
});
