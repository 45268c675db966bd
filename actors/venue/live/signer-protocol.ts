/** Messages between the live venue and its signer worker (signer-worker.ts). */
import type { SignatureRSV } from '../../../hyperliquid/signing.ts';
import type { L1Action } from '../../../hyperliquid/wire.ts';

export type SignerRequest =
  | { type: 'init'; key: string }
  | {
      type: 'sign';
      id: number;
      action: L1Action;
      nonce: number;
      vaultAddress: string | null;
      expiresAfter: number | null;
      isMainnet: boolean;
    }
  | { type: 'close' };

export type SignerReply =
  | { type: 'ready'; address: string }
  | { type: 'initError'; message: string }
  | { type: 'signed'; id: number; sig?: SignatureRSV; error?: string };
