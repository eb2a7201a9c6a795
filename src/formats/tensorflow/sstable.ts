import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import { decodeVarint, readU32, u64ToSafe, varint, VARINT_TRUNCATED } from '../protobuf/wire';
import { crc32c, unmaskCrc } from './crc32c';
import {
  BLOCK_TRAILER_BYTES,
  TABLE_FOOTER_BYTES,
  TF_MAX_BLOCK_BYTES,
  TF_MAX_ENTRIES,
  TF_MAX_KEY_BYTES,
  TF_MAX_TOTAL_KEY_BYTES,
} from './limits';
import { snappyDecompress } from './snappy';

/**
 * Reads a TensorFlow table (tensorflow/core/lib/io/table*, format.cc; the LevelDB SSTable of
 * google/leveldb doc/table_format.md without filter blocks):
 *
 *   [data block]* [metaindex block] [index block] [footer: 48 bytes]
 *   footer = metaindex BlockHandle, index BlockHandle (varint64 offset + size each), zero
 *            padding to 40 bytes, magic 0xdb4775248b80fb57 (fixed64, little-endian)
 *   block  = entries, restart offsets (fixed32 each), restart count (fixed32), then a trailer of
 *            one compression byte (0 none, 1 Snappy) and the masked CRC-32C of block + that byte
 *   entry  = varint32 shared key bytes, varint32 unshared key bytes, varint32 value length,
 *            unshared key bytes, value
 *
 * The index block maps each data block's last key to its handle; walking it in order yields every
 * entry in key order. The whole index file is small (a few KB to a few MB), so blocks are read
 * whole, each checked against TF_MAX_BLOCK_BYTES first.
 */

export const TABLE_MAGIC_LO = 0x8b80fb57;
export const TABLE_MAGIC_HI = 0xdb477524;

export interface TableEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** File offset of the block holding the entry (blocks may be compressed, so no finer position exists). */
  readonly blockOffset: number;
}

export interface Table {
  readonly entries: TableEntry[];
  /** Whether any block was Snappy-compressed. */
  readonly snappy: boolean;
  readonly blocks: number;
}

interface Handle {
  readonly offset: number;
  readonly size: number;
}

export async function readTable(src: ByteSource): Promise<Table> {
  const fail = (what: string, offset?: number): never => {
    throw new FormatError({ format: 'tensorflow', file: src.name, ...(offset !== undefined ? { offset } : {}) }, what);
  };
  if (src.size < TABLE_FOOTER_BYTES) fail(`file is ${src.size} bytes, shorter than the ${TABLE_FOOTER_BYTES}-byte table footer`, 0);
  const footerAt = src.size - TABLE_FOOTER_BYTES;
  const footer = (await src.read(footerAt, TABLE_FOOTER_BYTES)).slice();
  const magicLo = readU32(footer, 40);
  const magicHi = readU32(footer, 44);
  if (magicLo !== TABLE_MAGIC_LO || magicHi !== TABLE_MAGIC_HI) {
    fail(`bad table magic 0x${hex8(magicHi)}${hex8(magicLo)} (expected 0xdb4775248b80fb57): not a TensorFlow .index file`, src.size - 8);
  }
  let p = 0;
  const handle = (what: string): Handle => {
    const at = p;
    const fields: number[] = [];
    for (let i = 0; i < 2; i++) {
      const q = decodeVarint(footer, p, 40);
      if (q < 0) fail(`${q === VARINT_TRUNCATED ? 'truncated' : 'overlong'} ${what} handle in the footer`, footerAt + at);
      fields.push(u64ToSafe(varint.lo, varint.hi));
      p = q;
    }
    const [offset, size] = fields as [number, number];
    if (offset < 0 || size < 0 || offset + size + BLOCK_TRAILER_BYTES > footerAt) {
      fail(`${what} block [${offset}, +${size} + ${BLOCK_TRAILER_BYTES}) lies outside the ${footerAt} bytes before the footer`, footerAt + at);
    }
    return { offset, size };
  };
  handle('metaindex'); // TensorFlow writes it empty; checked for range only
  const indexHandle = handle('index');

  let snappy = false;
  const readBlock = async (h: Handle, what: string): Promise<Uint8Array> => {
    if (h.size > TF_MAX_BLOCK_BYTES) fail(`${what} of ${h.size} bytes exceeds the limit of ${TF_MAX_BLOCK_BYTES}`, h.offset);
    const raw = (await src.read(h.offset, h.size + BLOCK_TRAILER_BYTES)).slice();
    const type = raw[h.size]!;
    const stored = unmaskCrc(readU32(raw, h.size + 1));
    const actual = crc32c(raw, 0, h.size + 1);
    if (stored !== actual) fail(`${what} checksum mismatch: stored crc32c 0x${hex8(stored)}, computed 0x${hex8(actual)}`, h.offset + h.size);
    const body = raw.subarray(0, h.size);
    if (type === 0) return body;
    if (type === 1) {
      snappy = true;
      const out = snappyDecompress(body, TF_MAX_BLOCK_BYTES);
      if (typeof out === 'string') fail(`${what}: corrupt Snappy data: ${out}`, h.offset);
      return out as Uint8Array;
    }
    return fail(`${what} has compression type ${type}; only 0 (none) and 1 (Snappy) exist in TensorFlow tables`, h.offset + h.size);
  };

  const entries: TableEntry[] = [];
  const budget = { keyBytes: 0 };
  const index = await readBlock(indexHandle, 'index block');
  const handles: Handle[] = [];
  for (const e of parseBlock(index, indexHandle.offset, src.name, budget)) {
    p = 0;
    const at = indexHandle.offset;
    const v = e.value;
    const fields: number[] = [];
    for (let i = 0; i < 2; i++) {
      const q = decodeVarint(v, p, v.length);
      if (q < 0) fail('bad block handle in the index block', at);
      fields.push(u64ToSafe(varint.lo, varint.hi));
      p = q;
    }
    const [offset, size] = fields as [number, number];
    if (offset < 0 || size < 0 || offset + size + BLOCK_TRAILER_BYTES > footerAt) {
      fail(`data block [${offset}, +${size} + ${BLOCK_TRAILER_BYTES}) lies outside the ${footerAt} bytes before the footer`, at);
    }
    handles.push({ offset, size });
  }
  for (const h of handles) {
    const block = await readBlock(h, `data block at ${h.offset}`);
    for (const e of parseBlock(block, h.offset, src.name, budget)) {
      if (entries.length >= TF_MAX_ENTRIES) fail(`more than ${TF_MAX_ENTRIES} entries`, h.offset);
      entries.push(e);
    }
  }
  return { entries, snappy, blocks: handles.length };
}

/** Decodes one block's entries; keys are rebuilt from their shared prefixes. */
export function parseBlock(b: Uint8Array, blockOffset: number, file: string, budget: { keyBytes: number }): TableEntry[] {
  const fail = (what: string): never => {
    throw new FormatError({ format: 'tensorflow', file, offset: blockOffset }, `block at ${blockOffset}: ${what}`);
  };
  if (b.length < 4) fail(`${b.length} bytes, too short for its restart count`);
  const restarts = readU32(b, b.length - 4);
  const maxRestarts = (b.length - 4) / 4;
  if (restarts > maxRestarts) fail(`restart count ${restarts} does not fit in ${b.length} bytes`);
  const dataEnd = b.length - 4 - 4 * restarts;
  const out: TableEntry[] = [];
  let prev = new Uint8Array(0);
  let p = 0;
  const v32 = (what: string): number => {
    const q = decodeVarint(b, p, dataEnd);
    if (q < 0 || varint.hi !== 0) fail(`bad ${what} varint at block byte ${p}`);
    p = q;
    return varint.lo;
  };
  while (p < dataEnd) {
    const entryAt = p;
    const shared = v32('shared-length');
    const unshared = v32('key-length');
    const valueLen = v32('value-length');
    if (shared > prev.length) fail(`entry at block byte ${entryAt} shares ${shared} key bytes but the previous key has ${prev.length}`);
    if (unshared > dataEnd - p || valueLen > dataEnd - p - unshared) {
      fail(`entry at block byte ${entryAt} declares ${unshared} key + ${valueLen} value bytes but ${dataEnd - p} remain`);
    }
    const keyLen = shared + unshared;
    if (keyLen > TF_MAX_KEY_BYTES) fail(`key of ${keyLen} bytes exceeds the limit of ${TF_MAX_KEY_BYTES}`);
    budget.keyBytes += keyLen;
    if (budget.keyBytes > TF_MAX_TOTAL_KEY_BYTES) fail(`keys total more than ${TF_MAX_TOTAL_KEY_BYTES} bytes`);
    const key = new Uint8Array(keyLen);
    key.set(prev.subarray(0, shared));
    key.set(b.subarray(p, p + unshared), shared);
    p += unshared;
    out.push({ key, value: b.subarray(p, p + valueLen), blockOffset });
    p += valueLen;
    prev = key;
  }
  return out;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
