import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import { ProtoBytes, WIRE_I32, WIRE_LEN, WIRE_VARINT } from '../protobuf/wire';
import { HF_MAX_TOKENIZER_BYTES } from './limits';

/**
 * SentencePiece's tokenizer.model: a serialized sentencepiece.ModelProto
 * (sentencepiece_model.proto). Only what the GGUF vocabulary needs is read: every piece's text,
 * score and type (field 1, repeated SentencePiece { 1: piece, 2: score, 3: type }). The trainer
 * and normalizer specs are skipped.
 */

/** sentencepiece_model.proto SentencePiece.Type; NORMAL is the proto default. */
export const SPM_NORMAL = 1;
export const SPM_UNKNOWN = 2;
export const SPM_CONTROL = 3;
export const SPM_USER_DEFINED = 4;
export const SPM_UNUSED = 5;
export const SPM_BYTE = 6;

export interface SpmPiece {
  readonly piece: string;
  readonly score: number;
  readonly type: number;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export async function readSentencePiece(src: ByteSource): Promise<SpmPiece[]> {
  const where = { format: 'hf' as const, file: src.name };
  if (src.size > HF_MAX_TOKENIZER_BYTES) throw new FormatError(where, `tokenizer.model is ${src.size} bytes, above the limit of ${HF_MAX_TOKENIZER_BYTES}`);
  const bytes = await src.read(0, src.size);
  const top = new ProtoBytes(bytes, where);
  const pieces: SpmPiece[] = [];
  while (top.next()) {
    if (top.field !== 1) continue;
    const m = top.sub();
    let piece: string | null = null;
    let score = 0;
    let type = SPM_NORMAL;
    while (m.next()) {
      if (m.field === 1) {
        m.expect(WIRE_LEN);
        piece = m.string();
      } else if (m.field === 2) {
        m.expect(WIRE_I32);
        u32[0] = m.fixed32();
        score = f32[0]!;
      } else if (m.field === 3) {
        m.expect(WIRE_VARINT);
        type = m.int();
      }
    }
    if (piece === null) throw new FormatError({ ...where, offset: top.lenStart }, `piece ${pieces.length} has no text`);
    if (type < SPM_NORMAL || type > SPM_BYTE) throw new FormatError({ ...where, offset: top.lenStart }, `piece ${pieces.length} ("${piece}") has type ${type}; SentencePiece types are 1..6`);
    pieces.push({ piece, score, type });
  }
  if (pieces.length === 0) throw new FormatError(where, 'tokenizer.model holds no pieces');
  return pieces;
}

/**
 * The GGUF token type of a piece as _create_vocab_sentencepiece assigns it from
 * SentencePieceProcessor's IsUnknown / IsControl / IsUnused / IsByte: user-defined pieces are not
 * asked about, so they come out NORMAL.
 */
export function ggufTokenType(spmType: number): number {
  return spmType === SPM_UNKNOWN || spmType === SPM_CONTROL || spmType === SPM_UNUSED || spmType === SPM_BYTE ? spmType : SPM_NORMAL;
}
