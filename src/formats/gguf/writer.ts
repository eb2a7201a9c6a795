import { byteSizeOf, typeInfo, type TypeName } from '../../codecs/catalogue';
import type { ByteSink } from '../../io/byte-sink';
import type { Metadata, MetaValue } from '../model';
import { GGML_MAX_NAME, GGUF_MAX_DIMS } from '../limits';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, KEY_ALIGNMENT, padTo } from './constants';
import { ByteBuilder, writeKv } from './encode';
import { PlannedStreamWriter, type PlannedPart } from './stream-writer';

export interface GgufTensorSpec {
  readonly name: string;
  readonly type: TypeName;
  /** Row-major dimensions, outermost first (as TensorInfo.shape); written to the file reversed, as ne. */
  readonly shape: readonly number[];
}

export interface GgufPlanInput {
  /** KV pairs in file order. general.alignment, when present, must be a power-of-two u32. */
  readonly metadata: Metadata;
  readonly tensors: readonly GgufTensorSpec[];
  /**
   * Data alignment. When metadata lacks general.alignment and this differs from 32, the key is
   * appended (as gguf-py's add_custom_alignment does) so readers find it; when both are given
   * they must agree.
   */
  readonly alignment?: number;
}

export interface GgufPlannedTensor extends GgufTensorSpec {
  /** Offset from the start of the data section, as stored in the tensor info. */
  readonly offset: number;
  readonly fileOffset: number;
  readonly nbytes: number;
  /** Zero bytes after the tensor that bring the next one to the alignment. */
  readonly padAfter: number;
}

export interface GgufPlan {
  /** Everything before the first tensor's data: magic, version, counts, KVs, tensor infos, padding. */
  readonly header: Uint8Array;
  readonly dataOffset: number;
  readonly alignment: number;
  readonly tensors: readonly GgufPlannedTensor[];
  readonly totalSize: number;
}

const utf8 = new TextEncoder();

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n <= 0xffffffff && (n & (n - 1)) === 0;
}

function resolveAlignment(input: GgufPlanInput): { alignment: number; metadata: Metadata } {
  const kv = input.metadata.get(KEY_ALIGNMENT);
  if (kv !== undefined) {
    if (kv.type !== 'u32' || !isPowerOfTwo(kv.value)) throw new TypeError(`GGUF metadata '${KEY_ALIGNMENT}' must be a power-of-two u32, got ${kv.type} ${String(kv.value)}`);
    if (input.alignment !== undefined && input.alignment !== kv.value) {
      throw new TypeError(`GGUF alignment ${input.alignment} disagrees with metadata '${KEY_ALIGNMENT}' = ${kv.value}`);
    }
    return { alignment: kv.value, metadata: input.metadata };
  }
  const alignment = input.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  if (!isPowerOfTwo(alignment)) throw new TypeError(`GGUF alignment ${alignment} is not a power of two u32`);
  if (alignment === GGUF_DEFAULT_ALIGNMENT) return { alignment, metadata: input.metadata };
  const metadata: Metadata = new Map(input.metadata);
  metadata.set(KEY_ALIGNMENT, { type: 'u32', value: alignment } satisfies MetaValue);
  return { alignment, metadata };
}

/** Bytes of a tensor of `type` and row-major `shape`, validated as gguf.cpp validates tensor infos. */
export function ggufTensorBytes(t: GgufTensorSpec): number {
  const info = typeInfo(t.type);
  if (info.ggmlId === null) throw new TypeError(`tensor '${t.name}': type ${t.type} cannot be stored in GGUF`);
  if (t.shape.length > GGUF_MAX_DIMS) throw new TypeError(`tensor '${t.name}' has ${t.shape.length} dimensions, more than ggml's ${GGUF_MAX_DIMS}`);
  let elements = 1;
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new TypeError(`tensor '${t.name}' has an invalid dimension ${d}`);
    elements *= d;
  }
  if (!Number.isSafeInteger(elements)) throw new TypeError(`tensor '${t.name}' has more than 2^53-1 elements`);
  const ne0 = t.shape.length > 0 ? t.shape[t.shape.length - 1]! : 1;
  if (ne0 % info.blockSize !== 0) {
    throw new TypeError(`tensor '${t.name}' of type ${t.type} has rows of ${ne0} elements, not a multiple of the block size ${info.blockSize}`);
  }
  return byteSizeOf(t.type, elements)!;
}

/**
 * Lays out a GGUF v3 file exactly as gguf.cpp's gguf_write_out and gguf-py's GGUFWriter do:
 * header, KVs in the given order, tensor infos in the given order with offsets padded to the
 * alignment, zero padding to the data section, then each tensor followed by padding to the
 * alignment (the last one too).
 */
export function planGguf(input: GgufPlanInput): GgufPlan {
  const { alignment, metadata } = resolveAlignment(input);
  const w = new ByteBuilder();
  w.bytes(GGUF_MAGIC);
  w.u32(GGUF_VERSION);
  w.u64(BigInt(input.tensors.length));
  w.u64(BigInt(metadata.size));
  for (const [k, v] of metadata) writeKv(w, k, v);

  const names = new Set<string>();
  const sized: { spec: GgufTensorSpec; offset: number; nbytes: number; padAfter: number }[] = [];
  let offset = 0;
  for (const t of input.tensors) {
    const nameBytes = utf8.encode(t.name).length;
    if (nameBytes >= GGML_MAX_NAME) throw new TypeError(`tensor name '${t.name}' is ${nameBytes} bytes; ggml allows at most ${GGML_MAX_NAME - 1}`);
    if (names.has(t.name)) throw new TypeError(`duplicate tensor name '${t.name}'`);
    names.add(t.name);
    const nbytes = ggufTensorBytes(t);
    const padded = padTo(nbytes, alignment);
    sized.push({ spec: t, offset, nbytes, padAfter: padded - nbytes });
    w.string(t.name);
    w.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) w.u64(BigInt(t.shape[d]!));
    w.u32(typeInfo(t.type).ggmlId!);
    w.u64(BigInt(offset));
    offset += padded;
    if (!Number.isSafeInteger(offset)) throw new TypeError('GGUF data section exceeds 2^53-1 bytes');
  }
  // gguf_write_out pads to the alignment even when there are no tensors.
  w.zeros(padTo(w.length, alignment) - w.length);
  const header = w.finish();
  const dataOffset = header.length;
  const tensors = sized.map((s) => ({ ...s.spec, offset: s.offset, fileOffset: dataOffset + s.offset, nbytes: s.nbytes, padAfter: s.padAfter }));
  return { header, dataOffset, alignment, tensors, totalSize: dataOffset + offset };
}

export function ggufPart(name: string, plan: GgufPlan): PlannedPart {
  return { name, header: plan.header, tensors: plan.tensors, totalSize: plan.totalSize };
}

/**
 * Writes a planned GGUF to one sink: await write(chunk) for each tensor's bytes in order (chunks
 * must not cross a tensor's end), then finish(). Padding is added by the writer.
 */
export function writeGguf(plan: GgufPlan, sink: ByteSink): Promise<PlannedStreamWriter> {
  return PlannedStreamWriter.start(`gguf writer (${sink.name})`, [ggufPart(sink.name, plan)], async () => sink);
}
