import type { Page } from 'puppeteer';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { readGguf } from '../../src/formats/gguf/reader';
import { planGguf, writeGguf, type GgufTensorSpec } from '../../src/formats/gguf/writer';
import type { Metadata } from '../../src/formats/model';
import { MemorySink } from '../../src/io/byte-sink';
import { MemorySource } from '../../src/io/byte-source';
import { fixtureBytes } from './fixtures';

/** Screens the e2e tests save for people to look at (git-ignored). */
export const SCREENS = join('test-results', 'screens');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS, { recursive: true });
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true });
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** axe-core over the whole page (open shadow roots included); serious and critical violations. */
export async function axeSerious(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(AXE);
  const all = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target)) })))`)) as AxeViolation[];
  return all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Page-side: every element with data-testid through open shadow roots. */
export const FIND_ALL = `(function all(root, id, out) {
  for (const e of root.querySelectorAll('[data-testid="' + id + '"]')) out.push(e);
  for (const el of root.querySelectorAll('*')) if (el.shadowRoot) all(el.shadowRoot, id, out);
  return out;
})`;

export const FIND = `(function find(root, id) {
  const hit = root.querySelector('[data-testid="' + id + '"]');
  if (hit) return hit;
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) { const r = find(el.shadowRoot, id); if (r) return r; }
  }
  return null;
})`;

/** The focused element, through shadow roots. */
export const DEEP_ACTIVE = `(() => { let a = document.activeElement; while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement; return a; })()`;

/** A GGUF of `n` tiny F32 tensors in blocks of 10 (blk.N.tK.weight), for the table at scale. */
export async function manyTensorsGguf(n: number): Promise<Uint8Array> {
  const metadata: Metadata = new Map([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: `${n} small tensors` }],
  ]);
  const tensors: GgufTensorSpec[] = [];
  for (let i = 0; i < n; i++) tensors.push({ name: `blk.${Math.floor(i / 10)}.t${i % 10}.weight`, type: 'F32', shape: [1 + (i % 7)] });
  const plan = planGguf({ metadata, tensors });
  const sink = new MemorySink('many.gguf');
  const w = await writeGguf(plan, sink);
  for (const t of tensors) {
    const f = new Float32Array(t.shape[0]!);
    for (let j = 0; j < f.length; j++) f[j] = Math.sin(j + t.shape[0]!) * 0.1;
    await w.write(new Uint8Array(f.buffer));
  }
  await w.finish();
  return sink.bytes();
}

/**
 * The tiny llama (F16, with its tokenizer) plus a chat template; with `quantized`, its matrices as
 * Q8_0 (zero data: the plan's refusal to requantize needs no values).
 */
export async function tinyLlamaWith(opts: { chatTemplate?: string; quantized?: boolean }): Promise<Uint8Array> {
  const view = await readGguf([new MemorySource('tiny-llama-F16.gguf', fixtureBytes('gguf/tiny-llama-F16.gguf'))]);
  const metadata: Metadata = new Map(view.metadata);
  if (opts.chatTemplate) metadata.set('tokenizer.chat_template', { type: 'string', value: opts.chatTemplate });
  if (opts.quantized) metadata.set('general.file_type', { type: 'u32', value: 7 });
  const specs: GgufTensorSpec[] = view.tensors.map((t) => ({ name: t.name, type: opts.quantized && t.shape.length === 2 && t.shape[1]! % 32 === 0 ? 'Q8_0' : t.type!, shape: t.shape }));
  const plan = planGguf({ metadata, tensors: specs });
  const sink = new MemorySink('tiny.gguf');
  const w = await writeGguf(plan, sink);
  for (let i = 0; i < view.tensors.length; i++) {
    const t = view.tensors[i]!;
    const p = plan.tensors[i]!;
    await w.write(p.type === t.type ? await t.read(0, t.nbytes) : new Uint8Array(p.nbytes));
  }
  await w.finish();
  return sink.bytes();
}
