/**
 * Read throughput of a large generated checkpoint: TensorInfo.read in 64 MiB chunks against a plain
 * sequential read of the same file, in the same run. Opt-in (it writes 1 GiB to the temp folder):
 *   npm run bench (or: npx vitest run --config vitest.bench.config.ts bench/readers/pytorch.bench.ts)
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, ftruncateSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPytorch } from '../../src/formats/pytorch/reader';
import { NodeFileSource } from '../../src/io/node/file-source';
import { buildZip, layoutZip, torchPickle } from '../../test/unit/formats/pytorch-builders';

const MiB = 1024 * 1024;
const CHUNK = 64 * MiB;
const stored = join(tmpdir(), `kiln-bench-${process.pid}.pt`);
const deflated = join(tmpdir(), `kiln-bench-${process.pid}-deflated.pt`);
afterAll(() => {
  rmSync(stored, { force: true });
  rmSync(deflated, { force: true });
});

async function timed(label: string, bytes: number, f: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await f();
  const s = (performance.now() - t0) / 1000;
  const mbs = bytes / 1e6 / s;
  console.log(`${label}: ${(bytes / MiB).toFixed(0)} MiB in ${s.toFixed(2)} s = ${mbs.toFixed(0)} MB/s`);
  return mbs;
}

describe.runIf(process.env.KILN_PT_BENCH === '1')('throughput', () => {
  it('1 GiB stored checkpoint: TensorInfo.read vs plain reads', async () => {
    const total = 1024 * MiB;
    const pickle = torchPickle([{ name: 'w', storage: 'FloatStorage', key: '0', numel: total / 4, shape: [total / 4 / 4096, 4096] }]);
    const { pieces, size, dataOffsets } = layoutZip([
      { name: 'b/data.pkl', data: pickle },
      { name: 'b/data/0', data: new Uint8Array(0), size: total, pad: 20 },
    ]);
    const buf = new Uint8Array(CHUNK);
    const fd = openSync(stored, 'w');
    ftruncateSync(fd, size);
    for (const p of pieces) writeSync(fd, p.bytes, 0, p.bytes.length, p.offset);
    for (let at = 0; at < total; at += CHUNK) {
      randomFillSync(buf);
      writeSync(fd, buf, 0, CHUNK, dataOffsets[1]! + at);
    }
    closeSync(fd);

    const src = await NodeFileSource.open(stored);
    const t = (await readPytorch(src)).tensors[0]!;
    expect(t.nbytes).toBe(total);
    let check = 0;
    const plain = async (): Promise<void> => {
      for (let at = 0; at < size; at += CHUNK) check ^= (await src.read(at, Math.min(CHUNK, size - at)))[0]!;
    };
    const viaTensor = async (): Promise<void> => {
      for (let at = 0; at < total; at += CHUNK) check ^= (await t.read(at, CHUNK))[0]!;
    };
    const a = await timed('plain sequential read (NodeFileSource, 64 MiB chunks)', size, plain);
    const b = await timed('TensorInfo.read (stored zip entry, 64 MiB chunks)', total, viaTensor);
    const c = await timed('plain sequential read again', size, plain);
    // Buffer.equals, not toEqual: deep equality over 64M elements takes minutes.
    expect(Buffer.from(await t.read(total - CHUNK, CHUNK)).equals(Buffer.from(await src.read(dataOffsets[1]! + total - CHUNK, CHUNK)))).toBe(true);
    console.log(`TensorInfo.read / plain: ${(b / ((a + c) / 2)).toFixed(2)} (check ${check})`);
    await src.close();
    rmSync(stored, { force: true });
  });

  it('256 MiB deflated storage: TensorInfo.read streams through fflate', async () => {
    const total = 256 * MiB;
    const data = new Uint8Array(total);
    randomFillSync(data);
    for (let i = 0; i < total; i += 2) data[i] = 0; // half the bytes predictable: ~2:1
    const pickle = torchPickle([{ name: 'w', storage: 'ByteStorage', key: '0', numel: total, shape: [total] }]);
    const zip = buildZip([
      { name: 'd/data.pkl', data: pickle },
      { name: 'd/data/0', data, method: 8 },
    ]);
    const fd = openSync(deflated, 'w');
    writeSync(fd, zip);
    closeSync(fd);
    console.log(`deflated checkpoint: ${(total / MiB).toFixed(0)} MiB of storage in a ${(zip.length / MiB).toFixed(0)} MiB file`);
    const src = await NodeFileSource.open(deflated);
    const t = (await readPytorch(src)).tensors[0]!;
    let check = 0;
    await timed('TensorInfo.read (deflated entry, 64 MiB chunks, inflate + CRC)', total, async () => {
      for (let at = 0; at < total; at += CHUNK) check ^= (await t.read(at, CHUNK))[1]!;
    });
    expect(Buffer.from(await t.read(total - 1000, 1000)).equals(data.subarray(total - 1000))).toBe(true);
    console.log(`check ${check}`);
    await src.close();
  });
});
