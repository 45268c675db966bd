/** Deterministic payloads and a checksum shared by the ring tests and their worker. */
export function payloadLength(seq: number): number {
  // mostly small frames, some medium, a few large: exercises padding and wrap-around
  const r = (Math.imul(seq, 2654435761) >>> 0) % 1000;
  if (r < 900) return r % 97;
  if (r < 995) return 200 + (r % 800);
  return 3000 + r;
}

export function expectedByte(seq: number, i: number): number {
  return (Math.imul(seq, 31) + i * 7) & 0xff;
}

export function makePayload(seq: number): Uint8Array {
  const n = payloadLength(seq);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = expectedByte(seq, i);
  return b;
}

export function mix(h: number, seq: number, data: Uint8Array): number {
  h = Math.imul(h ^ seq, 16777619) >>> 0;
  for (let i = 0; i < data.length; i += 13) h = Math.imul(h ^ data[i]!, 16777619) >>> 0;
  return Math.imul(h ^ data.length, 16777619) >>> 0;
}
