/**
 * The data dir's operator token: 32 random bytes (hex) in `<dataDir>/operator.token`, mode 0600, made on
 * first use. Every operator command (the dashboard's page, WebSocket and API) needs it; the dashboard URL
 * printed at start carries it. Anyone who can read the data dir can command the instance, nobody else.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, openSync, readFileSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const TOKEN_FILE = 'operator.token';

export function operatorToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, TOKEN_FILE);
  try {
    const token = readToken(dataDir);
    chmodSync(path, 0o600);
    return token;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = randomBytes(32).toString('hex');
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  return token;
}

/** The data dir's operator token, read only (for clients such as `runtime status`); throws when absent. */
export function readToken(dataDir: string): string {
  const path = join(dataDir, TOKEN_FILE);
  const text = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text))
    throw new Error(`${path} does not hold an operator token (64 hex digits): delete it to make a new one`);
  return text;
}
