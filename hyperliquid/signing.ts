/**
 * Hyperliquid signing (doc §5): float normalisation, the L1 action hash (connectionId), EIP-712
 * signing of the phantom agent and of user-signed actions, and signer recovery (the simulator
 * verifies signatures by recovering the address). Primitives: @noble/curves secp256k1 and
 * @noble/hashes keccak_256; EIP-712 encoding is done here for the flat struct types the venue uses.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { type PackValue, packPython } from './msgpack.ts';

export type Hex = `0x${string}`;
export interface SignatureRSV {
  /** 0x + 64 hex (padded to 32 bytes). */
  r: Hex;
  /** 0x + 64 hex (padded to 32 bytes). */
  s: Hex;
  /** 27 or 28. */
  v: 27 | 28;
}
/** A signature as received: r/s may lack leading zeros (Python SDK), v may be 27/28 or 0/1. */
export interface SignatureInput {
  r: string;
  s: string;
  v: number;
}
export type PrivateKey = string | Uint8Array;
/**
 * An action object built in wire key order (see wire.ts). Typed loosely so interfaces are accepted;
 * packing checks the contents (integers only, no floats, plain objects) and throws on anything else.
 */
export type HashableAction = object;

// ---------------------------------------------------------------------------------------------
// Float → wire (doc §4.5, §5.6)
// ---------------------------------------------------------------------------------------------

/**
 * The venue's normalisation of a number for the wire: 8-decimal rounding that must not change the
 * value (else throws), then no trailing zeros, no exponent, never "-0".
 */
export function floatToWire(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`floatToWire: not finite: ${x}`);
  if (Math.abs(x) >= 1e21) throw new RangeError(`floatToWire: too large: ${x}`);
  const rounded = x.toFixed(8);
  if (Math.abs(Number(rounded) - x) >= 1e-12) {
    throw new RangeError(`floatToWire: ${x} has more than 8 decimals; rounding would change it`);
  }
  return normalizeDecimalString(rounded);
}

/**
 * Strip trailing fractional zeros and a bare ".", map "-0" to "0". Input must be a plain decimal
 * string ("100.0" → "100", "0.01470" → "0.0147", "-0.000" → "0"); throws otherwise.
 */
export function normalizeDecimalString(s: string): string {
  if (!/^-?\d+(?:\.\d*)?$/.test(s)) throw new TypeError(`not a plain decimal string: ${JSON.stringify(s)}`);
  let out = s;
  if (out.includes('.')) out = out.replace(/0+$/, '').replace(/\.$/, '');
  out = out.replace(/^(-?)0+(?=\d)/, '$1');
  return out === '-0' ? '0' : out;
}

/**
 * Python `float_to_int(x, power)`: round(x · 10^power), which must be within 1e-3 of an integer.
 * Computed exactly on the decimal value of x (its shortest round-trip string), so large inputs give
 * the exact integer Python gives for them (123123123123 → 12312312312300000000), as a bigint.
 */
export function floatToInt(x: number, power: number): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`floatToInt: not finite: ${x}`);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!m) throw new RangeError(`floatToInt: cannot read ${x}`);
  const frac = m[3] ?? '';
  let mant = BigInt(`${m[2]}${frac}`);
  let scale = frac.length - (m[4] === undefined ? 0 : Number(m[4])) - power; // value = mant / 10^scale
  if (scale < 0) {
    mant *= 10n ** BigInt(-scale);
    scale = 0;
  }
  const div = 10n ** BigInt(scale);
  let q = mant / div;
  const r = mant % div;
  const up = 2n * r >= div;
  if (up) q += 1n;
  const dist = up ? div - r : r;
  if (dist * 1000n >= div) throw new RangeError(`floatToInt: ${x} has more than ${power} decimals`);
  return m[1] === '-' ? -q : q;
}
/** x · 1e8 as an integer (Python `float_to_int_for_hashing`). */
export const floatToIntForHashing = (x: number): bigint => floatToInt(x, 8);
/** x · 1e6 as an integer (Python `float_to_usd_int`, e.g. `ntli` of updateIsolatedMargin). */
export const floatToUsdInt = (x: number): bigint => floatToInt(x, 6);

// ---------------------------------------------------------------------------------------------
// Bytes helpers
// ---------------------------------------------------------------------------------------------

function strip0x(h: string): string {
  return h.startsWith('0x') || h.startsWith('0X') ? h.slice(2) : h;
}
function hexBytes(h: string, label: string): Uint8Array {
  const body = strip0x(h);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(body)) throw new TypeError(`${label}: not even-length hex`);
  return hexToBytes(body);
}
function toHex(b: Uint8Array): Hex {
  return `0x${bytesToHex(b)}`;
}
function u64be(n: number | bigint, label: string): Uint8Array {
  const v = BigInt(n);
  if (v < 0n || v >= 1n << 64n) throw new RangeError(`${label} out of u64 range: ${n}`);
  if (typeof n === 'number' && !Number.isSafeInteger(n))
    throw new RangeError(`${label} not a safe integer: ${n}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v);
  return out;
}
function addressBytes(a: string, label: string): Uint8Array {
  const b = hexBytes(a, label);
  if (b.length !== 20) throw new TypeError(`${label}: expected a 20-byte address, got ${b.length} bytes`);
  return b;
}
function privateKeyBytes(pk: PrivateKey): Uint8Array {
  const b = typeof pk === 'string' ? hexBytes(pk, 'privateKey') : pk;
  if (b.length !== 32 || !secp256k1.utils.isValidSecretKey(b))
    throw new TypeError('privateKey: invalid secp256k1 key');
  return b;
}
function word(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = BigInt.asUintN(256, n);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// L1 action hash (connectionId), doc §5.1
// ---------------------------------------------------------------------------------------------

/** The bytes hashed into the connectionId: msgpack(action) ‖ u64be(nonce) ‖ vault ‖ [0x00 ‖ u64be(expiresAfter)]. */
export function actionHashPreimage(
  action: HashableAction,
  nonce: number | bigint,
  vaultAddress?: string | null,
  expiresAfter?: number | bigint | null,
): Uint8Array {
  const parts: Uint8Array[] = [packPython(action as PackValue), u64be(nonce, 'nonce')];
  if (vaultAddress === undefined || vaultAddress === null) parts.push(Uint8Array.of(0));
  else parts.push(Uint8Array.of(1), addressBytes(vaultAddress, 'vaultAddress'));
  if (expiresAfter !== undefined && expiresAfter !== null) {
    parts.push(Uint8Array.of(0), u64be(expiresAfter, 'expiresAfter'));
  }
  return concatBytes(...parts);
}

/** keccak256 of the preimage: the phantom agent's connectionId, `0x…` (32 bytes). */
export function actionHash(
  action: HashableAction,
  nonce: number | bigint,
  vaultAddress?: string | null,
  expiresAfter?: number | bigint | null,
): Hex {
  return toHex(keccak_256(actionHashPreimage(action, nonce, vaultAddress, expiresAfter)));
}

// ---------------------------------------------------------------------------------------------
// EIP-712 for flat structs
// ---------------------------------------------------------------------------------------------

export interface TypedField {
  name: string;
  type: string;
}
export interface Eip712Domain {
  name: string;
  version: string;
  chainId: number | bigint;
  verifyingContract: string;
}

const DOMAIN_FIELDS: TypedField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
];
export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

export function encodeType(primaryType: string, fields: readonly TypedField[]): string {
  return `${primaryType}(${fields.map((f) => `${f.type} ${f.name}`).join(',')})`;
}
export function typeHash(primaryType: string, fields: readonly TypedField[]): Hex {
  return toHex(keccak_256(utf8ToBytes(encodeType(primaryType, fields))));
}

function toBigInt(v: unknown, label: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^(?:0x[0-9a-fA-F]+|-?\d+)$/.test(v)) return BigInt(v);
  throw new TypeError(`${label}: expected an integer, got ${JSON.stringify(v)}`);
}

function encodeField(type: string, v: unknown, label: string): Uint8Array {
  if (type === 'string') {
    if (typeof v !== 'string') throw new TypeError(`${label}: expected string`);
    return keccak_256(utf8ToBytes(v));
  }
  if (type === 'bytes') {
    if (typeof v !== 'string') throw new TypeError(`${label}: expected hex bytes`);
    return keccak_256(hexBytes(v, label));
  }
  if (type === 'address') {
    if (typeof v !== 'string') throw new TypeError(`${label}: expected address`);
    const out = new Uint8Array(32);
    out.set(addressBytes(v, label), 12);
    return out;
  }
  if (type === 'bool') {
    if (typeof v !== 'boolean') throw new TypeError(`${label}: expected boolean`);
    return word(v ? 1n : 0n);
  }
  const bytesN = /^bytes(\d+)$/.exec(type);
  if (bytesN) {
    const n = Number(bytesN[1]);
    const b = typeof v === 'string' ? hexBytes(v, label) : v instanceof Uint8Array ? v : undefined;
    if (b === undefined || b.length !== n) throw new TypeError(`${label}: expected ${n} bytes`);
    const out = new Uint8Array(32);
    out.set(b, 0);
    return out;
  }
  const int = /^(u?)int(\d+)$/.exec(type);
  if (int) {
    const bits = Number(int[2]);
    const x = toBigInt(v, label);
    const unsigned = int[1] === 'u';
    const lo = unsigned ? 0n : -(1n << BigInt(bits - 1));
    const hi = unsigned ? (1n << BigInt(bits)) - 1n : (1n << BigInt(bits - 1)) - 1n;
    if (x < lo || x > hi) throw new RangeError(`${label}: ${x} out of ${type} range`);
    return word(x);
  }
  throw new TypeError(`${label}: unsupported EIP-712 type ${type}`);
}

/** hashStruct for a struct whose fields are all atomic types (string, bytes, bytesN, address, bool, (u)intN). */
const typeHashCache = new Map<string, Uint8Array>();
function cachedTypeHash(primaryType: string, fields: readonly TypedField[]): Uint8Array {
  const enc = encodeType(primaryType, fields);
  let h = typeHashCache.get(enc);
  if (h === undefined) {
    h = keccak_256(utf8ToBytes(enc));
    if (typeHashCache.size < 64) typeHashCache.set(enc, h);
  }
  return h;
}

export function hashStruct(
  primaryType: string,
  fields: readonly TypedField[],
  message: Readonly<Record<string, unknown>>,
): Uint8Array {
  const parts: Uint8Array[] = [cachedTypeHash(primaryType, fields)];
  for (const f of fields) parts.push(encodeField(f.type, message[f.name], `${primaryType}.${f.name}`));
  return keccak_256(concatBytes(...parts));
}

const domainCache = new Map<string, Uint8Array>();
function domainSeparatorBytes(domain: Eip712Domain): Uint8Array {
  const key = `${domain.name}\u0000${domain.version}\u0000${String(domain.chainId)}\u0000${domain.verifyingContract}`;
  let ds = domainCache.get(key);
  if (ds === undefined) {
    const { name, version, chainId, verifyingContract } = domain;
    ds = hashStruct('EIP712Domain', DOMAIN_FIELDS, { name, version, chainId, verifyingContract });
    if (domainCache.size < 64) domainCache.set(key, ds);
  }
  return ds;
}

export function domainSeparator(domain: Eip712Domain): Hex {
  return toHex(domainSeparatorBytes(domain));
}

/** keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message)). */
export function typedDataDigest(
  domain: Eip712Domain,
  primaryType: string,
  fields: readonly TypedField[],
  message: Readonly<Record<string, unknown>>,
): Hex {
  const ds = domainSeparatorBytes(domain);
  return toHex(
    keccak_256(concatBytes(Uint8Array.of(0x19, 0x01), ds, hashStruct(primaryType, fields, message))),
  );
}

// ---------------------------------------------------------------------------------------------
// L1 (phantom agent) signing
// ---------------------------------------------------------------------------------------------

export const L1_DOMAIN: Eip712Domain = {
  name: 'Exchange',
  version: '1',
  chainId: 1337,
  verifyingContract: ZERO_ADDRESS,
};
export const AGENT_FIELDS: readonly TypedField[] = [
  { name: 'source', type: 'string' },
  { name: 'connectionId', type: 'bytes32' },
];

/** The EIP-712 digest of the phantom agent {source: "a" mainnet / "b" testnet, connectionId}. */
export function l1Digest(connectionId: string, isMainnet: boolean): Hex {
  return typedDataDigest(L1_DOMAIN, 'Agent', AGENT_FIELDS, { source: isMainnet ? 'a' : 'b', connectionId });
}

export interface L1SignParams {
  privateKey: PrivateKey;
  action: HashableAction;
  nonce: number;
  vaultAddress?: string | null;
  expiresAfter?: number | null;
  isMainnet: boolean;
}

let basePrecomputed = false;

function signDigest(digest: Hex, privateKey: PrivateKey): SignatureRSV {
  if (!basePrecomputed) {
    secp256k1.Point.BASE.precompute(8); // base-point table, built once on first use (not at import)
    basePrecomputed = true;
  }
  const sig = secp256k1.sign(hexToBytes(strip0x(digest)), privateKeyBytes(privateKey), {
    prehash: false,
    lowS: true,
    format: 'recovered',
  });
  // 'recovered' layout: recovery byte, r (32), s (32)
  const rec = sig[0]!;
  return { r: toHex(sig.subarray(1, 33)), s: toHex(sig.subarray(33, 65)), v: rec === 0 ? 27 : 28 };
}

/** Sign an L1 action (order, cancel, modify, scheduleCancel, updateLeverage, …). */
export function signL1Action(p: L1SignParams): SignatureRSV {
  const connectionId = actionHash(p.action, p.nonce, p.vaultAddress, p.expiresAfter);
  return signDigest(l1Digest(connectionId, p.isMainnet), p.privateKey);
}

function recoverFromDigest(digest: Hex, sig: SignatureInput): string | null {
  try {
    const r = BigInt(`0x${strip0x(sig.r)}`);
    const s = BigInt(`0x${strip0x(sig.s)}`);
    const recovery = sig.v === 27 || sig.v === 28 ? sig.v - 27 : sig.v === 0 || sig.v === 1 ? sig.v : -1;
    if (recovery < 0) return null;
    const compact = concatBytes(Uint8Array.of(recovery), word(r), word(s));
    const pub = secp256k1.recoverPublicKey(compact, hexToBytes(strip0x(digest)), { prehash: false });
    return addressFromPublicKey(pub);
  } catch {
    return null;
  }
}

export interface L1RecoverParams {
  action: HashableAction;
  nonce: number;
  vaultAddress?: string | null;
  expiresAfter?: number | null;
  isMainnet: boolean;
  signature: SignatureInput;
}

/** The lowercase address that signed an L1 action, or null when the signature or input is malformed. */
export function recoverL1Signer(p: L1RecoverParams): string | null {
  let digest: Hex;
  try {
    digest = l1Digest(actionHash(p.action, p.nonce, p.vaultAddress, p.expiresAfter), p.isMainnet);
  } catch {
    return null;
  }
  return recoverFromDigest(digest, p.signature);
}

// ---------------------------------------------------------------------------------------------
// User-signed actions (usdSend, withdraw3, …), doc §5.3
// ---------------------------------------------------------------------------------------------

export const USER_SIGNED_DOMAIN_NAME = 'HyperliquidSignTransaction';
export const USD_SEND_TYPES: readonly TypedField[] = [
  { name: 'hyperliquidChain', type: 'string' },
  { name: 'destination', type: 'string' },
  { name: 'amount', type: 'string' },
  { name: 'time', type: 'uint64' },
];
export const USD_SEND_PRIMARY_TYPE = 'HyperliquidTransaction:UsdSend';
export const WITHDRAW_TYPES: readonly TypedField[] = USD_SEND_TYPES;
export const WITHDRAW_PRIMARY_TYPE = 'HyperliquidTransaction:Withdraw';

/** A user-signed action: its typed fields plus `signatureChainId` (hex chain id of the domain). */
export type UserSignedAction = Readonly<Record<string, unknown>> & { signatureChainId: string };

export function userSignedDomain(signatureChainId: string): Eip712Domain {
  return {
    name: USER_SIGNED_DOMAIN_NAME,
    version: '1',
    chainId: toBigInt(signatureChainId, 'signatureChainId'),
    verifyingContract: ZERO_ADDRESS,
  };
}

export function userSignedDigest(
  action: UserSignedAction,
  types: readonly TypedField[],
  primaryType: string,
): Hex {
  return typedDataDigest(userSignedDomain(action.signatureChainId), primaryType, types, action);
}

export interface UserSignedParams {
  privateKey: PrivateKey;
  action: UserSignedAction;
  types: readonly TypedField[];
  primaryType: string;
}

/** Sign a user-signed action with the HyperliquidSignTransaction domain (chainId from signatureChainId). */
export function signUserSignedAction(p: UserSignedParams): SignatureRSV {
  return signDigest(userSignedDigest(p.action, p.types, p.primaryType), p.privateKey);
}

export function recoverUserSignedSigner(p: {
  action: UserSignedAction;
  types: readonly TypedField[];
  primaryType: string;
  signature: SignatureInput;
}): string | null {
  let digest: Hex;
  try {
    digest = userSignedDigest(p.action, p.types, p.primaryType);
  } catch {
    return null;
  }
  return recoverFromDigest(digest, p.signature);
}

// ---------------------------------------------------------------------------------------------
// Keys and addresses
// ---------------------------------------------------------------------------------------------

function addressFromPublicKey(pub: Uint8Array): string {
  const uncompressed = pub.length === 65 ? pub : secp256k1.Point.fromBytes(pub).toBytes(false);
  return toHex(keccak_256(uncompressed.subarray(1)).subarray(12));
}

/** The lowercase 0x address of a secp256k1 private key. */
export function addressFromPrivateKey(privateKey: PrivateKey): string {
  return addressFromPublicKey(secp256k1.getPublicKey(privateKeyBytes(privateKey), false));
}

/** Compare two signature components as 256-bit integers (Python strips leading zeros). */
export function sameSignatureComponent(a: string, b: string): boolean {
  try {
    return BigInt(`0x${strip0x(a)}`) === BigInt(`0x${strip0x(b)}`);
  } catch {
    return false;
  }
}
