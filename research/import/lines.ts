/**
 * A file's lines, streamed: `.lz4` files are LZ4 frames (decoded block by block, `lz4.ts`), `.gz` files gzip
 * (node:zlib), anything else plain text. Lines come in batches (one per decoded chunk) so a caller pays one
 * await per chunk, not per line. A trailing `\r` is dropped; the last line need not end with `\n`.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { lz4Decode } from './lz4.ts';

export type Compression = 'lz4' | 'gzip' | 'none';

export function compressionOf(path: string): Compression {
  return path.endsWith('.lz4') ? 'lz4' : path.endsWith('.gz') ? 'gzip' : 'none';
}

/** The decompressed bytes of a file, chunk by chunk. */
export function fileBytes(path: string, compression = compressionOf(path)): AsyncIterable<Buffer> {
  const raw = createReadStream(path, { highWaterMark: 1 << 18 });
  if (compression === 'lz4') return lz4Decode(raw);
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 1 << 18 });
    // an unreadable file fails the gunzip stream (it is what the caller iterates)
    raw.on('error', (e) => gunzip.destroy(e));
    return raw.pipe(gunzip);
  }
  return raw;
}

/** Split decoded text into lines, across chunk boundaries. */
export class LineSplitter {
  private dec = new StringDecoder('utf8');
  private rest = '';

  push(chunk: Buffer): string[] {
    const text = this.rest + this.dec.write(chunk);
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
    }
    return lines;
  }

  end(): string[] {
    const last = this.rest + this.dec.end();
    this.rest = '';
    const l = last.endsWith('\r') ? last.slice(0, -1) : last;
    return l.length > 0 ? [l] : [];
  }
}

/** The lines of a file in batches. Throws (from the iteration) when the file cannot be read or decoded. */
export async function* fileLines(path: string, compression = compressionOf(path)): AsyncGenerator<string[]> {
  const sp = new LineSplitter();
  for await (const chunk of fileBytes(path, compression)) {
    const lines = sp.push(chunk as Buffer);
    if (lines.length > 0) yield lines;
  }
  const last = sp.end();
  if (last.length > 0) yield last;
}
