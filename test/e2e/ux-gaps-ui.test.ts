import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { click, selectValue, testIdText, uploadFiles, waitForOutcome, waitForTestId } from '../support/app-driver';
import { axeSerious, FIND, FIND_ALL, manyTensorsGguf, screenshot } from '../support/ux';
import { fixtureBytes } from '../support/fixtures';
import { readGguf } from '../../src/formats/gguf/reader';
import { planGguf, writeGguf, type GgufTensorSpec } from '../../src/formats/gguf/writer';
import type { Metadata } from '../../src/formats/model';
import { MemorySink } from '../../src/io/byte-sink';
import { MemorySource } from '../../src/io/byte-source';
import { CPU_CODECS } from '../../src/codecs/registry';

/**
 * Three gaps of the page closed: a quantized tensor's decoded values in its detail, the GPU's
 * "Preparing GPU kernels" phase, and plan refusals that name what stopped them (and a type picker
 * that says "not possible" instead of working out a size forever).
 */
let s: BrowserSession;
let work: string;

const text = (id: string) => testIdText(s.page, id).then((t) => (t ?? '').replace(/\s+/g, ' ').trim());
async function waitText(id: string, re: RegExp, timeout = 60_000): Promise<void> {
  await s.page.waitForFunction(`(() => { const e = ${FIND}(document, ${JSON.stringify(id)}); return !!e && ${re}.test(e.textContent); })()`, { polling: 200, timeout });
}

const opened = (file: string) => s.page.waitForFunction(`(() => { const m = document.querySelector('kiln-app').controller.state.model; return !!m && m.files.includes(${JSON.stringify(file)}); })()`, { polling: 100, timeout: 60_000 });

/** The tiny llama with its 2-D matrices as real Q8_0 (encoded from the F16 weights by the CPU codec). */
async function tinyLlamaQ8(): Promise<Uint8Array> {
  const view = await readGguf([new MemorySource('tiny-llama-F16.gguf', fixtureBytes('gguf/tiny-llama-F16.gguf'))]);
  const metadata: Metadata = new Map(view.metadata);
  metadata.set('general.file_type', { type: 'u32', value: 7 });
  const specs: GgufTensorSpec[] = view.tensors.map((t) => ({ name: t.name, type: t.shape.length === 2 && t.shape[1]! % 32 === 0 ? 'Q8_0' : t.type!, shape: t.shape }));
  const plan = planGguf({ metadata, tensors: specs });
  const sink = new MemorySink('tiny-Q8_0.gguf');
  const w = await writeGguf(plan, sink);
  for (let i = 0; i < view.tensors.length; i++) {
    const t = view.tensors[i]!;
    const bytes = await t.read(0, t.nbytes);
    if (plan.tensors[i]!.type === t.type) {
      await w.write(bytes);
      continue;
    }
    const f = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
    CPU_CODECS[t.type!].decode!(bytes, f);
    const q = new Uint8Array(plan.tensors[i]!.nbytes);
    CPU_CODECS.Q8_0.encode!(f, q);
    await w.write(q);
  }
  await w.finish();
  return sink.bytes();
}

/** A llama GGUF with block_count whose one matrix has rows of 3 values: Q8_0 has no fallback for it. */
async function oddRowsLlama(): Promise<Uint8Array> {
  const metadata: Metadata = new Map([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: 'odd rows' }],
    ['llama.block_count', { type: 'u32', value: 1 }],
  ]);
  const tensors: GgufTensorSpec[] = [
    { name: 'blk.0.attn_q.weight', type: 'F32', shape: [64, 3] },
    { name: 'blk.0.attn_norm.weight', type: 'F32', shape: [64] },
  ];
  const plan = planGguf({ metadata, tensors });
  const sink = new MemorySink('odd-rows.gguf');
  const w = await writeGguf(plan, sink);
  for (const p of plan.tensors) {
    const f = new Float32Array(p.nbytes / 4);
    for (let j = 0; j < f.length; j++) f[j] = Math.sin(j) * 0.1;
    await w.write(new Uint8Array(f.buffer));
  }
  await w.finish();
  return sink.bytes();
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-gaps-'));
  s = await launch();
  await s.page.setViewport({ width: 1280, height: 900 });
  await s.page.goto(`${inject('baseUrl')}/`);
  await waitForTestId(s.page, 'landing');
});

afterAll(async () => {
  await s?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a quantized tensor’s detail', () => {
  it('shows the first rows’ decoded values, equal to the CPU decode of their blocks', async () => {
    const bytes = await tinyLlamaQ8();
    writeFileSync(join(work, 'tiny-Q8_0.gguf'), bytes);
    await uploadFiles(s.page, [join(work, 'tiny-Q8_0.gguf')]);
    await waitText('fact-quant', /Q8_0/);
    const view = await readGguf([new MemorySource('tiny-Q8_0.gguf', bytes)]);
    const t = view.tensors.find((x) => x.type === 'Q8_0')!;
    const idx = view.tensors.indexOf(t);
    await s.page.evaluate(`document.querySelector('kiln-app').controller.select(${idx})`);
    await waitForTestId(s.page, 'decoded-values');
    expect(await text('tensor-detail')).toContain(t.name);
    const shown = (await s.page.evaluate(`${FIND_ALL}(document, 'decoded-row', []).map((r) => ({ row: Number(r.dataset.row), block: r.querySelector('[data-testid=decoded-block]').textContent.trim(), values: [...r.querySelectorAll('[data-testid=decoded-value]')].map((c) => Number(c.dataset.value)) }))`)) as { row: number; block: string; values: number[] }[];
    expect(shown.length).toBe(4);
    const cols = t.shape[1]!;
    for (const r of shown) {
      expect(r.values.length).toBe(16);
      const block = (r.row * cols) / 32;
      expect(r.block).toBe(String(block));
      const want = new Float32Array(32);
      CPU_CODECS.Q8_0.decode!(await t.read(block * 34, 34), want);
      expect(r.values).toEqual([...want.subarray(0, 16)]);
      expect(r.values.some((v) => v !== 0)).toBe(true);
    }
    await screenshot(s.page, 'detail-decoded-values');
    const v = await axeSerious(s.page);
    expect(v, JSON.stringify(v, null, 1)).toEqual([]);
  });
});

describe('a GPU run', () => {
  it('shows "Preparing GPU kernels" before the first chunk', { timeout: 300_000 }, async () => {
    await click(s.page, 'open-sample');
    await waitText('fact-quant', /all F32/);
    await selectValue(s.page, 'engine-select', 'gpu');
    await selectValue(s.page, 'target-type', 'Q5_K_M');
    await s.page.evaluate(`window.__seen = []; window.__seenTimer = setInterval(() => { const c = ${FIND}(document, 'phases'); const cur = c && c.querySelector('[aria-current="step"]'); const t = ${FIND}(document, 'progress-text'); if (cur) window.__seen.push(cur.dataset.phase + '|' + cur.textContent + '|' + (t ? t.textContent : '')); }, 5);`);
    await click(s.page, 'convert');
    const out = await waitForOutcome(s.page);
    expect(out.error).toBeNull();
    const seen = (await s.page.evaluate(`(clearInterval(window.__seenTimer), window.__seen)`)) as string[];
    expect(seen.some((x) => /^prepare\|Preparing GPU kernels\|Preparing GPU kernels before the first chunk · GPU/.test(x)), seen.slice(0, 5).join('\n')).toBe(true);
    expect(seen.some((x) => x.startsWith('convert|'))).toBe(true);
    await selectValue(s.page, 'engine-select', 'cpu');
  });
});

describe('a refused plan', () => {
  it('names the tensor that stopped it in the sentence', async () => {
    writeFileSync(join(work, 'odd-rows.gguf'), await oddRowsLlama());
    await uploadFiles(s.page, [join(work, 'odd-rows.gguf')]);
    await opened('odd-rows.gguf');
    await selectValue(s.page, 'target-type', 'Q8_0');
    await waitText('error', /cannot make this output/);
    const sentence = (await s.page.evaluate(`${FIND}(document, 'error').querySelector('p strong').textContent`)) as string;
    expect(sentence).toMatch(/The tensor “blk\.0\.attn_q\.weight” stopped it: its rows of 3 values are not whole blocks of 32\./);
    await waitText('type-note', /Q8_0 for this model: not possible for this model/);
    await screenshot(s.page, 'error-plan-tensor');
  });

  it('a llama of 1-D tensors: Q4_K_M refused in words, the picker says "not possible" instead of working forever', async () => {
    writeFileSync(join(work, 'flat.gguf'), await manyTensorsGguf(20));
    await uploadFiles(s.page, [join(work, 'flat.gguf')]);
    await opened('flat.gguf');
    await selectValue(s.page, 'target-type', 'Q4_K_M');
    await waitText('error', /cannot make this output/);
    expect(await s.page.evaluate(`${FIND}(document, 'error').querySelector('p strong').textContent`)).toMatch(/lacks the metadata key “llama\.block_count”/);
    await waitText('type-note', /Q4_K_M for this model: not possible for this model/);
    const first = (await s.page.evaluate(`${FIND}(document, 'target-type').options[0].textContent`)) as string;
    expect(first).toMatch(/^Q4_K_M · not possible for this model/);
    await screenshot(s.page, 'error-plan-refused');
    const v = await axeSerious(s.page);
    expect(v, JSON.stringify(v, null, 1)).toEqual([]);
  });
});
