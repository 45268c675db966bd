/**
 * Fault injection for the simulated venue, per connection (`conn` = connection id) or for all
 * connections (`conn` omitted). Every injected frame is counted in the connection's stats under
 * its channel (or `malformed`), so a test can compare what it received with what was sent.
 */
import type { Conn } from './connection.ts';
import type { Engine } from './engine.ts';
import { tradeJson } from './frames.ts';
import { Rng } from './rng.ts';

export interface FaultHost {
  /** Open connections, or just `conn` when given. */
  conns(conn?: number): Conn[];
  simNow(): number;
  readonly engine: Engine;
  /** Stop listening and drop every connection. */
  goDown(): Promise<void>;
  /** Listen again on the same port. */
  comeUp(): Promise<void>;
  /** Wait `ms` on the server's clock. */
  wait(ms: number): Promise<void>;
}

export type FaultChannel = 'l2Book' | 'trades' | 'bbo' | 'activeAssetCtx' | 'allMids';

export const DEFAULT_MALFORMED = '{"channel":"l2Book","data":{"coin":"BTC","time":17672256';

/** Valid JSON with the wrong shape on a real channel. */
export function schemaInvalidFrame(channel: FaultChannel, coin: string): string {
  switch (channel) {
    case 'l2Book':
      return `{"channel":"l2Book","data":{"coin":"${coin}","time":"not-a-number","levels":[[{"px":106217,"sz":"0.1"}]]}}`;
    case 'trades':
      return `{"channel":"trades","data":{"coin":"${coin}","side":"X","px":1,"sz":"1"}}`;
    case 'bbo':
      return `{"channel":"bbo","data":{"coin":"${coin}","time":1,"bbo":"none"}}`;
    case 'activeAssetCtx':
      return `{"channel":"activeAssetCtx","data":{"coin":"${coin}","ctx":{"funding":0.0001,"openInterest":null}}}`;
    case 'allMids':
      return '{"channel":"allMids","data":{"mids":[1,2,3]}}';
  }
}

export class Faults {
  private readonly globalRejects: { match: Record<string, unknown>; message?: string }[] = [];
  private readonly scheduled: { at: number; seq: number; fn: (f: Faults) => void }[] = [];
  private seq = 0;
  private readonly rng: Rng;
  /** Totals of injected faults, by kind. */
  readonly injected: Record<string, number> = {};

  constructor(private readonly host: FaultHost) {
    this.rng = Rng.derive(host.engine.seed, 'faults');
  }

  private count(kind: string, n = 1): void {
    this.injected[kind] = (this.injected[kind] ?? 0) + n;
  }

  /** Abrupt close (TCP reset, no close frame). Returns how many connections were dropped. */
  terminate(conn?: number): number {
    const cs = this.host.conns(conn);
    for (const c of cs) c.terminate('fault: terminate');
    this.count('terminate', cs.length);
    return cs.length;
  }

  /** Half-open stall: the socket stays open, nothing is sent (no data, acks, errors or pongs). */
  stall(conn?: number, on = true): void {
    for (const c of this.host.conns(conn)) c.stalled = on;
    if (on) this.count('stall');
  }

  /** Pongs are withheld; data keeps flowing. */
  withholdPong(conn?: number, on = true): void {
    for (const c of this.host.conns(conn)) c.withholdPong = on;
    if (on) this.count('withholdPong');
  }

  /** Server restart: drop everything, stop listening, listen again on the same port after `downMs`. */
  async restart(opts: { downMs?: number } = {}): Promise<void> {
    this.count('restart');
    await this.host.goDown();
    if ((opts.downMs ?? 0) > 0) await this.host.wait(opts.downMs!);
    await this.host.comeUp();
  }

  /**
   * The next subscribe whose subscription contains every key/value of `match` gets an error frame
   * (default `Invalid subscription {…}`) instead of an ack. Once per call.
   */
  rejectNextSubscribe(match: Record<string, unknown>, opts: { conn?: number; message?: string } = {}): void {
    const rule = opts.message === undefined ? { match } : { match, message: opts.message };
    if (opts.conn === undefined) this.globalRejects.push(rule);
    else for (const c of this.host.conns(opts.conn)) c.rejectRules.push(rule);
  }

  /** Used by the server: the rejection that applies to this subscribe, consumed, or null. */
  takeRejection(conn: Conn, sub: Record<string, unknown>): { message?: string } | null {
    const matches = (m: Record<string, unknown>) => Object.entries(m).every(([k, v]) => sub[k] === v);
    for (const list of [conn.rejectRules, this.globalRejects]) {
      const i = list.findIndex((r) => matches(r.match));
      if (i >= 0) {
        const [r] = list.splice(i, 1);
        this.count('rejectSubscribe');
        return r!.message === undefined ? {} : { message: r!.message };
      }
    }
    return null;
  }

  /** Send a frame that is not valid JSON. Returns frames sent. */
  malformed(conn?: number, text = DEFAULT_MALFORMED): number {
    return this.sendEach(conn, () => text, 'malformed', 'malformed');
  }

  /** Send valid JSON with the wrong shape on a real channel. */
  schemaInvalid(conn?: number, channel: FaultChannel = 'l2Book', coin?: string): number {
    const c = coin ?? this.host.engine.coins[0]!;
    return this.sendEach(conn, () => schemaInvalidFrame(channel, c), channel, 'schemaInvalid');
  }

  /**
   * Send an l2Book snapshot of `coin` whose `time` is `backMs` before the last l2Book this
   * connection got for it (only to connections that got one).
   */
  bookTimeBackwards(coin: string, backMs = 1_000, conn?: number): number {
    const eng = this.host.engine;
    const m = eng.market(coin);
    let n = 0;
    for (const c of this.host.conns(conn)) {
      const last = c.lastBookTime.get(coin);
      if (last === undefined) continue;
      const t = last - backMs;
      const bids = m.bids
        .slice(0, 20)
        .map((l) => `{"px":"${m.formatPx(l.p)}","sz":"${m.formatSz(l.q)}","n":${l.n}}`);
      const asks = m.asks
        .slice(0, 20)
        .map((l) => `{"px":"${m.formatPx(l.p)}","sz":"${m.formatSz(l.q)}","n":${l.n}}`);
      const f = `{"channel":"l2Book","data":{"coin":"${coin}","time":${t},"levels":[[${bids.join(',')}],[${asks.join(',')}]]}}`;
      if (c.send(f, 'l2Book', this.host.simNow())) {
        c.lastBookTime.set(coin, t);
        n++;
      }
    }
    this.count('bookTimeBackwards', n);
    return n;
  }

  /** Resend the last trades frame of `coin` (same coin/time/tid) to connections that got one. */
  duplicateTrades(coin: string, conn?: number): number {
    let n = 0;
    for (const c of this.host.conns(conn)) {
      const f = c.lastTradesFrame.get(coin);
      if (f !== undefined && c.send(f, 'trades', this.host.simNow())) n++;
    }
    this.count('duplicateTrades', n);
    return n;
  }

  /**
   * Send `n` distinct valid `trades` frames (one trade each, fresh tid) as fast as possible.
   * Returns the number of frames handed to the sockets (per connection × connections).
   */
  burst(n: number, opts: { conn?: number; coin?: string } = {}): number {
    const eng = this.host.engine;
    const coin = opts.coin ?? eng.coins[0]!;
    const m = eng.market(coin);
    const cs = this.host.conns(opts.conn);
    const px = m.bids[0]?.p ?? m.markTicks;
    let sent = 0;
    for (let i = 0; i < n; i++) {
      const side = this.rng.chance(0.5) ? 'B' : 'A';
      const a = eng.wallets[this.rng.int(eng.wallets.length)]!;
      const b = eng.wallets[this.rng.int(eng.wallets.length)]!;
      const trade = tradeJson(
        m,
        {
          side,
          pxTicks: px,
          lots: 1 + this.rng.int(1000),
          hash: '0x' + this.rng.hex(32),
          tid: this.rng.u50(),
          buyer: a,
          seller: b,
        },
        eng.time,
      );
      const f = `{"channel":"trades","data":[${trade}]}`;
      for (const c of cs) if (c.send(f, 'trades', this.host.simNow())) sent++;
    }
    this.count('burstFrames', sent);
    return sent;
  }

  /** Run `fn` when the simulation reaches `simTime` (scripted faults). */
  at(simTime: number, fn: (f: Faults) => void): void {
    this.scheduled.push({ at: simTime, seq: this.seq++, fn });
    this.scheduled.sort((x, y) => x.at - y.at || x.seq - y.seq);
  }

  /** Used by the server after each block: run scripted faults that are due. */
  runDue(now: number): void {
    while (this.scheduled.length > 0 && this.scheduled[0]!.at <= now) {
      const s = this.scheduled.shift()!;
      s.fn(this);
    }
  }

  private sendEach(conn: number | undefined, make: () => string, channel: string, kind: string): number {
    let n = 0;
    for (const c of this.host.conns(conn)) if (c.send(make(), channel, this.host.simNow())) n++;
    this.count(kind, n);
    return n;
  }
}
