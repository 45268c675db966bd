import { unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { packPython } from '../../hyperliquid/msgpack.ts';
import {
  AGENT_FIELDS,
  L1_DOMAIN,
  USD_SEND_PRIMARY_TYPE,
  USD_SEND_TYPES,
  actionHash,
  actionHashPreimage,
  addressFromPrivateKey,
  domainSeparator,
  floatToIntForHashing,
  floatToUsdInt,
  floatToWire,
  l1Digest,
  recoverL1Signer,
  recoverUserSignedSigner,
  sameSignatureComponent,
  signL1Action,
  signUserSignedAction,
  typeHash,
  userSignedDigest,
  userSignedDomain,
} from '../../hyperliquid/signing.ts';
import { fixtureJson } from './fixtures.ts';

interface Sig {
  r: string;
  s: string;
  v: number;
}
interface NetVector {
  phantomAgent: { source: string; connectionId: string };
  eip712Digest: string;
  published: Sig;
  padded: Sig;
}
interface L1Vector {
  test: string;
  privateKey: string;
  signerAddress: string;
  action: Record<string, unknown>;
  nonce: number;
  vaultAddress: string | null;
  expiresAfter: number | null;
  msgpackHex: string;
  connectionId: string;
  mainnet: NetVector;
  testnet: NetVector;
}
interface UserVector {
  test: string;
  privateKey: string;
  signerAddress: string;
  signatureChainId: string;
  domain: { name: string; version: string; chainId: number; verifyingContract: string };
  primaryType: string;
  types: { name: string; type: string }[];
  message: Record<string, unknown>;
  eip712Digest: string;
  published: Sig;
  padded: Sig;
}
interface Vectors {
  l1DomainSeparator: string;
  agentTypeHash: string;
  phantomAgentConnectionId: {
    action: Record<string, unknown>;
    nonce: number;
    vaultAddress: null;
    msgpackHex: string;
    expectedConnectionId: string;
  };
  floatToWire: {
    pythonFloatToIntForHashing: { cases: [number, string | number][]; mustThrow: number[] };
    rustFloatToStringForHashing: { cases: [number | string, string][] };
    pythonFloatToWireFromSigningTests: { cases: [number, string][] };
  };
  l1Actions: L1Vector[];
  userSigned: UserVector[];
}

const V = fixtureJson<Vectors>('signing/python_sdk_vectors.json');
const big = (h: string) => BigInt(h.startsWith('0x') ? h : `0x${h}`);
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

describe('EIP-712 constants', () => {
  it('L1 domain separator and Agent type hash', () => {
    expect(domainSeparator(L1_DOMAIN)).toBe(V.l1DomainSeparator);
    expect(typeHash('Agent', AGENT_FIELDS)).toBe(V.agentTypeHash);
  });
  it('user-signed domain (chain 0x66eee) and UsdSend type hash (doc §5.3)', () => {
    expect(domainSeparator(userSignedDomain('0x66eee'))).toBe(
      '0xfeb1393ca4412a4ca577bd51d04f0a77033514c602f4d0a11490fb95f7428df6',
    );
    expect(typeHash(USD_SEND_PRIMARY_TYPE, USD_SEND_TYPES)).toBe(
      '0xc7410964737e2180e258d649f23f74a49460432fecbd94688103ecc63fb66b4c',
    );
  });
});

describe('phantom agent connectionId matches production (Python test)', () => {
  it('msgpack bytes and connectionId', () => {
    const p = V.phantomAgentConnectionId;
    expect(hex(packPython(p.action as never))).toBe(p.msgpackHex);
    expect(actionHash(p.action, p.nonce, p.vaultAddress)).toBe(p.expectedConnectionId);
  });
});

describe('every L1 vector of the Python SDK', () => {
  for (const v of V.l1Actions) {
    describe(v.test, () => {
      it('msgpack bytes and connectionId', () => {
        expect(hex(packPython(v.action as never))).toBe(v.msgpackHex);
        const pre = actionHashPreimage(v.action, v.nonce, v.vaultAddress, v.expiresAfter);
        expect(hex(pre).startsWith(v.msgpackHex)).toBe(true);
        expect(actionHash(v.action, v.nonce, v.vaultAddress, v.expiresAfter)).toBe(v.connectionId);
      });
      it('signer address of the key', () => {
        expect(addressFromPrivateKey(v.privateKey)).toBe(v.signerAddress);
      });
      for (const net of ['mainnet', 'testnet'] as const) {
        it(`${net}: digest, r/s/v (as 256-bit integers), padding, recovery`, () => {
          const n = v[net];
          expect(n.phantomAgent.source).toBe(net === 'mainnet' ? 'a' : 'b');
          expect(l1Digest(v.connectionId, net === 'mainnet')).toBe(n.eip712Digest);
          const sig = signL1Action({
            privateKey: v.privateKey,
            action: v.action,
            nonce: v.nonce,
            vaultAddress: v.vaultAddress,
            expiresAfter: v.expiresAfter,
            isMainnet: net === 'mainnet',
          });
          expect(big(sig.r)).toBe(big(n.published.r));
          expect(big(sig.s)).toBe(big(n.published.s));
          expect(sig.v).toBe(n.published.v);
          expect(sig).toEqual(n.padded);
          expect(sig.r).toMatch(/^0x[0-9a-f]{64}$/);
          expect(sig.s).toMatch(/^0x[0-9a-f]{64}$/);
          // The simulator's check: recover from the published (unpadded) signature.
          const params = {
            action: v.action,
            nonce: v.nonce,
            vaultAddress: v.vaultAddress,
            expiresAfter: v.expiresAfter,
            isMainnet: net === 'mainnet',
          };
          expect(recoverL1Signer({ ...params, signature: n.published })).toBe(v.signerAddress);
          // Wrong network, nonce or action recovers someone else.
          expect(
            recoverL1Signer({ ...params, isMainnet: net !== 'mainnet', signature: n.published }),
          ).not.toBe(v.signerAddress);
          expect(recoverL1Signer({ ...params, nonce: v.nonce + 1, signature: n.published })).not.toBe(
            v.signerAddress,
          );
        });
      }
    });
  }
});

describe('every user-signed vector of the Python SDK', () => {
  for (const u of V.userSigned) {
    it(u.test, () => {
      const action = { ...u.message, signatureChainId: u.signatureChainId };
      expect(u.domain.chainId).toBe(Number(u.signatureChainId));
      expect(userSignedDigest(action, u.types, u.primaryType)).toBe(u.eip712Digest);
      const sig = signUserSignedAction({
        privateKey: u.privateKey,
        action,
        types: u.types,
        primaryType: u.primaryType,
      });
      expect(big(sig.r)).toBe(big(u.published.r));
      expect(big(sig.s)).toBe(big(u.published.s));
      expect(sig.v).toBe(u.published.v);
      expect(sig).toEqual(u.padded);
      expect(
        recoverUserSignedSigner({
          action,
          types: u.types,
          primaryType: u.primaryType,
          signature: u.published,
        }),
      ).toBe(u.signerAddress);
      const tampered = { ...action, amount: '2' };
      expect(
        recoverUserSignedSigner({
          action: tampered,
          types: u.types,
          primaryType: u.primaryType,
          signature: u.published,
        }),
      ).not.toBe(u.signerAddress);
    });
  }
});

describe('signature handling', () => {
  const v = V.l1Actions[3]!; // with vault: mainnet r has leading zero bytes
  it('published r without leading zeros equals the padded one as an integer', () => {
    expect(v.mainnet.published.r.length).toBeLessThan(66);
    expect(sameSignatureComponent(v.mainnet.published.r, v.mainnet.padded.r)).toBe(true);
    expect(sameSignatureComponent('0x01', '0x02')).toBe(false);
    expect(sameSignatureComponent('zz', '0x02')).toBe(false);
  });
  it('malformed signatures recover to null, never throw', () => {
    const base = { action: v.action, nonce: 0, vaultAddress: v.vaultAddress, isMainnet: true };
    expect(recoverL1Signer({ ...base, signature: { r: 'zz', s: '0x1', v: 27 } })).toBeNull();
    expect(recoverL1Signer({ ...base, signature: { r: '0x0', s: '0x0', v: 27 } })).toBeNull();
    expect(recoverL1Signer({ ...base, signature: { ...v.mainnet.published, v: 5 } })).toBeNull();
    expect(recoverL1Signer({ ...base, vaultAddress: '0x12', signature: v.mainnet.published })).toBeNull();
    expect(
      recoverL1Signer({ ...base, action: { type: 'x', px: 1.5 }, signature: v.mainnet.published }),
    ).toBeNull();
  });
  it('v as 0/1 is accepted for recovery', () => {
    const n = v.mainnet;
    const params = { action: v.action, nonce: 0, vaultAddress: v.vaultAddress, isMainnet: true };
    expect(recoverL1Signer({ ...params, signature: { ...n.published, v: n.published.v - 27 } })).toBe(
      v.signerAddress,
    );
  });
  it('invalid private keys are rejected', () => {
    expect(() => addressFromPrivateKey('0x00')).toThrow(/privateKey/);
    expect(() => addressFromPrivateKey(`0x${'00'.repeat(32)}`)).toThrow(/privateKey/);
  });
  it('expiresAfter appends 0x00 ‖ u64be after the vault byte', () => {
    const action = { type: 'scheduleCancel' };
    const pre = actionHashPreimage(action, 5, null, 0x0102030405);
    const msg = packPython(action);
    expect(hex(pre.subarray(msg.length))).toBe('0x' + '0000000000000005' + '00' + '00' + '0000000102030405');
    const withVault = actionHashPreimage(action, 5, '0x1719884eb866cb12b2287399b15f7db5e7d775ea');
    expect(hex(withVault.subarray(msg.length + 8))).toBe('0x011719884eb866cb12b2287399b15f7db5e7d775ea');
    expect(actionHash(action, 5, null, 1)).not.toBe(actionHash(action, 5, null, null));
  });
});

describe('Python-compatible msgpack', () => {
  const cases: [unknown, string][] = [
    [{ type: 'dummy', num: 100000000000 }, '82a474797065a564756d6d79a36e756dcf000000174876e800'],
    [0, '00'],
    [127, '7f'],
    [128, 'cc80'],
    [255, 'ccff'],
    [256, 'cd0100'],
    [65535, 'cdffff'],
    [65536, 'ce00010000'],
    [0xffffffff, 'ceffffffff'],
    [2 ** 32, 'cf0000000100000000'],
    [141682155424, 'cf00000020fcea1fa0'],
    [-1, 'ff'],
    [-32, 'e0'],
    [-33, 'd0df'],
    [-128, 'd080'],
    [-129, 'd1ff7f'],
    [-32768, 'd18000'],
    [-32769, 'd2ffff7fff'],
    [-(2 ** 31), 'd280000000'],
    [-(2 ** 31) - 1, 'd3ffffffff7fffffff'],
    [2n ** 64n - 1n, 'cfffffffffffffffff'],
    [true, 'c3'],
    [false, 'c2'],
    [null, 'c0'],
    ['a'.repeat(31), `bf${'61'.repeat(31)}`],
    ['a'.repeat(32), `d920${'61'.repeat(32)}`],
    [[1, 2], '920102'],
  ];
  for (const [value, expected] of cases) {
    it(`${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)?.slice(0, 30)} → ${expected.slice(0, 24)}`, () => {
      expect(Buffer.from(packPython(value as never)).toString('hex')).toBe(expected);
    });
  }
  it('drops undefined keys, keeps insertion order, round-trips through msgpackr', () => {
    const v = { type: 'order', b: undefined, z: 1, a: [{ o: 141682155424, a: 3 }] };
    const bytes = packPython(v as never);
    expect(unpack(Buffer.from(bytes))).toEqual({ type: 'order', z: 1, a: [{ o: 141682155424n, a: 3 }] });
    expect(Object.keys(unpack(Buffer.from(bytes)))).toEqual(['type', 'z', 'a']);
  });
  it('rejects floats and non-plain values instead of hashing them', () => {
    expect(() => packPython({ p: 1.5 } as never)).toThrow(/non-integer number at \$\.p/);
    expect(() => packPython({ d: new Date(0) } as never)).toThrow(/unsupported object/);
    expect(() => packPython({ n: 2 ** 60 } as never)).toThrow(/unsafe integer/);
    expect(() => packPython((2n ** 64n) as never)).toThrow(/out of 64-bit range/);
  });
});

describe('float to wire / int vectors (doc §5.6)', () => {
  const f = V.floatToWire;
  for (const [x, expected] of f.pythonFloatToIntForHashing.cases) {
    it(`floatToIntForHashing(${x}) = ${expected}`, () => {
      expect(floatToIntForHashing(x)).toBe(BigInt(expected));
    });
  }
  for (const x of f.pythonFloatToIntForHashing.mustThrow) {
    it(`floatToIntForHashing(${x}) throws`, () => {
      expect(() => floatToIntForHashing(x)).toThrow(RangeError);
    });
  }
  for (const [x, expected] of [
    ...f.rustFloatToStringForHashing.cases,
    ...f.pythonFloatToWireFromSigningTests.cases,
  ]) {
    it(`floatToWire(${JSON.stringify(x)}) = ${expected}`, () => {
      expect(floatToWire(Number(x))).toBe(expected);
    });
  }
  it('doc extras: -0, 0.1+0.2, 123456.0, 1e-9, non-finite', () => {
    expect(floatToWire(-0)).toBe('0');
    expect(floatToWire(-0.0)).toBe('0');
    expect(floatToWire(0.1 + 0.2)).toBe('0.3');
    expect(floatToWire(123456.0)).toBe('123456');
    expect(floatToWire(-1.5)).toBe('-1.5');
    expect(floatToWire(1e-8)).toBe('0.00000001');
    expect(() => floatToWire(1e-9)).toThrow(/more than 8 decimals/);
    expect(() => floatToWire(Number.NaN)).toThrow(RangeError);
    expect(() => floatToWire(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
  it('floatToUsdInt: 1e6 scaling', () => {
    expect(floatToUsdInt(10)).toBe(10_000_000n);
    expect(floatToUsdInt(1.234567)).toBe(1_234_567n);
    expect(() => floatToUsdInt(1.2345678)).toThrow(RangeError);
    expect(floatToIntForHashing(1000)).toBe(100000000000n);
  });
});
