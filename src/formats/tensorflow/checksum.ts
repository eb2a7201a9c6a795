import { FormatError, UnsupportedError } from '../errors';
import type { TensorInfo } from '../model';
import { crc32cExtend, unmaskCrc } from './crc32c';
import { BundleTensor } from './tensor';

/** Bytes read per step while checksumming: bounded memory for any tensor size. */
const CHUNK_BYTES = 64 * 1024 * 1024;

/**
 * Checks a numeric bundle entry's stored bytes against the entry's masked CRC-32C, as
 * BundleReader::GetValue does (the CRC covers the bytes as stored, before any byte swap).
 * Separate from reading because it costs a full pass over the tensor. Throws FormatError on a
 * mismatch; UnsupportedError for entries whose CRC covers a different layout (DT_STRING,
 * DT_VARIANT) or that hold no data.
 */
export async function verifyTensorflowChecksum(t: TensorInfo): Promise<void> {
  if (!(t instanceof BundleTensor)) throw new Error(`internal error: ${t.name} is not a TensorFlow bundle tensor`);
  const where = { format: 'tensorflow' as const, file: t.file, tensor: t.name };
  if (t.shard === null || t.type === null) throw new UnsupportedError(where, `no checksum check for ${t.typeLabel} entries`);
  if (t.storedCrc === null) throw new UnsupportedError(where, 'entry has no crc32c field');
  let crc = 0;
  for (let at = 0; at < t.storedSize; at += CHUNK_BYTES) {
    const n = Math.min(CHUNK_BYTES, t.storedSize - at);
    crc = crc32cExtend(crc, await t.shard.read(t.storedOffset + at, n));
  }
  const want = unmaskCrc(t.storedCrc);
  if (crc !== want) {
    throw new FormatError(
      { ...where, offset: t.storedOffset },
      `data checksum mismatch over ${t.storedSize} bytes: entry says crc32c 0x${want.toString(16).padStart(8, '0')}, data gives 0x${crc.toString(16).padStart(8, '0')}`,
    );
  }
}
