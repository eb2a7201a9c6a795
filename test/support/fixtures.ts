import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

/** Reads a fixture as a fresh Uint8Array (4-byte aligned, so typed views over it work). A `.gz` twin is used when present. */
export function fixtureBytes(rel: string): Uint8Array {
  let buf: Buffer;
  try {
    buf = readFileSync(join(FIXTURES, rel));
  } catch {
    buf = gunzipSync(readFileSync(join(FIXTURES, rel + '.gz')));
  }
  const out = new Uint8Array(buf.length);
  out.set(buf);
  return out;
}

export function fixtureU32(rel: string): Uint32Array {
  const b = fixtureBytes(rel);
  return new Uint32Array(b.buffer, 0, b.length >>> 2);
}

export function fixtureU16(rel: string): Uint16Array {
  const b = fixtureBytes(rel);
  return new Uint16Array(b.buffer, 0, b.length >>> 1);
}

export function fixtureF32(rel: string): Float32Array {
  const b = fixtureBytes(rel);
  return new Float32Array(b.buffer, 0, b.length >>> 2);
}

export function fixtureJson<T>(rel: string): T {
  return JSON.parse(new TextDecoder().decode(fixtureBytes(rel))) as T;
}
