/**
 * The signer worker body: the only place that holds the private key while the live venue runs. It
 * receives the key once (`init`), answers `ready` with the derived address, then signs L1 actions
 * it is sent (action + nonce + vault + expiry) and returns only `{ r, s, v }`. It never sends the key
 * back, never logs, and exits on `close`.
 */
import { parentPort } from 'node:worker_threads';
import { addressFromPrivateKey, signL1Action } from '../../../hyperliquid/signing.ts';
import type { SignerReply, SignerRequest } from './signer-protocol.ts';

let key: string | null = null;
const port = parentPort;
if (port === null) throw new Error('signer-worker: must run in a worker thread');

port.on('message', (m: SignerRequest) => {
  const reply = (r: SignerReply) => port.postMessage(r);
  switch (m.type) {
    case 'init': {
      try {
        const address = addressFromPrivateKey(m.key);
        key = m.key;
        reply({ type: 'ready', address });
      } catch {
        reply({ type: 'initError', message: 'signer: the key is not a valid secp256k1 private key' });
      }
      return;
    }
    case 'sign': {
      if (key === null) {
        reply({ type: 'signed', id: m.id, error: 'signer: not initialised' });
        return;
      }
      try {
        const sig = signL1Action({
          privateKey: key,
          action: m.action,
          nonce: m.nonce,
          vaultAddress: m.vaultAddress,
          expiresAfter: m.expiresAfter,
          isMainnet: m.isMainnet,
        });
        reply({ type: 'signed', id: m.id, sig });
      } catch (e) {
        reply({ type: 'signed', id: m.id, error: `signer: ${e instanceof Error ? e.message : String(e)}` });
      }
      return;
    }
    case 'close':
      key = null;
      port.close();
      return;
  }
});
