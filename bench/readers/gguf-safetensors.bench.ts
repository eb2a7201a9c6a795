import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileSource } from '../../src/io/node/file-source';
import { NodeFileSink } from '../../src/io/node/file-sink';
import { readGguf } from '../../src/formats/gguf/reader';
import { planGguf, writeGguf } from '../../src/formats/gguf/writer';
import { readSafetensors } from '../../src/formats/safetensors/reader';
import { planSafetensors, writeSafetensors } from '../../src/formats/safetensors/writer';
import type { ModelView } from '../../src/formats/model';
import { buildGguf } from '../../test/unit/formats/gguf-builder';

/**
 * Read throughput of each reader on a generated 1.5 GiB file versus a plain sequential read of
 * the same file in the same run (both from the page cache after the write). Opt-in, since it
 * writes 4.5 GiB to the temp folder; part of npm run bench.
 */
const ON = process.env.KILN_THROUGHPUT === '1';
const CHUNK = 64 * 1024 * 1024;
const TENSORS = 24; // x 64 MiB = 1.5 GiB
const dir = ON ? mkdtempSync(join(tmpdir(), 'kiln-tp-')) : '';
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

const pattern = new Uint8Array(CHUNK).map((_, i) => (i * 131 + 7) & 0xff);
const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);

async function plainRead(path: string): Promise<{ bytes: number; ms: number }> {
  const fh = await open(path, 'r');
  const buf = new Uint8Array(CHUNK);
  const t0 = performance.now();
  let pos = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
  }
  await fh.close();
  return { bytes: pos, ms: performance.now() - t0 };
}

async function readerRead(path: string, openView: (s: NodeFileSource) => Promise<ModelView>): Promise<{ bytes: number; ms: number }> {
  const src = await NodeFileSource.open(path);
  const t0 = performance.now();
  const view = await openView(src);
  let bytes = 0;
  for (const t of view.tensors) {
    for (let o = 0; o < t.nbytes; o += CHUNK) bytes += (await t.read(o, Math.min(CHUNK, t.nbytes - o))).length;
  }
  const ms = performance.now() - t0;
  await src.close();
  return { bytes, ms };
}

/** The same 64 MiB reads straight from NodeFileSource, to separate the source's cost from the reader's. */
async function sourceRead(path: string): Promise<{ bytes: number; ms: number }> {
  const src = await NodeFileSource.open(path);
  const t0 = performance.now();
  let bytes = 0;
  for (let o = 0; o < src.size; o += CHUNK) bytes += (await src.read(o, Math.min(CHUNK, src.size - o))).length;
  const ms = performance.now() - t0;
  await src.close();
  return { bytes, ms };
}

async function compare(label: string, path: string, openView: (s: NodeFileSource) => Promise<ModelView>): Promise<void> {
  const plain1 = await plainRead(path);
  const r = await readerRead(path, openView);
  const raw = await sourceRead(path);
  const plain2 = await plainRead(path);
  console.info(
    `${label}: reader ${mbps(r.bytes, r.ms)} MB/s (${(r.bytes / 2 ** 30).toFixed(2)} GiB in ${r.ms.toFixed(0)} ms); ` +
      `NodeFileSource alone ${mbps(raw.bytes, raw.ms)} MB/s; ` +
      `plain sequential read into one reused buffer ${mbps(plain1.bytes, plain1.ms)} / ${mbps(plain2.bytes, plain2.ms)} MB/s (before / after)`,
  );
  expect(r.bytes).toBe(TENSORS * CHUNK);
}

describe.skipIf(!ON)('read throughput on 1.5 GiB files (opt-in)', () => {
  it('GGUF (little-endian, written by our streaming writer)', async () => {
    const plan = planGguf({ metadata: new Map(), tensors: Array.from({ length: TENSORS }, (_, i) => ({ name: `t${i}`, type: 'F16' as const, shape: [CHUNK / 2 / 4096, 4096] })) });
    const path = join(dir, 'big.gguf');
    const t0 = performance.now();
    const w = await writeGguf(plan, await NodeFileSink.create(path));
    for (let i = 0; i < TENSORS; i++) await w.write(pattern);
    await w.finish();
    console.info(`GGUF writer: ${mbps(plan.totalSize, performance.now() - t0)} MB/s to ${path}`);
    await compare('GGUF', path, (s) => readGguf([s]));
    rmSync(path);
  }, 600_000);

  it('GGUF big-endian F16 (per-element byte swap on read)', async () => {
    const path = join(dir, 'big-be.gguf');
    const head = buildGguf({ le: false, tensors: Array.from({ length: TENSORS }, (_, i) => ({ name: `t${i}`, ne: [4096, CHUNK / 2 / 4096], type: 1, offset: i * CHUNK })) });
    const fh = await open(path, 'w');
    await fh.write(head, 0, head.length, 0);
    for (let i = 0; i < TENSORS; i++) await fh.write(pattern, 0, CHUNK, head.length + i * CHUNK);
    await fh.close();
    await compare('GGUF big-endian F16', path, (s) => readGguf([s]));
    rmSync(path);
  }, 600_000);

  it('safetensors (written by our streaming writer)', async () => {
    const plan = planSafetensors({ tensors: Array.from({ length: TENSORS }, (_, i) => ({ name: `t${i}`, type: 'BF16' as const, shape: [CHUNK / 2 / 4096, 4096] })) });
    const path = join(dir, 'big.safetensors');
    const t0 = performance.now();
    const w = await writeSafetensors(plan, await NodeFileSink.create(path));
    for (let i = 0; i < TENSORS; i++) await w.write(pattern);
    await w.finish();
    console.info(`safetensors writer: ${mbps(plan.totalSize, performance.now() - t0)} MB/s to ${path}`);
    await compare('safetensors', path, (s) => readSafetensors([s]));
    rmSync(path);
  }, 600_000);
});
