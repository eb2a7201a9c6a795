import { closeSync, openSync, rmSync, writeSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../../src/io/byte-source';
import { NodeFileSource } from '../../src/io/node/file-source';
import type { ModelView } from '../../src/formats/model';
import { readOnnx } from '../../src/formats/onnx/reader';
import { readTensorflow } from '../../src/formats/tensorflow/reader';
import { pb } from '../../test/unit/formats/protobuf-build';
import { entry, header, key, table } from '../../test/unit/formats/tensorflow-build';

/**
 * Read throughput on large generated files (1 GiB each, in the OS temp folder, deleted after):
 * every tensor read through TensorInfo.read in 64 MiB chunks, against a plain sequential read of
 * the same file in 64 MiB chunks, same run, same source type. Off by default (it writes 2+ GiB);
 * run with npm run bench
 */

const RUN = process.env.KILN_THROUGHPUT === '1';
const CHUNK = 64 * 1024 * 1024;
const TENSORS = 16;
const TENSOR_BYTES = 64 * 1024 * 1024; // 16 x 64 MiB = 1 GiB

function fill(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x;
    b[i + 1] = x >>> 8;
    b[i + 2] = x >>> 16;
    b[i + 3] = x >>> 24;
  }
  return b;
}

async function plainRead(src: ByteSource): Promise<number> {
  const t0 = performance.now();
  let sum = 0;
  for (let at = 0; at < src.size; at += CHUNK) sum += (await src.read(at, Math.min(CHUNK, src.size - at)))[0]!;
  expect(sum).toBeGreaterThanOrEqual(0);
  return (performance.now() - t0) / 1000;
}

async function tensorRead(v: ModelView): Promise<[number, number]> {
  const t0 = performance.now();
  let bytes = 0;
  for (const t of v.tensors) {
    for (let at = 0; at < t.nbytes; at += CHUNK) bytes += (await t.read(at, Math.min(CHUNK, t.nbytes - at))).length;
  }
  return [(performance.now() - t0) / 1000, bytes];
}

const mbs = (bytes: number, s: number): string => `${(bytes / 1e6 / s).toFixed(0)} MB/s`;

/** Alternates the two passes PASSES times (page cache warm for both) and reports each pass's best and all samples. */
const PASSES = 3;
async function compare(src: ByteSource, v: ModelView, tensorBytes: number): Promise<string> {
  await plainRead(src); // warm the page cache
  const plain: number[] = [];
  const tensor: number[] = [];
  for (let i = 0; i < PASSES; i++) {
    plain.push(await plainRead(src));
    const [s, bytes] = await tensorRead(v);
    expect(bytes).toBe(tensorBytes);
    tensor.push(s);
  }
  const best = (xs: number[]): number => Math.min(...xs);
  const all = (xs: number[], n: number): string => xs.map((x) => (n / 1e6 / x).toFixed(0)).join('/');
  return `plain sequential ${mbs(src.size, best(plain))} (passes ${all(plain, src.size)}), TensorInfo.read ${mbs(tensorBytes, best(tensor))} (passes ${all(tensor, tensorBytes)})`;
}

describe.skipIf(!RUN)('throughput (KILN_THROUGHPUT=1)', () => {
  const dir = RUN ? mkdtempSync(join(tmpdir(), 'kiln-tf-onnx-tp-')) : '';
  const chunk = RUN ? fill(TENSOR_BYTES, 12345) : new Uint8Array(0);

  it('TensorFlow bundle, 1 GiB data shard', async () => {
    const dataPath = join(dir, 'big.ckpt.data-00000-of-00001');
    const fd = openSync(dataPath, 'w');
    const entries: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < TENSORS; i++) {
      writeSync(fd, chunk);
      entries.push([key(`layer_${String(i).padStart(2, '0')}/w`), entry({ dtype: 1, shape: [TENSOR_BYTES / 4096, 1024], offset: i * TENSOR_BYTES, size: TENSOR_BYTES })]);
    }
    closeSync(fd);
    const idxPath = join(dir, 'big.ckpt.index');
    const fi = openSync(idxPath, 'w');
    writeSync(fi, table([[new Uint8Array(0), header()], ...entries]));
    closeSync(fi);
    const idx = await NodeFileSource.open(idxPath);
    const data = await NodeFileSource.open(dataPath);
    try {
      const v = await readTensorflow([idx, data]);
      console.log(`TensorFlow, ${data.size} bytes in 64 MiB chunks: ${await compare(data, v, data.size)}`);
    } finally {
      await idx.close();
      await data.close();
      rmSync(dataPath);
      rmSync(idxPath);
    }
  }, 600_000);

  it('ONNX, 1 GiB of raw_data initializers in the model file', async () => {
    const path = join(dir, 'big.onnx');
    const heads: Uint8Array[] = [];
    let graphLen = 0;
    for (let i = 0; i < TENSORS; i++) {
      const t = pb().int(1, TENSOR_BYTES / 4096).int(1, 1024).int(2, 1).bytes(8, `layer_${i}/w`).tag(9, 2).varint(TENSOR_BYTES).finish();
      const h = pb().tag(5, 2).varint(t.length + TENSOR_BYTES).rawBytes(t).finish();
      heads.push(h);
      graphLen += h.length + TENSOR_BYTES;
    }
    const fd = openSync(path, 'w');
    writeSync(fd, pb().int(1, 8).msg(8, pb().int(2, 13)).tag(7, 2).varint(graphLen).finish());
    for (const h of heads) {
      writeSync(fd, h);
      writeSync(fd, chunk);
    }
    closeSync(fd);
    const src = await NodeFileSource.open(path);
    try {
      const t0 = performance.now();
      const v = await readOnnx([src]);
      const open = performance.now() - t0;
      console.log(`ONNX raw_data, ${src.size} bytes in 64 MiB chunks: open ${open.toFixed(1)} ms; ${await compare(src, v, TENSORS * TENSOR_BYTES)}`);
    } finally {
      await src.close();
      rmSync(path);
    }
  }, 600_000);

  it('ONNX int32_data varints (decoded on read), 256 MiB of canonical bytes', async () => {
    const path = join(dir, 'varint.onnx');
    const n = 64 * 1024 * 1024; // int32 elements
    // values of 1..4 varint bytes, mixed, as an exporter writing int32_data would produce
    const block = pb();
    for (let i = 0; i < 1 << 16; i++) block.varint((i * 2654435761) % 0x7fffffff >>> (i % 4) * 7);
    const blk = block.finish();
    const reps = n / (1 << 16);
    const payload = blk.length * reps;
    const t = pb().int(1, n).int(2, 6).bytes(8, 'ids').tag(5, 2).varint(payload).finish();
    const init = pb().tag(5, 2).varint(t.length + payload).rawBytes(t).finish();
    const fd = openSync(path, 'w');
    writeSync(fd, pb().int(1, 8).tag(7, 2).varint(init.length + payload).finish());
    writeSync(fd, init);
    const big = new Uint8Array(blk.length * 64);
    for (let i = 0; i < 64; i++) big.set(blk, i * blk.length);
    for (let i = 0; i < reps / 64; i++) writeSync(fd, big);
    closeSync(fd);
    const src = await NodeFileSource.open(path);
    try {
      const v = await readOnnx([src]);
      console.log(`ONNX int32_data (${payload} bytes of varints -> ${4 * n} canonical bytes): ${await compare(src, v, 4 * n)} (MB/s of canonical output)`);
    } finally {
      await src.close();
      rmSync(path);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
