/**
 * Logging: pino, structured, one child logger per actor (`actor` binding). Pretty in a terminal, JSON
 * otherwise. Anything that could hold a key is redacted on every line.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export const REDACT_PATHS = [
  'privateKey',
  'key',
  'secret',
  'signature',
  'live.key',
  '*.privateKey',
  '*.key',
  '*.secret',
  '*.*.privateKey',
  'config.live.keyValue',
  'wallet.privateKey',
];

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const base = {
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    base: undefined,
  };
  if (opts.destination) return pino(base, opts.destination);
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && process.env.LOG_FORMAT !== 'json');
  if (pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino(base, pino.destination({ fd: 1, sync: false }));
}

/** A child logger for one actor. */
export function actorLogger(root: Logger, actor: string, extra: Record<string, unknown> = {}): Logger {
  return root.child({ actor, ...extra });
}

const HEX_KEY = /0x[0-9a-fA-F]{64}/g;

/** Scrub anything that looks like a 32-byte hex secret from free text (error messages, URLs). */
export function scrubSecrets(text: string): string {
  return text.replace(HEX_KEY, '0x[REDACTED]');
}
