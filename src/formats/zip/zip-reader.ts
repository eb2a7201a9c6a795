/**
 * A zip reader that works on a ByteSource by ranges.
 *
 * Why not fflate's unzip: it takes the whole archive as one Uint8Array, and a checkpoint is
 * often larger than a browser tab can hold (or than 2 GiB, the largest ArrayBuffer some engines
 * allow). Here only the end records and the central directory are read; an entry's data is
 * reached lazily as a SliceSource (stored: zero copy) or through InflateSource (deflated: fflate's
 * streaming Inflate), so nothing is ever read that a tensor does not ask for.
 *
 * Layout per APPNOTE.TXT 6.3: [local header + data]* central directory [zip64 end record,
 * zip64 locator] end of central directory record (EOCD) [comment].
 */
import { SliceSource, type ByteSource } from '../../io/byte-source';
import { FormatError, UnsupportedError } from '../errors';
import { crc32 } from './crc32';
import { InflateSource } from './inflate-source';

/** EOCD is 22 bytes plus a comment of at most 65535 bytes: the search never goes further back. */
const EOCD_SIZE = 22;
const MAX_EOCD_SEARCH = EOCD_SIZE + 0xffff;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIZE = 56;
const CD_ENTRY_SIZE = 46;
const LOCAL_HEADER_SIZE = 30;
/** More entries than any checkpoint has (one per storage); bounds the directory parse. */
export const MAX_ZIP_ENTRIES = 4_000_000;
/** The central directory is read in one piece; 46 bytes + name per entry fits easily. */
export const MAX_CENTRAL_DIRECTORY_BYTES = 512 * 1024 * 1024;

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

/** Deflate cannot expand more than ~1032:1 (a 258-byte match per ~2 bits); a larger claim is corrupt. */
const MAX_DEFLATE_RATIO = 1032;

export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  /** Where this entry's central directory record starts (for error messages). */
  readonly directoryOffset: number;
}

/** True when the source starts like a zip archive (a local header, or the EOCD of an empty one). */
export function looksLikeZip(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const sig = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
  return sig === SIG_LOCAL || sig === SIG_EOCD;
}

function u64(dv: DataView, at: number, what: string, err: (msg: string, off: number) => FormatError, base: number): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw err(`${what} is ${v}, beyond 2^53`, base + at);
  return Number(v);
}

interface DirectoryLocation {
  readonly entries: number;
  readonly size: number;
  readonly offset: number;
  /** Where the end records begin: the directory must end at or before this. */
  readonly endRecords: number;
}

export class ZipArchive {
  private readonly byName = new Map<string, ZipEntry>();
  private readonly dataOffsets = new Map<ZipEntry, number>();

  private constructor(
    readonly source: ByteSource,
    readonly entries: readonly ZipEntry[],
    readonly directoryOffset: number,
    readonly zip64: boolean,
  ) {
    for (const e of entries) {
      if (this.byName.has(e.name)) throw this.error(`duplicate entry name "${e.name}"`, e.directoryOffset);
      this.byName.set(e.name, e);
    }
  }

  static async open(source: ByteSource): Promise<ZipArchive> {
    const loc = await findDirectory(source);
    const cd = await source.read(loc.offset, loc.size);
    const entries = parseDirectory(source, cd, loc);
    return new ZipArchive(source, entries, loc.offset, loc.zip64);
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  error(what: string, offset?: number): FormatError {
    return new FormatError({ format: 'zip', file: this.source.name, ...(offset !== undefined ? { offset } : {}) }, what);
  }

  /** Absolute offset of the entry's first data byte, from its local header (read once, cached). */
  async dataOffset(entry: ZipEntry): Promise<number> {
    const cached = this.dataOffsets.get(entry);
    if (cached !== undefined) return cached;
    const at = entry.localHeaderOffset;
    if (at + LOCAL_HEADER_SIZE > this.directoryOffset) {
      throw this.error(`local header of "${entry.name}" at ${at} runs into the central directory at ${this.directoryOffset}`, entry.directoryOffset);
    }
    const h = await this.source.read(at, LOCAL_HEADER_SIZE);
    const dv = new DataView(h.buffer, h.byteOffset, h.length);
    if (dv.getUint32(0, true) !== SIG_LOCAL) throw this.error(`no local header signature for "${entry.name}"`, at);
    const start = at + LOCAL_HEADER_SIZE + dv.getUint16(26, true) + dv.getUint16(28, true);
    if (start + entry.compressedSize > this.directoryOffset) {
      throw this.error(
        `data of "${entry.name}" (${entry.compressedSize} bytes at ${start}) runs past the central directory at ${this.directoryOffset}`,
        at,
      );
    }
    this.dataOffsets.set(entry, start);
    return start;
  }

  /** The entry's uncompressed bytes as a source: a window of the file, or a streaming inflater. */
  async open(entry: ZipEntry): Promise<ByteSource> {
    if (entry.flags & 1) throw new UnsupportedError({ format: 'zip', file: this.source.name, offset: entry.directoryOffset }, `entry "${entry.name}" is encrypted`);
    const start = await this.dataOffset(entry);
    const raw = new SliceSource(`${this.source.name}!${entry.name}`, this.source, start, entry.compressedSize);
    if (entry.method === METHOD_STORED) return raw;
    if (entry.method === METHOD_DEFLATED) {
      return new InflateSource(raw, entry.uncompressedSize, entry.crc32, { file: this.source.name, offset: start });
    }
    throw new UnsupportedError(
      { format: 'zip', file: this.source.name, offset: entry.directoryOffset },
      `entry "${entry.name}" uses compression method ${entry.method} (only 0 stored and 8 deflate are supported)`,
    );
  }

  /** Reads a whole (small) entry, checking its size against `limit` first and its CRC after. */
  async readAll(entry: ZipEntry, limit: number): Promise<Uint8Array> {
    if (entry.uncompressedSize > limit) {
      throw this.error(`entry "${entry.name}" is ${entry.uncompressedSize} bytes, more than the ${limit} allowed for it`, entry.directoryOffset);
    }
    const src = await this.open(entry);
    const bytes = await src.read(0, entry.uncompressedSize);
    // Deflated entries are checked by InflateSource; stored ones here.
    if (entry.method === METHOD_STORED) {
      const got = crc32(bytes);
      if (got !== entry.crc32) {
        throw this.error(`CRC-32 of "${entry.name}" is ${hex(got)}, the directory says ${hex(entry.crc32)}`, entry.directoryOffset);
      }
    }
    return bytes;
  }
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

async function findDirectory(source: ByteSource): Promise<DirectoryLocation & { zip64: boolean }> {
  const err = (msg: string, off?: number): FormatError => new FormatError({ format: 'zip', file: source.name, ...(off !== undefined ? { offset: off } : {}) }, msg);
  if (source.size < EOCD_SIZE) throw err(`file is ${source.size} bytes, too small for a zip end record (${EOCD_SIZE})`);
  const tailLen = Math.min(source.size, MAX_EOCD_SEARCH);
  const tailStart = source.size - tailLen;
  const tail = await source.read(tailStart, tailLen);
  const dv = new DataView(tail.buffer, tail.byteOffset, tail.length);
  // Search backwards; accept the first signature whose comment length reaches exactly to the end.
  let eocd = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (dv.getUint32(i, true) === SIG_EOCD && i + EOCD_SIZE + dv.getUint16(i + 20, true) === tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw err(`no end of central directory record in the last ${tailLen} bytes`);
  const eocdAbs = tailStart + eocd;
  const disk = dv.getUint16(eocd + 4, true);
  const cdDisk = dv.getUint16(eocd + 6, true);
  let diskEntries: number = dv.getUint16(eocd + 8, true);
  let entries: number = dv.getUint16(eocd + 10, true);
  let size: number = dv.getUint32(eocd + 12, true);
  let offset: number = dv.getUint32(eocd + 16, true);
  let endRecords = eocdAbs;
  let zip64 = false;

  const locAbs = eocdAbs - ZIP64_LOCATOR_SIZE;
  const hasLocator = locAbs >= tailStart && dv.getUint32(locAbs - tailStart, true) === SIG_ZIP64_LOCATOR;
  if (hasLocator) {
    const l = locAbs - tailStart;
    const z64At = u64(dv, l + 8, 'zip64 end record offset', err, tailStart);
    if (dv.getUint32(l + 16, true) > 1) throw new UnsupportedError({ format: 'zip', file: source.name, offset: locAbs }, 'multi-disk zip archives are not supported');
    if (z64At + ZIP64_EOCD_SIZE > locAbs) throw err(`zip64 end record offset ${z64At} leaves no room before the locator at ${locAbs}`, locAbs);
    const z = await source.read(z64At, ZIP64_EOCD_SIZE);
    const zv = new DataView(z.buffer, z.byteOffset, z.length);
    if (zv.getUint32(0, true) !== SIG_ZIP64_EOCD) throw err(`no zip64 end record signature at ${z64At}`, z64At);
    diskEntries = u64(zv, 24, 'zip64 entry count on disk', err, z64At);
    entries = u64(zv, 32, 'zip64 entry count', err, z64At);
    size = u64(zv, 40, 'zip64 directory size', err, z64At);
    offset = u64(zv, 48, 'zip64 directory offset', err, z64At);
    endRecords = z64At;
    zip64 = true;
  } else if (entries === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    throw err('end record asks for zip64 values but there is no zip64 locator', eocdAbs);
  } else if (disk !== 0 || cdDisk !== 0) {
    throw new UnsupportedError({ format: 'zip', file: source.name, offset: eocdAbs }, `multi-disk zip archives are not supported (disk ${disk}, directory disk ${cdDisk})`);
  }
  if (diskEntries !== entries) throw new UnsupportedError({ format: 'zip', file: source.name, offset: eocdAbs }, `entries split over disks (${diskEntries} of ${entries})`);
  if (entries > MAX_ZIP_ENTRIES) throw err(`${entries} entries, more than the ${MAX_ZIP_ENTRIES} allowed`, eocdAbs);
  if (size > MAX_CENTRAL_DIRECTORY_BYTES) throw err(`central directory of ${size} bytes, more than the ${MAX_CENTRAL_DIRECTORY_BYTES} allowed`, eocdAbs);
  if (offset + size > endRecords) throw err(`central directory (${size} bytes at ${offset}) overlaps the end records at ${endRecords}`, eocdAbs);
  if (size < entries * CD_ENTRY_SIZE) throw err(`central directory of ${size} bytes cannot hold ${entries} entries`, eocdAbs);
  return { entries, size, offset, endRecords, zip64 };
}

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

function parseDirectory(source: ByteSource, cd: Uint8Array, loc: DirectoryLocation): ZipEntry[] {
  const err = (msg: string, off: number): FormatError => new FormatError({ format: 'zip', file: source.name, offset: off }, msg);
  const dv = new DataView(cd.buffer, cd.byteOffset, cd.length);
  const out: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < loc.entries; i++) {
    const abs = loc.offset + p;
    if (p + CD_ENTRY_SIZE > cd.length) throw err(`central directory ends inside entry ${i} of ${loc.entries}`, abs);
    if (dv.getUint32(p, true) !== SIG_CENTRAL) throw err(`entry ${i} of ${loc.entries} has no central directory signature`, abs);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let csize: number = dv.getUint32(p + 20, true);
    let usize: number = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let diskStart: number = dv.getUint16(p + 34, true);
    let local: number = dv.getUint32(p + 42, true);
    const next = p + CD_ENTRY_SIZE + nameLen + extraLen + commentLen;
    if (next > cd.length) throw err(`entry ${i}'s name and extra fields run past the central directory end`, abs);
    const nameBytes = cd.subarray(p + CD_ENTRY_SIZE, p + CD_ENTRY_SIZE + nameLen);
    const name = (flags & 0x800 ? utf8 : latin1).decode(nameBytes);
    // ZIP64 extended information (APPNOTE 4.5.3): only the fields whose 32-bit value is all ones.
    if (usize === 0xffffffff || csize === 0xffffffff || local === 0xffffffff || diskStart === 0xffff) {
      let q = p + CD_ENTRY_SIZE + nameLen;
      const end = q + extraLen;
      let found = false;
      while (q + 4 <= end) {
        const id = dv.getUint16(q, true);
        const len = dv.getUint16(q + 2, true);
        if (q + 4 + len > end) throw err(`extra field of "${name}" runs past its declared length`, loc.offset + q);
        if (id === 0x0001) {
          let r = q + 4;
          const take = (what: string): number => {
            if (r + 8 > q + 4 + len) throw err(`zip64 extra field of "${name}" is too short for the ${what}`, loc.offset + q);
            const v = u64(dv, r, `${what} of "${name}"`, err, loc.offset);
            r += 8;
            return v;
          };
          if (usize === 0xffffffff) usize = take('uncompressed size');
          if (csize === 0xffffffff) csize = take('compressed size');
          if (local === 0xffffffff) local = take('local header offset');
          if (diskStart === 0xffff) {
            if (r + 4 > q + 4 + len) throw err(`zip64 extra field of "${name}" is too short for the disk number`, loc.offset + q);
            diskStart = dv.getUint32(r, true);
          }
          found = true;
          break;
        }
        q += 4 + len;
      }
      if (!found) throw err(`"${name}" needs a zip64 extra field and has none`, abs);
    }
    if (diskStart !== 0) throw new UnsupportedError({ format: 'zip', file: source.name, offset: abs }, `"${name}" starts on disk ${diskStart}`);
    if (local + LOCAL_HEADER_SIZE + csize > loc.offset) {
      throw err(`"${name}": ${csize} bytes at local header ${local} do not fit before the central directory at ${loc.offset}`, abs);
    }
    if (method === METHOD_STORED && csize !== usize) {
      throw err(`stored entry "${name}" has compressed size ${csize} but uncompressed size ${usize}`, abs);
    }
    if (method === METHOD_DEFLATED && usize > csize * MAX_DEFLATE_RATIO + 1024) {
      throw err(`deflated entry "${name}" claims ${usize} bytes from ${csize}, beyond deflate's maximum ratio`, abs);
    }
    out.push({ name, method, flags, crc32: crc, compressedSize: csize, uncompressedSize: usize, localHeaderOffset: local, directoryOffset: abs });
    p = next;
  }
  return out;
}
