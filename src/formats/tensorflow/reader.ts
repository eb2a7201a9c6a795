import { typeInfo } from '../../codecs/catalogue';
import type { ByteSource } from '../../io/byte-source';
import { FormatError, UnsupportedError } from '../errors';
import type { ModelView, TensorInfo } from '../model';
import { decodeEntry, decodeHeader, tfDtype, type BundleEntry } from './bundle-proto';
import { TF_MAX_SHARDS } from './limits';
import { decodeSliceKey, sliceKeyName } from './slice-key';
import { readTable } from './sstable';
import { BundleTensor } from './tensor';

/**
 * TensorFlow checkpoint bundles (tensorflow/core/util/tensor_bundle/tensor_bundle.cc):
 * `prefix.index` is a table (sstable.ts) whose "" key holds a BundleHeaderProto and whose other
 * keys map tensor names to BundleEntryProto (dtype, shape, shard_id, offset, size, crc32c);
 * the bytes live in `prefix.data-SSSSS-of-NNNNN`. Entries of partitioned variables carry
 * `slices` and no data; their pieces are entries of their own under binary keys (slice-key.ts).
 *
 * Only the index is read here; tensor bytes are read on demand through TensorInfo.read.
 */

/** TensorFlow's kTensorBundleVersion: a bundle asking for a newer reader is refused, as BundleReader does. */
const BUNDLE_VERSION = 1;

const DATA_NAME = /^(.*)\.data-(\d{5})-of-(\d{5})$/;

export async function readTensorflow(files: ByteSource[]): Promise<ModelView> {
  const indexes = files.filter((f) => f.name.endsWith('.index'));
  if (indexes.length !== 1) {
    throw new FormatError(
      { format: 'tensorflow', file: files[0]?.name ?? '(no files)' },
      indexes.length === 0
        ? `no .index file among ${files.length} file(s): ${files.map((f) => f.name).join(', ')}`
        : `${indexes.length} .index files given (${indexes.map((f) => f.name).join(', ')}); open one checkpoint at a time`,
    );
  }
  const index = indexes[0]!;
  const prefix = index.name.slice(0, -'.index'.length);
  const where = { format: 'tensorflow' as const, file: index.name };
  const fail = (what: string, offset?: number, tensor?: string): never => {
    throw new FormatError({ ...where, ...(offset !== undefined ? { offset } : {}), ...(tensor !== undefined ? { tensor } : {}) }, what);
  };

  const table = await readTable(index);
  const first = table.entries[0];
  if (first === undefined || first.key.length !== 0) fail('the table has no "" header entry, so it is not a tensor bundle', first?.blockOffset ?? 0);
  const header = decodeHeader(first!.value, where, first!.blockOffset);
  if (header.numShards < 0 || header.numShards > TF_MAX_SHARDS) fail(`header declares ${header.numShards} shards (allowed 0..${TF_MAX_SHARDS})`, first!.blockOffset);
  if (header.endianness !== 0 && header.endianness !== 1) fail(`header endianness ${header.endianness} is neither LITTLE (0) nor BIG (1)`, first!.blockOffset);
  if (header.minConsumer > BUNDLE_VERSION || header.badConsumers.includes(BUNDLE_VERSION)) {
    throw new UnsupportedError(
      { ...where, offset: first!.blockOffset },
      `bundle format needs a reader of version >= ${header.minConsumer}${header.badConsumers.length ? ` and not ${header.badConsumers.join(', ')}` : ''}; this one implements version ${BUNDLE_VERSION}`,
    );
  }
  const bigEndian = header.endianness === 1;
  const shards = matchShards(files, prefix, header.numShards);

  const tensors: TensorInfo[] = [];
  const seen = new Set<string>();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  for (let i = 1; i < table.entries.length; i++) {
    const { key, value, blockOffset } = table.entries[i]!;
    let name: string;
    if (key[0] === 0) {
      const s = decodeSliceKey(key);
      name = s !== null ? sliceKeyName(s) : `slice key 0x${hex(key)}`;
    } else {
      try {
        name = utf8.decode(key);
      } catch {
        name = `key 0x${hex(key)}`;
      }
    }
    if (seen.has(name)) fail(`duplicate entry "${name}"`, blockOffset, name);
    seen.add(name);
    const e = decodeEntry(value, { format: 'tensorflow', file: index.name }, blockOffset);
    tensors.push(entryTensor(name, e, blockOffset));
  }

  function entryTensor(name: string, e: BundleEntry, at: number): TensorInfo {
    const [type, label] = tfDtype(e.dtype);
    if (e.shape === null) fail('entry shape has unknown_rank set; a checkpoint entry needs a full shape', at, name);
    const shape = e.shape!;
    let elements = 1;
    for (const d of shape) {
      if (d < 0) fail(`dimension ${d} in shape [${shape.join(', ')}] is negative`, at, name);
      elements *= d;
      if (elements > Number.MAX_SAFE_INTEGER) fail(`shape [${shape.join(', ')}] has more than 2^53 elements`, at, name);
    }
    const fullBytes = type === null ? 0 : elements * typeInfo(type).typeSize;
    if (fullBytes > Number.MAX_SAFE_INTEGER) fail(`shape [${shape.join(', ')}] needs more than 2^53 bytes`, at, name);
    if (e.slices.length > 0) {
      const label2 = `${label}, partitioned into ${e.slices.length} slice${e.slices.length === 1 ? '' : 's'}`;
      return new BundleTensor(name, index.name, null, label2, shape, fullBytes, null, 0, 0, null, 1);
    }
    if (e.shardId < 0 || e.shardId >= header.numShards) fail(`shard_id ${e.shardId} is outside 0..${header.numShards - 1}`, at, name);
    if (e.offset < 0 || e.size < 0) fail(`negative offset ${e.offset} or size ${e.size}`, at, name);
    const shard = shards[e.shardId];
    if (shard === undefined) {
      fail(`data file ${dataName(prefix, e.shardId, header.numShards)} (shard ${e.shardId}) was not given`, at, name);
    }
    if (e.offset + e.size > shard!.size) {
      fail(`bytes [${e.offset}, ${e.offset + e.size}) lie outside ${shard!.name} (${shard!.size} bytes)`, at, name);
    }
    if (type !== null && e.size !== fullBytes) {
      fail(`entry stores ${e.size} bytes but ${label} [${shape.join(', ')}] needs ${fullBytes}`, at, name);
    }
    const width = bigEndian && type !== null ? typeInfo(type).typeSize : 1;
    return new BundleTensor(name, shard!.name, type, label, shape, type === null ? e.size : fullBytes, shard!, e.offset, e.size, e.crc32c, width);
  }

  const details = new Map<string, string>([
    ['container', 'TensorFlow checkpoint (tensor bundle)'],
    ['byte order', bigEndian ? 'big-endian (swapped to little-endian on read)' : 'little-endian'],
    ['shards', String(header.numShards)],
    ['bundle version', `producer ${header.producer}, min_consumer ${header.minConsumer}`],
    ['index', `${table.blocks} data block(s), ${table.snappy ? 'Snappy-compressed' : 'uncompressed'}`],
  ]);
  const used = shards.filter((s): s is ByteSource => s !== undefined).map((s) => s.name);
  return { format: 'tensorflow', files: [index.name, ...used], metadata: new Map(), tensors, details };
}

/** Finds the data file of each shard: same prefix as the index, or the only candidate for that shard number. */
function matchShards(files: ByteSource[], prefix: string, numShards: number): (ByteSource | undefined)[] {
  const out: (ByteSource | undefined)[] = new Array(numShards).fill(undefined);
  const loose: (ByteSource[] | undefined)[] = new Array(numShards).fill(undefined);
  const base = (s: string): string => s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
  for (const f of files) {
    const m = DATA_NAME.exec(f.name);
    if (m === null) continue;
    const shard = Number(m[2]);
    if (Number(m[3]) !== numShards || shard >= numShards) continue;
    if (m[1] === prefix || base(m[1]!) === base(prefix)) out[shard] = f;
    else (loose[shard] ??= []).push(f);
  }
  for (let i = 0; i < numShards; i++) {
    const l = loose[i];
    if (out[i] === undefined && l !== undefined && l.length === 1) out[i] = l[0];
  }
  return out;
}

export function dataName(prefix: string, shard: number, numShards: number): string {
  const p5 = (n: number): string => String(n).padStart(5, '0');
  return `${prefix}.data-${p5(shard)}-of-${p5(numShards)}`;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b.subarray(0, 64)) s += x.toString(16).padStart(2, '0');
  return b.length > 64 ? `${s}...` : s;
}
