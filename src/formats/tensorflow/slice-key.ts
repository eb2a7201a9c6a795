/**
 * Names of the entries that hold the pieces of a partitioned tensor. BundleWriter::AddSlice
 * stores each piece under checkpoint::EncodeTensorNameSlice(name, slice)
 * (tensorflow/core/util/saved_tensor_slice_util.cc): OrderedCode (lib/strings/ordered_code.cc)
 * of 0, the name, the rank, then per dimension start and length as signed numbers, where a
 * length of -1 means the whole dimension. We turn such a key into "name[0:2,:]" so the listing
 * is readable; keys that do not decode are shown in hex.
 */

export interface SliceKey {
  readonly name: string;
  readonly extents: ReadonlyArray<{ readonly start: number; readonly length: number }>;
}

/** Rank cap while decoding a key (TensorShape's own maximum is 254). */
const MAX_RANK = 254;

export function decodeSliceKey(k: Uint8Array): SliceKey | null {
  let p = 0;
  const num = (): number | null => {
    if (p >= k.length) return null;
    const len = k[p]!;
    if (len > 8 || p + 1 + len > k.length) return null;
    let v = 0;
    for (let i = 0; i < len; i++) v = v * 256 + k[p + 1 + i]!;
    p += 1 + len;
    return v <= Number.MAX_SAFE_INTEGER ? v : null;
  };
  if (num() !== 0) return null;
  // string: 0x00 0x01 ends it; 0x00 0xff is a NUL byte; 0xff 0x00 is a 0xff byte
  const bytes: number[] = [];
  for (;;) {
    if (p + 1 >= k.length) return null;
    const c = k[p]!;
    if (c === 0x00) {
      const n = k[p + 1]!;
      p += 2;
      if (n === 0x01) break;
      if (n !== 0xff) return null;
      bytes.push(0);
    } else if (c === 0xff) {
      if (k[p + 1] !== 0x00) return null;
      bytes.push(0xff);
      p += 2;
    } else {
      bytes.push(c);
      p += 1;
    }
  }
  const rank = num();
  if (rank === null || rank > MAX_RANK) return null;
  const extents: { start: number; length: number }[] = [];
  for (let d = 0; d < rank; d++) {
    const start = signed();
    const length = signed();
    if (start === null || length === null) return null;
    extents.push({ start, length });
  }
  if (p !== k.length) return null;
  let name: string;
  try {
    name = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
  return { name, extents };

  // WriteSignedNumIncreasing: the leading run of bits equal to the sign bit gives the byte
  // count (1..10); the value is the bytes with that run flipped, read as two's complement.
  function signed(): number | null {
    if (p >= k.length) return null;
    const negative = (k[p]! & 0x80) === 0;
    const head = ((k[p]! << 8) | (p + 1 < k.length ? k[p + 1]! : 0)) ^ (negative ? 0xffff : 0);
    let len = 0;
    while (len < 16 && head & (0x8000 >>> len)) len++;
    if (len > 10 || p + len > k.length) return null;
    let raw = 0n;
    for (let i = 0; i < len; i++) raw = (raw << 8n) | BigInt(k[p + i]!);
    const bits = BigInt(len * 8);
    const mask = ((1n << BigInt(len)) - 1n) << (bits - BigInt(len));
    const v = BigInt.asIntN(len * 8, raw ^ mask);
    p += len;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) return null;
    return Number(v);
  }
}

export function sliceKeyName(s: SliceKey): string {
  return `${s.name}[${s.extents.map((e) => (e.length < 0 ? ':' : `${e.start}:${e.start + e.length}`)).join(',')}]`;
}
