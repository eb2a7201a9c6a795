/**
 * The pre-1.6 torch.save stream (torch/serialization.py _legacy_save / _legacy_load): pickles back
 * to back, then raw storages.
 *
 *   pickle MAGIC_NUMBER (0x1950a86a20f9469cfc6c) | pickle PROTOCOL_VERSION (1001) | pickle sys_info
 *   | object pickle, storages as ('storage', type, root_key, location, numel, view_metadata)
 *   | pickle [root keys in write order] | per key: int64 LE element count, then the elements
 *
 * Storage bytes are little-endian whatever machine wrote them: THPStorage_writeFileRaw converts on
 * big-endian hosts and readFileRaw always decodes little-endian, ignoring sys_info. So sys_info's
 * little_endian only matters for the count prefix, which very old writers left in host order.
 */
import { SliceSource, type ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import type { ModelView } from '../model';
import { dataOnlyPolicy } from '../pickle/unpickler';
import { PyDict, PyList, PyTuple, pyTypeName, type PyValue } from '../pickle/values';
import { collect } from './collect';
import { UINT8, type TorchDtype } from './dtypes';
import { RECORD_WINDOW, unpickleAt } from './pickle-stream';
import { asText, checkedIndex, torchPolicy } from './torch-policy';
import { makeTensorInfo, type StorageBytes } from './tensor-info';
import { StorageRef, TorchGlobal } from './torch-values';

export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001n;
/** One 8-byte read per storage; no checkpoint has more storages than this. */
export const MAX_LEGACY_STORAGES = 1_000_000;

interface Root {
  readonly dtype: TorchDtype;
  readonly untyped: boolean;
  readonly numel: number;
}

export async function readLegacyCheckpoint(file: ByteSource): Promise<ModelView> {
  const err = (what: string, offset?: number): FormatError => new FormatError({ format: 'pytorch', file: file.name, ...(offset !== undefined ? { offset } : {}) }, what);
  const data = (): ReturnType<typeof dataOnlyPolicy> => dataOnlyPolicy(file.name);
  const magic = await unpickleAt(file, 0, data, 'magic number', RECORD_WINDOW);
  if (magic.value !== LEGACY_MAGIC) throw err(`first pickle is ${describe(magic.value)}, not torch's magic number 0x1950a86a20f9469cfc6c`, 0);
  const proto = await unpickleAt(file, magic.end, data, 'protocol version', RECORD_WINDOW);
  if (proto.value !== LEGACY_PROTOCOL) throw err(`protocol version is ${describe(proto.value)}, not 1001`, magic.end);
  const sys = await unpickleAt(file, proto.end, data, 'sys_info', RECORD_WINDOW);
  const details = new Map<string, string>([
    ['container', 'legacy pickle stream (torch < 1.6)'],
    ['pickle protocol', String(magic.protocol)],
  ]);
  let littleEndian = true;
  if (sys.value instanceof PyDict) {
    const le = sys.value.get('little_endian');
    if (typeof le === 'boolean') littleEndian = le;
    details.set('sys_info.little_endian', String(littleEndian));
    const sizes = sys.value.get('type_sizes');
    if (sizes instanceof PyDict) details.set('sys_info.type_sizes', sizes.keys.map((k, i) => `${String(k)}=${String(sizes.values[i])}`).join(', '));
  }

  let roots = new Map<string, Root>();
  const main = await unpickleAt(
    file,
    sys.end,
    () => {
      roots = new Map();
      return torchPolicy(file.name, (pid, _at, e) => legacyStorage(pid, roots, e));
    },
    'object pickle',
  );
  const keyList = await unpickleAt(file, main.end, data, 'storage key list');
  if (!(keyList.value instanceof PyList)) throw err(`storage key list is a ${pyTypeName(keyList.value)}`, main.end);
  if (keyList.value.items.length > MAX_LEGACY_STORAGES) throw err(`${keyList.value.items.length} storages, more than ${MAX_LEGACY_STORAGES}`, main.end);
  const found = collect(main.value, file.name);

  // The raw storages follow, in key-list order, each behind its element count.
  const placed = new Map<string, StorageBytes>();
  let pos = keyList.end;
  for (const k of keyList.value.items) {
    const key = asText(k);
    if (key === null) throw err(`storage key is a ${pyTypeName(k)}, not a str`, main.end);
    const root = roots.get(key);
    if (!root) throw err(`storage key "${key}" in the key list is not used by the object pickle`, main.end);
    if (placed.has(key)) throw err(`storage key "${key}" appears twice in the key list`, main.end);
    if (pos + 8 > file.size) throw err(`file ends before storage "${key}"'s element count at ${pos}`, pos);
    const head = await file.read(pos, 8);
    const dv = new DataView(head.buffer, head.byteOffset, 8);
    let count = dv.getBigUint64(0, true);
    if (count !== BigInt(root.numel) && !littleEndian && dv.getBigUint64(0, false) === BigInt(root.numel)) count = BigInt(root.numel);
    const elemSize = root.untyped ? 1 : root.dtype.itemSize;
    if (count !== BigInt(root.numel)) {
      throw err(`storage "${key}" has ${count} elements in the file but ${root.numel} in the pickle`, pos);
    }
    const nbytes = root.numel * elemSize;
    if (!Number.isSafeInteger(nbytes) || pos + 8 + nbytes > file.size) {
      throw err(`storage "${key}" (${nbytes} bytes at ${pos + 8}) runs past the end of the file (${file.size} bytes)`, pos);
    }
    placed.set(key, { source: new SliceSource(`${file.name}#${key}`, file, pos + 8, nbytes), fileOffset: pos + 8, bigEndian: false });
    pos += 8 + nbytes;
  }
  details.set('storages', String(placed.size));
  if (pos !== file.size) details.set('trailing bytes', String(file.size - pos));

  const tensors = found.tensors.map((f) => {
    const s = f.tensor.storage;
    const bytes = s === null ? null : placed.get(s.key);
    if (bytes === undefined) throw new FormatError({ format: 'pytorch', file: file.name, tensor: f.name }, `storage "${s!.key}" is missing from the storage key list`);
    return makeTensorInfo(f.name, f.tensor, file.name, bytes);
  });
  return { format: 'pytorch', files: [file.name], metadata: found.metadata, tensors, details };
}

function describe(v: PyValue): string {
  return typeof v === 'bigint' ? `0x${v.toString(16)}` : pyTypeName(v);
}

/** ('storage', storage_type, root_key, location, numel, view_metadata) per _legacy_load's persistent_load. */
function legacyStorage(pid: PyValue, roots: Map<string, Root>, err: (what: string) => FormatError): StorageRef {
  if (!(pid instanceof PyTuple)) throw err(`persistent id is a ${pyTypeName(pid)}, not a tuple`);
  const tag = asText(pid.items[0] ?? null);
  if (tag === 'module') throw err('persistent id of kind "module": pickled nn.Module classes are not allowed, only tensors');
  if (tag !== 'storage') throw err(`persistent id of kind "${tag ?? pyTypeName(pid.items[0] ?? null)}": only storages may be loaded`);
  if (pid.items.length !== 6) throw err(`storage persistent id has ${pid.items.length} fields, not 6`);
  const [, type, rootKey, location, numel, view] = pid.items;
  if (!(type instanceof TorchGlobal) || type.what.kind !== 'storage') throw err(`storage type is a ${pyTypeName(type ?? null)}, not a storage class`);
  const key = asText(rootKey ?? null);
  if (key === null) throw err(`storage key is a ${pyTypeName(rootKey ?? null)}, not a str`);
  const n = checkedIndex(numel ?? null, `numel of storage "${key}"`, err);
  const dtype = type.what.dtype ?? UINT8;
  const untyped = type.what.dtype === null;
  let root = roots.get(key);
  if (!root) {
    root = { dtype, untyped, numel: n };
    roots.set(key, root);
  }
  const loc = asText(location ?? null) ?? '?';
  if (view === null || view === undefined) return new StorageRef(key, root.dtype, root.untyped, root.numel, loc);
  if (!(view instanceof PyTuple) || view.items.length !== 3) throw err(`view metadata of storage "${key}" is a ${pyTypeName(view)}, not (key, offset, size)`);
  const offset = checkedIndex(view.items[1]!, `view offset in storage "${key}"`, err);
  const size = checkedIndex(view.items[2]!, `view size in storage "${key}"`, err);
  if (offset + size > root.numel) throw err(`view of ${size} elements at ${offset} exceeds storage "${key}" of ${root.numel}`);
  return new StorageRef(key, root.dtype, root.untyped, size, loc, offset);
}
