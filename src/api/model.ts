import { byteSizeOf, TYPES } from '../codecs/catalogue';
import { CPU_CODECS } from '../codecs/registry';
import { UnsupportedError } from '../formats/errors';
import type { Metadata, ModelView, TensorInfo } from '../formats/model';
import type { ByteSource } from '../io/byte-source';

/** What a read returns: the file's own bytes, or values decoded on the CPU. f16/bf16 come as their bits. */
export type ReadAs = 'raw' | 'f32' | 'f16' | 'bf16';

export interface ReadTensorOptions<A extends ReadAs = ReadAs> {
  /** Rows [start, end) of the tensor (a row is its innermost dimension); default: all rows. */
  readonly rows?: readonly [start: number, end: number];
  readonly as?: A;
}

export type ReadResult<A extends ReadAs> = A extends 'f32' ? Float32Array : A extends 'f16' | 'bf16' ? Uint16Array : Uint8Array;

/** A request the API cannot satisfy as asked (unknown tensor, rows out of range, a type without a decoder). */
export class KilnApiError extends Error {
  override readonly name: string = 'KilnApiError';
}

/** How a tensor divides into rows: ggml's ne[0] is the innermost dimension. */
export interface RowLayout {
  readonly rows: number;
  readonly rowElements: number;
  readonly rowBytes: number;
}

/**
 * One opened model: its metadata and tensors, whatever the format and however many files (shards,
 * split parts, a Hugging Face folder), and reads of any tensor by rows. Nothing is read until a
 * tensor is asked for, and then only its bytes.
 */
export class KilnModel {
  private readonly byName: Map<string, TensorInfo>;

  constructor(
    readonly view: ModelView,
    /** The files behind the view (HttpSource, BlobSource, NodeFileSource...). */
    readonly sources: readonly ByteSource[] = [],
    private readonly onClose: () => Promise<void> = async () => undefined,
  ) {
    this.byName = new Map(view.tensors.map((t) => [t.name, t]));
  }

  get format(): ModelView['format'] {
    return this.view.format;
  }
  get metadata(): Metadata {
    return this.view.metadata;
  }
  get tensors(): readonly TensorInfo[] {
    return this.view.tensors;
  }
  get details(): ReadonlyMap<string, string> {
    return this.view.details;
  }

  tensor(name: string): TensorInfo {
    const t = this.byName.get(name);
    if (t === undefined) throw new KilnApiError(`no tensor "${name}" in this model (${this.view.tensors.length} tensors; e.g. ${this.view.tensors.slice(0, 3).map((x) => x.name).join(', ')})`);
    return t;
  }

  rowLayout(tensor: string | TensorInfo): RowLayout {
    const t = typeof tensor === 'string' ? this.tensor(tensor) : tensor;
    if (t.type === null) throw new KilnApiError(`tensor "${t.name}" has type ${t.typeLabel}, which Kiln does not know: only its whole raw bytes can be read`);
    const rowElements = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1]!;
    const rows = rowElements === 0 ? 0 : t.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const rowBytes = byteSizeOf(t.type, rowElements);
    if (rowBytes === null) throw new KilnApiError(`tensor "${t.name}": rows of ${rowElements} elements are not whole ${t.type} blocks of ${TYPES[t.type].blockSize}`);
    return { rows, rowElements, rowBytes };
  }

  /**
   * Reads a tensor, or rows [start, end) of it: its raw bytes as the file stores them (canonical
   * little-endian layout), or decoded to f32, or to f16/bf16 bits (through f32, rounding as ggml).
   */
  async readTensor<A extends ReadAs = 'raw'>(tensor: string | TensorInfo, opts: ReadTensorOptions<A> = {}): Promise<ReadResult<A>> {
    const t = typeof tensor === 'string' ? this.tensor(tensor) : tensor;
    const as = opts.as ?? 'raw';
    let offset = 0;
    let length = t.nbytes;
    let elements = t.shape.reduce((a, b) => a * b, 1);
    if (opts.rows !== undefined) {
      const { rows, rowElements, rowBytes } = this.rowLayout(t);
      const [start, end] = opts.rows;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > rows) {
        throw new KilnApiError(`tensor "${t.name}": rows [${start}, ${end}) are outside its ${rows} rows`);
      }
      offset = start * rowBytes;
      length = (end - start) * rowBytes;
      elements = (end - start) * rowElements;
    }
    const raw = await t.read(offset, length);
    if (as === 'raw') return raw as ReadResult<A>;
    if (t.type === null) throw new UnsupportedError({ format: this.view.format, file: t.file, tensor: t.name }, `type ${t.typeLabel} cannot be decoded`);
    const target = as === 'f32' ? 'F32' : as === 'f16' ? 'F16' : 'BF16';
    if (t.type === target) {
      const copy = raw.slice();
      return (as === 'f32' ? new Float32Array(copy.buffer, 0, elements) : new Uint16Array(copy.buffer, 0, elements)) as ReadResult<A>;
    }
    const decode = CPU_CODECS[t.type].decode;
    if (decode === null) throw new UnsupportedError({ format: this.view.format, file: t.file, tensor: t.name }, `Kiln cannot decode ${t.type} yet`);
    const f32 = new Float32Array(elements);
    decode(raw, f32);
    if (as === 'f32') return f32 as ReadResult<A>;
    const bits = new Uint16Array(elements);
    CPU_CODECS[target].encode!(f32, new Uint8Array(bits.buffer));
    return bits as ReadResult<A>;
  }

  /** Releases the files (Node file handles); the model is unusable afterwards. */
  close(): Promise<void> {
    return this.onClose();
  }
}
