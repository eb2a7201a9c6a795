import { SPM_BYTE, SPM_NORMAL } from '../hf/sentencepiece';

/**
 * A SentencePiece tokenizer.model (sentencepiece_model.proto ModelProto) rebuilt from a GGUF
 * "llama" vocabulary: every piece with its score and type (type left out when NORMAL, the proto
 * default, as SentencePiece's own trainer writes it), a TrainerSpec holding what the vocabulary
 * implies (BPE model, vocab size, byte fallback, the special ids) and a NormalizerSpec for the
 * identity normalization llama vocabularies use. sentencepiece.ts reads it back.
 */

export interface SpmModelInput {
  readonly pieces: readonly { readonly piece: string; readonly score: number; readonly type: number }[];
  readonly unkId: number;
  readonly bosId: number;
  readonly eosId: number;
  /** -1 when the vocabulary has no padding token (the trainer's default). */
  readonly padId: number;
  /** tokenizer.ggml.add_space_prefix (NormalizerSpec.add_dummy_prefix). */
  readonly addDummyPrefix: boolean;
}

/** TrainerSpec.ModelType.BPE: llama.cpp's "llama" vocabulary merges by score, as SentencePiece BPE does. */
const MODEL_TYPE_BPE = 2;

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** Append-only protobuf encoder for the few field kinds a ModelProto needs. */
class Proto {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  private varintBytes(v: bigint): Uint8Array {
    let n = BigInt.asUintN(64, v);
    const out: number[] = [];
    while (n >= 0x80n) {
      out.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    out.push(Number(n));
    return Uint8Array.from(out);
  }
  private tag(field: number, wire: number): void {
    this.push(this.varintBytes(BigInt((field << 3) | wire)));
  }
  /** int32 fields: negative values take ten bytes, as protobuf encodes them. */
  int(field: number, v: number): this {
    this.tag(field, WIRE_VARINT);
    this.push(this.varintBytes(BigInt(v)));
    return this;
  }
  bool(field: number, v: boolean): this {
    return this.int(field, v ? 1 : 0);
  }
  float(field: number, v: number): this {
    this.tag(field, WIRE_I32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.push(this.varintBytes(BigInt(b.length)));
    this.push(b);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  message(field: number, m: Proto): this {
    return this.bytes(field, m.finish());
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export function writeSentencePieceModel(input: SpmModelInput): Uint8Array {
  const top = new Proto();
  for (const p of input.pieces) {
    const m = new Proto().string(1, p.piece).float(2, p.score);
    if (p.type !== SPM_NORMAL) m.int(3, p.type);
    top.message(1, m);
  }
  const trainer = new Proto()
    .int(3, MODEL_TYPE_BPE)
    .int(4, input.pieces.length)
    .bool(35, input.pieces.some((p) => p.type === SPM_BYTE))
    .int(40, input.unkId)
    .int(41, input.bosId)
    .int(42, input.eosId)
    .int(43, input.padId);
  top.message(2, trainer);
  const normalizer = new Proto().string(1, 'identity').bytes(2, new Uint8Array(0)).bool(3, input.addDummyPrefix).bool(4, false);
  top.message(3, normalizer);
  return top.finish();
}
