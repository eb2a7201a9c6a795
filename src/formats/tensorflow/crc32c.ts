/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and the "masked" form that LevelDB and
 * TensorFlow store (crc32c::Mask in tensorflow/core/lib/hash/crc32c.h: rotate right by 15 and add
 * a constant, so a CRC of data that itself holds CRCs is not degenerate). Slicing-by-8 tables:
 * checking a multi-GB checkpoint is bounded by this loop.
 */

const POLY = 0x82f63b78;
const T = new Uint32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c >>> 0;
}
for (let n = 0; n < 256; n++) {
  for (let t = 1; t < 8; t++) T[t * 256 + n] = (T[(t - 1) * 256 + n]! >>> 8) ^ T[T[(t - 1) * 256 + n]! & 0xff]!;
}

/** Extends a running CRC-32C (0 to start) over bytes. */
export function crc32cExtend(crc: number, b: Uint8Array, start = 0, end = b.length): number {
  let c = ~crc >>> 0;
  let p = start;
  while (end - p >= 8) {
    const lo = (c ^ (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24))) >>> 0;
    c =
      T[7 * 256 + (lo & 0xff)]! ^
      T[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      T[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      T[4 * 256 + (lo >>> 24)]! ^
      T[3 * 256 + b[p + 4]!]! ^
      T[2 * 256 + b[p + 5]!]! ^
      T[256 + b[p + 6]!]! ^
      T[b[p + 7]!]!;
    p += 8;
  }
  while (p < end) c = T[(c ^ b[p++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export function crc32c(b: Uint8Array, start = 0, end = b.length): number {
  return crc32cExtend(0, b, start, end);
}

const MASK_DELTA = 0xa282ead8;

export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}
