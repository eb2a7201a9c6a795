import { afterAll, describe, expect, it } from 'vitest';
import { openSync, closeSync, writeSync, ftruncateSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileSource } from '../../../src/io/node/file-source';
import { readGguf } from '../../../src/formats/gguf/reader';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { buildGguf } from './gguf-builder';
import { buildSafetensors } from './safetensors-builder';

/**
 * Files larger than 4 GiB, made sparse with ftruncate (no disk space used), never committed and
 * deleted afterwards: the last tensor lies past 2^32 and must read back through NodeFileSource.
 */
const dir = mkdtempSync(join(tmpdir(), 'kiln-4g-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAR = 4.5 * 1024 ** 3; // 4.5 GiB, a multiple of 32
const tail = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);

function sparse(path: string, head: Uint8Array, size: number, tailAt: number): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head, 0, head.length, 0);
    ftruncateSync(fd, size);
    writeSync(fd, tail, 0, tail.length, tailAt);
  } finally {
    closeSync(fd);
  }
}

describe('files beyond 4 GiB (sparse)', () => {
  it('GGUF: a tensor past 2^32 reads correctly at its far end', async () => {
    const head = buildGguf({
      tensors: [
        { name: 'near', ne: [4], type: 0, offset: 0 },
        { name: 'far', ne: [16], type: 0, offset: FAR },
      ],
    });
    const path = join(dir, 'big.gguf');
    sparse(path, head, head.length + FAR + 64, head.length + FAR);
    const src = await NodeFileSource.open(path);
    try {
      expect(src.size).toBeGreaterThan(2 ** 32);
      const m = await readGguf([src]);
      const far = m.tensors[1]!;
      expect(far.fileOffset).toBe(head.length + FAR);
      expect(Array.from(await far.read(0, 64))).toEqual(Array.from(tail));
      expect(Array.from(await far.read(60, 4))).toEqual(Array.from(tail.subarray(60)));
    } finally {
      await src.close();
    }
  });

  it('safetensors: a tensor after 4.5 GiB of data reads correctly', async () => {
    const header = JSON.stringify({ pad: { dtype: 'U8', shape: [FAR], data_offsets: [0, FAR] }, far: { dtype: 'F32', shape: [16], data_offsets: [FAR, FAR + 64] } });
    const head = buildSafetensors(header);
    const path = join(dir, 'big.safetensors');
    sparse(path, head, head.length + FAR + 64, head.length + FAR);
    const src = await NodeFileSource.open(path);
    try {
      const m = await readSafetensors([src]);
      expect(m.tensors.map((t) => t.name)).toEqual(['pad', 'far']);
      expect(m.tensors[0]!.nbytes).toBe(FAR);
      expect(Array.from(await m.tensors[1]!.read(0, 64))).toEqual(Array.from(tail));
    } finally {
      await src.close();
    }
  });
});
