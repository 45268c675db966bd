/**
 * msgpack exactly as Python's `msgpack.packb` writes the venue's actions (doc §5.2): maps in
 * insertion order, the smallest integer encoding (uint64 `cf` for integers >= 2^32, int64 `d3` below
 * -2^31), fixstr/str8…, no floats. Built on msgpackr; msgpackr writes integers >= 2^32 as float64
 * (or BigInts below 2^63 as int64 `d3`), so those are wrapped in `PyUint64`, which a msgpackr
 * extension writes as raw `cf` + 8 bytes (no ext framing).
 */
import { createRequire } from 'node:module';
import type * as Msgpackr from 'msgpackr';

class PyUint64 {
  constructor(readonly value: bigint) {}
}

/** Ext type code msgpackr requires for registration; our bytes never carry it (no ext framing). */
const PY_UINT64_EXT_TYPE = 0x5d;
const U32_MAX = 0xffff_ffff;
const I32_MIN = -0x8000_0000;
const U64_LIMIT = 1n << 64n;
const I64_MIN = -(1n << 63n);

let packr: Msgpackr.Packr | undefined;

type AllocateForWrite = (size: number) => { target: Uint8Array; targetView: DataView; position: number };

/**
 * A PyUint64 as msgpack uint64 (0xcf + 8 bytes big-endian), written in place. msgpackr calls an
 * extension's `pack(value, allocateForWrite)` and, when it returns nothing, adds no ext header: the
 * bytes are the value. Its typings declare only `pack(value): Uint8Array`; the first overload states
 * that form (the same 9 bytes, returned), so the function is passed as it is.
 */
function packPyUint64(v: PyUint64): Uint8Array;
function packPyUint64(v: PyUint64, allocateForWrite: AllocateForWrite): undefined;
function packPyUint64(v: PyUint64, allocateForWrite?: AllocateForWrite): Uint8Array | undefined {
  if (allocateForWrite === undefined) {
    const bytes = new Uint8Array(9);
    bytes[0] = 0xcf;
    new DataView(bytes.buffer).setBigUint64(1, v.value);
    return bytes;
  }
  const { target, targetView, position } = allocateForWrite(9);
  target[position] = 0xcf;
  targetView.setBigUint64(position + 1, v.value);
  return undefined; // bytes already written: msgpackr adds no ext header
}

function getPackr(): Msgpackr.Packr {
  if (packr !== undefined) return packr;
  // Loaded and extended on first use, not at import: loading msgpackr probes for its native addon
  // (file access), and its extensions live in module state.
  const { Packr, addExtension } = createRequire(import.meta.url)('msgpackr') as typeof Msgpackr;
  addExtension({
    Class: PyUint64,
    type: PY_UINT64_EXT_TYPE,
    pack: packPyUint64,
    unpack: (buf: Uint8Array) => new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(0),
  });
  packr = new Packr({ useRecords: false, variableMapSize: true });
  return packr;
}

/** A value that can be hashed: JSON-like, integers only (number or bigint), no floats. */
export type PackValue =
  | null
  | boolean
  | string
  | number
  | bigint
  | readonly PackValue[]
  | { readonly [k: string]: PackValue | undefined };

function prepareInt(n: bigint, path: string): unknown {
  if (n >= 0n) {
    if (n <= BigInt(U32_MAX)) return Number(n);
    if (n < U64_LIMIT) return new PyUint64(n);
  } else {
    if (n >= BigInt(I32_MIN)) return Number(n);
    if (n >= I64_MIN) return n; // msgpackr writes int64 (d3), as Python does
  }
  throw new RangeError(`msgpack: integer out of 64-bit range at ${path}: ${n}`);
}

function prepare(v: unknown, path: string): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (!Number.isInteger(v)) {
        throw new TypeError(`msgpack: non-integer number at ${path}: ${v} (amounts travel as strings)`);
      }
      if (v >= I32_MIN && v <= U32_MAX) return v;
      if (!Number.isSafeInteger(v))
        throw new RangeError(`msgpack: unsafe integer at ${path}: ${v}; use a bigint`);
      return prepareInt(BigInt(v), path);
    case 'bigint':
      return prepareInt(v, path);
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) return v.map((x, i) => prepare(x, `${path}[${i}]`));
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`msgpack: unsupported object at ${path}`);
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined) out[k] = prepare(x, `${path}.${k}`); // undefined keys are omitted
      }
      return out;
    }
    default:
      throw new TypeError(`msgpack: unsupported ${typeof v} at ${path}`);
  }
}

/** Pack `value` byte-for-byte as Python `msgpack.packb(value)` would. Throws on floats or odd types. */
export function packPython(value: PackValue): Uint8Array {
  const prepared = prepare(value, '$');
  return new Uint8Array(getPackr().pack(prepared));
}
