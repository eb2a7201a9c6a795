/**
 * The WebAssembly encoders (src/codecs/wasm, AssemblyScript with SIMD128): the same bytes as the
 * TypeScript twins, several times faster, because wasm does float32 arithmetic natively where
 * JavaScript must round every double with Math.fround.
 *
 * The module is compiled synchronously, which workers and Node allow; a browser's main thread
 * refuses modules over 4 KB, a Content-Security-Policy may refuse wasm, and an old engine may
 * lack SIMD. Then wasmEncoder returns null and callers keep the TypeScript twin.
 */
import { isTypeName, TYPES, type TypeName } from './catalogue';
import { badScale, noFiniteNeighbour, offGrid } from './iq-math';
import { SEARCH_TABLES } from './iq-search-table';
import { wasmSearchTable } from './wasm-search-table';
import { blockCodec } from './quant-math';
import { KQUANTS_WASM_BASE64 } from './wasm/build/kquants-wasm';

/**
 * The types the module encodes without importance weights, each exported as
 * encode_<type>(src, dst, blocks), plus a table pointer for the grid types below.
 */
export const WASM_ENCODE_TYPES = ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'IQ4_NL', 'IQ4_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_M'] as const satisfies readonly TypeName[];
type WasmType = (typeof WASM_ENCODE_TYPES)[number];

/**
 * The grid types the module encodes (weighted, and unweighted where listed above). Their
 * exports take the pointer to the type's SEARCH_TABLES table in wasm memory as a last argument
 * (encode_<T>_w(src, dst, rows, n, w, table), encode_<T>(src, dst, blocks, table)) and return
 * an i32 status: 0, or the abort code of wasm/common.ts, which the host turns into the
 * TypeScript twin's error. Adding a type is one entry here (and its exports in wasm/index.ts).
 */
export const WASM_GRID_TYPES = ['IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M'] as const satisfies readonly (keyof typeof SEARCH_TABLES)[];
type GridType = keyof typeof SEARCH_TABLES;
const isGridType = (t: TypeName): t is GridType => (WASM_GRID_TYPES as readonly TypeName[]).includes(t);

/**
 * Floats copied into wasm memory per call: 256 KiB, a whole number of blocks of every type
 * (256 and 32 divide it), so the io area stays under half a MiB whatever the row length; the
 * search tables of the grid types in use add 0.1 to 7 MiB each (wasm-search-table.ts: IQ2_XS
 * 7, IQ2_XXS 4.7, IQ2_S 2.2, the others under 1).
 */
const PIECE_ELEMENTS = 64 * 1024;
const WASM_PAGE = 65536;

interface Exports {
  readonly memory: WebAssembly.Memory;
  readonly ioBase: () => number;
  readonly abortInfo: () => number;
  readonly widen_f16: (src: number, dst: number, n: number) => void;
  readonly [name: string]: unknown;
}

/**
 * The module and its io area at ioBase(): the input piece (f32), the output piece, f16 input
 * (widened into the f32 piece inside wasm), one row's importance weights, then the search
 * tables placed on demand. A table's placement grows memory, which detaches every view, so
 * views are re-taken whenever the buffer has changed.
 */
class Loaded {
  readonly inPtr: number;
  readonly outPtr: number;
  readonly halfPtr: number;
  readonly wPtr: number;
  private readonly maxOut: number;
  private top: number;
  private readonly tables = new Map<GridType, number>();
  private buf: ArrayBuffer | null = null;
  private views: { input: Float32Array; inputBits: Uint32Array; output: Uint8Array; half: Uint8Array; weights: Float32Array } | null = null;

  constructor(readonly exports: Exports) {
    this.maxOut = Math.max(...[...WASM_ENCODE_TYPES, ...WASM_GRID_TYPES].map((t) => (PIECE_ELEMENTS / TYPES[t].blockSize) * TYPES[t].typeSize));
    this.inPtr = exports.ioBase();
    this.outPtr = this.inPtr + PIECE_ELEMENTS * 4;
    this.halfPtr = (this.outPtr + this.maxOut + 15) & ~15;
    this.wPtr = (this.halfPtr + PIECE_ELEMENTS * 2 + 15) & ~15;
    this.top = this.wPtr + PIECE_ELEMENTS * 4;
    this.reserve(this.top);
  }

  private reserve(end: number): void {
    const have = this.exports.memory.buffer.byteLength;
    if (end > have) this.exports.memory.grow(Math.ceil((end - have) / WASM_PAGE));
  }

  private fresh(): NonNullable<Loaded['views']> {
    const buf = this.exports.memory.buffer;
    if (this.views === null || buf !== this.buf) {
      this.buf = buf;
      this.views = {
        input: new Float32Array(buf, this.inPtr, PIECE_ELEMENTS),
        // the same floats as integers: bits, NaN payloads included, must arrive untouched
        inputBits: new Uint32Array(buf, this.inPtr, PIECE_ELEMENTS),
        output: new Uint8Array(buf, this.outPtr, this.maxOut),
        half: new Uint8Array(buf, this.halfPtr, PIECE_ELEMENTS * 2),
        weights: new Float32Array(buf, this.wPtr, PIECE_ELEMENTS),
      };
    }
    return this.views;
  }

  get input(): Float32Array {
    return this.fresh().input;
  }
  get inputBits(): Uint32Array {
    return this.fresh().inputBits;
  }
  get output(): Uint8Array {
    return this.fresh().output;
  }
  get half(): Uint8Array {
    return this.fresh().half;
  }
  get weights(): Float32Array {
    return this.fresh().weights;
  }

  /** The pointer to `type`'s search table (wasmSearchTable), copied past everything else on first use. */
  table(type: GridType): number {
    let at = this.tables.get(type);
    if (at === undefined) {
      const words = wasmSearchTable(type);
      at = (this.top + 15) & ~15;
      this.top = at + words.byteLength;
      this.reserve(this.top);
      new Uint32Array(this.exports.memory.buffer, at, words.length).set(words);
      this.tables.set(type, at);
    }
    return at;
  }

  /** Throws the TypeScript twin's error for a grid encoder's nonzero `status` (see wasm/common.ts abortAt). */
  check(type: TypeName, status: number | undefined): void {
    if (!status) return;
    const info = new DataView(this.exports.memory.buffer, this.exports.abortInfo(), 12);
    const scale = info.getFloat32(4, true);
    if (status === ABORT_NO_NEIGHBOUR) throw noFiniteNeighbour(type, scale);
    if (status === ABORT_SCALE) throw badScale(type, scale);
    if (status === ABORT_OFF_GRID) throw offGrid(type, info.getInt32(8, true));
    throw new Error(`${type} wasm encoder: unknown status ${status} at block ${info.getInt32(0, true)}`);
  }
}

/** The abort codes of wasm/common.ts. */
const ABORT_NO_NEIGHBOUR = 1;
const ABORT_SCALE = 2;
const ABORT_OFF_GRID = 3;

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Plain base64 to bytes (no platform decoder: codecs run in the page, workers and Node alike). */
function base64Bytes(s: string): Uint8Array<ArrayBuffer> {
  const index = new Uint8Array(128);
  for (let i = 0; i < 64; i++) index[BASE64.charCodeAt(i)] = i;
  let len = s.length;
  while (len > 0 && s[len - 1] === '=') len--;
  const out = new Uint8Array((len * 3) >> 2);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < len; i++) {
    acc = (acc << 6) | index[s.charCodeAt(i) & 127]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  return out;
}

function instantiate(): Loaded | null {
  if (typeof WebAssembly !== 'object') return null;
  try {
    const module = new WebAssembly.Module(base64Bytes(KQUANTS_WASM_BASE64));
    return new Loaded(new WebAssembly.Instance(module, {}).exports as unknown as Exports);
  } catch {
    return null;
  }
}

let loaded: Loaded | null | undefined;
const encoders = new Map<TypeName, ((src: Float32Array, dst: Uint8Array) => void) | null>();
const halfEncoders = new Map<TypeName, ((src: Uint8Array, dst: Uint8Array) => void) | null>();

function isWasmType(t: TypeName): t is WasmType {
  return (WASM_ENCODE_TYPES as readonly TypeName[]).includes(t);
}

/** The export `name` with a grid type's table pointer bound and its status checked; null when absent. */
function boundExport<A extends number[]>(w: Loaded, type: TypeName, name: string): ((...args: A) => void) | null {
  const fn = w.exports[name];
  if (typeof fn !== 'function') return null;
  const call = fn as (...args: number[]) => number | undefined;
  if (!isGridType(type)) return (...args: A) => void call(...args);
  return (...args: A) => {
    // placed before the call (placement may grow memory), then the same pointer every call
    const table = w.table(type);
    w.check(type, call(...args, table));
  };
}

/**
 * Encodes `nb` blocks piece by piece: `fill(firstBlock, blocks)` puts the floats of those blocks
 * at w.inPtr (a copy, or f16 widened in place), then the module encodes them into `dst`.
 */
function encodePieces(w: Loaded, type: WasmType, encodeBlocks: (src: number, dst: number, blocks: number) => void, nb: number, dst: Uint8Array, fill: (b: number, n: number) => void): void {
  const { blockSize, typeSize } = TYPES[type];
  const pieceBlocks = PIECE_ELEMENTS / blockSize;
  for (let b = 0; b < nb; b += pieceBlocks) {
    const n = Math.min(pieceBlocks, nb - b);
    fill(b, n);
    encodeBlocks(w.inPtr, w.outPtr, n);
    dst.set(w.output.subarray(0, n * typeSize), b * typeSize);
  }
}

function makeEncoder(w: Loaded, type: WasmType): ((src: Float32Array, dst: Uint8Array) => void) | null {
  const fn = boundExport<[number, number, number]>(w, type, `encode_${type}`);
  if (fn === null) return null;
  const bs = TYPES[type].blockSize;
  const encode = (src: Float32Array, dst: Uint8Array): void =>
    encodePieces(w, type, fn, src.length / bs, dst, (b, n) => w.input.set(src.subarray(b * bs, (b + n) * bs)));
  return blockCodec(type, null, encode).encode;
}

function makeHalfEncoder(w: Loaded, type: WasmType): ((src: Uint8Array, dst: Uint8Array) => void) | null {
  const fn = boundExport<[number, number, number]>(w, type, `encode_${type}`);
  if (fn === null || typeof w.exports.widen_f16 !== 'function') return null;
  const { blockSize: bs, typeSize } = TYPES[type];
  return (src, dst) => {
    const nb = src.length / 2 / bs;
    if (!Number.isInteger(nb) || dst.length !== nb * typeSize) {
      throw new RangeError(`${type} encode from F16: ${src.length} bytes of f16 and ${dst.length} bytes out are not the same whole number of blocks`);
    }
    encodePieces(w, type, fn, nb, dst, (b, n) => {
      w.half.set(src.subarray(b * bs * 2, (b + n) * bs * 2));
      w.exports.widen_f16(w.halfPtr, w.inPtr, n * bs);
    });
  };
}

/**
 * F16 bytes (little-endian, any offset) to floats in wasm, equal bit for bit to the TypeScript
 * twin's decode (NaN payloads included); null when wasm cannot run here.
 */
export function wasmDecodeF16(): ((src: Uint8Array, dst: Float32Array) => void) | null {
  if (halfDecoder === undefined) halfDecoder = makeHalfDecoder();
  return halfDecoder;
}

let halfDecoder: ((src: Uint8Array, dst: Float32Array) => void) | null | undefined;

function makeHalfDecoder(): ((src: Uint8Array, dst: Float32Array) => void) | null {
  if (loaded === undefined) loaded = instantiate();
  const w = loaded;
  if (w === null || typeof w.exports.widen_f16 !== 'function') return null;
  return (src, dst) => {
    if (src.length !== dst.length * 2) throw new RangeError(`F16 decode: ${src.length} bytes for ${dst.length} floats`);
    const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
    for (let at = 0; at < dst.length; at += PIECE_ELEMENTS) {
      const n = Math.min(PIECE_ELEMENTS, dst.length - at);
      w.half.set(src.subarray(at * 2, (at + n) * 2));
      w.exports.widen_f16(w.halfPtr, w.inPtr, n);
      out.set(w.inputBits.subarray(0, n), at);
    }
  };
}

/** The cached result of `make` for `type` once the module is loaded; null when wasm or the type is missing. */
function cached<F, T extends TypeName>(cache: Map<TypeName, F | null>, type: TypeName, accepts: (t: TypeName) => t is T, make: (w: Loaded, t: T) => F | null): F | null {
  const known = cache.get(type);
  if (known !== undefined) return known;
  if (loaded === undefined) loaded = instantiate();
  const made = loaded !== null && accepts(type) ? make(loaded, type) : null;
  cache.set(type, made);
  return made;
}

/**
 * The wasm encoder for `type` fed f16 bytes (little-endian, any offset) instead of floats: the
 * same bytes as decoding F16 with the TypeScript twin and encoding, without the float pass
 * through JavaScript. Null when the type has no wasm encoder or wasm cannot run here.
 */
export function wasmEncoderFromF16(type: TypeName): ((src: Uint8Array, dst: Uint8Array) => void) | null {
  return cached(halfEncoders, type, isWasmType, makeHalfEncoder);
}

/**
 * The wasm encoder for `type`, with CpuCodec.encode's contract (whole blocks, any byte
 * offsets), or null when the type has none or wasm cannot run here.
 */
export function wasmEncoder(type: TypeName): ((src: Float32Array, dst: Uint8Array) => void) | null {
  return cached(encoders, type, isWasmType, makeEncoder);
}

/** The longest row the weighted encoders take: a piece holds whole rows. */
export const WASM_WEIGHTED_MAX_ROW = PIECE_ELEMENTS;

const weightedEncoders = new Map<TypeName, ((src: Float32Array, dst: Uint8Array, weights: Float32Array) => void) | null>();

function makeWeightedEncoder(w: Loaded, type: TypeName): ((src: Float32Array, dst: Uint8Array, weights: Float32Array) => void) | null {
  const fn = boundExport<[number, number, number, number, number]>(w, type, `encode_${type}_w`);
  if (fn === null) return null;
  const { blockSize, typeSize } = TYPES[type];
  return (src, dst, weights) => {
    const n = weights.length;
    const rows = n > 0 ? src.length / n : 0;
    const rowBytes = (n / blockSize) * typeSize;
    if (n === 0 || n % blockSize !== 0 || !Number.isInteger(rows) || dst.length !== rows * rowBytes) {
      throw new RangeError(`${type} encode with importance weights: ${src.length} floats, ${dst.length} bytes and ${n} weights are not whole rows of whole blocks`);
    }
    if (n > PIECE_ELEMENTS) throw new RangeError(`${type} wasm encode with importance weights: rows of ${n} elements exceed ${PIECE_ELEMENTS}`);
    w.weights.set(weights);
    const pieceRows = Math.floor(PIECE_ELEMENTS / n);
    for (let r = 0; r < rows; r += pieceRows) {
      const k = Math.min(pieceRows, rows - r);
      w.input.set(src.subarray(r * n, (r + k) * n));
      fn(w.inPtr, w.outPtr, k, n, w.wPtr);
      dst.set(w.output.subarray(0, k * rowBytes), r * rowBytes);
    }
  };
}

/**
 * The wasm encoder for `type` with importance weights (encode(src, dst, weights): whole rows of
 * weights.length elements, at most WASM_WEIGHTED_MAX_ROW), the same bytes as the TypeScript
 * weighted encoder; null when the type has none or wasm cannot run here.
 */
export function wasmWeightedEncoder(type: TypeName): ((src: Float32Array, dst: Uint8Array, weights: Float32Array) => void) | null {
  return cached(weightedEncoders, type, isTypeName, makeWeightedEncoder);
}
