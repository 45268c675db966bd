/**
 * Parsers for the node's by-block hourly files, its older `node_trades` lines, and the messages of a
 * local order_book_server (schemas in node-schemas.ts). Every parser returns a typed value or a typed
 * error with a reason; none throws. The caller counts (and journals) the errors: a malformed line is
 * never fatal. A by-block line is first validated in place (node-hot.ts: no copy, no allocation),
 * and zod — the schema of record — runs only when that fails, to drop unknown keys or to write the
 * error message; OBS's `l4Book` data likewise, and its `l2Book` / `trades` through hot-validate.ts as
 * on the public feed. Also the client messages OBS expects (`subscribe` / `unsubscribe`).
 */
import type { z } from 'zod';
import { Book, type Trade } from './common-schemas.ts';
import { validateHot } from './hot-validate.ts';
import { parseJsonWith, parseWith } from './parse.ts';
import {
  NODE_BLOCK_SCHEMAS,
  NodeL4FileSnapshot,
  NodeTrade,
  OBS_DATA_SCHEMAS,
  OBS_DEFAULT_LEVELS,
  ObsL4Book,
  ObsL4BookSnapshot,
  ObsL4BookUpdates,
  ObsClientMessage,
  ObsSubscription,
  type NodeBlockOf,
  type NodeBlockStream,
  type ObsChannel,
  type ObsServerMessage,
} from './node-schemas.ts';
import { validateNodeBlockInPlace, validateObsL4InPlace } from './node-hot.ts';

/**
 * Why a line or message was refused. `not_json`: not JSON text (e.g. a truncated last line);
 * `not_object`: JSON but not an object; `unknown_channel`: an OBS channel this system does not know;
 * `schema`: the right container with a wrong field (the message names the field path).
 */
export type NodeParseErrorCode = 'not_json' | 'not_object' | 'unknown_channel' | 'schema';

/** A refused input. `kind` is the stream or channel it was parsed as (the counter's label). */
export interface NodeParseError {
  code: NodeParseErrorCode;
  kind: string;
  message: string;
}

export type NodeParseResult<T> = { ok: true; value: T } | { ok: false; error: NodeParseError };

const decoder = new TextDecoder('utf-8');

function fail<T>(code: NodeParseErrorCode, kind: string, message: string): NodeParseResult<T> {
  return { ok: false, error: { code, kind, message } };
}

function jsonOf(input: string | Uint8Array, kind: string): NodeParseResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(typeof input === 'string' ? input : decoder.decode(input)) };
  } catch (e) {
    const s = typeof input === 'string' ? input : `<${input.byteLength} bytes>`;
    const preview = JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
    return fail(
      'not_json',
      kind,
      `${kind}: not JSON: ${preview}${e instanceof Error ? ` (${e.message})` : ''}`,
    );
  }
}

function withSchema<T>(schema: z.ZodType<T>, raw: unknown, kind: string): NodeParseResult<T> {
  const r = parseWith(schema, raw, kind);
  if (r.ok) return r;
  return fail('schema', kind, r.error.message);
}

// ---------------------------------------------------------------------------------------------
// Node files
// ---------------------------------------------------------------------------------------------

/** Validate one already JSON-parsed by-block value of `stream`. Never throws. */
export function parseNodeBlockValue<S extends NodeBlockStream>(
  stream: S,
  raw: unknown,
): NodeParseResult<NodeBlockOf[S]> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail(
      'not_object',
      stream,
      `${stream}: expected a JSON object a line, got ${Array.isArray(raw) ? 'array' : raw === null ? 'null' : typeof raw}`,
    );
  }
  const hot = validateNodeBlockInPlace(stream, raw);
  if (hot !== undefined) return { ok: true, value: hot };
  return withSchema(NODE_BLOCK_SCHEMAS[stream], raw, stream);
}

/** One line (without its newline) of a `*_by_block` hourly file. Never throws. */
export function parseNodeBlockLine<S extends NodeBlockStream>(
  stream: S,
  line: string | Uint8Array,
): NodeParseResult<NodeBlockOf[S]> {
  const j = jsonOf(line, stream);
  if (!j.ok) return j;
  return parseNodeBlockValue(stream, j.value);
}

/** One line of an older `node_trades` hourly file. Never throws. */
export function parseNodeTradeLine(line: string | Uint8Array): NodeParseResult<NodeTrade> {
  const r = parseJsonWith(NodeTrade, line, 'node_trades');
  if (r.ok) return r;
  return fail(r.error.code, 'node_trades', r.error.message);
}

/** The text of an L4 snapshot file (`fileSnapshot` with `includeHeightInOutput`). Never throws. */
export function parseNodeL4FileSnapshot(text: string | Uint8Array): NodeParseResult<NodeL4FileSnapshot> {
  const r = parseJsonWith(NodeL4FileSnapshot, text, 'l4_snapshot');
  if (r.ok) return r;
  return fail(r.error.code, 'l4_snapshot', r.error.message);
}

// ---------------------------------------------------------------------------------------------
// order_book_server WebSocket
// ---------------------------------------------------------------------------------------------

const OBS_KNOWN = new Set<string>(Object.keys(OBS_DATA_SCHEMAS));

/** One text frame from a local order_book_server. Never throws. */
export function parseObsMessage(input: string | Uint8Array): NodeParseResult<ObsServerMessage> {
  const j = jsonOf(input, 'obs');
  if (!j.ok) return j;
  return parseObsValue(j.value);
}

/** An already JSON-parsed OBS frame. Never throws. */
export function parseObsValue(raw: unknown): NodeParseResult<ObsServerMessage> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail('not_object', 'obs', 'obs: expected a JSON object');
  }
  const channel = (raw as Record<string, unknown>).channel;
  if (typeof channel !== 'string') return fail('schema', 'obs', 'obs: channel: expected string');
  if (!OBS_KNOWN.has(channel)) {
    return fail('unknown_channel', 'obs', `obs: unknown channel ${JSON.stringify(channel.slice(0, 80))}`);
  }
  const ch = channel as ObsChannel;
  const data = (raw as Record<string, unknown>).data;
  return dataOf(ch, data);
}

function dataOf(channel: ObsChannel, data: unknown): NodeParseResult<ObsServerMessage> {
  if (channel === 'l4Book') {
    const hot = validateObsL4InPlace(data);
    if (hot !== undefined) return { ok: true, value: { channel, data: hot } };
    // Picked by its tag first, so an error names the field, not just "matches none of the shapes".
    const tagged = data !== null && typeof data === 'object';
    const schema =
      tagged && 'Snapshot' in data
        ? ObsL4BookSnapshot
        : tagged && 'Updates' in data
          ? ObsL4BookUpdates
          : ObsL4Book;
    const r = parseWith<ObsL4Book>(schema, data, 'l4Book.data');
    return r.ok ? { ok: true, value: { channel, data: r.value } } : fail('schema', channel, r.error.message);
  }
  switch (channel) {
    case 'l2Book': {
      if (validateHot('l2Book', data)) return { ok: true, value: { channel, data: data as Book } };
      const r = parseWith(Book, data, 'l2Book.data');
      return r.ok
        ? { ok: true, value: { channel, data: r.value } }
        : fail('schema', channel, r.error.message);
    }
    case 'trades': {
      if (validateHot('trades', data)) return { ok: true, value: { channel, data: data as Trade[] } };
      const r = parseWith(OBS_DATA_SCHEMAS.trades, data, 'trades.data');
      return r.ok
        ? { ok: true, value: { channel, data: r.value } }
        : fail('schema', channel, r.error.message);
    }
    case 'subscriptionResponse': {
      const r = parseWith(ObsClientMessage, data, 'subscriptionResponse.data');
      return r.ok
        ? { ok: true, value: { channel, data: r.value } }
        : fail('schema', channel, r.error.message);
    }
    default: {
      if (typeof data !== 'string') return fail('schema', channel, 'error.data: expected string');
      return { ok: true, value: { channel: 'error', data } };
    }
  }
}

/**
 * The exact text OBS expects to subscribe (or unsubscribe): `{"method":"subscribe","subscription":
 * {"type":"l4Book","coin":"BTC"}}`. For `l2Book`, `nLevels` 20 is OBS's default and sending it
 * explicitly is refused by the server (subscription.rs `validate`), so it is left out; absent
 * options are left out too. A subscription OBS would refuse (nLevels > 100, nSigFigs outside 2–5,
 * mantissa without nSigFigs 5) is returned as an error, not sent.
 */
export function obsClientMessage(
  method: 'subscribe' | 'unsubscribe',
  subscription: ObsSubscription,
): NodeParseResult<string> {
  const r = parseWith(ObsSubscription, subscription, 'subscription');
  if (!r.ok) return fail('schema', 'subscription', r.error.message);
  const s = r.value;
  if (s.type === 'l2Book') {
    const mantissa = s.mantissa ?? null;
    if (mantissa !== null && s.nSigFigs !== 5) {
      return fail(
        'schema',
        'subscription',
        'subscription: mantissa needs nSigFigs 5 (OBS refuses it otherwise)',
      );
    }
    const sub: Record<string, string | number> = { type: 'l2Book', coin: s.coin };
    if (s.nSigFigs !== undefined && s.nSigFigs !== null) sub.nSigFigs = s.nSigFigs;
    if (s.nLevels !== undefined && s.nLevels !== null && s.nLevels !== OBS_DEFAULT_LEVELS)
      sub.nLevels = s.nLevels;
    if (mantissa !== null) sub.mantissa = mantissa;
    return { ok: true, value: JSON.stringify({ method, subscription: sub }) };
  }
  const msg: ObsClientMessage = { method, subscription: { type: s.type, coin: s.coin } };
  return { ok: true, value: JSON.stringify(msg) };
}

export const obsSubscribe = (s: ObsSubscription): NodeParseResult<string> => obsClientMessage('subscribe', s);
export const obsUnsubscribe = (s: ObsSubscription): NodeParseResult<string> =>
  obsClientMessage('unsubscribe', s);
