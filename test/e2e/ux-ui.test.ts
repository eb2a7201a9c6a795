import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { click, countTestId, selectValue, testIdText, uploadFiles, waitForTestId } from '../support/app-driver';
import { axeSerious, DEEP_ACTIVE, FIND, FIND_ALL, screenshot, tinyLlamaWith } from '../support/ux';

/**
 * The page as a person meets it: the landing, the summary, the tensor table and detail, the
 * metadata, the type picker, errors in words, progress and the result; every screen checked by
 * axe-core (no serious or critical violations) and saved under test-results/screens/.
 */
let s: BrowserSession;
let work: string;
const axeLog: Record<string, number> = {};

async function audit(name: string): Promise<void> {
  const v = await axeSerious(s.page);
  axeLog[name] = v.length;
  expect(v, JSON.stringify(v, null, 1)).toEqual([]);
}

const text = (id: string) => testIdText(s.page, id).then((t) => (t ?? '').replace(/\s+/g, ' ').trim());
const evalFind = <T>(id: string, body: string) => s.page.evaluate(`(() => { const e = ${FIND}(document, ${JSON.stringify(id)}); ${body} })()`) as Promise<T>;

async function waitText(id: string, re: RegExp, timeout = 60_000): Promise<void> {
  await s.page.waitForFunction(`(() => { const e = ${FIND}(document, ${JSON.stringify(id)}); return !!e && ${re}.test(e.textContent); })()`, { polling: 200, timeout });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-ux-'));
  s = await launch();
  await s.page.setViewport({ width: 1280, height: 900 });
  await s.page.goto(`${inject('baseUrl')}/`);
});

afterAll(async () => {
  console.log('axe serious+critical per screen:', JSON.stringify(axeLog));
  await s?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('landing', () => {
  it('says what Kiln does, that nothing leaves the machine, the three ways in and the formats', async () => {
    await waitForTestId(s.page, 'landing');
    expect(await text('tagline')).toMatch(/Nothing leaves this machine/);
    expect(await text('formats')).toMatch(/GGUF.*safetensors.*PyTorch.*TensorFlow.*ONNX/);
    expect(await countTestId(s.page, 'open-files')).toBe(1);
    expect(await countTestId(s.page, 'open-folder')).toBe(1);
    expect(await countTestId(s.page, 'open-sample')).toBe(1);
    await waitText('engine', /Conversions run on/);
    await screenshot(s.page, 'landing');
    await audit('landing');
  });

  it('shows where the keyboard focus is', async () => {
    await s.page.keyboard.press('Tab');
    const outline = (await s.page.evaluate(`(() => { const a = ${DEEP_ACTIVE}; const l = a.closest('label') ?? a; return getComputedStyle(l).outlineStyle; })()`)) as string;
    expect(outline).toBe('solid');
    await screenshot(s.page, 'landing-focus');
  });

  it('follows a dark colour scheme', async () => {
    await s.page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    const bg = (await s.page.evaluate(`getComputedStyle(document.querySelector('kiln-app')).backgroundColor`)) as string;
    const [r, g, b] = bg.match(/\d+/g)!.map(Number);
    expect(r! + g! + b!).toBeLessThan(150);
    await screenshot(s.page, 'landing-dark');
    await audit('landing-dark');
    await s.page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  });
});

describe('the sample model', () => {
  it('opens to a summary card', async () => {
    await click(s.page, 'open-sample');
    await waitForTestId(s.page, 'summary');
    expect(await text('fact-architecture')).toBe('llama');
    expect(await text('fact-quant')).toMatch(/all F32/);
    expect(await text('fact-layers')).toMatch(/^\d+$/);
    expect(await text('fact-context')).toBe('256');
    expect(await text('fact-bpw')).toBe('32.00');
    expect(await text('fact-parameters')).toMatch(/\d (k|M)$/);
    await waitForTestId(s.page, 'plan');
  });

  it('picks Q4_K_M for a float model, groups the types and gives this model’s sizes', async () => {
    expect(await evalFind<string>('target-type', 'return e.value;')).toBe('Q4_K_M');
    const groups = await evalFind<{ label: string; options: string[] }[]>('target-type', 'return [...e.querySelectorAll("optgroup")].map((g) => ({ label: g.label, options: [...g.querySelectorAll("option")].map((o) => o.value) }));');
    expect(groups[0]).toEqual({ label: 'Recommended', options: ['Q4_K_M', 'Q5_K_M', 'Q6_K', 'Q8_0'] });
    expect(groups.at(-1)!.label).toMatch(/Specialised/);
    await s.page.waitForFunction(`(() => { const e = ${FIND}(document, 'target-type'); return /bpw/.test(e.options[0].textContent); })()`, { polling: 200, timeout: 60_000 });
    const first = await evalFind<string>('target-type', 'return e.options[0].textContent;');
    expect(first).toMatch(/Q4_K_M · [\d.]+ (kB|MB) · [45]\.\d\d bpw — recommended/);
    expect(await text('type-note')).toMatch(/Q4_K_M for this model: [\d.]+ (kB|MB) \([\d.]+ bits per weight\)/);
    expect(await text('plan')).toMatch(/kiln-sample-llama-Q4_K_M\.gguf/);
    await screenshot(s.page, 'summary');
    await audit('summary');
  });

  it('sorts, filters by glob and type, groups by block', async () => {
    await click(s.page, 'sort-size');
    const sizes = (await s.page.evaluate(`${FIND_ALL}(document, 'tensor-row', []).slice(0, 3).map((r) => r.children[0].textContent)`)) as string[];
    expect(sizes[0]).toMatch(/token_embd|output\.weight/);
    await s.page.evaluate(`(() => { const e = ${FIND}(document, 'tensor-filter'); e.value = 'blk.*.attn_q*'; e.dispatchEvent(new Event('input', { bubbles: true, composed: true })); })()`);
    await waitText('tensor-count', / of /);
    const layers = Number(await text('fact-layers'));
    expect(await countTestId(s.page, 'tensor-row')).toBe(layers);
    await screenshot(s.page, 'tensors-sorted-filtered');
    await s.page.evaluate(`(() => { const e = ${FIND}(document, 'tensor-filter'); e.value = ''; e.dispatchEvent(new Event('input', { bubbles: true, composed: true })); })()`);
    await selectValue(s.page, 'tensor-type-filter', 'F32');
    await s.page.evaluate(`(() => { const e = ${FIND}(document, 'tensor-group'); e.click(); })()`);
    expect(await countTestId(s.page, 'tensor-group-row')).toBeGreaterThan(layers - 1);
    await screenshot(s.page, 'tensors-grouped');
    await audit('tensors');
    await s.page.evaluate(`(() => { const e = ${FIND}(document, 'tensor-group'); e.click(); })()`);
    await click(s.page, 'sort-reset');
  });

  it('opens a tensor from the keyboard and keeps its detail in view', async () => {
    await evalFind('tensor-row', 'e.focus();');
    for (let i = 0; i < 5; i++) await s.page.keyboard.press('ArrowDown');
    const name = (await s.page.evaluate(`${DEEP_ACTIVE}.children[0].textContent`)) as string;
    await s.page.keyboard.press('Enter');
    await waitForTestId(s.page, 'histogram');
    expect(await text('tensor-detail')).toContain(name);
    const inView = await evalFind<boolean>('tensor-detail', 'const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight && r.bottom > 0;');
    expect(inView).toBe(true);
    expect(await countTestId(s.page, 'x-tick')).toBeGreaterThanOrEqual(3);
    expect(await countTestId(s.page, 'y-tick')).toBeGreaterThanOrEqual(2);
    expect(await countTestId(s.page, 'zero-mark')).toBe(1);
    // bins suit the element count: the power of two nearest its square root, 8 to 256
    const elements = Number((await text('stats')).match(/elements\s*([\d,]+)/)![1]!.replace(/,/g, ''));
    const want = Math.min(256, Math.max(8, 2 ** Math.round(Math.log2(Math.sqrt(elements)))));
    expect(await countTestId(s.page, 'bin')).toBe(want);
    const box = (await evalFind('histogram', 'e.scrollIntoView({ block: "nearest" }); const r = e.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 };')) as { x: number; y: number };
    await s.page.mouse.move(box.x, box.y);
    await waitText('bin-readout', /\[.*\): [\d,]+ values/, 10_000).catch(async (e) => {
      throw new Error(`hover readout: ${await text('bin-readout')} at ${JSON.stringify(box)}`, { cause: e });
    });
    await click(s.page, 'scale-log');
    await screenshot(s.page, 'detail-histogram');
    await audit('detail');
  });
});

describe('metadata', () => {
  it('is searchable, expands long arrays and renders the chat template', async () => {
    const template = "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}{{ eos_token }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}";
    writeFileSync(join(work, 'tiny-chat.gguf'), await tinyLlamaWith({ chatTemplate: template }));
    await uploadFiles(s.page, [join(work, 'tiny-chat.gguf')]);
    await waitForTestId(s.page, 'chat-rendered');
    expect(await text('chat-rendered')).toMatch(/<\|user\|> What does a kiln do\?/);
    expect(await text('fact-tokenizer'.replace('fact-tokenizer', 'fact-vocab'))).toMatch(/\d+ \(llama\)/);
    await s.page.evaluate(`(() => { const e = ${FIND}(document, 'meta-search'); e.value = 'tokenizer.ggml'; e.dispatchEvent(new Event('input', { bubbles: true, composed: true })); })()`);
    await s.page.waitForFunction(`${FIND_ALL}(document, 'meta-row', []).every((r) => r.textContent.includes('tokenizer'))`, { polling: 200 });
    await click(s.page, 'meta-expand');
    await waitForTestId(s.page, 'meta-items');
    const wordBreak = await s.page.evaluate(`getComputedStyle(${FIND_ALL}(document, 'meta-row', [])[0].children[0]).wordBreak`);
    expect(wordBreak).toBe('keep-all');
    await screenshot(s.page, 'metadata');
    await audit('metadata');
  });
});
