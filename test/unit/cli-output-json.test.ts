import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { GGUF_MAX_ARRAY_ITEMS } from '../../src/formats/limits';

/**
 * inspect --json on a GGUF whose metadata is large but within the reader's limits (issue 8 §2,
 * item 6): three u8 arrays of 16M items once made one JSON string too long for V8 ("Invalid
 * string length", 1.4 GB peak). The document is now written piece by piece.
 */
let dir: string;
let file: string;
const N = GGUF_MAX_ARRAY_ITEMS;

/** GGUF v3, no tensors, KVs big.0..2 = u8[N] (all 7), and one small KV after them. */
function writeBigArrays(path: string): void {
  const fd = openSync(path, 'w');
  const u64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    return b;
  };
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return b;
  };
  const str = (s: string) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
  writeSync(fd, Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0), u64(4)]));
  const items = Buffer.alloc(N, 7);
  for (let k = 0; k < 3; k++) {
    writeSync(fd, Buffer.concat([str(`big.${k}`), u32(9), u32(0), u64(N)]));
    writeSync(fd, items);
  }
  writeSync(fd, Buffer.concat([str('after'), u32(8), str('end')]));
  closeSync(fd);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-out-json-'));
  file = join(dir, 'arrays.gguf');
  writeBigArrays(file);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('inspect --json streams', () => {
  it('three u8 arrays of 16M items: pieces of bounded size that parse as one document', async () => {
    const pieces: string[] = [];
    let largest = 0;
    let err = '';
    let drains = 0;
    const code = await main(['inspect', file, '--json'], {
      out: (s) => {
        pieces.push(s);
        largest = Math.max(largest, s.length);
      },
      err: (s) => void (err += s),
      drain: async () => void drains++,
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(largest).toBeLessThanOrEqual(256 * 1024);
    expect(drains).toBe(pieces.length);
    const doc = JSON.parse(pieces.join(''));
    pieces.length = 0;
    for (let k = 0; k < 3; k++) {
      const v = doc.metadata[`big.${k}`];
      expect(v.type).toBe('array');
      expect(v.itemType).toBe('u8');
      expect(v.value.length).toBe(N);
      expect(v.value[N - 1]).toBe(7);
    }
    expect(doc.metadata.after).toEqual({ type: 'string', value: 'end' });
    expect(doc.tensors).toEqual([]);
  }, 60_000);
});
