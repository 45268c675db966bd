/**
 * `/exchange` of the simulated venue (HTTP POST and WS `post` actions), docs/hyperliquid-protocol.md
 * §2, §4, §5: every action's signature is verified by recovering its signer (`recoverL1Signer`); an
 * unknown signer gets the venue's batch error `L1 error: User or API Wallet 0x… does not exist.`;
 * nonces are checked per signer with the venue's rule (`SignerNonceSet`); orders are matched against
 * the simulated book of their coin and against other accounts' resting orders (Ioc / Gtc / Alo),
 * resting orders fill when the market trades through them, and cancel / cancelByCloid / modify /
 * batchModify / scheduleCancel (the dead-man switch) / updateLeverage are executed. Every change is
 * queued as private pushes (`orderUpdates`, `userFills`, `user`) that the server sends after the
 * answer. Accounts are registered per test (`addAccount`, or `startSim({ accounts })`).
 *
 * Nonce error strings: the duplicate one is the venue's observed text (`Invalid nonce: duplicate nonce
 * N`); the too-low and out-of-window ones follow the same pattern but are not from a venue source.
 */
import { badAloPxError, ORDER_ERRORS, unknownSignerError } from '../hyperliquid/errors.ts';
import { SignerNonceSet } from '../hyperliquid/nonces.ts';
import { recoverL1Signer } from '../hyperliquid/signing.ts';
import type { CoinMarket, Engine } from './engine.ts';
import { formatScaled, isValidPerpPx, isValidSize } from './format.ts';
import {
  answerPrivateInfo,
  orderUpdateJson,
  orderUpdatesFrame,
  type PrivatePush,
  pxString,
  SimAccount,
  type SimAccountSpec,
  type SimFill,
  type SimOrder,
  type SimTif,
  szString,
  userEventsFillsFrame,
  userFillsFrame,
} from './private.ts';

export const NONCE_ERRORS = {
  duplicate: (n: number) => `Invalid nonce: duplicate nonce ${n}`,
  tooLow: (n: number) => `Invalid nonce: nonce ${n} too low`,
  window: (n: number) => `Invalid nonce: nonce ${n} outside the allowed window`,
} as const;
export const SIM_EXCHANGE_ERRORS = {
  expired: 'Action expired.',
  scheduleTooEarly: 'Scheduled cancel time too early, must be at least 5 seconds from now.',
  scheduleTooMany: 'Too many scheduled cancel triggers today.',
  invalidSize: 'Order has invalid size.',
  badAsset: (a: unknown) => `Invalid asset ${String(a)}.`,
  unsupported: (what: string) => `${what} is not supported by the simulator.`,
  unknownAction: (t: string) => `Unknown action type ${t}.`,
  vault: (v: string) => `Vault not registered: ${v}`,
} as const;

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';
const DAY_MS = 86_400_000;

export interface SimExchangeOptions {
  /** Which phantom-agent source the venue verifies ('a' mainnet / 'b' testnet). Default false (testnet). */
  isMainnet?: boolean;
  takerFee?: number;
  makerFee?: number;
}

export interface SimExchangeCounters {
  requests: number;
  malformed: number;
  unknownSigner: number;
  nonceRejected: number;
  ordersPlaced: number;
  orderErrors: number;
  fills: number;
  cancels: number;
  modifies: number;
  scheduledCancelTriggers: number;
}

/** An order as it arrives on the wire: every field unchecked (optional, so any record reads as one). */
interface WireOrder {
  a?: unknown;
  b?: unknown;
  p?: unknown;
  s?: unknown;
  r?: unknown;
  t?: unknown;
  c?: unknown;
}

type OrderStatusJson = Record<string, unknown> | string;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Exact integer units of a validated decimal string at `dec` decimals. */
function toUnits(s: string, dec: number): number {
  const [int = '0', frac = ''] = s.split('.');
  return Number(int) * 10 ** dec + (frac === '' ? 0 : Number(frac.padEnd(dec, '0').slice(0, dec)));
}

function trimNumber(x: number, decimals: number): string {
  let s = x.toFixed(decimals);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

function hex64(n: number, salt: number): string {
  return `0x${salt.toString(16).padStart(8, '0')}${n.toString(16).padStart(56, '0')}`;
}

/**
 * A scripted fault for the next order `/exchange` places (tests: live-trading parity, issue 16). Each is
 * used once, in the order they were scripted:
 *  - `reject`: the order is answered with an error status (`message`) and nothing is placed;
 *  - `partial`: the order takes at most `maxSz` (in coin units) of the liquidity it crosses — an Ioc then
 *    ends partially filled, its remainder canceled;
 *  - `afterPlace` (with either; alone as `{ kind: 'partial', maxSz: Infinity }`): called once the order was
 *    executed, before its answer goes back — e.g. to drop the connection that would carry the answer or
 *    the fills (a cancel race, a reconnect with reconciliation).
 */
export type OrderFault =
  | { kind: 'reject'; message: string; afterPlace?: () => void }
  | { kind: 'partial'; maxSz: number; afterPlace?: () => void };

/** One piece of liquidity on the opposite side of a taker: a book level or another account's order. */
type Liquidity =
  | { kind: 'book'; pxU: number; lots: number; side: CoinMarket['bids']; index: number }
  | { kind: 'user'; pxU: number; lots: number; order: SimOrder };

export class SimExchange {
  readonly accounts = new Map<string, SimAccount>();
  readonly counters: SimExchangeCounters = {
    requests: 0,
    malformed: 0,
    unknownSigner: 0,
    nonceRejected: 0,
    ordersPlaced: 0,
    orderErrors: 0,
    fills: 0,
    cancels: 0,
    modifies: 0,
    scheduledCancelTriggers: 0,
  };
  /** Faults for the next orders placed (see `OrderFault`), consumed in order. */
  readonly orderFaults: OrderFault[] = [];
  /** Scripted faults applied so far, by kind. */
  readonly faultsApplied: Record<OrderFault['kind'], number> = { reject: 0, partial: 0 };
  private readonly signerOf = new Map<string, string>();
  private readonly nonces = new Map<string, SignerNonceSet>();
  private outbox: PrivatePush[] = [];
  private nextOid = 1_000_001;
  private nextTid = 1;
  private nextHash = 1;
  private readonly isMainnet: boolean;
  private readonly takerFee: number;
  private readonly makerFee: number;

  constructor(
    private readonly engine: Engine,
    private readonly now: () => number,
    opts: SimExchangeOptions = {},
  ) {
    this.isMainnet = opts.isMainnet ?? false;
    this.takerFee = opts.takerFee ?? 0.00045;
    this.makerFee = opts.makerFee ?? 0.00015;
  }

  /** Register an account (and its agent wallets). Re-registering keeps its state. */
  addAccount(spec: SimAccountSpec): SimAccount {
    const address = spec.address.toLowerCase();
    let a = this.accounts.get(address);
    if (a === undefined) {
      a = new SimAccount(spec);
      this.accounts.set(address, a);
    }
    this.signerOf.set(address, address);
    for (const agent of spec.agents ?? []) this.signerOf.set(agent.toLowerCase(), address);
    return a;
  }

  account(address: string): SimAccount | undefined {
    return this.accounts.get(address.toLowerCase());
  }

  /**
   * Give an account a position (signed size in coin units, rounded to the coin's szDecimals) at `entryPx`, as
   * if it had traded before: what a restarted process finds at the venue.
   */
  seedPosition(address: string, coin: string, szi: number, entryPx: number): void {
    const a = this.accounts.get(address.toLowerCase());
    if (a === undefined) throw new Error(`unknown account ${address}`);
    const szDec = this.engine.market(coin).def.szDecimals;
    const lots = Math.round(szi * 10 ** szDec);
    if (lots === 0) a.positions.delete(coin);
    else a.positions.set(coin, { lots, entryPx, szDec });
  }

  /** Script a fault for the next order placed (see `OrderFault`). */
  scriptOrder(fault: OrderFault): void {
    this.orderFaults.push(fault);
  }

  /** Private pushes queued since the last call. */
  takeOutbox(): PrivatePush[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /** The first `userFills` frame of a subscription: `isSnapshot:true` with the account's recent fills. */
  userFillsSnapshot(user: string): string {
    const a = this.accounts.get(user.toLowerCase());
    return userFillsFrame(user.toLowerCase(), a === undefined ? [] : a.fills.slice(-2000), true);
  }

  /** Private `/info` requests (openOrders, userFillsByTime, clearinghouseState, orderStatus, …). */
  answerInfo(body: Record<string, unknown>): string | null | undefined {
    return answerPrivateInfo(
      this.accounts,
      body,
      (coin) => this.markPx(coin),
      (coin) => this.engine.market(coin).def.maxLeverage,
      this.now(),
    );
  }

  private markPx(coin: string): number {
    const m = this.engine.market(coin);
    return m.markTicks * m.tick;
  }

  // ------------------------------------------------------------------------------------------
  // Requests
  // ------------------------------------------------------------------------------------------

  /** Execute one `/exchange` body. Returns the response JSON text, or null for a body the venue cannot read. */
  handle(body: unknown): string | null {
    this.counters.requests++;
    try {
      return this.handleInner(body);
    } catch {
      // defensive: a request must never take the simulator down
      this.counters.malformed++;
      return null;
    }
  }

  private handleInner(body: unknown): string | null {
    if (!isRecord(body) || !isRecord(body.action) || typeof body.action.type !== 'string') {
      this.counters.malformed++;
      return null;
    }
    const action = body.action;
    const actionType: string = body.action.type;
    const nonce = body.nonce;
    const sig = body.signature;
    if (
      typeof nonce !== 'number' ||
      !Number.isSafeInteger(nonce) ||
      !isRecord(sig) ||
      typeof sig.r !== 'string' ||
      typeof sig.s !== 'string' ||
      typeof sig.v !== 'number'
    ) {
      this.counters.malformed++;
      return null;
    }
    const vault = typeof body.vaultAddress === 'string' ? body.vaultAddress.toLowerCase() : null;
    const expiresAfter = typeof body.expiresAfter === 'number' ? body.expiresAfter : null;
    const signer =
      recoverL1Signer({
        action,
        nonce,
        vaultAddress: vault,
        expiresAfter,
        isMainnet: this.isMainnet,
        signature: { r: sig.r, s: sig.s, v: sig.v },
      }) ?? ZERO_ADDRESS;
    const master = this.signerOf.get(signer);
    if (master === undefined) {
      this.counters.unknownSigner++;
      return err(unknownSignerError(signer));
    }
    const now = this.now();
    if (expiresAfter !== null && expiresAfter < now) return err(SIM_EXCHANGE_ERRORS.expired);
    let set = this.nonces.get(signer);
    if (set === undefined) {
      set = new SignerNonceSet();
      this.nonces.set(signer, set);
    }
    const check = set.accept(nonce, now);
    if (!check.ok) {
      this.counters.nonceRejected++;
      return err(
        check.reason === 'already_used'
          ? NONCE_ERRORS.duplicate(nonce)
          : check.reason === 'too_low'
            ? NONCE_ERRORS.tooLow(nonce)
            : NONCE_ERRORS.window(nonce),
      );
    }
    let acct = this.accounts.get(master)!;
    if (vault !== null) {
      const v = this.accounts.get(vault);
      if (v === undefined) return err(SIM_EXCHANGE_ERRORS.vault(vault));
      acct = v;
    }
    switch (action.type) {
      case 'order': {
        if (!Array.isArray(action.orders)) return null;
        const statuses = action.orders.map((o) => this.placeScripted(acct, o, now));
        return okStatuses('order', statuses);
      }
      case 'cancel': {
        if (!Array.isArray(action.cancels)) return null;
        const statuses = action.cancels.map((c) =>
          isRecord(c) ? this.cancelOne(acct, c.a, (o) => o.oid === c.o, now) : { error: 'bad cancel' },
        );
        return okStatuses('cancel', statuses);
      }
      case 'cancelByCloid': {
        if (!Array.isArray(action.cancels)) return null;
        const statuses = action.cancels.map((c) =>
          isRecord(c) && typeof c.cloid === 'string'
            ? this.cancelOne(acct, c.asset, (o) => o.cloid === (c.cloid as string).toLowerCase(), now)
            : { error: 'bad cancel' },
        );
        return okStatuses('cancel', statuses);
      }
      case 'modify': {
        const e = this.modifyOne(acct, action.oid, action.order, now);
        return e === null ? '{"status":"ok","response":{"type":"default"}}' : err(e);
      }
      case 'batchModify': {
        if (!Array.isArray(action.modifies)) return null;
        const statuses = action.modifies.map((m) => {
          if (!isRecord(m)) return { error: 'bad modify' };
          const e = this.modifyOne(acct, m.oid, m.order, now);
          return e === null ? 'success' : { error: e };
        });
        return okStatuses('batchModify', statuses);
      }
      case 'scheduleCancel': {
        if (action.time === undefined) {
          acct.scheduledCancel = null;
          return '{"status":"ok","response":{"type":"default"}}';
        }
        if (typeof action.time !== 'number') return null;
        if (action.time < now + 5_000) return err(SIM_EXCHANGE_ERRORS.scheduleTooEarly);
        if ((acct.triggers.get(Math.floor(now / DAY_MS)) ?? 0) >= 10)
          return err(SIM_EXCHANGE_ERRORS.scheduleTooMany);
        acct.scheduledCancel = action.time;
        return '{"status":"ok","response":{"type":"default"}}';
      }
      case 'updateLeverage':
      case 'updateIsolatedMargin':
        return '{"status":"ok","response":{"type":"default"}}';
      default:
        return err(SIM_EXCHANGE_ERRORS.unknownAction(actionType));
    }
  }

  // ------------------------------------------------------------------------------------------
  // Orders
  // ------------------------------------------------------------------------------------------

  private coinOf(asset: unknown): string | null {
    if (typeof asset !== 'number' || !Number.isInteger(asset)) return null;
    return this.engine.coins[asset] ?? null;
  }

  /** Place one order of an `order` action, with the next scripted fault if there is one. */
  private placeScripted(acct: SimAccount, raw: unknown, now: number): OrderStatusJson {
    const fault = this.orderFaults.shift();
    if (fault === undefined) return this.placeOrder(acct, raw, now, null);
    this.faultsApplied[fault.kind]++;
    let status: OrderStatusJson;
    if (fault.kind === 'reject') {
      this.counters.orderErrors++;
      status = { error: fault.message };
    } else status = this.placeOrder(acct, raw, now, null, fault.maxSz);
    fault.afterPlace?.();
    return status;
  }

  /**
   * Place one wire order; `reuseOid` keeps an order's oid across a modify; `maxSz` caps what a taker
   * takes (a scripted partial fill).
   */
  private placeOrder(
    acct: SimAccount,
    raw: unknown,
    now: number,
    reuseOid: number | null,
    maxSz = Number.POSITIVE_INFINITY,
  ): OrderStatusJson {
    const fail = (error: string): OrderStatusJson => {
      this.counters.orderErrors++;
      return { error };
    };
    if (!isRecord(raw)) return fail('bad order');
    const w: WireOrder = raw;
    const coin = this.coinOf(w.a);
    if (coin === null) return fail(SIM_EXCHANGE_ERRORS.badAsset(w.a));
    if (
      typeof w.b !== 'boolean' ||
      typeof w.p !== 'string' ||
      typeof w.s !== 'string' ||
      typeof w.r !== 'boolean'
    )
      return fail('bad order');
    if (!isRecord(w.t)) return fail('bad order');
    if (!isRecord(w.t.limit)) return fail(SIM_EXCHANGE_ERRORS.unsupported('Trigger orders'));
    const tif = w.t.limit.tif;
    if (tif !== 'Gtc' && tif !== 'Ioc' && tif !== 'Alo')
      return fail(SIM_EXCHANGE_ERRORS.unsupported(`tif ${String(tif)}`));
    const cloid = typeof w.c === 'string' ? w.c.toLowerCase() : null;
    const m = this.engine.market(coin);
    const szDec = m.def.szDecimals;
    const pxDec = Math.max(0, 6 - szDec);
    if (!isValidPerpPx(w.p, szDec) || Number(w.p) <= 0) return fail(ORDER_ERRORS.tick);
    if (!isValidSize(w.s, szDec)) return fail(SIM_EXCHANGE_ERRORS.invalidSize);
    let lots = toUnits(w.s, szDec);
    if (lots <= 0) return fail(SIM_EXCHANGE_ERRORS.invalidSize);
    const pxU = toUnits(w.p, pxDec);
    const px = pxU / 10 ** pxDec;
    const isBuy = w.b;
    const pos = acct.position(coin);
    if (w.r) {
      const reduces = isBuy ? pos < 0 : pos > 0;
      if (!reduces) return fail(ORDER_ERRORS.reduceOnly);
      lots = Math.min(lots, Math.abs(pos));
    } else if (px * (lots / 10 ** szDec) < 10) {
      return fail(ORDER_ERRORS.minTradeNtl);
    }
    if (!w.r) {
      const after = Math.abs(pos + (isBuy ? lots : -lots)) / 10 ** szDec;
      const value = acct.equity + acct.realized - acct.fees;
      if ((after * px) / m.def.maxLeverage > value) return fail(ORDER_ERRORS.perpMargin);
    }
    const o: SimOrder = {
      user: acct.address,
      oid: reuseOid ?? this.nextOid++,
      coin,
      isBuy,
      pxU,
      pxDec,
      szDec,
      origLots: lots,
      lots,
      reduceOnly: w.r,
      tif: tif as SimTif,
      cloid,
      timestamp: now,
    };
    const liquidity = this.liquidityAgainst(o, m);
    if (tif === 'Alo' && liquidity.length > 0) {
      const bid = this.bestPx(m, true);
      const ask = this.bestPx(m, false);
      return fail(badAloPxError(`${bid}@${ask}`));
    }
    this.counters.ordersPlaced++;
    let filledLots = 0;
    let notionalU = 0;
    const maxLots = Number.isFinite(maxSz) ? Math.max(0, Math.round(maxSz * 10 ** szDec)) : o.lots;
    if (tif !== 'Alo') {
      for (const l of liquidity) {
        if (o.lots <= 0 || filledLots >= maxLots) break;
        const take = Math.min(o.lots, l.lots, maxLots - filledLots);
        if (take <= 0) continue;
        const hash = hex64(this.nextHash++, 0x5e);
        const tid = this.nextTid++;
        if (l.kind === 'book') {
          const lvl = l.side[l.index]!;
          const f = lvl.q > 0 ? lvl.b / lvl.q : 1;
          lvl.q -= take;
          lvl.b = lvl.q * f;
        } else {
          const maker = this.accounts.get(l.order.user)!;
          this.fill(maker, l.order, l.pxU, take, false, hash, tid, now);
          l.order.lots -= take;
          if (l.order.lots <= 0) this.finish(maker, l.order, 'filled', now);
        }
        this.fill(acct, o, l.pxU, take, true, hash, tid, now);
        o.lots -= take;
        filledLots += take;
        notionalU += l.pxU * take;
      }
      for (const side of [m.bids, m.asks]) {
        // drop emptied levels, keeping at least one per side
        for (let i = side.length - 1; i >= 0 && side.length > 1; i--) if (side[i]!.q <= 0) side.splice(i, 1);
        for (const lvl of side) if (lvl.q <= 0) lvl.q = 1;
      }
    }
    const filledStatus = (): OrderStatusJson => {
      const f: Record<string, unknown> = {
        totalSz: szString(filledLots, szDec),
        avgPx: trimNumber(notionalU / filledLots / 10 ** pxDec, pxDec + 2),
        oid: o.oid,
      };
      if (cloid !== null) f.cloid = cloid;
      return { filled: f };
    };
    if (tif === 'Ioc') {
      if (filledLots === 0) {
        acct.setStatus(o, 'iocCancelRejected', now);
        this.counters.orderErrors++;
        return { error: ORDER_ERRORS.iocCancel };
      }
      this.finish(acct, o, o.lots > 0 ? 'canceled' : 'filled', now);
      return filledStatus();
    }
    if (o.lots <= 0) {
      this.finish(acct, o, 'filled', now);
      return filledStatus();
    }
    acct.open.set(o.oid, o);
    acct.setStatus(o, 'open', now);
    this.push(acct.address, 'orderUpdates', orderUpdatesFrame([orderUpdateJson(o, 'open', now)]));
    const r: Record<string, unknown> = { oid: o.oid };
    if (cloid !== null) r.cloid = cloid;
    return { resting: r };
  }

  /** Opposite-side liquidity that crosses `o`'s limit, best price first (accounts' orders first at a price). */
  private liquidityAgainst(o: SimOrder, m: CoinMarket): Liquidity[] {
    const scale = 10 ** (o.pxDec - m.tickDec);
    const side = o.isBuy ? m.asks : m.bids;
    const crosses = (pxU: number) => (o.isBuy ? pxU <= o.pxU : pxU >= o.pxU);
    const out: Liquidity[] = [];
    for (let i = 0; i < side.length; i++) {
      const pxU = side[i]!.p * scale;
      if (!crosses(pxU)) break;
      out.push({ kind: 'book', pxU, lots: side[i]!.q - (i === side.length - 1 ? 1 : 0), side, index: i });
    }
    for (const a of this.accounts.values()) {
      if (a.address === o.user) continue; // no self-trade
      for (const r of a.open.values()) {
        if (r.coin !== o.coin || r.isBuy === o.isBuy || !crosses(r.pxU)) continue;
        out.push({ kind: 'user', pxU: r.pxU, lots: r.lots, order: r });
      }
    }
    out.sort(
      (x, y) =>
        (o.isBuy ? x.pxU - y.pxU : y.pxU - x.pxU) || (x.kind === y.kind ? 0 : x.kind === 'user' ? -1 : 1),
    );
    return out;
  }

  private bestPx(m: CoinMarket, bid: boolean): string {
    const l = bid ? m.bids[0] : m.asks[0];
    return l === undefined ? 'none' : m.formatPx(l.p);
  }

  /** An order leaves the book (or never rests): record its final status and push the update. */
  private finish(acct: SimAccount, o: SimOrder, status: string, now: number): void {
    acct.open.delete(o.oid);
    acct.setStatus(o, status, now);
    this.push(acct.address, 'orderUpdates', orderUpdatesFrame([orderUpdateJson(o, status, now)]));
  }

  private fill(
    acct: SimAccount,
    o: SimOrder,
    pxU: number,
    lots: number,
    crossed: boolean,
    hash: string,
    tid: number,
    now: number,
  ): void {
    const px = pxU / 10 ** o.pxDec;
    const unit = 10 ** -o.szDec;
    const p = acct.positions.get(o.coin) ?? { lots: 0, entryPx: 0, szDec: o.szDec };
    const start = p.lots;
    const signed = o.isBuy ? lots : -lots;
    let closedPnl = 0;
    let dir: string;
    if (start === 0 || Math.sign(start) === Math.sign(signed)) {
      p.entryPx = (Math.abs(start) * p.entryPx + lots * px) / (Math.abs(start) + lots);
      dir = o.isBuy ? 'Open Long' : 'Open Short';
    } else {
      const closing = Math.min(lots, Math.abs(start));
      closedPnl = closing * unit * (px - p.entryPx) * Math.sign(start);
      if (lots > Math.abs(start)) {
        p.entryPx = px;
        dir = o.isBuy ? 'Short > Long' : 'Long > Short';
      } else dir = o.isBuy ? 'Close Short' : 'Close Long';
    }
    p.lots = start + signed;
    if (p.lots === 0) p.entryPx = 0;
    acct.positions.set(o.coin, p);
    const fee = px * lots * unit * (crossed ? this.takerFee : this.makerFee);
    acct.realized += closedPnl;
    acct.fees += fee;
    const f: SimFill = {
      coin: o.coin,
      px: pxString({ pxU, pxDec: o.pxDec }),
      sz: szString(lots, o.szDec),
      side: o.isBuy ? 'B' : 'A',
      time: now,
      startPosition: formatScaled(start, o.szDec),
      dir,
      closedPnl: trimNumber(closedPnl, 6),
      hash,
      oid: o.oid,
      crossed,
      fee: trimNumber(fee, 6),
      tid,
      feeToken: 'USDC',
    };
    if (o.cloid !== null) f.cloid = o.cloid;
    acct.fills.push(f);
    this.counters.fills++;
    this.push(acct.address, 'userFills', userFillsFrame(acct.address, [f], false));
    this.push(acct.address, 'userEvents', userEventsFillsFrame([f]));
  }

  private cancelOne(
    acct: SimAccount,
    asset: unknown,
    match: (o: SimOrder) => boolean,
    now: number,
  ): OrderStatusJson {
    const coin = this.coinOf(asset);
    for (const o of acct.open.values()) {
      if (o.coin === coin && match(o)) {
        this.counters.cancels++;
        this.finish(acct, o, 'canceled', now);
        return 'success';
      }
    }
    return { error: ORDER_ERRORS.cancelMissingOrder };
  }

  /** Modify an open order (by oid or cloid): it keeps its oid and is placed again at the new terms. */
  private modifyOne(acct: SimAccount, target: unknown, order: unknown, now: number): string | null {
    let o: SimOrder | undefined;
    if (typeof target === 'number') o = acct.open.get(target);
    else if (typeof target === 'string') o = acct.byCloid(target.toLowerCase());
    if (o === undefined) return ORDER_ERRORS.cancelMissingOrder;
    acct.open.delete(o.oid);
    const r = this.placeOrder(acct, order, now, o.oid);
    if (isRecord(r) && typeof r.error === 'string') {
      // the venue leaves the original order in place when the new terms are refused
      acct.open.set(o.oid, o);
      return r.error;
    }
    this.counters.modifies++;
    return null;
  }

  // ------------------------------------------------------------------------------------------
  // Blocks
  // ------------------------------------------------------------------------------------------

  /** After each block: the dead-man switches that are due, and resting orders the market traded through. */
  onBlock(): void {
    const now = this.engine.time;
    for (const a of this.accounts.values()) {
      if (a.scheduledCancel !== null && a.scheduledCancel <= now) {
        a.scheduledCancel = null;
        const day = Math.floor(now / DAY_MS);
        a.triggers.set(day, (a.triggers.get(day) ?? 0) + 1);
        this.counters.scheduledCancelTriggers++;
        for (const o of [...a.open.values()]) this.finish(a, o, 'scheduledCancel', now);
      }
    }
    // each trade of this block can fill resting orders up to its size once
    const used = new Map<string, number>();
    for (const a of this.accounts.values()) {
      for (const o of [...a.open.values()]) {
        const m = this.engine.market(o.coin);
        const scale = 10 ** (o.pxDec - m.tickDec);
        let through = 0;
        const opp = o.isBuy ? m.asks[0] : m.bids[0];
        if (opp !== undefined && (o.isBuy ? opp.p * scale <= o.pxU : opp.p * scale >= o.pxU)) {
          through = o.lots; // the book moved through the order's price
        } else {
          m.trades.forEach((t, i) => {
            if (through >= o.lots) return;
            const hits = o.isBuy
              ? t.side === 'A' && t.pxTicks * scale <= o.pxU
              : t.side === 'B' && t.pxTicks * scale >= o.pxU;
            if (!hits) return;
            const key = `${o.coin}:${i}`;
            const left = t.lots - (used.get(key) ?? 0);
            const take = Math.min(left, o.lots - through);
            if (take <= 0) return;
            used.set(key, (used.get(key) ?? 0) + take);
            through += take;
          });
        }
        if (o.reduceOnly) {
          const pos = a.position(o.coin);
          const room = (o.isBuy ? pos < 0 : pos > 0) ? Math.abs(pos) : 0;
          if (room === 0) {
            this.finish(a, o, 'reduceOnlyCanceled', now);
            continue;
          }
          through = Math.min(through, room);
        }
        if (through <= 0) continue;
        this.fill(a, o, o.pxU, through, false, hex64(this.nextHash++, 0x6d), this.nextTid++, now);
        o.lots -= through;
        if (o.lots <= 0) this.finish(a, o, 'filled', now);
        else a.setStatus(o, 'open', now);
      }
    }
  }

  private push(user: string, sub: PrivatePush['sub'], text: string): void {
    this.outbox.push({ user, sub, text });
  }
}

function err(message: string): string {
  return JSON.stringify({ status: 'err', response: message });
}

function okStatuses(type: string, statuses: OrderStatusJson[]): string {
  return JSON.stringify({ status: 'ok', response: { type, data: { statuses } } });
}
