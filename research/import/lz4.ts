/**
 * Streaming LZ4 frame decoding (the format of the venue's archive, `market_data/…/l2Book/<COIN>.lz4` and
 * `asset_ctxs/<date>.csv.lz4`, as the `lz4` tool writes it). lz4-napi decodes a whole frame or a whole block,
 * not a stream; this reads the frame format (magic, FLG/BD descriptor, blocks, end mark, checksums — the LZ4
 * frame format 1.6.x) itself and hands each block to lz4-napi, so memory stays at one block (≤ 4 MiB) however
 * large the file. Linked blocks (`lz4 -BD`) are decoded with the previous 64 KiB of output as the dictionary.
 * Concatenated and skippable frames are read as the tool reads them. Checksums are skipped, not verified
 * (a damaged block fails to decompress or yields lines that fail to parse, and is reported so).
 */
import { uncompressSync } from 'lz4-napi';

const MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE = 0x184d2a50;
const WINDOW = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const BLOCK_MAX: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

export class Lz4FormatError extends Error {
  constructor(
    message: string,
    /** Byte offset in the compressed input where the problem was found. */
    readonly offset: number,
  ) {
    super(`lz4: ${message} (at byte ${offset})`);
    this.name = 'Lz4FormatError';
  }
}

/** A queue of byte chunks that hands out exact lengths, copying only when a take spans chunks. */
class ByteQueue {
  private chunks: Buffer[] = [];
  /** Index of the first unconsumed chunk, and the offset in it. */
  private first = 0;
  private head = 0;
  length = 0;
  /** Bytes consumed so far (offsets in errors). */
  consumed = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    if (this.first > 1024 && this.first * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
    this.chunks.push(b);
    this.length += b.length;
  }

  private advance(c: Buffer, k: number): void {
    this.head += k;
    if (this.head === c.length) {
      this.first++;
      this.head = 0;
    }
  }

  take(n: number): Buffer {
    this.length -= n;
    this.consumed += n;
    const c0 = this.chunks[this.first]!;
    if (c0.length - this.head >= n) {
      const out = c0.subarray(this.head, this.head + n);
      this.advance(c0, n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const c = this.chunks[this.first]!;
      const k = Math.min(n - got, c.length - this.head);
      c.copy(out, got, this.head, this.head + k);
      got += k;
      this.advance(c, k);
    }
    return out;
  }
}

type State =
  | { s: 'magic' }
  | { s: 'descriptor' }
  | { s: 'headerRest'; n: number }
  | { s: 'blockSize' }
  | { s: 'block'; n: number; raw: boolean }
  | { s: 'blockChecksum' }
  | { s: 'contentChecksum' }
  | { s: 'skipSize' }
  | { s: 'skip'; n: number };

/** Incremental decoder: `push` compressed bytes, get decompressed blocks; `end` checks the input was whole. */
export class Lz4FrameDecoder {
  private q = new ByteQueue();
  private st: State = { s: 'magic' };
  private independent = true;
  private blockChecksum = false;
  private contentChecksum = false;
  private blockMax = BLOCK_MAX[7]!;
  /** The last ≤ 64 KiB of output (the dictionary of a linked block). */
  private window: Buffer = Buffer.alloc(0);
  /** Frames completed. */
  frames = 0;

  push(chunk: Buffer): Buffer[] {
    this.q.push(chunk);
    const out: Buffer[] = [];
    for (;;) {
      const b = this.step();
      if (b === null) return out;
      if (b.length > 0) out.push(b);
    }
  }

  /** The input ended: throws when it ended inside a frame (a truncated file). */
  end(): void {
    if (this.st.s !== 'magic' || this.q.length > 0)
      throw new Lz4FormatError(
        `truncated input (in ${this.st.s}, ${this.q.length} byte(s) left over)`,
        this.q.consumed,
      );
  }

  /** One step of the state machine: null when more input is needed, else a (possibly empty) output block. */
  private step(): Buffer | null {
    const q = this.q;
    const st = this.st;
    switch (st.s) {
      case 'magic': {
        if (q.length < 4) return null;
        const at = q.consumed;
        const m = q.take(4).readUInt32LE(0);
        if (m === MAGIC) this.st = { s: 'descriptor' };
        else if ((m & SKIPPABLE_MASK) >>> 0 === SKIPPABLE) this.st = { s: 'skipSize' };
        else throw new Lz4FormatError(`not an LZ4 frame (magic 0x${m.toString(16)})`, at);
        return EMPTY;
      }
      case 'descriptor': {
        if (q.length < 2) return null;
        const at = q.consumed;
        const d = q.take(2);
        const flg = d[0]!;
        const bd = d[1]!;
        if (flg >> 6 !== 1) throw new Lz4FormatError(`unsupported frame version ${flg >> 6}`, at);
        const max = BLOCK_MAX[(bd >> 4) & 7];
        if (max === undefined) throw new Lz4FormatError(`bad block maximum size code ${(bd >> 4) & 7}`, at);
        this.independent = (flg & 0x20) !== 0;
        this.blockChecksum = (flg & 0x10) !== 0;
        this.contentChecksum = (flg & 0x04) !== 0;
        this.blockMax = max;
        this.window = Buffer.alloc(0);
        // content size (8), dictionary id (4), header checksum (1)
        this.st = { s: 'headerRest', n: ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0) + 1 };
        return EMPTY;
      }
      case 'headerRest':
        if (q.length < st.n) return null;
        q.take(st.n);
        this.st = { s: 'blockSize' };
        return EMPTY;
      case 'blockSize': {
        if (q.length < 4) return null;
        const at = q.consumed;
        const v = q.take(4).readUInt32LE(0);
        if (v === 0) {
          this.st = this.contentChecksum ? { s: 'contentChecksum' } : { s: 'magic' };
          if (!this.contentChecksum) this.frames++;
          return EMPTY;
        }
        const n = v & 0x7fffffff;
        if (n > this.blockMax)
          throw new Lz4FormatError(`block of ${n} bytes exceeds the frame's maximum ${this.blockMax}`, at);
        this.st = { s: 'block', n, raw: (v & 0x80000000) !== 0 };
        return EMPTY;
      }
      case 'block': {
        if (q.length < st.n) return null;
        const at = q.consumed;
        const data = q.take(st.n);
        let out: Buffer;
        if (st.raw) out = Buffer.from(data);
        else {
          const prefixed = Buffer.allocUnsafe(4 + data.length);
          prefixed.writeUInt32LE(this.blockMax, 0);
          data.copy(prefixed, 4);
          try {
            out =
              this.independent || this.window.length === 0
                ? uncompressSync(prefixed)
                : uncompressSync(prefixed, this.window);
          } catch (e) {
            throw new Lz4FormatError(`corrupt block: ${(e as Error).message}`, at);
          }
        }
        if (!this.independent) {
          this.window =
            out.length >= WINDOW
              ? Buffer.from(out.subarray(out.length - WINDOW))
              : Buffer.concat([this.window, out]).subarray(-WINDOW);
        }
        this.st = this.blockChecksum ? { s: 'blockChecksum' } : { s: 'blockSize' };
        return out;
      }
      case 'blockChecksum':
        if (q.length < 4) return null;
        q.take(4);
        this.st = { s: 'blockSize' };
        return EMPTY;
      case 'contentChecksum':
        if (q.length < 4) return null;
        q.take(4);
        this.frames++;
        this.st = { s: 'magic' };
        return EMPTY;
      case 'skipSize':
        if (q.length < 4) return null;
        this.st = { s: 'skip', n: q.take(4).readUInt32LE(0) };
        return EMPTY;
      case 'skip': {
        if (q.length === 0 && st.n > 0) return null;
        const k = Math.min(st.n, q.length);
        if (k > 0) q.take(k);
        this.st = st.n - k === 0 ? { s: 'magic' } : { s: 'skip', n: st.n - k };
        return st.n - k === 0 ? Buffer.alloc(0) : null;
      }
    }
  }
}

/** Decompress a stream of LZ4 frame bytes, block by block. */
export async function* lz4Decode(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const d = new Lz4FrameDecoder();
  for await (const chunk of src) yield* d.push(chunk);
  d.end();
}
