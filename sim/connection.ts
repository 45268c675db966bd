/**
 * One client connection of the simulated venue: its feed, its fault switches and its counters.
 * Every frame the server means to send goes through `send`, so nothing is dropped without a count.
 */
import type { WebSocket } from 'ws';
import type { Feed } from './feed.ts';

export interface ConnStats {
  id: number;
  open: boolean;
  /** Frames handed to the socket, per channel (`pong`, `error`, `subscriptionResponse`, `malformed`, …). */
  framesByChannel: Record<string, number>;
  framesSent: number;
  bytesSent: number;
  /** Frames not sent because the connection was stalled (half-open fault). */
  suppressed: number;
  /** Frames not sent because the socket was no longer open. */
  droppedClosed: number;
  /** Bytes queued in the socket but not yet written (slow reader), now and at most. */
  bufferedAmount: number;
  maxBufferedAmount: number;
  /** Messages received from the client, and how many were refused (rate limit, parse errors, …). */
  messagesReceived: number;
  errorsSent: number;
  closeReason: string | null;
}

export interface RejectRule {
  match: Record<string, unknown>;
  message?: string;
}

export class Conn {
  readonly stats: ConnStats;
  stalled = false;
  withholdPong = false;
  lastSentSim: number;
  readonly msgTimes: number[] = [];
  readonly lastBookTime = new Map<string, number>();
  readonly lastTradesFrame = new Map<string, string>();
  readonly rejectRules: RejectRule[] = [];

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    readonly feed: Feed,
    now: number,
    private readonly maxBufferedBytes: number,
  ) {
    this.lastSentSim = now;
    this.stats = {
      id,
      open: true,
      framesByChannel: {},
      framesSent: 0,
      bytesSent: 0,
      suppressed: 0,
      droppedClosed: 0,
      bufferedAmount: 0,
      maxBufferedAmount: 0,
      messagesReceived: 0,
      errorsSent: 0,
      closeReason: null,
    };
  }

  /** Send a text frame (counted under `channel`). Returns whether it was handed to the socket. */
  send(text: string, channel: string, now: number, force = false): boolean {
    const s = this.stats;
    if (this.stalled && !force) {
      s.suppressed++;
      return false;
    }
    if (this.ws.readyState !== this.ws.OPEN) {
      s.droppedClosed++;
      return false;
    }
    this.ws.send(text);
    s.framesSent++;
    s.bytesSent += text.length;
    s.framesByChannel[channel] = (s.framesByChannel[channel] ?? 0) + 1;
    if (channel === 'error') s.errorsSent++;
    this.lastSentSim = now;
    const b = this.ws.bufferedAmount;
    s.bufferedAmount = b;
    if (b > s.maxBufferedAmount) s.maxBufferedAmount = b;
    if (this.maxBufferedBytes > 0 && b > this.maxBufferedBytes) {
      this.close(1008, `slow consumer: ${b} bytes queued`);
    }
    return true;
  }

  /** Whether the server has started closing this connection. */
  get closing(): boolean {
    return this.stats.closeReason !== null;
  }

  close(code: number, reason: string): void {
    if (this.stats.closeReason === null) this.stats.closeReason = `${code} ${reason}`;
    this.ws.close(code, reason);
  }

  terminate(reason: string): void {
    if (this.stats.closeReason === null) this.stats.closeReason = reason;
    this.ws.terminate();
  }

  snapshot(): ConnStats {
    const s = this.stats;
    s.bufferedAmount = this.ws.bufferedAmount;
    if (s.bufferedAmount > s.maxBufferedAmount) s.maxBufferedAmount = s.bufferedAmount;
    return { ...s, framesByChannel: { ...s.framesByChannel } };
  }
}
