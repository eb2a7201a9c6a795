/**
 * torch's oldest checkpoint format (torch < 0.4): a tar with members
 *   storages: pickle count; per storage: pickle (key, location, storage_type), int64 LE element
 *             count, the elements; then pickle [(view_key, root_key, offset, numel), ...]
 *   tensors:  pickle count; per tensor: pickle (key, storage_key, tensor_type), int32 ndim,
 *             4 unused bytes, int64 sizes[ndim], int64 strides[ndim], int64 storage_offset
 *   pickle:   the object pickle, whose persistent ids are str(key) of a tensor or storage
 * after the legacy_load inside torch/serialization.py's _legacy_load. The object pickle is read
 * (and every global in it checked) before the tables it points into.
 */
import { SliceSource, type ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import type { ModelView } from '../model';
import { dataOnlyPolicy, type PicklePolicy } from '../pickle/unpickler';
import { PyList, PyTuple, pyTypeName, type PyValue } from '../pickle/values';
import { collect } from './collect';
import { UINT8 } from './dtypes';
import { MAX_LEGACY_STORAGES } from './legacy-checkpoint';
import { RECORD_WINDOW, unpickleAt } from './pickle-stream';
import { asText, checkedIndex, MAX_TENSOR_DIMS, torchPolicy } from './torch-policy';
import { makeTensorInfo, type StorageBytes } from './tensor-info';
import { DeferredRef, StorageRef, TensorValue, TorchGlobal } from './torch-values';
import { readTarMembers, type TarMember } from './tar';

export async function readTarCheckpoint(file: ByteSource): Promise<ModelView> {
  const members = await readTarMembers(file);
  const find = (name: string): TarMember => {
    const m = members.find((x) => x.name === name);
    if (!m) throw new FormatError({ format: 'pytorch', file: file.name }, `tar checkpoint has no "${name}" member (members: ${members.map((x) => x.name).join(', ')})`);
    return m;
  };
  const member = (name: string): SliceSource => {
    const m = find(name);
    return new SliceSource(`${file.name}!${name}`, file, m.offset, m.size);
  };
  const pickleSrc = member('pickle');
  const storagesSrc = member('storages');
  const tensorsSrc = member('tensors');

  const main = await unpickleAt(pickleSrc, 0, () => torchPolicy(pickleSrc.name, (pid, at, e) => deferred(pid, at, e)), 'object pickle');
  const table = new Map<string, PyValue>();
  const bytes = new Map<string, StorageBytes>();
  await readStorages(storagesSrc, find('storages').offset, table, bytes);
  await readTensors(tensorsSrc, table);

  const found = collect(main.value, file.name, (ref) => {
    const v = table.get(ref.key);
    if (v === undefined) throw new FormatError({ format: 'pickle', file: pickleSrc.name, offset: ref.at }, `persistent id "${ref.key}" names no tensor or storage`);
    return v;
  });
  const tensors = found.tensors.map((f) => makeTensorInfo(f.name, f.tensor, file.name, f.tensor.storage ? bytes.get(f.tensor.storage.key)! : null));
  const details = new Map<string, string>([
    ['container', 'legacy tar (torch < 0.4)'],
    ['pickle protocol', String(main.protocol)],
    ['storages', String(bytes.size)],
  ]);
  return { format: 'pytorch', files: [file.name], metadata: found.metadata, tensors, details };
}

function deferred(pid: PyValue, at: number, err: (what: string) => FormatError): PyValue {
  if (typeof pid === 'bigint') return new DeferredRef(pid.toString(), at);
  const key = asText(pid);
  if (key !== null && /^\d+$/.test(key)) return new DeferredRef(BigInt(key).toString(), at);
  if (pid instanceof PyTuple) throw err('persistent id names a pickled nn.Module class: only tensors are allowed');
  throw err(`persistent id is a ${pyTypeName(pid)}, not a tensor key`);
}

function keyOf(v: PyValue, what: string, err: (m: string) => FormatError): string {
  if (typeof v === 'bigint') return v.toString();
  const s = asText(v);
  if (s !== null && /^\d+$/.test(s)) return BigInt(s).toString();
  throw err(`${what} is a ${pyTypeName(v)}, not an integer key`);
}

function tablePolicy(name: string): PicklePolicy {
  return torchPolicy(name, (_pid, _at, e) => {
    throw e('persistent ids are not allowed here');
  });
}

async function count(src: ByteSource, what: string): Promise<{ n: number; end: number }> {
  const r = await unpickleAt(src, 0, () => dataOnlyPolicy(src.name), `${what} count`, RECORD_WINDOW);
  const n = checkedIndex(r.value, `${what} count`, (m) => new FormatError({ format: 'pytorch', file: src.name, offset: 0 }, m));
  if (n > MAX_LEGACY_STORAGES) throw new FormatError({ format: 'pytorch', file: src.name, offset: 0 }, `${n} ${what}, more than ${MAX_LEGACY_STORAGES}`);
  return { n, end: r.end };
}

async function readStorages(src: SliceSource, base: number, table: Map<string, PyValue>, bytes: Map<string, StorageBytes>): Promise<void> {
  const { n, end } = await count(src, 'storages');
  let pos = end;
  const roots = new Map<string, StorageRef>();
  for (let i = 0; i < n; i++) {
    const err = (m: string): FormatError => new FormatError({ format: 'pytorch', file: src.name, offset: pos }, m);
    const rec = await unpickleAt(src, pos, () => tablePolicy(src.name), `storage record ${i}`, RECORD_WINDOW);
    const t = rec.value;
    if (!(t instanceof PyTuple) || t.items.length !== 3) throw err(`storage record ${i} is a ${pyTypeName(t)}, not (key, location, type)`);
    const key = keyOf(t.items[0]!, 'storage key', err);
    const type = t.items[2]!;
    if (!(type instanceof TorchGlobal) || type.what.kind !== 'storage') throw err(`storage "${key}" type is a ${pyTypeName(type)}`);
    const dtype = type.what.dtype ?? UINT8;
    if (rec.end + 8 > src.size) throw err(`storage "${key}" element count runs past the member`);
    const head = await src.read(rec.end, 8);
    const numel = checkedIndex(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true), `element count of storage "${key}"`, err);
    const nbytes = numel * dtype.itemSize;
    if (!Number.isSafeInteger(nbytes) || rec.end + 8 + nbytes > src.size) throw err(`storage "${key}" of ${numel} elements runs past the member (${src.size} bytes)`);
    const ref = new StorageRef(key, dtype, false, numel, asText(t.items[1]!) ?? '?');
    roots.set(key, ref);
    table.set(key, ref);
    bytes.set(key, { source: new SliceSource(`${src.name}#${key}`, src, rec.end + 8, nbytes), fileOffset: base + rec.end + 8, bigEndian: false });
    pos = rec.end + 8 + nbytes;
  }
  const views = await unpickleAt(src, pos, () => dataOnlyPolicy(src.name), 'storage views');
  if (!(views.value instanceof PyList)) throw new FormatError({ format: 'pytorch', file: src.name, offset: pos }, `storage views are a ${pyTypeName(views.value)}, not a list`);
  for (const v of views.value.items) {
    const err = (m: string): FormatError => new FormatError({ format: 'pytorch', file: src.name, offset: pos }, m);
    if (!(v instanceof PyTuple) || v.items.length !== 4) throw err(`storage view is a ${pyTypeName(v)}, not (key, root, offset, numel)`);
    const key = keyOf(v.items[0]!, 'view key', err);
    const root = roots.get(keyOf(v.items[1]!, 'view root', err));
    if (!root) throw err(`view "${key}" names an unknown root storage`);
    const offset = checkedIndex(v.items[2]!, 'view offset', err);
    const numel = checkedIndex(v.items[3]!, 'view numel', err);
    if (offset + numel > root.numel) throw err(`view "${key}" (${numel} at ${offset}) exceeds its root of ${root.numel} elements`);
    table.set(key, new StorageRef(root.key, root.dtype, false, numel, root.location, offset));
  }
}

async function readTensors(src: SliceSource, table: Map<string, PyValue>): Promise<void> {
  const { n, end } = await count(src, 'tensors');
  let pos = end;
  for (let i = 0; i < n; i++) {
    const err = (m: string): FormatError => new FormatError({ format: 'pytorch', file: src.name, offset: pos }, m);
    const rec = await unpickleAt(src, pos, () => tablePolicy(src.name), `tensor record ${i}`, RECORD_WINDOW);
    const t = rec.value;
    if (!(t instanceof PyTuple) || t.items.length !== 3) throw err(`tensor record ${i} is a ${pyTypeName(t)}, not (key, storage, type)`);
    const key = keyOf(t.items[0]!, 'tensor key', err);
    if (rec.end + 8 > src.size) throw err(`tensor "${key}" geometry runs past the member`);
    const head = await src.read(rec.end, 8);
    const ndim = new DataView(head.buffer, head.byteOffset, 8).getInt32(0, true);
    if (ndim < 0 || ndim > MAX_TENSOR_DIMS) throw err(`tensor "${key}" has ${ndim} dimensions`);
    const geoBytes = 16 * ndim + 8;
    if (rec.end + 8 + geoBytes > src.size) throw err(`tensor "${key}" geometry runs past the member`);
    const g = await src.read(rec.end + 8, geoBytes);
    const dv = new DataView(g.buffer, g.byteOffset, g.length);
    const int = (at: number, what: string): number => checkedIndex(dv.getBigInt64(at, true), `${what} of tensor "${key}"`, err);
    const shape = Array.from({ length: ndim }, (_, d) => int(8 * d, `size[${d}]`));
    const stride = Array.from({ length: ndim }, (_, d) => int(8 * (ndim + d), `stride[${d}]`));
    const offset = int(16 * ndim, 'storage offset');
    const sref = t.items[1]!;
    let storage: StorageRef | null = null;
    if (sref !== null) {
      const s = table.get(keyOf(sref, 'tensor storage key', err));
      if (!(s instanceof StorageRef)) throw err(`tensor "${key}" names storage ${String(sref)}, which is not in the storages member`);
      storage = s;
    }
    const dtype = storage?.dtype ?? tensorDtype(t.items[2]!, err);
    table.set(key, new TensorValue(storage, dtype, offset, shape, stride));
    pos = rec.end + 8 + geoBytes;
  }
}

function tensorDtype(cls: PyValue, err: (m: string) => FormatError): TensorValue['dtype'] {
  if (cls instanceof TorchGlobal && cls.what.kind === 'tensorClass') return cls.what.dtype;
  throw err(`tensor type is a ${pyTypeName(cls)}, not a tensor class`);
}
