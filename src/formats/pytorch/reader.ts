/**
 * Reads a PyTorch checkpoint (torch.save output) without executing anything in it.
 *
 * Three containers exist, told apart by their first bytes as torch.load does: the zip format
 * (torch >= 1.6, "PK\x03\x04"), the legacy tar format (torch < 0.4, a tar header), and the legacy
 * pickle stream (torch < 1.6, a pickle whose first value is torch's magic number). All three carry
 * an object pickle that is unpickled by a VM that refuses every global torch.load(weights_only=True)
 * would refuse, and that never calls anything; tensors come out as views over storage bytes,
 * read only when asked.
 */
import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import type { ModelView } from '../model';
import { OP } from '../pickle/opcodes';
import { looksLikeZip } from '../zip/zip-reader';
import { readLegacyCheckpoint } from './legacy-checkpoint';
import { readTarCheckpoint } from './tar-checkpoint';
import { looksLikeTar } from './tar';
import { readZipCheckpoint } from './zip-checkpoint';

export async function readPytorch(file: ByteSource): Promise<ModelView> {
  // Four bytes decide a zip; only otherwise is a whole tar header block read.
  if (looksLikeZip(await file.read(0, Math.min(4, file.size)))) return readZipCheckpoint(file);
  const head = await file.read(0, Math.min(512, file.size));
  if (looksLikeTar(head)) return readTarCheckpoint(file);
  if (head[0] === OP.PROTO || head[0] === OP.LONG1 || head[0] === OP.LONG) return readLegacyCheckpoint(file);
  throw new FormatError(
    { format: 'pytorch', file: file.name, offset: 0 },
    `not a PyTorch checkpoint: starts with ${[...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}, not a zip, tar or pickle`,
  );
}

/** True when the first bytes could start a torch.save file (for format detection). */
export function looksLikePytorch(head: Uint8Array): boolean {
  return looksLikeZip(head) || looksLikeTar(head) || (head[0] === OP.PROTO && head.length > 1 && head[1]! <= 5);
}
