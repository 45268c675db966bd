/** Test helper: a plain `ws` client that records every text frame and lets a test await frames. */
import WebSocket from 'ws';

export class TestClient {
  readonly frames: string[] = [];
  closeInfo: { code: number; reason: string } | null = null;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (d) => {
      this.frames.push(String(d));
      this.poke();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: String(reason) };
        resolve(this.closeInfo);
        this.poke();
      });
    });
    ws.on('error', () => {
      /* surfaced through close */
    });
  }

  static connect(url: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const c = new TestClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  private poke(): void {
    this.waiters = this.waiters.filter((w) => {
      if (w.check()) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  private until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  subscribe(subscription: Record<string, unknown>): void {
    this.send({ method: 'subscribe', subscription });
  }

  /** Resolve once `n` frames in total have arrived. */
  waitForCount(n: number): Promise<void> {
    return this.until(() => this.frames.length >= n);
  }

  /** Resolve with the first frame (at index >= from) matching `pred`. */
  async waitFor(pred: (f: string) => boolean, from = 0): Promise<string> {
    let found: string | undefined;
    await this.until(() => {
      for (let i = from; i < this.frames.length; i++) {
        if (pred(this.frames[i]!)) {
          found = this.frames[i]!;
          return true;
        }
      }
      return false;
    });
    return found!;
  }

  waitClosed(): Promise<{ code: number; reason: string }> {
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }
}

export function channelOf(frame: string): string {
  try {
    return (JSON.parse(frame) as { channel?: string }).channel ?? '';
  } catch {
    return '<non-json>';
  }
}
