/**
 * A torch-style checkpoint larger than 4 GiB, written by this test as a sparse file in the temp
 * folder (holes cost no disk), read through NodeFileSource, then deleted. It has a stored entry of
 * more than 4 GiB, a storage whose bytes start beyond 4 GiB, an element count beyond 2^32 (LONG1
 * in the pickle), and its central directory beyond 4 GiB, so every ZIP64 field is exercised.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, ftruncateSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPytorch } from '../../../src/formats/pytorch/reader';
import { NodeFileSource } from '../../../src/io/node/file-source';
import { layoutZip, torchPickle } from './pytorch-builders';

const GiB = 1024 ** 3;
const path = join(tmpdir(), `kiln-zip64-${process.pid}.pt`);
afterAll(() => rmSync(path, { force: true }));

describe('ZIP64: a checkpoint beyond 4 GiB', () => {
  it('reads tensors at the far end', async () => {
    const bigBytes = 4 * GiB + 4096; // FloatStorage "0": more than 4 GiB
    const farTail = new Uint8Array(randomBytes(64)); // its last 16 floats
    const after = new Uint8Array(randomBytes(64)); // FloatStorage "1", entry starts beyond 4 GiB
    const byteCount = 2 ** 32 + 100; // ByteStorage "2": more than 2^32 elements
    const byteTail = new Uint8Array(randomBytes(100));
    const pickle = torchPickle([
      { name: 'far_tail', storage: 'FloatStorage', key: '0', numel: bigBytes / 4, offset: bigBytes / 4 - 16, shape: [4, 4] },
      { name: 'after', storage: 'FloatStorage', key: '1', numel: 16, shape: [4, 4] },
      { name: 'bytes_far', storage: 'ByteStorage', key: '2', numel: byteCount, offset: byteCount - 100, shape: [10, 10] },
    ]);
    const { pieces, size, dataOffsets } = layoutZip([
      { name: 'big/data.pkl', data: pickle },
      { name: 'big/data/0', data: farTail, size: bigBytes, pad: 20 },
      { name: 'big/data/1', data: after, pad: 36 },
      { name: 'big/data/2', data: byteTail, size: byteCount },
      { name: 'big/version', data: new TextEncoder().encode('3\n') },
    ]);
    expect(size).toBeGreaterThan(8 * GiB);
    const fd = openSync(path, 'w');
    try {
      ftruncateSync(fd, size);
      for (const p of pieces) writeSync(fd, p.bytes, 0, p.bytes.length, p.offset);
    } finally {
      closeSync(fd);
    }
    expect(statSync(path).size).toBe(size);
    expect(dataOffsets[2]).toBeGreaterThan(4 * GiB);

    // When CPython is around, it must agree this is a valid archive with these offsets.
    const py = ['/usr/bin/python3', 'python3'].find((p) => p === 'python3' || existsSync(p));
    const check = py && spawnSync(py, ['-c', 'import sys,zipfile;print([(i.filename,i.file_size,i.header_offset) for i in zipfile.ZipFile(sys.argv[1]).infolist()])', path], { encoding: 'utf8' });
    if (check && check.status === 0) expect(check.stdout).toContain(`('big/data/2', ${byteCount},`);
    console.log(`zip64 fixture: ${size} bytes (sparse); CPython zipfile cross-check: ${check && check.status === 0 ? 'agreed' : 'not available'}`);

    const src = await NodeFileSource.open(path);
    try {
      const view = await readPytorch(src);
      expect(view.details.get('zip64')).toBe('yes');
      const byName = new Map(view.tensors.map((t) => [t.name, t]));
      const far = byName.get('far_tail')!;
      expect(far.type).toBe('F32');
      expect(far.fileOffset).toBe(dataOffsets[1]! + bigBytes - 64);
      expect(await far.read(0, 64)).toEqual(farTail);
      expect(await byName.get('after')!.read(0, 64)).toEqual(after);
      expect(byName.get('after')!.fileOffset).toBe(dataOffsets[2]);
      const bytesFar = byName.get('bytes_far')!;
      expect(bytesFar.type).toBe('U8');
      expect(bytesFar.fileOffset).toBeGreaterThan(2 ** 33);
      expect(await bytesFar.read(0, 100)).toEqual(byteTail);
    } finally {
      await src.close();
    }
  });
});
