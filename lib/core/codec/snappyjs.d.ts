/** The part of snappyjs (pure JavaScript, no types of its own) that xerial.ts uses: compressing raw Snappy blocks. */
declare module 'snappyjs' {
  /** One raw Snappy block: the uncompressed length as a varint, then the elements. */
  export function compress(uncompressed: Buffer): Buffer;
}
