import { slicingCrc } from '../crc-slicing';

/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and the "masked" form that LevelDB and
 * TensorFlow store (crc32c::Mask in tensorflow/core/lib/hash/crc32c.h: rotate right by 15 and add
 * a constant, so a CRC of data that itself holds CRCs is not degenerate). The CRC itself is
 * crc-slicing.ts's, shared with zip's CRC-32.
 */

const update = slicingCrc(0x82f63b78);

/** Extends a running CRC-32C (0 to start) over bytes. */
export function crc32cExtend(crc: number, b: Uint8Array, start = 0, end = b.length): number {
  return update(crc, b, start, end);
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
