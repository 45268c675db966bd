/**
 * The one configuration: a JSON file validated by zod, overridable by environment (`HLT_*`) and flags.
 * Every RULEBOOK default lives here and is printed at start (secrets redacted). Errors name the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { INGEST_SPIN_US, INGEST_YOUNG_GENERATION_MB } from '../actors/ingest/protocol.ts';

const pos = z.number().positive();
const nonneg = z.number().nonnegative();
const frac = z.number().min(0).max(1);

export const ConfigSchema = z
  .object({
    network: z.enum(['mainnet', 'testnet', 'sim']).default('sim'),
    /** WebSocket URL of the data source; default per network (sim: the embedded simulator). */
    url: z.string().url().optional(),
    coins: z.array(z.string().min(1)).min(1).default(['BTC', 'ETH', 'SOL']),
    dataDir: z.string().default('./data'),
    feed: z
      .object({
        pingAfterMs: pos.default(20_000),
        pongTimeoutMs: pos.default(10_000),
        receiveTimeoutMs: pos.default(30_000),
        backoffBaseMs: pos.default(250),
        backoffMaxMs: pos.default(30_000),
        ringBytes: pos.default(64 * 1024 * 1024),
        overflowFrames: pos.default(200_000),
        fastBook: z.boolean().default(true),
      })
      .prefault({}),
    ingest: z
      .object({
        /**
         * Busy-poll the ring for this long (µs) after the last record before the ingest worker sleeps
         * (see INGEST_SPIN_US): a whole core at thousands of frames/s, a few per cent at the venue's
         * own pace; 0 = always sleep.
         */
        spinUs: z.number().int().min(0).max(100_000).default(INGEST_SPIN_US),
        /** V8 young-generation cap of the ingest worker, MB (see INGEST_YOUNG_GENERATION_MB). */
        youngGenerationMb: pos.default(INGEST_YOUNG_GENERATION_MB),
      })
      .prefault({}),
    journal: z
      .object({
        fsyncIntervalMs: z.number().min(0).max(10).default(5),
        mode: z.enum(['group', 'every-record']).default('group'),
        segmentBytes: pos.default(64 * 1024 * 1024),
        segmentMs: pos.default(3_600_000),
        maxLagBytes: pos.default(64 * 1024 * 1024),
      })
      .prefault({}),
    health: z
      .object({
        /** Per channel: stale after this many expected intervals. */
        staleFactor: pos.default(3),
        fastBookMs: pos.default(500),
        slowBookMs: pos.default(5_000),
        bboMs: pos.default(2_000),
        assetCtxMs: pos.default(5_000),
        tradesMs: pos.default(60_000),
        /** Fresh data on every channel for this long before HEALTHY again. */
        validationMs: pos.default(5_000),
        /** The decision side treats hot state older than this as stale. */
        hotStateMaxAgeMs: pos.default(3_000),
      })
      .prefault({}),
    control: z.object({ tickMs: pos.default(1_000) }).prefault({}),
    regime: z
      .object({
        sideways: z
          .object({
            oiRange15mMax: nonneg.default(0.006),
            fundingDevMax: nonneg.default(0.00002),
            depthAsymAbsMax: nonneg.default(0.25),
          })
          .prefault({}),
        expansion: z
          .object({
            oiBuild1hMin: nonneg.default(0.02),
            fundingDevMin: nonneg.default(0.00004),
            depthAsymAbsMin: nonneg.default(0.3),
          })
          .prefault({}),
        confirmTicks: z.number().int().min(1).default(3),
      })
      .prefault({}),
    strategy: z
      .object({
        armTimeoutMs: pos.default(30_000),
        maxHoldMs: pos.default(15 * 60_000),
        cooldownMs: pos.default(60_000),
        exitRetryMs: pos.default(2_000),
        entryTimeoutMs: pos.default(5_000),
      })
      .prefault({}),
    geometry: z
      .object({
        enabled: z.boolean().default(true),
        rangeMinBps: pos.default(20),
        rangeMaxBps: pos.default(150),
        edgeZone: frac.default(0.15),
        absorptionMult: pos.default(2),
        breakBps: pos.default(5),
        stopBps: pos.default(10),
        riskPerTrade: frac.default(0.005),
        thinningFraction: frac.default(0.5),
        oiDropExit: frac.default(0.02),
      })
      .prefault({}),
    risk: z
      .object({
        startEquity: pos.default(100_000),
        dailyLossHalt: frac.default(0.02),
        maxCoinNotionalFraction: frac.default(0.2),
        maxTotalExposure: pos.default(1),
        riskPerTrade: frac.default(0.005),
        minNotionalUsd: pos.default(10),
        exitSlippageBps: pos.default(50),
        ordersPerMinute: pos.default(60),
      })
      .prefault({}),
    paper: z
      .object({
        takerFee: nonneg.default(0.00045),
        makerFee: nonneg.default(0.00015),
        latencyMs: nonneg.default(50),
      })
      .prefault({}),
    live: z
      .object({
        /** Name of the environment variable holding the private key (never the key itself). */
        keyEnv: z.string().default('HL_PRIVATE_KEY'),
        /** Or a file holding it. */
        keyFile: z.string().optional(),
        /** Master account address (agent wallets query the master). */
        account: z
          .string()
          .regex(/^0x[0-9a-fA-F]{40}$/)
          .optional(),
        vaultAddress: z
          .string()
          .regex(/^0x[0-9a-fA-F]{40}$/)
          .optional(),
      })
      .strict()
      .prefault({}),
    dashboard: z
      .object({
        enabled: z.boolean().default(true),
        host: z.literal('127.0.0.1').default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(0),
      })
      .prefault({}),
    shutdown: z.object({ flatten: z.boolean().default(true) }).prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Format zod issues as `path.to.field: problem` lines. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

export function parseConfig(input: unknown, source = 'config'): Config {
  const r = ConfigSchema.safeParse(input);
  if (!r.success) {
    const issues = formatIssues(r.error);
    throw new ConfigError(`invalid ${source}:\n  ${issues.join('\n  ')}`, issues);
  }
  return r.data;
}

/** Deep-merge plain objects (overrides win; arrays are replaced). */
export function mergeDeep(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)) {
      out[k] = mergeDeep(b as Record<string, unknown>, v as Record<string, unknown>);
    } else if (v !== undefined) out[k] = v;
  }
  return out;
}

/** `HLT_RISK__START_EQUITY=50000` → { risk: { startEquity: 50000 } } (values parsed as JSON when they can be). */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(env)) {
    if (!k.startsWith('HLT_') || raw === undefined) continue;
    const path = k
      .slice(4)
      .split('__')
      .map((p) => p.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let o = out;
    for (let i = 0; i < path.length - 1; i++) {
      o[path[i]!] = (o[path[i]!] as Record<string, unknown>) ?? {};
      o = o[path[i]!] as Record<string, unknown>;
    }
    o[path.at(-1)!] = value;
  }
  return out;
}

/** File (optional) < environment < flags. */
export function loadConfig(opts: {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}): Config {
  let fromFile: Record<string, unknown> = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${opts.file}: ${(e as Error).message}`, []);
    }
    try {
      fromFile = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`config file ${opts.file} is not valid JSON: ${(e as Error).message}`, []);
    }
    if (!fromFile || typeof fromFile !== 'object' || Array.isArray(fromFile)) {
      throw new ConfigError(`config file ${opts.file} must hold a JSON object`, []);
    }
    const live = (fromFile.live ?? {}) as Record<string, unknown>;
    if ('privateKey' in fromFile || 'key' in live || 'privateKey' in live) {
      throw new ConfigError(
        `config file ${opts.file} must not hold a private key: name an environment variable (live.keyEnv) or a file (live.keyFile)`,
        ['live: a key in the config file'],
      );
    }
  }
  const merged = mergeDeep(mergeDeep(fromFile, envOverrides(opts.env ?? {})), opts.overrides ?? {});
  return parseConfig(merged, opts.file ? `config (${opts.file} + environment + flags)` : 'config');
}
