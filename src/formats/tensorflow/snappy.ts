import { decodeVarint, VARINT_TRUNCATED, varint } from '../protobuf/wire';

/**
 * Raw Snappy block decompression (google/snappy format_description.txt): a varint of the
 * uncompressed length, then elements whose tag's low two bits say literal (00) or copy with a
 * 1-, 2- or 4-byte offset (01, 10, 11). TensorFlow's table writer snappy-compresses an index
 * block when that saves at least 1/8 (table_builder.cc), and SavedModel variables written by
 * recent TensorFlow releases carry such blocks, so the reader must undo it.
 *
 * Every length and offset is checked against the declared size, which is itself checked against
 * `maxOutput` before the output is allocated. Returns the bytes, or a string saying what is wrong.
 */
export function snappyDecompress(src: Uint8Array, maxOutput: number): Uint8Array | string {
  let p = decodeVarint(src, 0, Math.min(src.length, 5));
  if (p < 0) return p === VARINT_TRUNCATED ? 'truncated length preamble' : 'overlong length preamble';
  if (varint.hi !== 0 || varint.lo > maxOutput) {
    return `declared uncompressed length ${varint.hi * 0x100000000 + varint.lo} exceeds the limit of ${maxOutput}`;
  }
  const n = varint.lo;
  // every element yields at most 64 bytes per input byte, so a larger claim is malformed
  if (n > (src.length - p) * 64 + 64) return `declared uncompressed length ${n} is impossible for ${src.length} compressed bytes`;
  const out = new Uint8Array(n);
  let o = 0;
  while (p < src.length) {
    const tag = src[p++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59; // 1..4 little-endian bytes hold length - 1
        if (src.length - p < extra) return `truncated literal length at byte ${p - 1}`;
        len = 0;
        for (let i = 0; i < extra; i++) len += src[p + i]! * 2 ** (8 * i);
        p += extra;
      }
      len += 1;
      if (len > src.length - p) return `literal of ${len} bytes at byte ${p} runs past the input (${src.length} bytes)`;
      if (len > n - o) return `literal of ${len} bytes overflows the declared length ${n}`;
      out.set(src.subarray(p, p + len), o);
      p += len;
      o += len;
      continue;
    }
    let len: number;
    let off: number;
    if (kind === 1) {
      if (src.length - p < 1) return `truncated copy at byte ${p - 1}`;
      len = 4 + ((tag >>> 2) & 7);
      off = ((tag >>> 5) << 8) | src[p++]!;
    } else if (kind === 2) {
      if (src.length - p < 2) return `truncated copy at byte ${p - 1}`;
      len = 1 + (tag >>> 2);
      off = src[p]! | (src[p + 1]! << 8);
      p += 2;
    } else {
      if (src.length - p < 4) return `truncated copy at byte ${p - 1}`;
      len = 1 + (tag >>> 2);
      off = (src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24)) >>> 0;
      p += 4;
    }
    if (off === 0 || off > o) return `copy offset ${off} at output byte ${o} points outside the output`;
    if (len > n - o) return `copy of ${len} bytes overflows the declared length ${n}`;
    // byte by byte: a copy may overlap its own output (run-length style)
    for (let i = 0; i < len; i++, o++) out[o] = out[o - off]!;
  }
  if (o !== n) return `decompressed ${o} bytes but the block declares ${n}`;
  return out;
}
