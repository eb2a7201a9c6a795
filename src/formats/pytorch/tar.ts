/**
 * Just enough of tar (POSIX ustar, with pax `path`/`size` overrides and GNU long names) to find the
 * members of torch's oldest checkpoint format. Headers are 512-byte blocks; data is padded to 512.
 */
import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';

const BLOCK = 512;
/** torch's tar checkpoints have four members; a few more are tolerated, a flood is not. */
export const MAX_TAR_MEMBERS = 64;
/** pax extended headers are a few hundred bytes. */
const MAX_PAX_BYTES = 64 * 1024;

export interface TarMember {
  readonly name: string;
  /** Absolute offset of the member's data. */
  readonly offset: number;
  readonly size: number;
}

function checksumOk(h: Uint8Array): boolean {
  const stored = parseOctal(h.subarray(148, 156));
  if (stored === null) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function parseOctal(f: Uint8Array): number | null {
  let v = 0;
  let digits = 0;
  let i = 0;
  while (i < f.length && f[i] === 0x20) i++;
  for (; i < f.length; i++) {
    const c = f[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) return null;
    v = v * 8 + (c - 0x30);
    digits++;
  }
  return digits === 0 ? 0 : v;
}

/** Size field: octal, or GNU base-256 when the high bit of the first byte is set. */
function parseSize(f: Uint8Array): number | null {
  if (f[0]! & 0x80) {
    if (f[0]! & 0x40) return null; // negative
    let v = f[0]! & 0x3f;
    for (let i = 1; i < f.length; i++) {
      v = v * 256 + f[i]!;
      if (!Number.isSafeInteger(v)) return null;
    }
    return v;
  }
  return parseOctal(f);
}

function cString(f: Uint8Array): string {
  const end = f.indexOf(0);
  return new TextDecoder().decode(end < 0 ? f : f.subarray(0, end));
}

/** True when the first block is a tar header with a valid checksum. */
export function looksLikeTar(head: Uint8Array): boolean {
  return head.length >= BLOCK && head[0] !== 0 && checksumOk(head.subarray(0, BLOCK));
}

export async function readTarMembers(src: ByteSource): Promise<TarMember[]> {
  const err = (what: string, offset: number): FormatError => new FormatError({ format: 'pytorch', file: src.name, offset }, `tar: ${what}`);
  const out: TarMember[] = [];
  let pos = 0;
  let longName: string | null = null;
  let paxPath: string | null = null;
  let paxSize: number | null = null;
  for (let headers = 0; pos + BLOCK <= src.size; headers++) {
    if (headers > MAX_TAR_MEMBERS * 3) throw err(`more than ${MAX_TAR_MEMBERS} members`, pos);
    const h = await src.read(pos, BLOCK);
    if (h.every((b) => b === 0)) break;
    if (!checksumOk(h)) throw err('header checksum does not match', pos);
    let size = parseSize(h.subarray(124, 136));
    if (size === null) throw err('size field is not a number', pos + 124);
    const type = String.fromCharCode(h[156]!);
    const data = pos + BLOCK;
    if (paxSize !== null && (type === '0' || type === '\0')) size = paxSize;
    if (data + size > src.size) throw err(`member of ${size} bytes at ${data} runs past the end of the file (${src.size})`, pos);
    const next = data + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x' || type === 'L') {
      if (size > MAX_PAX_BYTES) throw err(`extended header of ${size} bytes`, pos);
      const body = await src.read(data, size);
      if (type === 'L') longName = cString(body);
      else ({ path: paxPath, size: paxSize } = parsePax(body, paxPath, paxSize));
    } else if (type === '0' || type === '\0') {
      const magic = cString(h.subarray(257, 263));
      const prefix = magic === 'ustar' ? cString(h.subarray(345, 500)) : '';
      const name = paxPath ?? longName ?? (prefix ? `${prefix}/` : '') + cString(h.subarray(0, 100));
      out.push({ name, offset: data, size });
      if (out.length > MAX_TAR_MEMBERS) throw err(`more than ${MAX_TAR_MEMBERS} members`, pos);
      longName = paxPath = null;
      paxSize = null;
    } else if (type !== 'g') {
      longName = paxPath = null; // directories, links...: skipped
      paxSize = null;
    }
    pos = next;
  }
  return out;
}

function parsePax(body: Uint8Array, path: string | null, size: number | null): { path: string | null; size: number | null } {
  const text = new TextDecoder().decode(body);
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    if (sp < 0) break;
    const len = Number(text.slice(i, sp));
    if (!Number.isSafeInteger(len) || len <= 0) break;
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) {
      const k = rec.slice(0, eq);
      const v = rec.slice(eq + 1);
      if (k === 'path') path = v;
      if (k === 'size' && /^\d+$/.test(v) && Number.isSafeInteger(Number(v))) size = Number(v);
    }
    i += len;
  }
  return { path, size };
}
