/**
 * Turns a TensorValue (geometry over a storage) into a TensorInfo whose read() yields canonical
 * bytes: row-major, contiguous, little-endian. Geometry is validated against the storage here,
 * before any read: a view reaching past its storage is a FormatError naming the tensor.
 */
import type { ByteSource } from '../../io/byte-source';
import { FormatError, UnsupportedError } from '../errors';
import type { TensorInfo } from '../model';
import { gather, isContiguous } from './strided';
import { tensorLabel } from './torch-policy';
import type { TensorValue } from './torch-values';

/** Where a storage's bytes are, as the container format found them. */
export interface StorageBytes {
  /** The storage's bytes from its first byte (a stored zip entry, an inflater, a window of the file). */
  readonly source: ByteSource;
  /** Absolute offset of byte 0 in the checkpoint file, or -1 when the bytes are not there as-is (deflated). */
  readonly fileOffset: number;
  /** The storage was written big-endian and must be swapped to canonical little-endian. */
  readonly bigEndian: boolean;
}

export function makeTensorInfo(name: string, t: TensorValue, file: string, bytes: StorageBytes | null): TensorInfo {
  const err = (what: string): FormatError => new FormatError({ format: 'pytorch', file, tensor: name }, what);
  const isz = t.dtype.itemSize;
  let numel = 1;
  for (const n of t.shape) {
    numel *= n;
    if (!Number.isSafeInteger(numel)) throw err(`shape [${t.shape.join(', ')}] has more than 2^53 elements`);
  }
  const nbytes = numel * isz;
  if (!Number.isSafeInteger(nbytes)) throw err(`${numel} elements of ${isz} bytes exceed 2^53 bytes`);
  const label = tensorLabel(t);
  const common = { name, type: t.dtype.type, typeLabel: label, shape: [...t.shape], file };

  if (t.storage === null || bytes === null) {
    return {
      ...common,
      type: null, // nothing to decode
      nbytes: 0,
      fileOffset: -1,
      read: (offset, length) =>
        length === 0 && offset === 0 ? Promise.resolve(new Uint8Array(0)) : Promise.reject(new UnsupportedError({ format: 'pytorch', file, tensor: name }, `${label} has no data to read`)),
    };
  }

  const s = t.storage;
  // Capacity in elements of this tensor's dtype, and where the view starts within the root storage.
  const capacity = s.untyped ? Math.floor(s.numel / isz) : s.numel;
  const start = s.viewOffset + t.storageOffset;
  if (numel > 0) {
    let last = t.storageOffset;
    for (let d = 0; d < t.shape.length; d++) {
      const step = (t.shape[d]! - 1) * t.stride[d]!;
      if (!Number.isSafeInteger(step)) throw err(`dimension ${d} (size ${t.shape[d]}, stride ${t.stride[d]}) reaches beyond 2^53 elements`);
      last += step;
    }
    if (!Number.isSafeInteger(last) || last >= capacity) {
      throw err(
        `view (offset ${t.storageOffset}, shape [${t.shape.join(', ')}], stride [${t.stride.join(', ')}]) reaches element ${last} of a storage of ${capacity} ${t.dtype.name} elements (key "${s.key}")`,
      );
    }
    const endByte = (s.viewOffset + last + 1) * isz;
    if (!Number.isSafeInteger(endByte) || endByte > bytes.source.size) {
      throw err(`view of storage "${s.key}" ends at byte ${endByte}, but the storage holds ${bytes.source.size} bytes`);
    }
  }
  const startByte = start * isz;
  const contiguous = isContiguous(t.shape, t.stride);
  const swapUnit = bytes.bigEndian ? t.dtype.swapUnit : 1;
  const view = { itemSize: isz, offset: start, shape: t.shape, stride: t.stride };

  async function read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > nbytes) {
      throw new RangeError(`${name}: read of ${length} bytes at ${offset} is outside the tensor (${nbytes} bytes)`);
    }
    if (length === 0) return new Uint8Array(0);
    if (contiguous && swapUnit === 1) return bytes!.source.read(startByte + offset, length, into);
    // Work in whole elements (and whole swap units), then cut out the bytes asked for.
    const unit = contiguous ? swapUnit : isz;
    const a = Math.floor(offset / unit) * unit;
    const b = Math.ceil((offset + length) / unit) * unit;
    let data: Uint8Array;
    if (contiguous) data = (await bytes!.source.read(startByte + a, b - a)).slice();
    else data = await gather(bytes!.source, view, a / isz, b / isz);
    if (swapUnit > 1) swapInPlace(data, swapUnit);
    return data.subarray(offset - a, offset - a + length);
  }

  return {
    ...common,
    nbytes,
    fileOffset: contiguous && swapUnit === 1 && bytes.fileOffset >= 0 ? bytes.fileOffset + startByte : -1,
    read,
  };
}

export function swapInPlace(data: Uint8Array, unit: number): void {
  for (let i = 0; i + unit <= data.length; i += unit) {
    for (let lo = i, hi = i + unit - 1; lo < hi; lo++, hi--) {
      const t = data[lo]!;
      data[lo] = data[hi]!;
      data[hi] = t;
    }
  }
}
