import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { countTestId, testIdText, uploadFiles, waitForTestId } from '../support/app-driver';
import { FIXTURES, fixtureJson } from '../support/fixtures';
import { tinyLlamaF32 } from '../support/tiny-llama';
import { readGguf } from '../../src/formats/gguf/reader';
import { planGgufSplit, writeGgufSplit } from '../../src/formats/gguf/split-writer';
import { MemorySinkFactory } from '../../src/io/byte-sink';
import { MemorySource } from '../../src/io/byte-source';

/**
 * Every format opens through the file input, several files at once where a model has parts, and
 * lists its tensors: counts as the tools that wrote the fixtures recorded them.
 */
let s: BrowserSession;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-fmt-'));
  s = await launch();
  await s.page.goto(`${inject('baseUrl')}/`);
});
afterAll(async () => {
  await s?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Opens files; `planRefusal` is the conversion refusal the page may show for this model instead of no error. */
async function open(files: string[], format: RegExp, planRefusal?: RegExp): Promise<number> {
  await uploadFiles(s.page, files);
  await s.page.waitForFunction(
    `(() => { const f = (function find(r){const h=r.querySelector('[data-testid="model-facts"]');if(h)return h;for(const e of r.querySelectorAll('*'))if(e.shadowRoot){const x=find(e.shadowRoot);if(x)return x;}return null;})(document); return f && ${format}.test(f.textContent); })()`,
    { polling: 200, timeout: 60_000 },
  );
  await waitForTestId(s.page, 'tensor-row');
  if (planRefusal) await waitForTestId(s.page, 'error', 30_000);
  const error = await testIdText(s.page, 'error');
  if (planRefusal) expect(error ?? '').toMatch(planRefusal);
  else expect(error).toBeNull();
  return countTestId(s.page, 'tensor-row');
}

describe('opening each format through the file input', () => {
  it('a PyTorch Lightning checkpoint (zip, nested, optimizer state)', async () => {
    const want = fixtureJson<{ checkpoints: Record<string, { tensors: unknown[] }> }>('pytorch/expected.json').checkpoints['lightning.ckpt']!.tensors.length;
    expect(await open([join(FIXTURES, 'pytorch', 'lightning.ckpt')], /pytorch/)).toBe(want);
  });

  it('a TensorFlow bundle: the index and two data shards', async () => {
    const want = fixtureJson<{ tensors: { name: string }[] }>('tensorflow/multi.expected.json').tensors.length;
    const files = ['multi.ckpt.index', 'multi.ckpt.data-00000-of-00002', 'multi.ckpt.data-00001-of-00002'].map((f) => join(FIXTURES, 'tensorflow', f));
    // it holds string, complex, unsigned and partitioned tensors on purpose: every tensor is listed,
    // and converting it is refused (naming them) until the user leaves them out
    expect(await open(files, /tensorflow/, /cannot be converted to GGUF .*DT_STRING: vocab.*leave out tensors that cannot be converted/)).toBe(want);
  });

  it('an ONNX model with its external data file', async () => {
    const want = fixtureJson<unknown[]>('onnx/external.expected.json').length;
    expect(await open([join(FIXTURES, 'onnx', 'external.onnx'), join(FIXTURES, 'onnx', 'external.onnx.data')], /onnx/)).toBe(want);
  });

  it('a GGUF split into three parts', async () => {
    const src = await readGguf([new MemorySource('in.gguf', await tinyLlamaF32())]);
    const parts = planGgufSplit({ metadata: src.metadata, tensors: src.tensors.map((t) => ({ name: t.name, type: t.type!, shape: t.shape })), maxTensorsPerPart: 8, prefix: 'tiny' });
    const sinks = new MemorySinkFactory();
    const w = await writeGgufSplit(parts, sinks);
    for (const t of src.tensors) await w.write(await t.read(0, t.nbytes));
    await w.finish();
    for (const p of parts) writeFileSync(join(work, p.name), sinks.sinks.get(p.name)!.bytes());
    expect(parts).toHaveLength(3);
    expect(await open(parts.map((p) => join(work, p.name)), /gguf/)).toBe(21);
  });
});
