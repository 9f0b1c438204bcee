/**
 * The compression codecs of a RecordBatch's records section (attributes bits 0-2), as Kafka
 * names and numbers them.
 *
 * Codec => attribute id, what the records section holds
 *   none => 0                                      the records themselves
 *   gzip => 1                                      a gzip stream (RFC 1952; node:zlib)
 *   snappy => 2                                    xerial framing around raw Snappy blocks (xerial.ts)
 *   lz4 => 3                                       one LZ4 frame of independent 64 KiB blocks, as Kafka
 *                                                  writes it (lz4-frame.ts, our own encoder and decoder)
 *   zstd => 4                                      a Zstandard frame (node:zlib, Node >= 22.15)
 *
 * Decompressing is bounded: more than the limit of decompressed bytes is a CorruptRecordError,
 * raised without allocating the size a hostile input claims. Every other decompressor failure
 * (garbage, truncation) is a CorruptRecordError too.
 */
import zlib from 'node:zlib';
import { CorruptRecordError } from '../errors.ts';
import { decodeLz4Frame, encodeLz4Frame } from './lz4-frame.ts';
import { decodeSnappy, encodeXerial } from './xerial.ts';

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Indexed by attribute id. */
export const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The default bound on a batch's decompressed records section. */
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 16 * 1024 * 1024;

export interface CompressOptions {
  /**
   * gzip 1-9 (default 6, as Kafka), zstd 1-22 (default 3, as Kafka); ignored by snappy, and by
   * lz4 (always written as at Kafka's default lz4 level: the fast compressor).
   */
  readonly level?: number;
}

/** The attribute id (0-4) of a codec. */
export function compressionId(codec: Compression): number {
  const id = COMPRESSIONS.indexOf(codec);
  if (id < 0) throw new RangeError(`unknown compression ${String(codec)}`);
  return id;
}

/** The codec an attribute id (attributes & 7) names; 5-7 are a CorruptRecordError. */
export function compressionOf(id: number): Compression {
  const codec = COMPRESSIONS[id];
  if (codec === undefined) throw new CorruptRecordError(`unknown compression codec id ${id}`);
  return codec;
}

/** Compresses a records section with `codec` ('none' returns `bytes` as they are). */
export function compress(codec: Compression, bytes: Buffer, options: CompressOptions = {}): Buffer {
  switch (codec) {
    case 'none':
      return bytes;
    case 'gzip':
      return zlib.gzipSync(bytes, { level: options.level ?? 6 });
    case 'snappy':
      return encodeXerial(bytes);
    case 'lz4':
      return encodeLz4Frame(bytes);
    case 'zstd':
      return zlib.zstdCompressSync(bytes, {
        params: { [zlib.constants.ZSTD_c_compressionLevel]: options.level ?? 3 },
      });
    default:
      throw new RangeError(`unknown compression ${String(codec)}`);
  }
}

/**
 * Decompresses a records section; more than `limit` bytes out is refused. 'none' returns
 * `bytes` as they are (they are already in memory: the limit is not applied).
 */
export function decompress(codec: Compression, bytes: Buffer, limit = DEFAULT_MAX_UNCOMPRESSED_BYTES): Buffer {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  switch (codec) {
    case 'none':
      return bytes;
    case 'gzip':
      return inflate('gzip', () => zlib.gunzipSync(bytes, { maxOutputLength: Math.max(limit, 1) }), limit);
    case 'zstd':
      return inflate('zstd', () => zlib.zstdDecompressSync(bytes, { maxOutputLength: Math.max(limit, 1) }), limit);
    case 'snappy':
      return decodeSnappy(bytes, limit);
    case 'lz4':
      return decodeLz4Frame(bytes, limit);
    default:
      throw new RangeError(`unknown compression ${String(codec)}`);
  }
}

/** Runs a node:zlib decompressor, turning its errors (bad data, over maxOutputLength) into CorruptRecordError. */
function inflate(codec: Compression, run: () => Buffer, limit: number): Buffer {
  let out: Buffer;
  try {
    out = run();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new CorruptRecordError(`${codec}: decompresses past the limit of ${limit} bytes`);
    throw new CorruptRecordError(`${codec}: ${e.message}${e.code ? ` (${e.code})` : ''}`);
  }
  // maxOutputLength must be at least 1; a zero limit is checked here.
  if (out.length > limit) throw new CorruptRecordError(`${codec}: decompresses past the limit of ${limit} bytes`);
  return out;
}
