/**
 * The subscription registry: the source of truth for what should be subscribed. On every (re)connect it
 * yields every subscribe message again; it matches each `subscriptionResponse` to its pending request by
 * subset (the server echoes a normalised object with defaults such as `nSigFigs:null`, `mantissa:null`,
 * `fast:false`); it surfaces `error` frames per subscription (`Already subscribed: {…}`,
 * `Invalid subscription {…}` echo the request); and it enforces the venue's limits client-side
 * (protocol §1.7–1.8: 1000 subscriptions, 10 unique users, 2000 sent messages per minute, the last as an
 * exact sliding window on the injected clock).
 *
 * Control frames are recognised with a tiny local check (JSON.parse in a try) — this is the control path,
 * not the hot path; every frame is handed on raw regardless.
 */
import type { Clock } from '../../state/clock.ts';

export type Subscription = { type: string } & Record<string, unknown>;

export interface RegistryLimits {
  /** Most subscriptions at once (venue: 1000). */
  maxSubscriptions: number;
  /** Most unique users across user-specific subscriptions (venue: 10). */
  maxUsers: number;
  /** Sent messages per window (venue: 2000 per minute, across all connections). */
  maxMessages: number;
  windowMs: number;
}

export const VENUE_LIMITS: RegistryLimits = {
  maxSubscriptions: 1000,
  maxUsers: 10,
  maxMessages: 2000,
  windowMs: 60_000,
};

/**
 * The venue's "at most N messages per minute", enforced exactly: a sliding window over the send times
 * of the last N messages (a ring of N timestamps from the injected clock). A plain token bucket refilling
 * at N per minute would let a full bucket plus a minute of refill through — up to 2N in one window.
 */
export class SlidingWindowLimiter {
  private readonly times: Float64Array;
  private head = 0; // index of the oldest timestamp
  private count = 0;
  constructor(
    private readonly clock: Clock,
    readonly capacity: number,
    readonly windowMs: number,
  ) {
    this.times = new Float64Array(Math.max(1, capacity));
  }

  private expire(now: number): void {
    while (this.count > 0 && now - this.times[this.head]! >= this.windowMs) {
      this.head = (this.head + 1) % this.times.length;
      this.count--;
    }
  }

  /** Messages that may be sent right now. */
  available(): number {
    this.expire(this.clock.now());
    return this.capacity - this.count;
  }

  tryTake(n = 1): boolean {
    const now = this.clock.now();
    this.expire(now);
    if (this.count + n > this.capacity) return false;
    for (let i = 0; i < n; i++) {
      this.times[(this.head + this.count) % this.times.length] = now;
      this.count++;
    }
    return true;
  }

  /** Milliseconds until `n` more messages may be sent (0 if now). */
  msUntil(n = 1): number {
    const now = this.clock.now();
    this.expire(now);
    const excess = this.count + n - this.capacity;
    if (excess <= 0) return 0;
    if (n > this.capacity) return Number.POSITIVE_INFINITY;
    const t = this.times[(this.head + excess - 1) % this.times.length]!;
    return t + this.windowMs - now;
  }
}

export type SubState = 'pending' | 'sent' | 'active' | 'rejected';

interface Entry {
  key: string;
  sub: Subscription;
  state: SubState;
  /** Last error text from the venue for this subscription, if any. */
  error: string | null;
}

/** A recognised control frame (everything else is a data frame: the registry ignores it). */
export type ControlFrame =
  | {
      kind: 'subscriptionResponse';
      method: 'subscribe' | 'unsubscribe';
      subscription: Record<string, unknown>;
    }
  | { kind: 'error'; message: string; echo: Record<string, unknown> | null }
  | { kind: 'pong' };

/** What a control frame meant for the registry. */
export type RegistryOutcome =
  | { kind: 'subscribed'; key: string }
  | { kind: 'unsubscribed'; key: string }
  | { kind: 'alreadySubscribed'; key: string }
  | { kind: 'rejected'; key: string; message: string }
  | { kind: 'venueError'; message: string }
  | { kind: 'pong' }
  /** An ack or error that matches nothing pending: counted, never fatal. */
  | { kind: 'unmatched'; message: string };

export class LimitError extends Error {
  constructor(
    message: string,
    readonly limit: 'subscriptions' | 'users',
  ) {
    super(message);
    this.name = 'LimitError';
  }
}

/** Canonical key of a subscription: its fields sorted, undefined dropped. */
export function subscriptionKey(sub: Record<string, unknown>): string {
  const keys = Object.keys(sub)
    .filter((k) => sub[k] !== undefined)
    .sort();
  return JSON.stringify(keys.map((k) => [k, sub[k]]));
}

/** Every field of the request equals the echo's (the echo may add fields). Case-insensitive for `user`. */
export function matchesBySubset(request: Record<string, unknown>, echo: Record<string, unknown>): boolean {
  for (const k of Object.keys(request)) {
    const a = request[k];
    if (a === undefined) continue;
    const b = echo[k];
    if (k === 'user' && typeof a === 'string' && typeof b === 'string') {
      if (a.toLowerCase() !== b.toLowerCase()) return false;
    } else if (a !== b && JSON.stringify(a) !== JSON.stringify(b)) {
      return false;
    }
  }
  return true;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** Find the first `{…}` in an error string and parse it; null when there is none or it is not JSON. */
function echoFromError(message: string): Record<string, unknown> | null {
  const i = message.indexOf('{');
  const j = message.lastIndexOf('}');
  if (i < 0 || j <= i) return null;
  try {
    const v: unknown = JSON.parse(message.slice(i, j + 1));
    if (!isObject(v)) return null;
    // `Error parsing JSON …: {"method":"subscribe","subscription":{…}}` echoes the whole request
    return isObject(v.subscription) ? v.subscription : v;
  } catch {
    return null;
  }
}

const dec = new TextDecoder();

/**
 * Recognise a control frame. Cheap pre-check on the channel (already sniffed by the caller) so data
 * frames are never parsed here. Returns null for data frames and for anything malformed.
 */
export function parseControlFrame(channel: string, data: Uint8Array): ControlFrame | null {
  if (channel !== 'subscriptionResponse' && channel !== 'error' && channel !== 'pong') return null;
  let v: unknown;
  try {
    v = JSON.parse(dec.decode(data));
  } catch {
    return null;
  }
  if (!isObject(v)) return null;
  if (v.channel === 'pong') return { kind: 'pong' };
  if (v.channel === 'error') {
    const message = typeof v.data === 'string' ? v.data : JSON.stringify(v.data);
    return { kind: 'error', message, echo: echoFromError(message) };
  }
  if (v.channel === 'subscriptionResponse' && isObject(v.data) && isObject(v.data.subscription)) {
    const method = v.data.method === 'unsubscribe' ? 'unsubscribe' : 'subscribe';
    return { kind: 'subscriptionResponse', method, subscription: v.data.subscription };
  }
  return null;
}

export interface RegistryCounters {
  acks: number;
  rejected: number;
  venueErrors: number;
  unmatched: number;
  /** Subscribe/unsubscribe messages handed out for sending. */
  sent: number;
  /** Sends refused by the rate limit (deferred). */
  throttled: number;
}

export class SubscriptionRegistry {
  readonly limits: RegistryLimits;
  readonly limiter: SlidingWindowLimiter;
  private readonly entries = new Map<string, Entry>();
  /** Unsubscribe messages still to send (the entry is gone from the desired set). */
  private unsubQueue: Subscription[] = [];
  readonly counters: RegistryCounters = {
    acks: 0,
    rejected: 0,
    venueErrors: 0,
    unmatched: 0,
    sent: 0,
    throttled: 0,
  };

  constructor(clock: Clock, limits: Partial<RegistryLimits> = {}) {
    this.limits = { ...VENUE_LIMITS, ...limits };
    this.limiter = new SlidingWindowLimiter(clock, this.limits.maxMessages, this.limits.windowMs);
  }

  /** Add a subscription to the desired set. Throws `LimitError` past a venue limit. Idempotent. */
  add(sub: Subscription): string {
    if (!isObject(sub) || typeof sub.type !== 'string')
      throw new TypeError('a subscription needs a string `type`');
    const key = subscriptionKey(sub);
    if (this.entries.has(key)) return key;
    if (this.entries.size >= this.limits.maxSubscriptions) {
      throw new LimitError(
        `cannot add ${key}: already ${this.entries.size} subscriptions (limit ${this.limits.maxSubscriptions})`,
        'subscriptions',
      );
    }
    const user = typeof sub.user === 'string' ? sub.user.toLowerCase() : null;
    if (user !== null) {
      const users = this.users();
      if (!users.has(user) && users.size >= this.limits.maxUsers) {
        throw new LimitError(
          `cannot add ${key}: already ${users.size} unique users (limit ${this.limits.maxUsers})`,
          'users',
        );
      }
    }
    this.entries.set(key, { key, sub: { ...sub }, state: 'pending', error: null });
    // a pending unsubscribe of the same object is superseded
    this.unsubQueue = this.unsubQueue.filter((u) => subscriptionKey(u) !== key);
    return key;
  }

  /** Remove from the desired set; an unsubscribe is sent if it was (being) subscribed. */
  remove(sub: Subscription): boolean {
    const key = subscriptionKey(sub);
    const e = this.entries.get(key);
    if (!e) return false;
    this.entries.delete(key);
    if (e.state === 'sent' || e.state === 'active') this.unsubQueue.push(e.sub);
    return true;
  }

  has(sub: Subscription): boolean {
    return this.entries.has(subscriptionKey(sub));
  }

  size(): number {
    return this.entries.size;
  }

  list(): Array<{ key: string; sub: Subscription; state: SubState; error: string | null }> {
    return [...this.entries.values()].map((e) => ({ ...e, sub: { ...e.sub } }));
  }

  users(): Set<string> {
    const out = new Set<string>();
    for (const e of this.entries.values())
      if (typeof e.sub.user === 'string') out.add(e.sub.user.toLowerCase());
    return out;
  }

  /** A new connection: nothing is subscribed on it yet; every desired subscription is pending again. */
  onConnect(): void {
    for (const e of this.entries.values()) {
      e.state = 'pending';
      e.error = null;
    }
    this.unsubQueue = [];
  }

  /** True when every desired subscription is acknowledged or rejected (nothing pending or in flight). */
  settled(): boolean {
    for (const e of this.entries.values()) if (e.state === 'pending' || e.state === 'sent') return false;
    return true;
  }

  counts(): Record<SubState, number> {
    const c: Record<SubState, number> = { pending: 0, sent: 0, active: 0, rejected: 0 };
    for (const e of this.entries.values()) c[e.state]++;
    return c;
  }

  /**
   * The messages to send now (unsubscribes first, then pending subscribes), as many as the rate
   * limit allows. Each returned message is marked sent. Call again after `msUntilNextSend()` for the rest.
   */
  takeMessages(): string[] {
    const out: string[] = [];
    while (this.unsubQueue.length > 0) {
      if (!this.limiter.tryTake()) {
        this.counters.throttled++;
        return out;
      }
      out.push(JSON.stringify({ method: 'unsubscribe', subscription: this.unsubQueue.shift() }));
    }
    for (const e of this.entries.values()) {
      if (e.state !== 'pending') continue;
      if (!this.limiter.tryTake()) {
        this.counters.throttled++;
        break;
      }
      e.state = 'sent';
      out.push(JSON.stringify({ method: 'subscribe', subscription: e.sub }));
    }
    this.counters.sent += out.length;
    return out;
  }

  /** Whether messages are waiting (pending subscribes or unsubscribes). */
  hasUnsent(): boolean {
    if (this.unsubQueue.length > 0) return true;
    for (const e of this.entries.values()) if (e.state === 'pending') return true;
    return false;
  }

  /** Milliseconds until the next message may be sent. */
  msUntilNextSend(): number {
    return this.limiter.msUntil(1);
  }

  /** Take one token for another message (a ping); false when the venue limit would be exceeded. */
  trySendOther(): boolean {
    return this.limiter.tryTake();
  }

  /** Apply a control frame. Never throws. */
  handle(frame: ControlFrame): RegistryOutcome {
    if (frame.kind === 'pong') return { kind: 'pong' };
    if (frame.kind === 'subscriptionResponse') {
      if (frame.method === 'unsubscribe')
        return { kind: 'unsubscribed', key: subscriptionKey(frame.subscription) };
      const e =
        this.findByEcho(frame.subscription, ['sent', 'pending']) ?? this.findByEcho(frame.subscription);
      if (!e) {
        this.counters.unmatched++;
        return {
          kind: 'unmatched',
          message: `subscriptionResponse for ${JSON.stringify(frame.subscription)}`,
        };
      }
      e.state = 'active';
      e.error = null;
      this.counters.acks++;
      return { kind: 'subscribed', key: e.key };
    }
    // error frame
    const e = frame.echo
      ? (this.findByEcho(frame.echo, ['sent', 'pending']) ?? this.findByEcho(frame.echo))
      : undefined;
    if (!e) {
      this.counters.venueErrors++;
      return { kind: 'venueError', message: frame.message };
    }
    if (/^Already subscribed/i.test(frame.message)) {
      e.state = 'active';
      this.counters.acks++;
      return { kind: 'alreadySubscribed', key: e.key };
    }
    e.state = 'rejected';
    e.error = frame.message;
    this.counters.rejected++;
    return { kind: 'rejected', key: e.key, message: frame.message };
  }

  /** The most specific desired subscription the echo matches by subset (most fields wins). */
  private findByEcho(echo: Record<string, unknown>, states?: SubState[]): Entry | undefined {
    let best: Entry | undefined;
    let bestFields = -1;
    for (const e of this.entries.values()) {
      if (states && !states.includes(e.state)) continue;
      if (!matchesBySubset(e.sub, echo)) continue;
      const fields = Object.keys(e.sub).length;
      if (fields > bestFields) {
        best = e;
        bestFields = fields;
      }
    }
    return best;
  }
}
