/**
 * The private key, read from the environment variable or the file the config names (`live.keyEnv`,
 * `live.keyFile`; the config file itself never holds it). The key is validated (0x + 64 hex) and
 * wrapped in an opaque holder: `toJSON`, `toString`, `util.inspect` and template strings print
 * `[REDACTED]`, the key sits in a private field, and it is only lent to a callback (`withKey`) —
 * the live venue lends it once to its signer worker. Errors never quote the value.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { addressFromPrivateKey } from '../hyperliquid/signing.ts';

export const REDACTED = '[REDACTED]';
const KEY_RE = /^0x[0-9a-fA-F]{64}$/;

export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

export class PrivateKeyHolder {
  readonly #key: string;
  /** Where the key came from, e.g. `env HL_PRIVATE_KEY` or `file /path` (never the value). */
  readonly source: string;
  #address: string | null = null;

  constructor(key: string, source: string) {
    if (!KEY_RE.test(key)) {
      throw new SecretError(
        `private key from ${source}: expected 0x followed by 64 hex digits (${describeShape(key)})`,
      );
    }
    this.#key = key.toLowerCase();
    this.source = source;
  }

  /** The signer address derived from the key (public information). */
  get address(): string {
    this.#address ??= addressFromPrivateKey(this.#key);
    return this.#address;
  }

  /** Lend the key to `fn` for the duration of the call. */
  withKey<T>(fn: (key: string) => T): T {
    return fn(this.#key);
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `PrivateKeyHolder(${REDACTED}, ${this.source})`;
  }
}

/** Length and character class only: enough to act on, nothing of the value. */
function describeShape(s: string): string {
  const prefix = s.startsWith('0x') ? '0x-prefixed' : 'no 0x prefix';
  const body = s.startsWith('0x') ? s.slice(2) : s;
  const hex = /^[0-9a-fA-F]*$/.test(body) ? 'hex' : 'non-hex characters';
  return `got ${s.length} characters, ${prefix}, ${hex}`;
}

export interface KeyLocation {
  /** Name of the environment variable holding the key. */
  keyEnv?: string | undefined;
  /** A file holding the key (wins over keyEnv when both are given). */
  keyFile?: string | undefined;
}

export interface LoadKeyDeps {
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string;
}

/** Read and validate the key; throws `SecretError` (never quoting the value) when absent or malformed. */
export function loadPrivateKey(loc: KeyLocation, deps: LoadKeyDeps = {}): PrivateKeyHolder {
  const env = deps.env ?? process.env;
  const readFile = deps.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  if (loc.keyFile !== undefined && loc.keyFile !== '') {
    let text: string;
    try {
      text = readFile(loc.keyFile);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw new SecretError(
        `private key file ${loc.keyFile}: cannot read it${typeof code === 'string' ? ` (${code})` : ''}`,
      );
    }
    return new PrivateKeyHolder(text.trim(), `file ${loc.keyFile}`);
  }
  const name = loc.keyEnv ?? 'HL_PRIVATE_KEY';
  const v = env[name];
  if (v === undefined || v.trim() === '') {
    throw new SecretError(
      `private key: environment variable ${name} is not set (or name a file in live.keyFile)`,
    );
  }
  return new PrivateKeyHolder(v.trim(), `env ${name}`);
}
