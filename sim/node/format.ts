/**
 * Formatting the node and its order_book_server share with nothing else in sim/:
 * - chrono `NaiveDateTime` as serde writes it (node files, OBS order statuses): seconds, then the
 *   fraction with 3, 6 or 9 digits (the fewest that are exact), none when zero;
 * - the OBS number format (`Px::to_str` / `Sz::to_str`, server/src/order_book/types.rs): the value is
 *   held ×10^8 as an integer and printed `{:.8}` with trailing zeros and the point trimmed, so the
 *   venue's "106217.0" becomes "106217";
 * - EIP-55 checksummed addresses: OBS serialises alloy `Address`, which writes the checksum form
 *   (alloy-rs/core #742), while the node's own files carry lowercase hex;
 * - the node's hourly file layout: `<stream>/hourly/<YYYYMMDD>/<H>`, the hour not zero-padded.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/**
 * chrono's `NaiveDateTime` text for `ms` since the epoch (UTC) plus `subMsNanos` (0–999 999)
 * nanoseconds: `2026-01-01T00:00:00.123`, `…00.123456`, `…00.123456789`, or `…00` when whole.
 */
export function naiveTime(ms: number, subMsNanos = 0): string {
  const d = new Date(Math.floor(ms));
  const base =
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  const nano = d.getUTCMilliseconds() * 1_000_000 + Math.floor(subMsNanos);
  if (nano === 0) return base;
  if (nano % 1_000_000 === 0) return `${base}.${pad(nano / 1_000_000, 3)}`;
  if (nano % 1_000 === 0) return `${base}.${pad(nano / 1_000, 6)}`;
  return `${base}.${pad(nano, 9)}`;
}

/** OBS multiplies every price and size by 10^8 (`MULTIPLIER`) and keeps the integer. */
export const OBS_MULTIPLIER = 100_000_000;

/** `Px::parse_from_str` / `Sz::parse_from_str`: the decimal string ×10^8, rounded. */
export function obsScaled(s: string): number {
  return Math.round(Number.parseFloat(s) * OBS_MULTIPLIER);
}

/** `Px::to_str` / `Sz::to_str`: `format!("{:.8}", v / 1e8)`, trailing zeros then the point trimmed. */
export function obsFormat(scaled: number): string {
  let s = (scaled / OBS_MULTIPLIER).toFixed(8);
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 48) end--;
  s = s.slice(0, end);
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/** A venue decimal string as OBS prints it after parsing (`"106217.0"` → `"106217"`). */
export function obsNumber(s: string): string {
  return obsFormat(obsScaled(s));
}

const checksums = new Map<string, string>();
const HEX = '0123456789abcdef';

/** EIP-55 form of a 20-byte hex address (`0x…`, any case); cached. */
export function checksumAddress(address: string): string {
  const hit = checksums.get(address);
  if (hit !== undefined) return hit;
  const lower = address.toLowerCase().replace(/^0x/, '');
  const hash = keccak_256(new TextEncoder().encode(lower));
  let out = '0x';
  for (let i = 0; i < lower.length; i++) {
    const ch = lower[i]!;
    const byte = hash[i >> 1]!;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 15;
    out += nibble >= 8 && HEX.indexOf(ch) >= 10 ? ch.toUpperCase() : ch;
  }
  if (checksums.size < 100_000) checksums.set(address, out);
  return out;
}

/** The three by-block streams, as the node names their directories under `hl/data/`. */
export const NODE_STREAMS = [
  'node_fills_by_block',
  'node_order_statuses_by_block',
  'node_raw_book_diffs_by_block',
] as const;
export type NodeStream = (typeof NODE_STREAMS)[number];

/** Start (ms) of the UTC hour containing `ms`. */
export function hourStart(ms: number): number {
  return Math.floor(ms / 3_600_000) * 3_600_000;
}

/** `<stream>/hourly/<YYYYMMDD>/<H>` for a local time in ms (UTC, hour not zero-padded). */
export function hourlyRelPath(stream: NodeStream, ms: number): string {
  const d = new Date(ms);
  const day = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
  return `${stream}/hourly/${day}/${d.getUTCHours()}`;
}
