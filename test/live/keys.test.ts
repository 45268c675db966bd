/**
 * Key isolation: the secrets holder reads env / file, validates, and redacts itself everywhere; pino
 * (runtime/logger.ts) never prints the key whether the holder, an error carrying it, or a whole live
 * session is logged; the live venue cannot be built without `liveTrading: true`; the signer worker
 * holds the key and the venue's object graph does not.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorkerSigner } from '../../actors/venue/live/signer.ts';
import { createLiveVenue, LiveTradingRefused, type LiveVenueOptions } from '../../actors/venue/live/venue.ts';
import { recoverL1Signer } from '../../hyperliquid/signing.ts';
import { orderAction } from '../../hyperliquid/wire.ts';
import { createLogger } from '../../runtime/logger.ts';
import { loadPrivateKey, PrivateKeyHolder, REDACTED, SecretError } from '../../runtime/secrets.ts';
import { SIM_EPOCH } from '../../sim/engine.ts';
import { ManualClock } from '../../state/clock.ts';
import { ADDR_A, bbo, KEY_A, type LiveRig, startRig, until } from './rig.ts';

const KEY_HEX = KEY_A.slice(2);

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ destination: stream, level: 'debug' }), text: () => chunks.join('') };
}

let rig: LiveRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe('secrets holder', () => {
  it('reads the key from the named environment variable or file, and validates it', () => {
    const h = loadPrivateKey({ keyEnv: 'MY_KEY' }, { env: { MY_KEY: `  ${KEY_A}\n` } });
    expect(h.address).toBe(ADDR_A);
    expect(h.withKey((k) => k)).toBe(KEY_A);
    const dir = mkdtempSync(join(tmpdir(), 'hl-key-'));
    const file = join(dir, 'key');
    writeFileSync(file, `${KEY_A}\n`);
    expect(loadPrivateKey({ keyFile: file, keyEnv: 'NOPE' }, { env: {} }).address).toBe(ADDR_A);
    expect(() => loadPrivateKey({ keyEnv: 'MISSING' }, { env: {} })).toThrow(/MISSING is not set/);
    expect(() => loadPrivateKey({ keyFile: join(dir, 'absent') })).toThrow(/cannot read it \(ENOENT\)/);
    // malformed: the error describes the shape, never the value
    const bad = `${KEY_A.slice(0, 60)}zz`;
    let err: unknown;
    try {
      loadPrivateKey({ keyEnv: 'K' }, { env: { K: bad } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecretError);
    expect(String((err as Error).message)).not.toContain(bad.slice(2, 40));
    expect(() => new PrivateKeyHolder(KEY_HEX, 'x')).toThrow(/no 0x prefix/);
  });

  it('redacts itself in JSON, strings, templates and inspect', () => {
    const h = new PrivateKeyHolder(KEY_A, 'env HL_PRIVATE_KEY');
    expect(JSON.stringify({ h })).toBe(`{"h":"${REDACTED}"}`);
    expect(String(h)).toBe(REDACTED);
    expect(`${h}`).toBe(REDACTED);
    expect(`${h}`.includes(KEY_HEX)).toBe(false);
    expect(inspect(h, { showHidden: true, depth: 10 })).not.toContain(KEY_HEX);
    expect(inspect({ nested: { h } }, { depth: 10 })).toContain(REDACTED);
    expect(Object.keys(h)).toEqual(['source']);
  });

  it('pino never prints the key: holder, error carrying it, nested objects', () => {
    const { logger, text } = capture();
    const h = new PrivateKeyHolder(KEY_A, 'env HL_PRIVATE_KEY');
    logger.info({ holder: h }, 'holder');
    logger.info(
      { key: h, privateKey: h, wallet: { privateKey: h }, config: { live: { keyValue: h } } },
      'paths',
    );
    logger.info(`template ${h}`);
    logger.info({ deep: { a: { b: { c: h } } } }, 'deep');
    const e = Object.assign(new Error('signing failed'), { holder: h, cause: h });
    logger.error({ err: e }, 'error with the holder attached');
    logger.error(e);
    try {
      loadPrivateKey({ keyEnv: 'K' }, { env: { K: `${KEY_A}00` } });
    } catch (err) {
      logger.error({ err }, 'malformed key');
    }
    const out = text();
    expect(out.split('\n').filter(Boolean).length).toBe(7);
    expect(out).toContain(REDACTED);
    expect(out).not.toContain(KEY_HEX);
    expect(out.toLowerCase()).not.toContain(KEY_HEX.toLowerCase());
  });
});

describe('live venue key isolation', () => {
  it('refuses to build without liveTrading: true', async () => {
    const clock = new ManualClock(SIM_EPOCH);
    const base: LiveVenueOptions = {
      liveTrading: false,
      clock,
      key: new PrivateKeyHolder(KEY_A, 'test'),
      isMainnet: false,
      httpUrl: 'http://127.0.0.1:9',
      wsUrl: 'ws://127.0.0.1:9/ws',
      fetch: () => Promise.reject(new Error('must not be called')),
    };
    await expect(createLiveVenue(base)).rejects.toBeInstanceOf(LiveTradingRefused);
    await expect(
      createLiveVenue({ ...base, liveTrading: 'true' as unknown as boolean }),
    ).rejects.toBeInstanceOf(LiveTradingRefused);
    await expect(
      createLiveVenue({ ...base, liveTrading: undefined as unknown as boolean }),
    ).rejects.toBeInstanceOf(LiveTradingRefused);
  });

  it('the signer worker holds the key: signatures verify, the main side never sees it', async () => {
    const h = new PrivateKeyHolder(KEY_A, 'test');
    const signer = await startWorkerSigner(h);
    try {
      expect(signer.address).toBe(ADDR_A);
      const action = orderAction([
        { asset: 0, isBuy: true, px: 1000, sz: '1', reduceOnly: false, type: { limit: { tif: 'Gtc' } } },
      ]);
      const sig = await signer.signL1({
        action,
        nonce: 123,
        vaultAddress: null,
        expiresAfter: null,
        isMainnet: true,
      });
      expect(recoverL1Signer({ action, nonce: 123, isMainnet: true, signature: sig })).toBe(ADDR_A);
      expect(inspect(signer, { showHidden: true, depth: 20 })).not.toContain(KEY_HEX);
    } finally {
      await signer.close();
    }
    await expect(
      signer.signL1({
        action: { type: 'scheduleCancel' },
        nonce: 1,
        vaultAddress: null,
        expiresAfter: null,
        isMainnet: true,
      }),
    ).rejects.toThrow(/closed/);
  });

  it('a whole live session (worker signer, pino logger) never logs the key', async () => {
    const { logger, text } = capture();
    rig = await startRig({ signer: 'worker', logger });
    const { venue, sim } = rig;
    const { bid } = bbo(sim, 'BTC');
    venue.submit({
      clientId: 'k1',
      coin: 'BTC',
      side: 'BUY',
      size: 0.001,
      limitPx: Math.round(bid * 0.95),
      tif: 'Gtc',
      reduceOnly: false,
    });
    await until(() => rig!.of('k1', 'accepted').length === 1, 'k1 accepted');
    logger.info({ venue: inspect(venue, { depth: 6 }) }, 'venue state');
    await rig.close();
    rig = null;
    const out = text();
    expect(out).toContain('reconciled');
    expect(out).not.toContain(KEY_HEX);
  });
});
