import { fixtureBytes, fixtureJson } from './fixtures';
import { isTypeName, type TypeName } from '../../src/codecs/catalogue';

/** ggml's golden vectors (../shared/golden, copied gzipped into test/fixtures/golden). */
interface ManifestType {
  type: string;
  ggml_type_id: number;
  block_size: number;
  type_size: number;
  row_size_bytes: number;
  status: string;
  nrows: number;
  quant?: string;
  dequant: string;
  blocks?: string;
}
interface Manifest {
  n_per_row: number;
  types: ManifestType[];
  dequant_only: { types: ManifestType[] };
}

const manifest = fixtureJson<Manifest>('golden/manifest.json');

/** ggml spells some names in lower case ("q4_K"); the catalogue uses the GGUF spelling. */
export function catalogueName(ggmlName: string): TypeName {
  const up = ggmlName.toUpperCase();
  if (!isTypeName(up)) throw new Error(`golden type ${ggmlName} is not in the catalogue`);
  return up;
}

export const N_PER_ROW = manifest.n_per_row;

export interface GoldenEncode {
  type: TypeName;
  nrows: number;
  input: Float32Array;
  quant: Uint8Array;
  dequant: Float32Array;
}

export interface GoldenDecode {
  type: TypeName;
  blocks: Uint8Array;
  dequant: Float32Array;
}

let inputCache: Float32Array | null = null;
function input(): Float32Array {
  inputCache ??= new Float32Array(fixtureBytes('golden/input.f32').buffer);
  return inputCache;
}

/** Types ggml quantized without an importance matrix (status ok). */
export function encodeTypes(): TypeName[] {
  return manifest.types.filter((t) => t.status === 'ok').map((t) => catalogueName(t.type));
}

export function decodeOnlyTypes(): TypeName[] {
  return manifest.dequant_only.types.map((t) => catalogueName(t.type));
}

export function goldenEncode(type: TypeName): GoldenEncode {
  const t = manifest.types.find((x) => catalogueName(x.type) === type && x.status === 'ok');
  if (!t || !t.quant) throw new Error(`no golden encode vectors for ${type}`);
  return {
    type,
    nrows: t.nrows,
    input: input(),
    quant: fixtureBytes(`golden/${t.quant}`),
    dequant: new Float32Array(fixtureBytes(`golden/${t.dequant}`).buffer),
  };
}

export function goldenDecode(type: TypeName): GoldenDecode {
  const t = manifest.dequant_only.types.find((x) => catalogueName(x.type) === type);
  if (!t || !t.blocks) throw new Error(`no golden decode vectors for ${type}`);
  return {
    type,
    blocks: fixtureBytes(`golden/${t.blocks}`),
    dequant: new Float32Array(fixtureBytes(`golden/${t.dequant}`).buffer),
  };
}

/** Bitwise float comparison where any NaN equals any NaN (ggml and numpy differ in payloads). */
export function floatMismatches(got: Float32Array, want: Float32Array): number[] {
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  const bad: number[] = [];
  for (let i = 0; i < w.length; i++) {
    if (g[i] === w[i]) continue;
    if (Number.isNaN(got[i]) && Number.isNaN(want[i])) continue;
    bad.push(i);
  }
  return bad;
}

/** Indices of blocks whose bytes differ. */
export function blockMismatches(got: Uint8Array, want: Uint8Array, typeSize: number): number[] {
  const bad: number[] = [];
  const n = want.length / typeSize;
  for (let b = 0; b < n; b++) {
    for (let i = b * typeSize; i < (b + 1) * typeSize; i++) {
      if (got[i] !== want[i]) {
        bad.push(b);
        break;
      }
    }
  }
  return bad;
}
