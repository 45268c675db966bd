import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, envOverrides, loadConfig, parseConfig } from '../../runtime/config.ts';
import { createLogger, scrubSecrets } from '../../runtime/logger.ts';

describe('config', () => {
  it('defaults pin the RULEBOOK', () => {
    const c = parseConfig({});
    expect(c.regime).toEqual({
      sideways: { oiRange15mMax: 0.006, fundingDevMax: 0.00002, depthAsymAbsMax: 0.25 },
      expansion: { oiBuild1hMin: 0.02, fundingDevMin: 0.00004, depthAsymAbsMin: 0.3 },
      confirmTicks: 3,
    });
    expect(c.strategy).toMatchObject({ armTimeoutMs: 30_000, maxHoldMs: 900_000, cooldownMs: 60_000 });
    expect(c.geometry).toMatchObject({
      rangeMinBps: 20,
      rangeMaxBps: 150,
      edgeZone: 0.15,
      breakBps: 5,
      stopBps: 10,
    });
    expect(c.risk).toMatchObject({
      dailyLossHalt: 0.02,
      maxCoinNotionalFraction: 0.2,
      maxTotalExposure: 1,
      riskPerTrade: 0.005,
      minNotionalUsd: 10,
    });
    expect(c.paper).toMatchObject({ takerFee: 0.00045, makerFee: 0.00015 });
    expect(c.control.tickMs).toBe(1000);
    expect(c.feed).toMatchObject({ pingAfterMs: 20_000, pongTimeoutMs: 10_000 });
    expect(c.journal.fsyncIntervalMs).toBeLessThanOrEqual(10);
    expect(c.ingest).toEqual({ spinUs: 1_000, youngGenerationMb: 8 });
  });

  it('a bad field gets a clear error naming it', () => {
    expect(() => parseConfig({ regime: { confirmTicks: 0 } })).toThrow(/regime\.confirmTicks/);
    expect(() => parseConfig({ risk: { startEquity: -1 } })).toThrow(/risk\.startEquity/);
    expect(() => parseConfig({ ingest: { spinUs: -1 } })).toThrow(/ingest\.spinUs/);
    expect(() => parseConfig({ ingest: { spinUs: 1.5 } })).toThrow(/ingest\.spinUs/);
    expect(() => parseConfig({ coinz: ['BTC'] })).toThrow(ConfigError);
    try {
      parseConfig({ dashboard: { host: '0.0.0.0' } });
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).issues[0]).toMatch(/^dashboard\.host:/);
    }
  });

  it('file < environment < flags; a key in the file is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const f = join(dir, 'c.json');
    writeFileSync(f, JSON.stringify({ coins: ['BTC'], risk: { startEquity: 5000 } }));
    const c = loadConfig({ file: f, env: { HLT_RISK__START_EQUITY: '7000' }, overrides: { coins: ['ETH'] } });
    expect(c.coins).toEqual(['ETH']);
    expect(c.risk.startEquity).toBe(7000);
    writeFileSync(f, JSON.stringify({ live: { key: '0xabc' } }));
    expect(() => loadConfig({ file: f })).toThrow(/must not hold a private key/);
    writeFileSync(f, '{ not json');
    expect(() => loadConfig({ file: f })).toThrow(/not valid JSON/);
  });

  it('environment paths map to camelCase fields', () => {
    expect(envOverrides({ HLT_FEED__PING_AFTER_MS: '15000', OTHER: 'x' })).toEqual({
      feed: { pingAfterMs: 15000 },
    });
  });
});

describe('logger redaction', () => {
  it('never prints a private key', () => {
    const lines: string[] = [];
    const dest = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ destination: dest as any, level: 'info' });
    const key = `0x${'ab'.repeat(32)}`;
    log.info({ privateKey: key, wallet: { privateKey: key }, venue: { key } }, 'starting');
    log.info(scrubSecrets(`failed to sign with ${key}`));
    const all = lines.join('');
    expect(all).not.toContain('abababab');
    expect(all).toContain('[REDACTED]');
  });
});
