/**
 * Reflected 32-bit CRCs by slicing-by-16 (16 table lookups per 16 bytes, no dependency carried
 * between them): measured 3.2x the byte-at-a-time loop in V8 (1440 vs 450 MB/s). Zip's CRC-32
 * and TensorFlow's CRC-32C differ only in the polynomial; the pipeline runs this over every byte
 * it writes and reads back, and the TF reader over every checkpoint block.
 */

const SLICES = 16;

/** Word loads read bytes in little-endian order; on a big-endian host only the byte loop is used. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** `update(crc, bytes, start, end)` continues a running CRC (0 to start) over bytes[start, end). */
export type CrcUpdate = (crc: number, bytes: Uint8Array, start?: number, end?: number) => number;

export function slicingCrc(poly: number): CrcUpdate {
  const t = new Uint32Array(256 * SLICES);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (poly ^ (c >>> 1)) >>> 0 : c >>> 1;
    t[n] = c >>> 0;
  }
  // table k advances a byte through k further zero bytes
  for (let k = 1; k < SLICES; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return (crc, bytes, start = 0, end = bytes.length) => {
    let c = ~crc >>> 0;
    let p = start;
    // bytes up to a 4-byte boundary, so the body can be read as aligned words
    while (p < end && (bytes.byteOffset + p) % 4 !== 0) c = t[(c ^ bytes[p++]!) & 0xff]! ^ (c >>> 8);
    if (LITTLE_ENDIAN && end - p >= 16) {
      const words = new Uint32Array(bytes.buffer, bytes.byteOffset + p, (end - p) >>> 2);
      const n = words.length & ~3;
      for (let i = 0; i < n; i += 4) {
        const a = (c ^ words[i]!) >>> 0;
        const b = words[i + 1]!;
        const d = words[i + 2]!;
        const e = words[i + 3]!;
        c =
          t[15 * 256 + (a & 0xff)]! ^
          t[14 * 256 + ((a >>> 8) & 0xff)]! ^
          t[13 * 256 + ((a >>> 16) & 0xff)]! ^
          t[12 * 256 + (a >>> 24)]! ^
          t[11 * 256 + (b & 0xff)]! ^
          t[10 * 256 + ((b >>> 8) & 0xff)]! ^
          t[9 * 256 + ((b >>> 16) & 0xff)]! ^
          t[8 * 256 + (b >>> 24)]! ^
          t[7 * 256 + (d & 0xff)]! ^
          t[6 * 256 + ((d >>> 8) & 0xff)]! ^
          t[5 * 256 + ((d >>> 16) & 0xff)]! ^
          t[4 * 256 + (d >>> 24)]! ^
          t[3 * 256 + (e & 0xff)]! ^
          t[2 * 256 + ((e >>> 8) & 0xff)]! ^
          t[256 + ((e >>> 16) & 0xff)]! ^
          t[e >>> 24]!;
      }
      p += n * 4;
    }
    while (p < end) c = t[(c ^ bytes[p++]!) & 0xff]! ^ (c >>> 8);
    return ~c >>> 0;
  };
}
