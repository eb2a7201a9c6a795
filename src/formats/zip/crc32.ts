import { slicingCrc } from '../crc-slicing';

/**
 * CRC-32 as zip stores it (IEEE 802.3, reflected polynomial 0xEDB88320, init and final xor
 * 0xFFFFFFFF). Incremental so a deflated entry can be checked while it streams.
 */
const update = slicingCrc(0xedb88320);

/** Continues a running CRC (start with 0) over `bytes`; returns the new running value. */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  return update(crc, bytes);
}

export function crc32(bytes: Uint8Array): number {
  return update(0, bytes);
}
