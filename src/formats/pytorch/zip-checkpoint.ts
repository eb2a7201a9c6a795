/**
 * torch.save's zip format (torch >= 1.6), after torch/serialization.py _save / _load and
 * caffe2/serialize/inline_container.cc: one top folder (named after the file) holding data.pkl (the
 * object pickle), data/<key> (one raw storage per key), and in newer versions `byteorder`
 * ("little" or "big"), `version`, `.data/version` and `.data/serialization_id`.
 *
 * The pickle names storages by persistent id ('storage', storage_type, key, location, numel); it
 * is fully unpickled (and every global checked) before any storage entry is touched.
 */
import type { ByteSource } from '../../io/byte-source';
import { FormatError, UnsupportedError } from '../errors';
import type { ModelView, TensorInfo } from '../model';
import { unpickle } from '../pickle/unpickler';
import { PyTuple, pyTypeName, type PyValue } from '../pickle/values';
import { METHOD_STORED, ZipArchive, type ZipEntry } from '../zip/zip-reader';
import { collect } from './collect';
import { UINT8 } from './dtypes';
import { MAX_PICKLE_BYTES } from './pickle-stream';
import { asText, checkedIndex, torchPolicy } from './torch-policy';
import { makeTensorInfo, type StorageBytes } from './tensor-info';
import { StorageRef, TorchGlobal } from './torch-values';

/** Local headers are read to find where each storage's bytes start; this many at a time. */
const HEADER_READ_CONCURRENCY = 32;

export async function readZipCheckpoint(file: ByteSource): Promise<ModelView> {
  const zip = await ZipArchive.open(file);
  const { prefix, pkl } = findPickle(zip, file.name);
  const details = new Map<string, string>([
    ['container', 'zip (torch.save, torch >= 1.6)'],
    ['archive folder', prefix.slice(0, -1)],
    ['zip entries', String(zip.entries.length)],
    ['zip64', zip.zip64 ? 'yes' : 'no'],
  ]);

  const bigEndian = await readByteOrder(zip, prefix, details);
  for (const rec of ['version', '.data/version']) {
    const e = zip.get(prefix + rec);
    if (e) details.set(`record ${rec}`, new TextDecoder().decode(await zip.readAll(e, 64)).trim());
  }

  const pickleName = `${file.name}!${pkl.name}`;
  const bytes = await zip.readAll(pkl, MAX_PICKLE_BYTES);
  const policy = torchPolicy(pickleName, (pid, _at, err) => storageFromPid(pid, err));
  const result = unpickle(bytes, 0, policy, { file: pickleName });
  details.set('pickle protocol', String(result.protocol));
  if (result.end !== bytes.length) details.set('pickle trailing bytes', String(bytes.length - result.end));
  const found = collect(result.value, file.name);

  // Only now, with the whole pickle accepted, are storage entries looked at.
  const storages = new Map<string, Promise<StorageBytes>>();
  const entryFor = (key: string, tensor: string): ZipEntry => {
    const e = zip.get(`${prefix}data/${key}`);
    if (!e) throw new FormatError({ format: 'pytorch', file: file.name, tensor }, `storage "${key}" has no entry ${prefix}data/${key} in the archive`);
    return e;
  };
  const open = (e: ZipEntry): Promise<StorageBytes> => {
    let p = storages.get(e.name);
    if (!p) {
      p = (async () => ({
        source: await zip.open(e),
        fileOffset: e.method === METHOD_STORED ? await zip.dataOffset(e) : -1,
        bigEndian,
      }))();
      storages.set(e.name, p);
    }
    return p;
  };

  const tensors: TensorInfo[] = new Array<TensorInfo>(found.tensors.length);
  let compressed = 0;
  const jobs = found.tensors.map((f, i) => async () => {
    const s = f.tensor.storage;
    if (s === null) {
      tensors[i] = makeTensorInfo(f.name, f.tensor, file.name, null);
      return;
    }
    const e = entryFor(s.key, f.name);
    const need = s.untyped ? s.numel : s.numel * s.dtype.itemSize;
    if (need > e.uncompressedSize) {
      throw new FormatError(
        { format: 'pytorch', file: file.name, tensor: f.name, offset: e.directoryOffset },
        `storage "${s.key}" is declared as ${s.numel} ${s.untyped ? 'bytes' : `${s.dtype.name} elements`} (${need} bytes) but its entry holds ${e.uncompressedSize} bytes`,
      );
    }
    if (e.method !== METHOD_STORED) compressed++;
    tensors[i] = makeTensorInfo(f.name, f.tensor, file.name, await open(e));
  });
  await runLimited(jobs, HEADER_READ_CONCURRENCY);
  details.set('storages', String(storages.size));
  if (compressed) details.set('compressed tensors', String(compressed));
  return { format: 'pytorch', files: [file.name], metadata: found.metadata, tensors, details };
}

function findPickle(zip: ZipArchive, file: string): { prefix: string; pkl: ZipEntry } {
  const candidates = zip.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  const firstFolder = zip.entries[0]?.name.split('/')[0];
  const pkl = candidates.length === 1 ? candidates[0] : candidates.find((e) => e.name === `${firstFolder}/data.pkl`);
  if (pkl) return { prefix: pkl.name.slice(0, -'data.pkl'.length), pkl };
  if (zip.entries.some((e) => /^[^/]+\/constants\.pkl$/.test(e.name))) {
    throw new UnsupportedError({ format: 'pytorch', file }, 'this is a TorchScript archive (torch.jit.save); only torch.save checkpoints are read');
  }
  if (candidates.length > 1) throw new FormatError({ format: 'pytorch', file }, `${candidates.length} data.pkl entries and none in the first folder "${firstFolder}"`);
  throw new FormatError({ format: 'pytorch', file }, `zip archive has no <folder>/data.pkl entry (${zip.entries.length} entries), so it is not a torch.save checkpoint`);
}

async function readByteOrder(zip: ZipArchive, prefix: string, details: Map<string, string>): Promise<boolean> {
  const e = zip.get(prefix + 'byteorder');
  if (!e) {
    details.set('byte order', 'little (no byteorder record)');
    return false;
  }
  const text = new TextDecoder().decode(await zip.readAll(e, 16)).trim();
  if (text !== 'little' && text !== 'big') throw zip.error(`byteorder record says "${text.slice(0, 16)}", not "little" or "big"`, e.directoryOffset);
  details.set('byte order', text);
  return text === 'big';
}

/** ('storage', storage_type, key, location, numel), as torch's persistent_load expects it. */
function storageFromPid(pid: PyValue, err: (what: string) => FormatError): StorageRef {
  if (!(pid instanceof PyTuple)) throw err(`persistent id is a ${pyTypeName(pid)}, not a tuple`);
  const [tag, type, key, location, numel] = pid.items;
  if (asText(tag ?? null) !== 'storage') throw err(`persistent id of kind "${String(asText(tag ?? null) ?? pyTypeName(tag ?? null))}": only storages may be loaded`);
  if (pid.items.length !== 5) throw err(`storage persistent id has ${pid.items.length} fields, not 5`);
  if (!(type instanceof TorchGlobal) || type.what.kind !== 'storage') throw err(`storage type is a ${pyTypeName(type ?? null)}, not a storage class`);
  const k = asText(key ?? null);
  if (k === null) throw err(`storage key is a ${pyTypeName(key ?? null)}, not a str`);
  const n = checkedIndex(numel ?? null, `numel of storage "${k}"`, err);
  const dtype = type.what.dtype;
  return new StorageRef(k, dtype ?? UINT8, dtype === null, n, asText(location ?? null) ?? '?');
}

export async function runLimited(jobs: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
