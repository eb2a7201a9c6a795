/**
 * The pickle policy for torch checkpoints: what torch.load(weights_only=True) accepts, interpreted
 * instead of executed. Globals come from allowlist.ts; REDUCE on them builds TensorValue geometry
 * (after torch._utils' _rebuild_* signatures) or plain containers; BUILD is accepted only where
 * torch accepts it and only as inert attributes. Persistent ids are the container format's business.
 */
import { FormatError } from '../errors';
import type { PicklePolicy } from '../pickle/unpickler';
import { PyBytes, PyDict, PyList, PySet, PyTuple, pyTypeName, type PyValue } from '../pickle/values';
import { dtypeLabel, type TorchDtype } from './dtypes';
import { allowedGlobal, describeGlobal } from './allowlist';
import { OpaqueValue, StorageRef, TensorValue, TorchGlobal, type RebuildFn } from './torch-values';

/** Torch tensors never have more dimensions than this in practice (torch itself caps at 64 in places). */
export const MAX_TENSOR_DIMS = 64;

export type PersistentLoader = (pid: PyValue, at: number, err: (what: string) => FormatError) => PyValue;

export function torchPolicy(file: string, persistentLoad: PersistentLoader): PicklePolicy {
  const err = (at: number) => (what: string) => new FormatError({ format: 'pickle', file, offset: at }, what);
  return {
    global(module, name, at) {
      const g = allowedGlobal(module, name);
      if (g === null) {
        throw err(at)(`global ${describeGlobal(module, name)} is not allowed: only what torch.load(weights_only=True) accepts may be named, and nothing is ever called`);
      }
      return g;
    },
    reduce(fn, args, at) {
      if (!(fn instanceof TorchGlobal)) throw err(at)(`REDUCE on a ${pyTypeName(fn)}: only allowed torch functions may be called`);
      return new Call(fn, args.items, err(at)).run();
    },
    build(inst, state, at) {
      if (inst instanceof PyDict && inst.kind !== 'dict') {
        inst.attrs = state; // an OrderedDict's __dict__ (state_dict()._metadata): kept aside, never walked
        return inst;
      }
      if (inst instanceof TensorValue && isAttributeState(state)) return inst;
      throw err(at)(`BUILD on a ${pyTypeName(inst)} with a ${pyTypeName(state)} state is not allowed`);
    },
    persistentLoad(pid, at) {
      return persistentLoad(pid, at, err(at));
    },
  };
}

/** None, a dict, or (dict | None, dict | None): Python attribute state, which we may ignore. */
function isAttributeState(s: PyValue): boolean {
  if (s === null || s instanceof PyDict) return true;
  return s instanceof PyTuple && s.items.length === 2 && s.items.every((x) => x === null || x instanceof PyDict);
}

class Call {
  constructor(
    private readonly fn: TorchGlobal,
    private readonly args: readonly PyValue[],
    private readonly err: (what: string) => FormatError,
  ) {}

  private fail(what: string): FormatError {
    return this.err(`${this.fn.pyType}: ${what}`);
  }

  private arity(min: number, max = min): void {
    if (this.args.length < min || this.args.length > max) {
      throw this.fail(`takes ${min === max ? min : `${min} to ${max}`} arguments, got ${this.args.length}`);
    }
  }

  private int(i: number, what: string): number {
    return checkedIndex(this.args[i] ?? null, what, (m) => this.fail(m));
  }

  private ints(i: number, what: string): number[] {
    const v = this.args[i] ?? null;
    if (!(v instanceof PyTuple || v instanceof PyList)) throw this.fail(`${what} is a ${pyTypeName(v)}, not a tuple of ints`);
    if (v.items.length > MAX_TENSOR_DIMS) throw this.fail(`${what} has ${v.items.length} dimensions, more than ${MAX_TENSOR_DIMS}`);
    return v.items.map((x, k) => checkedIndex(x, `${what}[${k}]`, (m) => this.fail(m)));
  }

  private storage(i: number): StorageRef {
    const s = this.args[i] ?? null;
    if (!(s instanceof StorageRef)) throw this.fail(`argument ${i} is a ${pyTypeName(s)}, not a storage`);
    return s;
  }

  private dtype(i: number): TorchDtype {
    const g = this.args[i] ?? null;
    if (!(g instanceof TorchGlobal) || g.what.kind !== 'dtype') throw this.fail(`argument ${i} is a ${pyTypeName(g)}, not a dtype`);
    return g.what.dtype;
  }

  run(): PyValue {
    const w = this.fn.what;
    switch (w.kind) {
      case 'rebuild':
        return this.rebuild(w.fn);
      case 'class':
        return this.construct(w.cls);
      case 'function':
        return w.fn === 'encode' ? this.encode() : this.layout();
      default:
        throw this.fail('is not callable here');
    }
  }

  private tensor(storage: StorageRef, dtype: TorchDtype, quant: TensorValue['quant'] = null): TensorValue {
    const offset = this.int(1, 'storage_offset');
    const shape = this.ints(2, 'size');
    const stride = this.ints(3, 'stride');
    if (shape.length !== stride.length) throw this.fail(`size has ${shape.length} dimensions but stride has ${stride.length}`);
    return new TensorValue(storage, dtype, offset, shape, stride, quant);
  }

  private rebuild(fn: RebuildFn): PyValue {
    switch (fn) {
      case '_rebuild_tensor':
        this.arity(4);
        return this.tensor(this.storage(0), this.storage(0).dtype);
      case '_rebuild_tensor_v2':
        this.arity(6, 7);
        return this.tensor(this.storage(0), this.storage(0).dtype);
      case '_rebuild_tensor_v3': {
        this.arity(7, 8);
        const s = this.storage(0);
        const dtype = this.dtype(6);
        if (!s.untyped && s.dtype !== dtype) throw this.fail(`dtype ${dtype.name} does not match its ${s.dtype.name} storage`);
        return this.tensor(s, dtype);
      }
      case '_rebuild_qtensor': {
        this.arity(7);
        const s = this.storage(0);
        return this.tensor(s, s.dtype, quantInfo(this.args[4] ?? null));
      }
      case '_rebuild_parameter':
      case '_rebuild_parameter_with_state':
      case '_rebuild_device_tensor_from_cpu_tensor':
        this.arity(fn === '_rebuild_parameter' ? 3 : 4);
        return this.tensorArg(0);
      case '_rebuild_meta_tensor_no_storage': {
        this.arity(3, 4);
        const dtype = this.dtype(0);
        const shape = this.ints(1, 'size');
        const stride = this.ints(2, 'stride');
        return new TensorValue(null, dtype, 0, shape, stride);
      }
      case '_rebuild_wrapper_subclass': {
        this.arity(8);
        const dtype = this.dtype(1);
        return new TensorValue(null, dtype, 0, this.ints(2, 'size'), this.ints(3, 'stride'));
      }
      case '_rebuild_sparse_tensor':
      case '_rebuild_sparse_csr_tensor':
        return this.sparse();
      case '_rebuild_nested_tensor':
        this.arity(4);
        return new OpaqueValue('nested tensor', 'nested tensor (listed by its buffer)', [['buffer', this.tensorArg(0)]]);
      case '_rebuild_from_type_v2': {
        this.arity(4);
        const inner = this.args[0] ?? null;
        const innerArgs = this.args[2] ?? null;
        if (!(inner instanceof TorchGlobal) || !(innerArgs instanceof PyTuple)) throw this.fail('needs an allowed function and an argument tuple');
        const cls = this.args[1] ?? null;
        if (!(cls instanceof TorchGlobal) || !(cls.what.kind === 'tensorClass' || (cls.what.kind === 'class' && (cls.what.cls === 'Tensor' || cls.what.cls === 'Parameter')))) {
          throw this.fail(`new type is a ${pyTypeName(cls)}, not a tensor class`);
        }
        return new Call(inner, innerArgs.items, this.err).run();
      }
      case '_rebuild_device_tensor_from_numpy':
        throw this.fail('numpy arrays are not supported');
    }
  }

  private tensorArg(i: number): TensorValue {
    const t = this.args[i] ?? null;
    if (!(t instanceof TensorValue)) throw this.fail(`argument ${i} is a ${pyTypeName(t)}, not a tensor`);
    return t;
  }

  private sparse(): PyValue {
    this.arity(2);
    const layout = this.args[0] ?? null;
    const data = this.args[1] ?? null;
    if (!(data instanceof PyTuple)) throw this.fail(`data is a ${pyTypeName(data)}, not a tuple`);
    const name = layout instanceof OpaqueValue ? layout.label : 'sparse';
    const parts = this.fn.what.kind === 'rebuild' && this.fn.what.fn === '_rebuild_sparse_csr_tensor' ? ['crow_indices', 'col_indices', 'values'] : ['indices', 'values'];
    const children: Array<readonly [string, PyValue]> = [];
    data.items.forEach((v, i) => {
      if (v instanceof TensorValue) children.push([parts[i] ?? String(i), v]);
    });
    return new OpaqueValue('sparse tensor', `sparse tensor (${name}), listed by its parts`, children);
  }

  private construct(cls: 'OrderedDict' | 'Counter' | 'Size' | 'Tensor' | 'Parameter' | 'device' | 'set' | 'bytearray' | 'complex'): PyValue {
    const a = this.args;
    switch (cls) {
      case 'OrderedDict':
      case 'Counter': {
        this.arity(0, 1);
        const d = new PyDict(cls);
        const src = a[0];
        if (src instanceof PyDict) src.keys.forEach((k, i) => d.set(k, src.values[i]!));
        else if (src instanceof PyList || src instanceof PyTuple) {
          for (const pair of src.items) {
            if (!((pair instanceof PyTuple || pair instanceof PyList) && pair.items.length === 2)) throw this.fail(`item is a ${pyTypeName(pair)}, not a pair`);
            d.set(pair.items[0]!, pair.items[1]!);
          }
        } else if (src !== undefined && src !== null) throw this.fail(`cannot be made from a ${pyTypeName(src)}`);
        return d;
      }
      case 'Size':
        this.arity(0, 1);
        return new PyTuple(a.length ? this.ints(0, 'torch.Size') : []);
      case 'Parameter':
        this.arity(1, 2);
        return this.tensorArg(0);
      case 'device': {
        this.arity(1, 2);
        if (typeof a[0] !== 'string') throw this.fail(`device type is a ${pyTypeName(a[0] ?? null)}, not a str`);
        return new OpaqueValue('torch.device', a.length === 2 ? `${a[0]}:${String(a[1])}` : a[0]);
      }
      case 'set': {
        this.arity(0, 1);
        const s = new PySet();
        const src = a[0];
        if (src instanceof PyList || src instanceof PyTuple || src instanceof PySet) for (const v of src.items) s.add(v);
        else if (src !== undefined) throw this.fail(`cannot be made from a ${pyTypeName(src)}`);
        return s;
      }
      case 'bytearray': {
        this.arity(0, 2);
        if (a.length === 0) return new PyBytes(new Uint8Array(0), true);
        if (a[0] instanceof PyBytes) return new PyBytes(a[0].bytes, true);
        if (typeof a[0] === 'string') return new PyBytes(encodeText(a[0], typeof a[1] === 'string' ? a[1] : 'utf-8', (m) => this.fail(m)), true);
        throw this.fail(`cannot be made from a ${pyTypeName(a[0] ?? null)}`);
      }
      case 'complex': {
        this.arity(0, 2);
        const parts = a.map((x) => (typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : NaN));
        if (parts.some(Number.isNaN)) throw this.fail('takes numbers');
        return new OpaqueValue('complex', `(${parts[0] ?? 0}+${parts[1] ?? 0}j)`);
      }
      case 'Tensor':
        throw this.fail('constructing tensors directly is not supported');
    }
  }

  /** _codecs.encode(str, encoding): how protocol 2 pickles bytes. */
  private encode(): PyValue {
    this.arity(1, 2);
    const s = this.args[0];
    if (typeof s !== 'string') throw this.fail(`argument is a ${pyTypeName(s ?? null)}, not a str`);
    const enc = this.args[1] ?? 'utf-8';
    if (typeof enc !== 'string') throw this.fail('encoding is not a str');
    return new PyBytes(encodeText(s, enc, (m) => this.fail(m)));
  }

  private layout(): PyValue {
    this.arity(1);
    const name = this.args[0];
    if (typeof name !== 'string' || !/^torch\.[a-z_]+$/.test(name)) throw this.fail(`"${String(name)}" is not a layout name`);
    return new OpaqueValue('torch.layout', name);
  }
}

function encodeText(s: string, encoding: string, fail: (m: string) => FormatError): Uint8Array {
  const enc = encoding.toLowerCase().replace(/[-_]/g, '');
  if (enc === 'utf8') return new TextEncoder().encode(s);
  if (enc === 'latin1' || enc === 'iso88591' || enc === 'ascii') {
    const out = new Uint8Array(s.length);
    const max = enc === 'ascii' ? 0x7f : 0xff;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > max) throw fail(`character U+${c.toString(16)} cannot be encoded as ${encoding}`);
      out[i] = c;
    }
    return out;
  }
  throw fail(`encoding "${encoding}" is not supported`);
}

function quantInfo(params: PyValue): TensorValue['quant'] {
  if (!(params instanceof PyTuple) || params.items.length === 0) return { scheme: 'unknown', detail: '' };
  const scheme = params.items[0];
  const name = scheme instanceof TorchGlobal && scheme.what.kind === 'qscheme' ? scheme.what.name : pyTypeName(scheme ?? null);
  const rest = params.items.slice(1).filter((x) => typeof x === 'number' || typeof x === 'bigint');
  return { scheme: name, detail: rest.length === 2 ? `scale=${String(rest[0])} zero_point=${String(rest[1])}` : '' };
}

/** A non-negative Python int that fits a double exactly. */
export function checkedIndex(v: PyValue, what: string, fail: (m: string) => FormatError): number {
  if (typeof v !== 'bigint') throw fail(`${what} is a ${pyTypeName(v)}, not an int`);
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`${what} is ${v}, outside 0..2^53`);
  return Number(v);
}

export function tensorLabel(t: TensorValue): string {
  let label = dtypeLabel(t.dtype);
  if (t.quant) label += ` ${t.quant.scheme}${t.quant.detail ? ' ' + t.quant.detail : ''}`;
  if (t.storage === null) label += ' (no data: meta or wrapper tensor)';
  return label;
}

/** A str, or Python 2 bytes read as ASCII (torch's _maybe_decode_ascii), else null. */
export function asText(v: PyValue): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof PyBytes) return String.fromCharCode(...v.bytes.subarray(0, 1024));
  return null;
}
