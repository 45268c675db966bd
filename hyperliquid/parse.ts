/**
 * Parsing of venue frames. `parseServerFrame` never throws: it returns the typed frame or a counted,
 * classified error whose message names the channel, the field path and the problem, e.g.
 * `l2Book: data.levels[0][3].px: expected decimal string, got number 5`. Frames of the hot channels
 * (l2Book, bbo, trades, activeAssetCtx) are first validated in place by hot-validate.ts, which is
 * equivalent to their zod schemas and returns the parsed JSON itself without a copy; zod remains the
 * schema of record and produces every error message.
 */
import type { z } from 'zod';
import {
  WsActiveAssetCtx,
  WsActiveSpotAssetCtx,
  WsAllMids,
  WsBbo,
  WsBook,
  WsCandle,
  WsClearinghouseState,
  WsOpenOrders,
  WsOrderUpdates,
  WsPostResponse,
  WsSubscriptionResponse,
  WsTrades,
  WsUserEventVariants,
  WsUserFills,
  ClientRequest,
  ExchangeResponse,
  type WsUserEvent,
  type WsUserEventKind,
} from './ws-schemas.ts';
import { INFO_RESPONSE_SCHEMAS, type InfoRequestType, type InfoResponse } from './info-schemas.ts';
import { isHotChannel, validateHot } from './hot-validate.ts';

export type {
  WsActiveAssetCtx,
  WsActiveSpotAssetCtx,
  WsAllMids,
  WsBbo,
  WsBook,
  WsCandle,
  WsClearinghouseState,
  WsFill,
  WsLevel,
  WsOpenOrders,
  WsOrder,
  WsPostResponse,
  WsSubscriptionResponse,
  WsTrade,
  WsUserEvent,
  WsUserFills,
} from './ws-schemas.ts';

/** Channels with a `data` payload, and the type of that payload. */
export interface ChannelData {
  subscriptionResponse: z.infer<typeof WsSubscriptionResponse>;
  error: string;
  post: z.infer<typeof WsPostResponse>;
  l2Book: z.infer<typeof WsBook>;
  bbo: z.infer<typeof WsBbo>;
  trades: z.infer<typeof WsTrades>;
  activeAssetCtx: z.infer<typeof WsActiveAssetCtx>;
  activeSpotAssetCtx: z.infer<typeof WsActiveSpotAssetCtx>;
  allMids: z.infer<typeof WsAllMids>;
  candle: z.infer<typeof WsCandle>;
  orderUpdates: z.infer<typeof WsOrderUpdates>;
  userFills: z.infer<typeof WsUserFills>;
  user: WsUserEvent;
  clearinghouseState: z.infer<typeof WsClearinghouseState>;
  openOrders: z.infer<typeof WsOpenOrders>;
}
export type DataChannel = keyof ChannelData;
export type ServerChannel = DataChannel | 'pong';

/** A validated server frame, discriminated on `channel`. */
export type ServerFrame =
  | { [C in DataChannel]: { channel: C; data: ChannelData[C] } }[DataChannel]
  | { channel: 'pong' };

/** Narrow helper: the frame type of one channel. */
export type FrameOf<C extends ServerChannel> = Extract<ServerFrame, { channel: C }>;

export type ParseErrorCode = 'not_json' | 'not_object' | 'unknown_channel' | 'schema';
export interface FrameError {
  code: ParseErrorCode;
  channel?: string;
  message: string;
}
export type ParseResult = { ok: true; frame: ServerFrame } | { ok: false; error: FrameError };

// `error` carries a plain string; no zod needed for that one channel.
const DATA_SCHEMAS: { [C in Exclude<DataChannel, 'user' | 'error'>]: z.ZodType<ChannelData[C]> } = {
  subscriptionResponse: WsSubscriptionResponse,
  post: WsPostResponse,
  l2Book: WsBook,
  bbo: WsBbo,
  trades: WsTrades,
  activeAssetCtx: WsActiveAssetCtx,
  activeSpotAssetCtx: WsActiveSpotAssetCtx,
  allMids: WsAllMids,
  candle: WsCandle,
  orderUpdates: WsOrderUpdates,
  userFills: WsUserFills,
  clearinghouseState: WsClearinghouseState,
  openOrders: WsOpenOrders,
};

export const SERVER_CHANNELS: readonly ServerChannel[] = [
  ...(Object.keys(DATA_SCHEMAS) as DataChannel[]),
  'user',
  'error',
  'pong',
];
const KNOWN = new Set<string>(SERVER_CHANNELS);
const USER_EVENT_KEYS = Object.keys(WsUserEventVariants) as WsUserEventKind[];

const decoder = new TextDecoder('utf-8');

/** Parse one raw WS text frame from the venue. Never throws. */
export function parseServerFrame(input: string | Uint8Array): ParseResult {
  let text: string;
  let raw: unknown;
  try {
    text = typeof input === 'string' ? input : decoder.decode(input);
    raw = JSON.parse(text);
  } catch (e) {
    return fail('not_json', undefined, `not JSON: ${preview(input)}${errText(e)}`);
  }
  return parseServerValue(raw);
}

/** Validate an already JSON-parsed frame value. Never throws. */
export function parseServerValue(raw: unknown): ParseResult {
  try {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      return fail('not_object', undefined, `frame: expected JSON object, got ${describe(raw)}`);
    }
    const obj = raw as Record<string, unknown>;
    const channel = obj.channel;
    if (typeof channel !== 'string') {
      return fail('schema', undefined, `frame: channel: expected string, got ${describe(channel)}`);
    }
    if (!KNOWN.has(channel)) {
      return fail('unknown_channel', channel, `unknown channel ${JSON.stringify(channel.slice(0, 80))}`);
    }
    if (channel === 'pong') return { ok: true, frame: { channel: 'pong' } };
    const data = obj.data;
    if (channel === 'error') {
      if (typeof data !== 'string') {
        return fail('schema', channel, `error: data: expected string, got ${describe(data)}`);
      }
      return { ok: true, frame: { channel: 'error', data } };
    }
    if (channel === 'user') return parseUserEvent(data);
    if (isHotChannel(channel) && validateHot(channel, data)) {
      return { ok: true, frame: { channel, data } as ServerFrame };
    }
    const schema = DATA_SCHEMAS[channel as keyof typeof DATA_SCHEMAS];
    const r = schema.safeParse(data, PARSE_PARAMS);
    if (!r.success) return fail('schema', channel, formatIssues(channel, 'data', r.error.issues, data));
    return { ok: true, frame: { channel, data: r.data } as ServerFrame };
  } catch (e) {
    // Defensive: a schema must never throw, but if one does the frame is still just rejected.
    return fail('schema', undefined, `frame: validator threw${errText(e)}`);
  }
}

function parseUserEvent(data: unknown): ParseResult {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return fail('schema', 'user', `user: data: expected object, got ${describe(data)}`);
  }
  const kind = USER_EVENT_KEYS.find((k) => k in data);
  if (kind === undefined) {
    return fail(
      'schema',
      'user',
      `user: data: expected one of the keys ${USER_EVENT_KEYS.join(', ')}, got keys [${Object.keys(data).join(', ')}]`,
    );
  }
  const r = WsUserEventVariants[kind].safeParse(data, PARSE_PARAMS);
  if (!r.success) return fail('schema', 'user', formatIssues('user', 'data', r.error.issues, data));
  return { ok: true, frame: { channel: 'user', data: r.data as WsUserEvent } };
}

// ---------------------------------------------------------------------------------------------
// Other inputs: client requests (for the simulator), info and exchange responses
// ---------------------------------------------------------------------------------------------

export type ValueResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: { code: 'not_json' | 'schema'; message: string } };

/** Validate `value` with `schema`; `label` prefixes the error message. Never throws. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, label: string): ValueResult<T> {
  try {
    const r = schema.safeParse(value, PARSE_PARAMS);
    if (r.success) return { ok: true, value: r.data };
    return { ok: false, error: { code: 'schema', message: formatIssues(label, '', r.error.issues, value) } };
  } catch (e) {
    return { ok: false, error: { code: 'schema', message: `${label}: validator threw${errText(e)}` } };
  }
}

/** JSON text → validated value. Never throws. */
export function parseJsonWith<T>(
  schema: z.ZodType<T>,
  input: string | Uint8Array,
  label: string,
): ValueResult<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof input === 'string' ? input : decoder.decode(input));
  } catch (e) {
    return {
      ok: false,
      error: { code: 'not_json', message: `${label}: not JSON: ${preview(input)}${errText(e)}` },
    };
  }
  return parseWith(schema, raw, label);
}

/** A client → server WS request (subscribe / unsubscribe / ping / post), as the simulator receives it. */
export function parseClientRequest(input: string | Uint8Array): ValueResult<ClientRequest> {
  return parseJsonWith(ClientRequest, input, 'request');
}

/**
 * The info schemas as a mapped type: indexing it with a generic `T` gives `z.ZodType<InfoResponse<T>>`
 * (each entry is checked against its own response type here, once).
 */
const INFO_SCHEMAS: { readonly [K in InfoRequestType]: z.ZodType<InfoResponse<K>> } = INFO_RESPONSE_SCHEMAS;

/** An info response body (HTTP body, or `payload.data` of a WS post info response). */
export function parseInfoResponse<T extends InfoRequestType>(
  type: T,
  body: unknown,
): ValueResult<InfoResponse<T>> {
  return parseWith(INFO_SCHEMAS[type], body, type);
}

/** An /exchange response body (or `payload` of a WS post action response). */
export function parseExchangeResponse(body: unknown): ValueResult<ExchangeResponse> {
  return parseWith(ExchangeResponse, body, 'exchange');
}

// ---------------------------------------------------------------------------------------------
// Error messages
// ---------------------------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

/** Default messages for issues whose schema set none: short, and the caller appends "got …". */
const PARSE_PARAMS = {
  error: (iss: RawIssue): string | undefined => {
    switch (iss.code) {
      case 'invalid_type':
        return `expected ${iss.expected}`;
      case 'invalid_value':
        return `expected ${iss.values.map((v) => JSON.stringify(v)).join(' | ')}`;
      case 'invalid_union':
        return 'matches none of the allowed shapes';
      case 'too_small':
        return `expected ${iss.origin === 'array' ? 'length' : 'value'} >= ${String(iss.minimum)}`;
      case 'too_big':
        return `expected ${iss.origin === 'array' ? 'length' : 'value'} <= ${String(iss.maximum)}`;
      default:
        return undefined;
    }
  },
} as const;

function formatIssues(label: string, root: string, issues: readonly Issue[], input: unknown): string {
  const first = issues[0];
  if (first === undefined) return `${label}: invalid`;
  const path = formatPath(root, first.path);
  let msg = first.message;
  if (
    first.code === 'invalid_type' ||
    first.code === 'invalid_format' ||
    first.code === 'invalid_value' ||
    first.code === 'custom'
  ) {
    msg += `, got ${describe(valueAt(input, first.path))}`;
  }
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  return `${label}: ${path === '' ? '' : `${path}: `}${msg}${more}`;
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let s = root;
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s === '' ? String(seg) : `.${String(seg)}`;
  }
  return s;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array(${v.length})`;
  switch (typeof v) {
    case 'string':
      return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number':
    case 'boolean':
      return `${typeof v} ${String(v)}`;
    default:
      return typeof v;
  }
}

function preview(input: string | Uint8Array): string {
  const s = typeof input === 'string' ? input : `<${input.byteLength} bytes>`;
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

function errText(e: unknown): string {
  return e instanceof Error ? ` (${e.message})` : '';
}

function fail(code: ParseErrorCode, channel: string | undefined, message: string): ParseResult {
  return { ok: false, error: channel === undefined ? { code, message } : { code, channel, message } };
}
