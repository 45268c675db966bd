/**
 * The configured feed timings reach the connection machine (issue 20, defect 13: the reconnect backoff was
 * handed over as flat keys under a cast and never applied).
 */
import { describe, expect, it } from 'vitest';
import { resolveTimings } from '../../machines/connection.machine.ts';
import { parseConfig } from '../../runtime/config.ts';
import { decisionLevel, feedTimings } from '../../runtime/system.ts';

describe('feed timings from the config', () => {
  it('backoff base and max reach the machine, as do ping, pong and receive timeouts', () => {
    const config = parseConfig({
      feed: {
        backoffBaseMs: 1234,
        backoffMaxMs: 5678,
        pingAfterMs: 11_000,
        pongTimeoutMs: 7_000,
        receiveTimeoutMs: 33_000,
      },
    });
    const t = resolveTimings(feedTimings(config.feed));
    expect(t.backoff.baseMs).toBe(1234);
    expect(t.backoff.maxMs).toBe(5678);
    expect(t.pingAfterMs).toBe(11_000);
    expect(t.pongTimeoutMs).toBe(7_000);
    expect(t.receiveTimeoutMs).toBe(33_000);
  });

  it('the defaults of the config, not of the machine, apply when the file says nothing', () => {
    const t = resolveTimings(feedTimings(parseConfig({}).feed));
    expect(t.backoff.baseMs).toBe(250);
    expect(t.backoff.maxMs).toBe(30_000);
  });
});

describe('decision records at their log level', () => {
  it('a halt is an error, alarms and rejected books warnings, decisions info, the rest debug', () => {
    expect(
      decisionLevel({ t: 1, kind: 'exec.trading', state: 'HALTED', reason: 'kill switch: operator' }),
    ).toBe('error');
    expect(
      decisionLevel({
        t: 1,
        kind: 'exec.trading',
        state: 'HALTED',
        reason: 'kill switch: shutdown: flatten',
      }),
    ).toBe('info');
    expect(decisionLevel({ t: 1, kind: 'exec.trading', state: 'ACTIVE' })).toBe('info');
    for (const kind of [
      'alarm',
      'exec.alarm',
      'strategy.error',
      'intent.rejected',
      'book.rejected',
      'health.waiting',
      'restart.recovered',
    ])
      expect(decisionLevel({ t: 1, kind }), kind).toBe('warn');
    // an execution error is an error (issue 15: alarms at the right level, not info or debug)
    expect(decisionLevel({ t: 1, kind: 'exec.error' })).toBe('error');
    for (const kind of ['regime', 'gate', 'health', 'strategy', 'lease', 'operator.applied', 'exec.fill'])
      expect(decisionLevel({ t: 1, kind }), kind).toBe('info');
    expect(decisionLevel({ t: 1, kind: 'exec.order' })).toBe('debug');
  });
});
