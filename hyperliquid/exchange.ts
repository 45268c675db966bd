/**
 * The exchange client (doc §2, §4): signs L1 actions (order, cancel, cancelByCloid, modify,
 * scheduleCancel, updateLeverage) with nonces from a `NonceManager`, posts them through an injected
 * transport (HTTP `POST /exchange` over a fetch-like function here; WS `post` in
 * actors/venue/live/ws-post.ts), and parses the answer into typed results: per order `resting`,
 * `filled`, `error` (with the venue's string), or a batch-level failure.
 *
 * Budgets: a sliding-window REST weight budget (1200/min per IP, shared with /info) and an address
 * budget (10 000 requests + 1 per USDC traded; cancels get min(cap + 100 000, 2 × cap)). An action the
 * budget cannot pay for is refused with `code: 'rate_limited'` before a nonce is spent or anything is
 * signed.
 *
 * Ordering: nonces are taken synchronously in call order and bodies are handed to the transport in
 * nonce order even when signatures come back asynchronously (a signer worker), so an ordered
 * transport (one WS connection) delivers nonces to the venue strictly increasing.
 *
 * No I/O of its own and no timers: time comes from the injected `now()`.
 */
import { classifyExchangeError, type ExchangeErrorKind } from './errors.ts';
import type { FetchLike } from './info.ts';
import { type NonceManager, NonceWindowError } from './nonces.ts';
import { parseExchangeResponse } from './parse.ts';
import { signL1Action, addressFromPrivateKey, type SignatureRSV } from './signing.ts';
import { exchangeActionWeight, REST_WEIGHT_PER_MINUTE } from './subscriptions.ts';
import {
  cancelAction,
  cancelByCloidAction,
  type ExchangeBody,
  exchangeBody,
  type Grouping,
  type L1Action,
  modifyAction,
  type OrderParams,
  orderAction,
  scheduleCancelAction,
  updateLeverageAction,
} from './wire.ts';

// ---------------------------------------------------------------------------------------------
// Signer
// ---------------------------------------------------------------------------------------------

export interface L1SignRequest {
  action: L1Action;
  nonce: number;
  vaultAddress: string | null;
  expiresAfter: number | null;
  isMainnet: boolean;
}

/** Something that signs L1 actions: the key stays inside it (a closure, or a worker thread). */
export interface ActionSigner {
  /** The signer's lowercase address (the API wallet when an agent signs). */
  readonly address: string;
  signL1(req: L1SignRequest): Promise<SignatureRSV>;
}

/** A signer holding the key in this closure (use the worker signer in actors/venue/live when possible). */
export function inlineSigner(privateKey: string): ActionSigner {
  const address = addressFromPrivateKey(privateKey);
  return {
    address,
    signL1: (req) =>
      new Promise((resolve) =>
        resolve(
          signL1Action({
            privateKey,
            action: req.action,
            nonce: req.nonce,
            vaultAddress: req.vaultAddress,
            expiresAfter: req.expiresAfter,
            isMainnet: req.isMainnet,
          }),
        ),
      ),
  };
}

// ---------------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------------

export type TransportErrorCode = 'timeout' | 'closed' | 'http' | 'not_json' | 'venue' | 'overloaded';

/** A failed request: `timeout`/`closed` mean the action may or may not have reached the venue. */
export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Posts an exchange body; resolves with the response JSON (`{status, response}`), rejects with TransportError. */
export interface ActionTransport {
  postAction(body: ExchangeBody<unknown>): Promise<unknown>;
}

/** HTTP `POST {baseUrl}/exchange` over an injected fetch. */
export class HttpActionTransport implements ActionTransport {
  private readonly url: string;
  constructor(
    private readonly fetch: FetchLike,
    baseUrl: string,
  ) {
    this.url = `${baseUrl.replace(/\/+$/, '')}/exchange`;
  }

  async postAction(body: ExchangeBody<unknown>): Promise<unknown> {
    let status: number;
    let ok: boolean;
    let text: string;
    try {
      const res = await this.fetch(this.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      status = res.status;
      ok = res.ok;
      text = await res.text();
    } catch (e) {
      throw new TransportError('closed', `exchange: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!ok) throw new TransportError('http', `exchange: HTTP ${status}: ${text.slice(0, 200)}`, status);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new TransportError(
        'not_json',
        `exchange: response is not JSON: ${JSON.stringify(text.slice(0, 80))}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Budgets
// ---------------------------------------------------------------------------------------------

/** Sliding one-minute window of REST weight (doc §1.8: 1200 per minute per IP, /info and /exchange). */
export class RateBudget {
  private readonly times: number[] = [];
  private readonly weights: number[] = [];
  private head = 0;
  private sum = 0;
  /** Requests refused because the window was full. */
  refused = 0;

  constructor(
    private readonly now: () => number,
    readonly perMinute: number = REST_WEIGHT_PER_MINUTE,
    readonly windowMs: number = 60_000,
  ) {}

  private expire(t: number): void {
    const cutoff = t - this.windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) {
      this.sum -= this.weights[this.head]!;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.weights.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Weight spent in the current window. */
  used(): number {
    this.expire(this.now());
    return this.sum;
  }

  /** Take `weight` if it fits in the window; false (and counted) otherwise. */
  tryTake(weight: number): boolean {
    const t = this.now();
    this.expire(t);
    if (this.sum + weight > this.perMinute) {
      this.refused++;
      return false;
    }
    this.charge(weight, t);
    return true;
  }

  /** Record weight already spent (e.g. the per-item weight of a response), even past the budget. */
  charge(weight: number, t: number = this.now()): void {
    if (!(weight > 0)) return;
    this.times.push(t);
    this.weights.push(weight);
    this.sum += weight;
  }
}

/**
 * The address budget (doc §1.8): 10 000 requests plus one per USDC of cumulative volume; cancels may
 * use min(cap + 100 000, 2 × cap). A batch of n orders counts n. Once exhausted, one request per 10 s.
 */
export class AddressBudget {
  used: number;
  cumVolumeUsd: number;
  refused = 0;
  private lastThrottled = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly now: () => number,
    opts: { initial?: number; cumVolumeUsd?: number; used?: number; throttledEveryMs?: number } = {},
  ) {
    this.initial = opts.initial ?? 10_000;
    this.cumVolumeUsd = opts.cumVolumeUsd ?? 0;
    this.used = opts.used ?? 0;
    this.throttledEveryMs = opts.throttledEveryMs ?? 10_000;
  }
  private readonly initial: number;
  private readonly throttledEveryMs: number;

  cap(isCancel = false): number {
    const base = this.initial + Math.floor(this.cumVolumeUsd);
    return isCancel ? Math.min(base + 100_000, base * 2) : base;
  }

  addVolume(usd: number): void {
    if (Number.isFinite(usd) && usd > 0) this.cumVolumeUsd += usd;
  }

  tryTake(n: number, isCancel = false): boolean {
    if (this.used + n <= this.cap(isCancel)) {
      this.used += n;
      return true;
    }
    const t = this.now();
    if (n === 1 && t - this.lastThrottled >= this.throttledEveryMs) {
      this.lastThrottled = t;
      this.used += n;
      return true;
    }
    this.refused++;
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

export type StatusResult =
  | { kind: 'resting'; oid: number; cloid?: string | undefined }
  | { kind: 'filled'; oid: number; totalSz: string; avgPx: string; cloid?: string | undefined }
  | { kind: 'error'; error: string; errorKind: ExchangeErrorKind }
  | { kind: 'success' }
  | { kind: 'waitingForFill' }
  | { kind: 'waitingForTrigger' };

export type ActionFailureCode =
  /** The venue answered `{"status":"err","response":"…"}` for the whole batch. */
  | 'venue'
  /** Our own budget refused the action; nothing was signed or sent. */
  | 'rate_limited'
  /** No answer in time, or the connection went away: the action may or may not have been executed. */
  | 'timeout'
  /** The request could not be delivered or was answered with an HTTP / WS post error. */
  | 'transport'
  /** The answer did not have the venue's shape. */
  | 'bad_response'
  /** The nonce manager refused (clock unusable). */
  | 'nonce'
  /** The signer failed. */
  | 'signing'
  /** The action could not be built (bad cloid, negative size…); nothing was sent. */
  | 'invalid';

export type ActionOutcome =
  | { ok: true; nonce: number; responseType: string; statuses: StatusResult[] }
  | {
      ok: false;
      nonce: number | null;
      code: ActionFailureCode;
      message: string;
      errorKind?: ExchangeErrorKind;
    };

export interface ExchangeCounters {
  actions: number;
  ok: number;
  venueErrors: number;
  rateLimited: number;
  timeouts: number;
  transportErrors: number;
  badResponses: number;
  signingErrors: number;
  nonceErrors: number;
  invalidActions: number;
}

export interface ExchangeClientOptions {
  transport: ActionTransport;
  signer: ActionSigner;
  nonces: NonceManager;
  isMainnet: boolean;
  /** Sub-account or vault the master signs for (null: trade the signer's own / master account). */
  vaultAddress?: string | null;
  /** Shared REST weight budget (pass the same one to the info side). */
  budget?: RateBudget;
  addressBudget?: AddressBudget;
  /** Clock for the budgets and `expiresAfter` (ms). */
  now: () => number;
  /** Sign each action with expiresAfter = now + this (ms); 0/undefined: none. */
  expiresAfterMs?: number;
}

export class ExchangeClient {
  readonly counters: ExchangeCounters = {
    actions: 0,
    ok: 0,
    venueErrors: 0,
    rateLimited: 0,
    timeouts: 0,
    transportErrors: 0,
    badResponses: 0,
    signingErrors: 0,
    nonceErrors: 0,
    invalidActions: 0,
  };
  readonly budget: RateBudget;
  readonly addressBudget: AddressBudget;
  private readonly vault: string | null;
  /** Resolves when every earlier action has been handed to the transport. */
  private dispatchTail: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ExchangeClientOptions) {
    this.budget = opts.budget ?? new RateBudget(opts.now);
    this.addressBudget = opts.addressBudget ?? new AddressBudget(opts.now);
    this.vault = opts.vaultAddress == null ? null : opts.vaultAddress.toLowerCase();
  }

  get signerAddress(): string {
    return this.opts.signer.address;
  }

  order(orders: readonly OrderParams[], grouping: Grouping = 'na'): Promise<ActionOutcome> {
    return this.guarded(() => orderAction(orders, grouping), orders.length, false);
  }

  cancel(cancels: readonly { asset: number; oid: number }[]): Promise<ActionOutcome> {
    return this.guarded(() => cancelAction(cancels), cancels.length, true);
  }

  cancelByCloid(cancels: readonly { asset: number; cloid: string }[]): Promise<ActionOutcome> {
    return this.guarded(() => cancelByCloidAction(cancels), cancels.length, true);
  }

  /** Modify one order, addressed by oid or cloid. */
  modify(oid: number | string, order: OrderParams): Promise<ActionOutcome> {
    return this.guarded(() => modifyAction(oid, order), 1, false);
  }

  /** The dead-man switch: cancel everything at `time` (>= now + 5 s); no time clears it. */
  scheduleCancel(time?: number): Promise<ActionOutcome> {
    return this.guarded(() => scheduleCancelAction(time), 1, false);
  }

  updateLeverage(asset: number, isCross: boolean, leverage: number): Promise<ActionOutcome> {
    return this.guarded(() => updateLeverageAction(asset, isCross, leverage), 1, false);
  }

  /** Sign and send any L1 action built with wire.ts. */
  send(action: L1Action, batchLength = 1, isCancel = false): Promise<ActionOutcome> {
    return this.guarded(() => action, batchLength, isCancel);
  }

  private guarded(build: () => L1Action, batchLength: number, isCancel: boolean): Promise<ActionOutcome> {
    let action: L1Action;
    try {
      action = build();
    } catch (e) {
      // a malformed action (bad cloid, negative size…) is refused here, before any budget or nonce is used
      this.counters.actions++;
      this.counters.invalidActions++;
      return Promise.resolve({
        ok: false,
        nonce: null,
        code: 'invalid',
        message: `exchange: invalid action: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
    return this.submit(action, batchLength, isCancel);
  }

  private async submit(action: L1Action, batchLength: number, isCancel: boolean): Promise<ActionOutcome> {
    const c = this.counters;
    c.actions++;
    const weight = exchangeActionWeight(batchLength);
    if (!this.budget.tryTake(weight)) {
      c.rateLimited++;
      return {
        ok: false,
        nonce: null,
        code: 'rate_limited',
        message: `exchange ${action.type}: REST weight budget exhausted (${this.budget.used()}/${this.budget.perMinute} per minute, needs ${weight})`,
      };
    }
    if (!this.addressBudget.tryTake(Math.max(1, batchLength), isCancel)) {
      c.rateLimited++;
      return {
        ok: false,
        nonce: null,
        code: 'rate_limited',
        message: `exchange ${action.type}: address budget exhausted (${this.addressBudget.used}/${this.addressBudget.cap(isCancel)} requests)`,
      };
    }
    let nonce: number;
    try {
      nonce = this.opts.nonces.next();
    } catch (e) {
      c.nonceErrors++;
      return {
        ok: false,
        nonce: null,
        code: 'nonce',
        message: e instanceof NonceWindowError ? e.message : String(e),
      };
    }
    const expiresAfter =
      this.opts.expiresAfterMs !== undefined && this.opts.expiresAfterMs > 0
        ? Math.floor(this.opts.now()) + this.opts.expiresAfterMs
        : null;
    const sigP = this.opts.signer.signL1({
      action,
      nonce,
      vaultAddress: this.vault,
      expiresAfter,
      isMainnet: this.opts.isMainnet,
    });
    // hand bodies to the transport in nonce order
    const prev = this.dispatchTail;
    let release!: () => void;
    this.dispatchTail = new Promise<void>((r) => {
      release = r;
    });
    let signature: SignatureRSV;
    try {
      signature = await sigP;
    } catch (e) {
      await prev;
      release();
      c.signingErrors++;
      return {
        ok: false,
        nonce,
        code: 'signing',
        message: `exchange ${action.type}: signing failed: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
    await prev;
    let responseP: Promise<unknown>;
    try {
      responseP = this.opts.transport.postAction(
        exchangeBody({ action, nonce, signature, vaultAddress: this.vault, expiresAfter }),
      );
    } finally {
      release();
    }
    let raw: unknown;
    try {
      raw = await responseP;
    } catch (e) {
      const te = e instanceof TransportError ? e : null;
      const message = e instanceof Error ? e.message : String(e);
      if (te !== null && (te.code === 'timeout' || te.code === 'closed')) {
        c.timeouts++;
        return { ok: false, nonce, code: 'timeout', message };
      }
      c.transportErrors++;
      return { ok: false, nonce, code: 'transport', message };
    }
    return this.interpret(action.type, nonce, raw);
  }

  private interpret(type: string, nonce: number, raw: unknown): ActionOutcome {
    const c = this.counters;
    const parsed = parseExchangeResponse(raw);
    if (!parsed.ok) {
      c.badResponses++;
      return { ok: false, nonce, code: 'bad_response', message: `exchange ${type}: ${parsed.error.message}` };
    }
    const r = parsed.value;
    if (r.status === 'err') {
      c.venueErrors++;
      return {
        ok: false,
        nonce,
        code: 'venue',
        message: r.response,
        errorKind: classifyExchangeError(r.response),
      };
    }
    c.ok++;
    const statuses: StatusResult[] = (r.response.data?.statuses ?? []).map((s): StatusResult => {
      if (typeof s === 'string') return { kind: s };
      if ('resting' in s) return { kind: 'resting', oid: s.resting.oid, cloid: s.resting.cloid };
      if ('filled' in s)
        return {
          kind: 'filled',
          oid: s.filled.oid,
          totalSz: s.filled.totalSz,
          avgPx: s.filled.avgPx,
          cloid: s.filled.cloid,
        };
      return { kind: 'error', error: s.error, errorKind: classifyExchangeError(s.error) };
    });
    return { ok: true, nonce, responseType: r.response.type, statuses };
  }
}
