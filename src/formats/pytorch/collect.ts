/**
 * Finds every tensor in an unpickled checkpoint and names it by its dotted path (dict keys, list
 * indices): "state_dict.model.layer.weight", "optimizer.state.0.exp_avg". Simple non-tensor values
 * (numbers, strings, bools and flat lists of them) become metadata under the same kind of path.
 *
 * The object graph comes from an untrusted pickle, so it may share nodes, loop back on itself
 * (through the memo) or nest absurdly: the walk refuses cycles and bounds depth and total visits.
 */
import { FormatError } from '../errors';
import type { MetaValue, Metadata } from '../model';
import { PyBytes, PyDict, PyList, PySet, PyTuple, pyTypeName, type PyValue } from '../pickle/values';
import { DeferredRef, OpaqueValue, StorageRef, TensorValue, TorchGlobal } from './torch-values';

export const MAX_TREE_DEPTH = 256;
/** Visits in total (a node reachable by many paths counts once per path). */
export const MAX_TREE_VISITS = 4_000_000;
/** Longer strings are not worth showing as metadata. */
export const MAX_META_STRING = 64 * 1024;

export interface FoundTensor {
  readonly name: string;
  readonly tensor: TensorValue;
}

export interface Collected {
  readonly tensors: FoundTensor[];
  readonly metadata: Metadata;
}

type Resolver = (ref: DeferredRef) => PyValue;

const I32_MIN = -(2n ** 31n);
const I32_MAX = 2n ** 31n - 1n;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

export function collect(root: PyValue, file: string, resolve?: Resolver): Collected {
  return new Walker(file, resolve).run(root);
}

class Walker {
  private readonly tensors: FoundTensor[] = [];
  private readonly metadata: Metadata = new Map();
  private readonly names = new Map<string, number>();
  private readonly onPath = new Set<object>();
  private visits = 0;

  constructor(
    private readonly file: string,
    private readonly resolve: Resolver | undefined,
  ) {}

  run(root: PyValue): Collected {
    this.walk(root, '', 0);
    return { tensors: this.tensors, metadata: this.metadata };
  }

  private error(what: string, path: string): FormatError {
    return new FormatError({ format: 'pytorch', file: this.file, tensor: path }, what);
  }

  private unique(name: string): string {
    const n = this.names.get(name);
    this.names.set(name, (n ?? 0) + 1);
    return n === undefined ? name : `${name}#${n + 1}`;
  }

  private walk(v: PyValue, path: string, depth: number): void {
    if (++this.visits > MAX_TREE_VISITS) throw this.error(`object graph has more than ${MAX_TREE_VISITS} paths`, path);
    if (depth > MAX_TREE_DEPTH) throw this.error(`objects nest deeper than ${MAX_TREE_DEPTH} levels`, path);
    if (v instanceof DeferredRef) {
      if (!this.resolve) throw this.error('unresolved persistent reference', path);
      v = this.resolve(v);
    }
    if (v instanceof TensorValue) {
      this.tensors.push({ name: this.unique(path || 'tensor'), tensor: v });
      return;
    }
    if (v instanceof StorageRef) {
      // A bare storage: list its elements as a 1-D tensor rather than drop it.
      const numel = v.untyped ? Math.floor(v.numel / v.dtype.itemSize) : v.numel;
      this.tensors.push({ name: this.unique(path || 'storage'), tensor: new TensorValue(v, v.dtype, 0, [numel], [1]) });
      return;
    }
    if (v instanceof PyDict || v instanceof PyList || v instanceof PyTuple || v instanceof PySet || v instanceof OpaqueValue) {
      if (this.onPath.has(v)) throw this.error(`a ${pyTypeName(v)} contains itself`, path);
      this.onPath.add(v);
      this.container(v, path, depth);
      this.onPath.delete(v);
      return;
    }
    this.scalar(v, path);
  }

  private container(v: PyDict | PyList | PyTuple | PySet | OpaqueValue, path: string, depth: number): void {
    if (v instanceof PyDict) {
      for (let i = 0; i < v.keys.length; i++) this.walk(v.values[i]!, join(path, keyName(v.keys[i]!)), depth + 1);
      return;
    }
    if (v instanceof OpaqueValue) {
      if (v.children.length === 0) this.put(path, { type: 'string', value: v.label });
      for (const [name, child] of v.children) this.walk(child, join(path, name), depth + 1);
      return;
    }
    const items = v.items;
    if (items.length === 0) return;
    const arr = scalarArray(items);
    if (arr !== null) {
      this.put(path, arr);
      return;
    }
    items.forEach((item, i) => this.walk(item, join(path, String(i)), depth + 1));
  }

  private scalar(v: PyValue, path: string): void {
    const m = metaScalar(v);
    if (m !== null) this.put(path, m);
  }

  private put(path: string, m: MetaValue): void {
    if (path === '') return;
    this.metadata.set(this.metadata.has(path) ? this.unique(path) : path, m);
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function keyName(k: PyValue): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'bigint' || typeof k === 'number') return String(k);
  if (typeof k === 'boolean') return k ? 'True' : 'False';
  if (k === null) return 'None';
  if (k instanceof PyBytes) return String.fromCharCode(...k.bytes.subarray(0, 256));
  if (k instanceof PyTuple) return `(${k.items.map(keyName).join(',')})`;
  if (k instanceof TorchGlobal) return k.pyType;
  return pyTypeName(k);
}

function metaScalar(v: PyValue): MetaValue | null {
  if (typeof v === 'string') return v.length <= MAX_META_STRING ? { type: 'string', value: v } : null;
  if (typeof v === 'boolean') return { type: 'bool', value: v };
  if (typeof v === 'number') return { type: 'f64', value: v };
  if (typeof v === 'bigint') {
    if (v >= I32_MIN && v <= I32_MAX) return { type: 'i32', value: Number(v) };
    if (v >= I64_MIN && v <= I64_MAX) return { type: 'i64', value: v };
    if (v >= 0n && v <= U64_MAX) return { type: 'u64', value: v };
    return { type: 'string', value: v.toString() };
  }
  if (v instanceof TorchGlobal) return { type: 'string', value: v.pyType };
  return null;
}

/** A flat list of scalars of one kind as a metadata array, or null when it is anything else. */
function scalarArray(items: readonly PyValue[]): MetaValue | null {
  const first = items[0];
  if (typeof first === 'string') {
    if (!items.every((x) => typeof x === 'string' && x.length <= MAX_META_STRING)) return null;
    return { type: 'array', itemType: 'string', value: items as string[] };
  }
  if (typeof first === 'boolean') {
    return items.every((x) => typeof x === 'boolean') ? { type: 'array', itemType: 'bool', value: items as boolean[] } : null;
  }
  if (!items.every((x) => typeof x === 'bigint' || typeof x === 'number')) return null;
  if (items.some((x) => typeof x === 'number')) return { type: 'array', itemType: 'f64', value: items.map((x) => Number(x)) };
  const ints = items as bigint[];
  if (ints.every((x) => x >= I32_MIN && x <= I32_MAX)) return { type: 'array', itemType: 'i32', value: ints.map((x) => Number(x)) };
  if (ints.every((x) => x >= I64_MIN && x <= I64_MAX)) return { type: 'array', itemType: 'i64', value: ints };
  return null;
}
