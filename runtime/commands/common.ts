/** Flag parsing and the shared set-up of every command (config, logger). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Logger } from 'pino';
import type { RunInfo } from '../../replay/replay-journal.ts';
import { STRATEGIES } from '../../decision/registry.ts';
import { type Config, ConfigError, loadConfig, parseConfig } from '../config.ts';
import { DataDirLockedError } from '../lock.ts';
import { createLogger } from '../logger.ts';

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const COMMON_OPTIONS = {
  data: { type: 'string' },
  config: { type: 'string' },
  scenario: { type: 'string' },
  seed: { type: 'string' },
  speed: { type: 'string' },
  duration: { type: 'string' },
  decisions: { type: 'string' },
  coins: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  'log-level': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export class UsageError extends Error {}

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function num(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${v}'`);
  return n;
}

/** A run's config as its `run.start` recorded it, validated by this version's schema. */
export function recordedConfig(run: RunInfo): Config {
  try {
    return parseConfig(upgradeRecordedConfig(run.config), 'config recorded in the journal (run.start)');
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(
      `${e.message}\n(the journal was recorded with a config this version does not accept)`,
      e.issues,
    );
  }
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && !Array.isArray(x);

/**
 * A config recorded before the strategy registry (one `geometry` section, lifecycle timings under
 * `strategy`) in today's shape, so its journal replays as it ran: its Geometry settings and timings under
 * `strategies.geometry`, and every strategy it did not have disabled.
 */
export function upgradeRecordedConfig(raw: unknown): unknown {
  if (!isObject(raw) || !isObject(raw.geometry) || 'strategies' in raw) return raw;
  const { geometry, strategy, ...rest } = raw;
  const shared: Record<string, unknown> = {};
  const own: Record<string, unknown> = { ...geometry };
  if (isObject(strategy))
    for (const [k, v] of Object.entries(strategy)) {
      if (k === 'armTimeoutMs' || k === 'maxHoldMs' || k === 'cooldownMs') own[k] = v;
      else shared[k] = v;
    }
  const strategies: Record<string, unknown> = {};
  for (const d of STRATEGIES) strategies[d.name] = d.name === 'geometry' ? own : { enabled: false };
  return { ...rest, strategy: shared, strategies };
}

/** Config: file (--config) < environment (HLT_*) < flags. */
export function configFrom(values: Record<string, unknown>, extra: Record<string, unknown> = {}): Config {
  const overrides: Record<string, unknown> = { ...extra };
  if (typeof values.data === 'string') overrides.dataDir = values.data;
  if (typeof values.coins === 'string')
    overrides.coins = values.coins
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
  const opts: Parameters<typeof loadConfig>[0] = { env: process.env, overrides };
  if (typeof values.config === 'string') opts.file = values.config;
  return loadConfig(opts);
}

export function loggerFrom(values: Record<string, unknown>): Logger {
  const level = typeof values['log-level'] === 'string' ? values['log-level'] : undefined;
  return createLogger(level ? { level } : {});
}

/** Run a command body, turning usage and config errors into a clear message and exit code 2. */
export async function guarded(io: Io, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`${e.message}\n\n${usage}`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof DataDirLockedError) {
      io.stderr(e.message);
      return 2;
    }
    throw e;
  }
}
