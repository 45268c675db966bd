import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { guarded } from '../../runtime/commands/common.ts';
import {
  ConfigError,
  ConfigSchema,
  envOverrides,
  loadConfig,
  objectShapeOf,
  parseConfig,
} from '../../runtime/config.ts';
import { createLogger, scrubSecrets } from '../../runtime/logger.ts';

describe('config', () => {
  it('defaults pin the RULEBOOK', () => {
    const c = parseConfig({});
    expect(c.regime).toEqual({
      sideways: { oiRange15mMax: 0.006, fundingDevMax: 0.00002, depthAsymAbsMax: 0.25 },
      expansion: { oiBuild1hMin: 0.02, fundingDevMin: 0.00004, depthAsymAbsMin: 0.3 },
      confirmTicks: 3,
    });
    expect(c.strategy).toEqual({ exitRetryMs: 2_000, entryTimeoutMs: 5_000 });
    expect(c.strategies.geometry).toMatchObject({
      enabled: true,
      armTimeoutMs: 30_000,
      maxHoldMs: 900_000,
      cooldownMs: 60_000,
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
    expect(c.ingest).toEqual({ spinUs: 1_000, youngGenerationMb: 8, oldSpaceMb: 64 });
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

/** Every object section of the schema, as paths (the root is []). */
function sections(): string[][] {
  const out: string[][] = [];
  const walk = (s: z.core.$ZodType, path: string[]) => {
    const shape = objectShapeOf(s);
    if (!shape) return;
    out.push(path);
    for (const [k, v] of Object.entries(shape)) walk(v, [...path, k]);
  };
  walk(ConfigSchema, []);
  return out;
}

/** Every leaf field of the schema, as dotted paths. */
function leaves(): string[] {
  const out: string[] = [];
  const walk = (s: z.core.$ZodType, path: string[]) => {
    const shape = objectShapeOf(s);
    if (!shape) {
      out.push(path.join('.'));
      return;
    }
    for (const [k, v] of Object.entries(shape)) walk(v, [...path, k]);
  };
  walk(ConfigSchema, []);
  return out;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

/** A logger whose every line lands in `lines` (no pretty transport). */
function capturingLogger(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger({ destination: dest as any, level: 'trace' }), lines };
}

const KEY_HEX = 'c0ffee'.repeat(10) + 'beef';
const KEYS = [KEY_HEX, `0x${KEY_HEX}`, `0X${KEY_HEX.toUpperCase()}`];

describe('strict config (issue 20 item 7)', () => {
  it('a typo in a nested section is an error naming the key and its nearest valid name', () => {
    const e = configError(() => parseConfig({ risk: { dailyLosHalt: 0.05 } }));
    expect(e.issues).toEqual(['risk.dailyLosHalt: unknown key — did you mean risk.dailyLossHalt?']);
    expect(e.message).toContain('risk.dailyLosHalt: unknown key — did you mean risk.dailyLossHalt?');
  });

  it('the same typo from the file names the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const f = join(dir, 'c.json');
    writeFileSync(f, JSON.stringify({ risk: { dailyLosHalt: 0.05 } }));
    const e = configError(() => loadConfig({ file: f }));
    expect(e.message).toContain(f);
    expect(e.issues).toEqual(['risk.dailyLosHalt: unknown key — did you mean risk.dailyLossHalt?']);
  });

  it('the same typo from the environment names the variable', () => {
    const e = configError(() => loadConfig({ env: { HLT_RISK__DAILY_LOS_HALT: '0.05' } }));
    expect(e.issues).toEqual([
      'HLT_RISK__DAILY_LOS_HALT (risk.dailyLosHalt): unknown key — did you mean risk.dailyLossHalt (HLT_RISK__DAILY_LOSS_HALT)?',
    ]);
    // the right spelling works
    expect(loadConfig({ env: { HLT_RISK__DAILY_LOSS_HALT: '0.05' } }).risk.dailyLossHalt).toBe(0.05);
  });

  it('a typo in a section name, and at the root, is caught too', () => {
    expect(configError(() => parseConfig({ rsik: { dailyLossHalt: 0.05 } })).issues).toEqual([
      'rsik: unknown key — did you mean risk?',
    ]);
    expect(
      configError(() => loadConfig({ env: { HLT_REGIME__SIDWAYS__OI_RANGE15M_MAX: '0.01' } })).issues,
    ).toEqual([
      'HLT_REGIME__SIDWAYS__OI_RANGE15M_MAX (regime.sidways): unknown key — did you mean regime.sideways (HLT_REGIME__SIDEWAYS)?',
    ]);
    expect(
      configError(() => loadConfig({ env: { HLT_REGIME__SIDEWAYS__OI_RANGE15M_MAXX: '0.01' } })).issues,
    ).toEqual([
      'HLT_REGIME__SIDEWAYS__OI_RANGE15M_MAXX (regime.sideways.oiRange15mMaxx): unknown key — did you mean regime.sideways.oiRange15mMax (HLT_REGIME__SIDEWAYS__OI_RANGE15M_MAX)?',
    ]);
    // digits may be written as their own word: OI_RANGE_15M_MAX is oiRange15mMax too
    expect(
      loadConfig({ env: { HLT_REGIME__SIDEWAYS__OI_RANGE_15M_MAX: '0.01' } }).regime.sideways.oiRange15mMax,
    ).toBe(0.01);
    // a field in the wrong section points at the right one
    expect(configError(() => parseConfig({ dailyLossHalt: 0.05 })).issues).toEqual([
      'dailyLossHalt: unknown key — did you mean risk.dailyLossHalt?',
    ]);
  });

  it('every section is strict (an unknown key in each is refused with a hint)', () => {
    const all = sections();
    let refused = 0;
    for (const path of all) {
      const input: Record<string, unknown> = {};
      let o = input;
      for (const p of path) {
        o[p] = {};
        o = o[p] as Record<string, unknown>;
      }
      o.zzNotAField = 1;
      const e = configError(() => parseConfig(input));
      const key = [...path, 'zzNotAField'].join('.');
      expect(e.issues).toHaveLength(1);
      expect(e.issues[0]).toMatch(
        new RegExp(`^${key.replace(/\./g, '\\.')}: unknown key — did you mean \\S+\\?`),
      );
      refused++;
    }
    console.log(`strict config: ${refused} of ${all.length} sections refuse an unknown key`);
    expect(refused).toBe(all.length);
    expect(all.length).toBeGreaterThanOrEqual(16); // the root + 15 nested sections today
  });

  it('risk.privateKey (or a key-like name anywhere) is refused, not stripped', () => {
    for (const input of [
      { risk: { privateKey: 'x' } },
      { privateKey: 'x' },
      { live: { key: 'x' } },
      { feed: { secret: 'x' } },
      { regime: { sideways: { mnemonic: 'x' } } },
    ]) {
      const e = configError(() => parseConfig(input));
      expect(e.issues).toHaveLength(1);
      expect(e.issues[0]).toMatch(/must not hold a private key/);
    }
    expect(configError(() => parseConfig({ risk: { privateKey: 'x' } })).issues[0]).toMatch(
      /^risk\.privateKey: /,
    );
  });

  it('a key-shaped value in any string field is refused and never echoed or logged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const f = join(dir, 'c.json');
    let checked = 0;
    for (const key of KEYS) {
      const cases: Array<{ where: RegExp; run: () => unknown }> = [
        { where: /^live\.keyEnv: /, run: () => parseConfig({ live: { keyEnv: key } }) },
        { where: /^live\.keyFile: /, run: () => parseConfig({ live: { keyFile: `/keys/${key}` } }) },
        { where: /^dataDir: /, run: () => parseConfig({ dataDir: key }) },
        { where: /^coins\.1: /, run: () => parseConfig({ coins: ['BTC', key] }) },
        { where: /^network: /, run: () => parseConfig({ network: key }) },
        {
          where: /^HLT_LIVE__KEY_ENV \(live\.keyEnv\): /,
          run: () => loadConfig({ env: { HLT_LIVE__KEY_ENV: key } }),
        },
        {
          where: /^live\.keyEnv: /,
          run: () => {
            writeFileSync(f, JSON.stringify({ live: { keyEnv: key } }));
            return loadConfig({ file: f });
          },
        },
        { where: /^url: /, run: () => loadConfig({ overrides: { url: `ws://127.0.0.1/${key}` } }) },
      ];
      for (const c of cases) {
        const e = configError(c.run);
        expect(e.issues).toHaveLength(1);
        expect(e.issues[0]).toMatch(c.where);
        expect(e.issues[0]).toMatch(/must not hold a private key/);
        const { log, lines } = capturingLogger();
        log.error({ err: e, issues: e.issues }, e.message);
        log.fatal(String(e));
        const text = [e.message, ...e.issues, String(e.stack), JSON.stringify(e), ...lines].join('\n');
        expect(lines.length).toBe(2);
        expect(text.toLowerCase()).not.toContain(KEY_HEX.slice(0, 16));
        checked++;
      }
    }
    console.log(`key-shaped values: ${checked} placements refused, none echoed`);
    expect(checked).toBe(KEYS.length * 8);
  });

  it('a config file that is itself a key is refused without quoting it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const f = join(dir, 'c.json');
    for (const key of KEYS) {
      writeFileSync(f, `${key}\n`);
      const e = configError(() => loadConfig({ file: f }));
      expect(e.message).toMatch(/not valid JSON/);
      // not even a fragment: Node's JSON error quotes the first 10 characters of the input
      expect(e.message.toLowerCase()).not.toContain(KEY_HEX.slice(0, 8));
    }
  });

  it('limits have upper bounds where a larger value is unsafe', () => {
    const bounds: Array<[string, string, number, number]> = [
      ['risk', 'dailyLossHalt', 0.1, 0.11],
      ['risk', 'maxCoinNotionalFraction', 0.5, 0.51],
      ['risk', 'maxTotalExposure', 3, 3.1],
      ['risk', 'riskPerTrade', 0.02, 0.021],
      ['risk', 'ordersPerMinute', 300, 301],
      ['risk', 'exitSlippageBps', 500, 501],
      ['health', 'hotStateMaxAgeMs', 10_000, 10_001],
      ['health', 'staleFactor', 10, 11],
      ['control', 'tickMs', 10_000, 10_001],
    ];
    for (const [section, field, ok, bad] of bounds) {
      expect(parseConfig({ [section]: { [field]: ok } })[section as 'risk'][field as 'riskPerTrade']).toBe(
        ok,
      );
      expect(configError(() => parseConfig({ [section]: { [field]: bad } })).issues[0]).toMatch(
        new RegExp(`^${section}\\.${field}: `),
      );
    }
    const floors: Array<[string, string, number, number]> = [
      ['health', 'validationMs', 1_000, 999],
      ['health', 'hotStateMaxAgeMs', 100, 99],
      ['health', 'staleFactor', 1, 0.9],
      ['control', 'tickMs', 100, 99],
    ];
    for (const [section, field, ok, bad] of floors) {
      expect(parseConfig({ [section]: { [field]: ok } })[section as 'health'][field as 'validationMs']).toBe(
        ok,
      );
      expect(configError(() => parseConfig({ [section]: { [field]: bad } })).issues[0]).toMatch(
        new RegExp(`^${section}\\.${field}: `),
      );
    }
  });

  it('duplicate and invalid coins: a one-line error', () => {
    const dup = configError(() => parseConfig({ coins: ['BTC', 'ETH', 'BTC'] }));
    expect(dup.message).toBe("invalid config: coins: duplicate coin 'BTC'");
    expect(dup.message.split('\n')).toHaveLength(1);
    const bad = configError(() => parseConfig({ coins: ['BTC', 'ETH USD'] }));
    expect(bad.message.split('\n')).toHaveLength(1);
    expect(bad.message).toMatch(/^invalid config: coins\.1: /);
    expect(parseConfig({ coins: ['BTC', 'kPEPE', 'xyz:XYZ100'] }).coins).toEqual([
      'BTC',
      'kPEPE',
      'xyz:XYZ100',
    ]);
  });

  it('a command prints a config error as its message, not a stack trace', async () => {
    const err: string[] = [];
    const code = await guarded({ stdout: () => {}, stderr: (s) => err.push(s) }, 'usage', async () => {
      loadConfig({ env: { HLT_COINS: '["BTC","BTC"]' } });
      return 0;
    });
    expect(code).toBe(2);
    expect(err.join('')).toBe("invalid config: coins: duplicate coin 'BTC'");
  });
});

describe('one riskPerTrade (issue 21)', () => {
  it('the schema has exactly one risk-per-trade setting: risk.riskPerTrade', () => {
    const all = leaves();
    expect(all.length).toBeGreaterThan(50);
    expect(all.filter((p) => /riskpertrade/i.test(p))).toEqual(['risk.riskPerTrade']);
    expect(parseConfig({}).risk.riskPerTrade).toBe(0.005);
    for (const [name, params] of Object.entries(parseConfig({}).strategies))
      expect({ name, has: 'riskPerTrade' in (params as object) }).toEqual({ name, has: false });
  });

  it('a config still naming geometry.riskPerTrade is told to use risk.riskPerTrade', () => {
    expect(
      configError(() => parseConfig({ strategies: { geometry: { riskPerTrade: 0.01 } } })).issues,
    ).toEqual(['strategies.geometry.riskPerTrade: unknown key — did you mean risk.riskPerTrade?']);
    expect(
      configError(() => loadConfig({ env: { HLT_STRATEGIES__GEOMETRY__RISK_PER_TRADE: '0.01' } })).issues[0],
    ).toMatch(/did you mean risk\.riskPerTrade \(HLT_RISK__RISK_PER_TRADE\)\?$/);
  });
});

describe('typo hints (property)', () => {
  it('any one-letter typo of any field, from the file or the environment, is refused and pointed at a name one edit away', () => {
    const valid = new Set(leaves());
    const sectionsSet = new Set(sections().map((p) => p.join('.')));
    let seed = 20_07;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    let tried = 0;
    let exactHint = 0;
    for (const path of valid) {
      const parts = path.split('.');
      const key = parts.at(-1)!;
      for (let k = 0; k < 6; k++) {
        const i = Math.floor(rnd() * key.length);
        const c = letters[Math.floor(rnd() * letters.length)]!;
        const op = Math.floor(rnd() * 3);
        const typo =
          op === 0
            ? key.slice(0, i) + key.slice(i + 1)
            : op === 1
              ? key.slice(0, i) + c + key.slice(i)
              : key.slice(0, i) + c + key.slice(i + 1);
        const at = [...parts.slice(0, -1), typo];
        if (
          typo.toLowerCase() === key.toLowerCase() ||
          valid.has(at.join('.')) ||
          sectionsSet.has(at.join('.')) ||
          typo === ''
        )
          continue;
        if (/^(key|secret)$/i.test(typo)) continue; // refused as a secret, not as a typo
        const input: Record<string, unknown> = {};
        let o = input;
        for (const p of at.slice(0, -1)) {
          o[p] = {};
          o = o[p] as Record<string, unknown>;
        }
        o[typo] = 1;
        const fromFile = configError(() => parseConfig(input)).issues;
        expect(fromFile).toHaveLength(1);
        const m = /^(\S+): unknown key — did you mean (\S+)\?$/.exec(fromFile[0]!);
        expect(m, fromFile[0]).not.toBeNull();
        expect(m![1]).toBe(at.join('.'));
        const hint = m![2]!;
        expect(valid.has(hint) || sectionsSet.has(hint)).toBe(true);
        if (hint === path) exactHint++;
        // the environment names the variable and gives the same hint
        const variable = `HLT_${at.map((p) => p.replace(/([A-Z])/g, '_$1').toUpperCase()).join('__')}`;
        const envPath = variable
          .slice(4)
          .split('__')
          .map((p) => p.toLowerCase().replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase()));
        if (envPath.join('.').toLowerCase() !== at.join('.').toLowerCase() || valid.has(envPath.join('.')))
          continue;
        const fromEnv = configError(() => loadConfig({ env: { [variable]: '1' } })).issues;
        expect(fromEnv).toHaveLength(1);
        expect(fromEnv[0]).toMatch(new RegExp(`^${variable} \\(`));
        tried++;
      }
    }
    console.log(
      `typo hints: ${tried} typos refused from file and environment, ${exactHint} pointed back at the field itself`,
    );
    expect(tried).toBeGreaterThan(200);
    // a one-letter typo is nearly always pointed back at the field it came from
    expect(exactHint / tried).toBeGreaterThan(0.9);
  });

  it('a section set from one variable as JSON names the variable and the field inside', () => {
    expect(configError(() => loadConfig({ env: { HLT_RISK: '{"dailyLosHalt":0.05}' } })).issues).toEqual([
      'HLT_RISK.dailyLosHalt (risk.dailyLosHalt): unknown key — did you mean HLT_RISK.dailyLossHalt (risk.dailyLossHalt)?',
    ]);
  });
});

describe('strategies from the registry (issue 15)', () => {
  it('each registry strategy has its strategies.<name> section with its own defaults, and --help lists them', async () => {
    const { STRATEGIES } = await import('../../decision/registry.ts');
    const { strategiesHelp } = await import('../../runtime/config.ts');
    const c = parseConfig({});
    expect(Object.keys(c.strategies).sort()).toEqual(STRATEGIES.map((d) => d.name).sort());
    const help = strategiesHelp();
    for (const d of STRATEGIES) {
      expect(c.strategies[d.name]).toEqual(d.params.parse({}));
      expect(help).toContain(`  ${d.name}`);
      for (const k of Object.keys(d.params.parse({}))) expect(help).toContain(`${k}=`);
    }
    // the environment reaches a strategy's parameter by its name
    expect(
      loadConfig({ env: { HLT_STRATEGIES__KINEMATICS__SIGMA_MULT: '4' } }).strategies.kinematics,
    ).toMatchObject({ sigmaMult: 4 });
    expect(() => parseConfig({ strategies: { kinematics: { sigmaMul: 4 } } })).toThrow(
      /strategies\.kinematics\.sigmaMul: unknown key — did you mean strategies\.kinematics\.sigmaMult\?/,
    );
  });
});
