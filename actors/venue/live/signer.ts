/**
 * Key isolation for the live venue. `KeySource` is what runtime/secrets.ts hands over (an opaque
 * holder that lends the key to a callback and redacts itself everywhere else). `startWorkerSigner`
 * lends it once to a dedicated worker thread (signer-worker.ts) and keeps nothing: the main thread
 * sends unsigned actions + nonces and receives `{ r, s, v }`. `inlineKeySigner` keeps the key in a
 * closure instead (fallback when workers are not wanted, e.g. benchmarks).
 */
import { Worker } from 'node:worker_threads';
import { type ActionSigner, inlineSigner, type L1SignRequest } from '../../../hyperliquid/exchange.ts';
import type { SignatureRSV } from '../../../hyperliquid/signing.ts';
import type { SignerReply, SignerRequest } from './signer-protocol.ts';

/** Lends the private key to `fn` for the duration of the call; never stores it anywhere else. */
export interface KeySource {
  withKey<T>(fn: (key: string) => T): T;
}

export interface WorkerSigner extends ActionSigner {
  /** Signatures requested and not yet answered. */
  readonly pending: number;
  /** Stop the worker (the key goes with it). Pending requests are rejected. */
  close(): Promise<void>;
}

export class SignerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignerError';
  }
}

/** Start the signer worker and hand it the key; resolves once it answered with its address. */
export async function startWorkerSigner(source: KeySource): Promise<WorkerSigner> {
  // Compiled (dist/) the worker starts straight from signer-worker.js; from the sources through the
  // bootstrap that registers tsx in the worker thread.
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSources ? './signer-worker.ts' : './signer-worker.js', import.meta.url);
  const worker = new Worker(fromSources ? new URL('../../worker-boot.mjs', import.meta.url) : entry, {
    workerData: { entry: entry.href },
  });
  const waiting = new Map<number, { resolve: (s: SignatureRSV) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let dead: string | null = null;
  const failAll = (why: string) => {
    dead = why;
    for (const w of waiting.values()) w.reject(new SignerError(why));
    waiting.clear();
  };
  const address = await new Promise<string>((resolve, reject) => {
    const onMessage = (m: SignerReply) => {
      if (m.type === 'ready') {
        worker.off('message', onMessage);
        resolve(m.address);
      } else if (m.type === 'initError') {
        worker.off('message', onMessage);
        void worker.terminate();
        reject(new SignerError(m.message));
      }
    };
    worker.on('message', onMessage);
    worker.once('error', (e) => reject(new SignerError(`signer worker failed to start: ${e.message}`)));
    source.withKey((key) => worker.postMessage({ type: 'init', key } satisfies SignerRequest));
  });
  worker.on('message', (m: SignerReply) => {
    if (m.type !== 'signed') return;
    const w = waiting.get(m.id);
    if (w === undefined) return;
    waiting.delete(m.id);
    if (m.sig !== undefined) w.resolve(m.sig);
    else w.reject(new SignerError(m.error ?? 'signer: no signature'));
  });
  worker.on('error', (e) => failAll(`signer worker crashed: ${e.message}`));
  worker.on('exit', (code) => failAll(`signer worker exited (code ${code})`));

  return {
    address,
    get pending() {
      return waiting.size;
    },
    signL1(req: L1SignRequest): Promise<SignatureRSV> {
      if (dead !== null) return Promise.reject(new SignerError(dead));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        const msg: SignerRequest = {
          type: 'sign',
          id,
          action: req.action,
          nonce: req.nonce,
          vaultAddress: req.vaultAddress,
          expiresAfter: req.expiresAfter,
          isMainnet: req.isMainnet,
        };
        worker.postMessage(msg);
      });
    },
    async close() {
      if (dead !== null) return;
      worker.postMessage({ type: 'close' } satisfies SignerRequest);
      await worker.terminate();
      failAll('signer closed');
    },
  };
}

/** A signer that keeps the key in its closure (no worker). */
export function inlineKeySigner(source: KeySource): ActionSigner & { close(): Promise<void> } {
  const s = source.withKey((key) => inlineSigner(key));
  return { address: s.address, signL1: (r) => s.signL1(r), close: async () => {} };
}
