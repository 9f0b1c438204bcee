/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka's
 * RecordBatch v2. Node's zlib.crc32 is the IEEE polynomial, so we carry our own.
 *
 * Slicing-by-8: table k, entry b, is the CRC of byte b followed by k zero bytes, which lets
 * the loop fold eight input bytes per step. Segments are tens of MiB and every read
 * checks the CRC, so the factor of two to three over the byte-at-a-time loop (about
 * 1 GB/s against 400 MB/s on Node 20) is worth the seven extra tables (7 KiB).
 */
const POLYNOMIAL = 0x82f63b78;

/** Table k (k = 0..7) at [k * 256, k * 256 + 256); one array indexes faster than eight views. */
const T = buildTables();

function buildTables(): Int32Array {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!;
    for (let k = 1; k < 8; k++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[k * 256 + n] = c;
    }
  }
  return tables;
}

/** CRC-32C of `data`, as an unsigned 32-bit number. */
export function crc32c(data: Uint8Array): number {
  let crc = -1;
  let i = 0;
  const n = data.length;
  for (const end8 = n - (n & 7); i < end8; i += 8) {
    const a = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc =
      T[0x700 | (a & 0xff)]! ^
      T[0x600 | ((a >>> 8) & 0xff)]! ^
      T[0x500 | ((a >>> 16) & 0xff)]! ^
      T[0x400 | (a >>> 24)]! ^
      T[0x300 | data[i + 4]!]! ^
      T[0x200 | data[i + 5]!]! ^
      T[0x100 | data[i + 6]!]! ^
      T[data[i + 7]!]!;
  }
  for (; i < n; i++) crc = T[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
