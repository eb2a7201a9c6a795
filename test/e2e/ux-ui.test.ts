import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { click, countTestId, reveal, selectValue, testIdText, uploadFiles, waitForOutcome, waitForTestId } from '../support/app-driver';
import { axeSerious, DEEP_ACTIVE, FIND, FIND_ALL, manyTensorsGguf, screenshot, tinyLlamaWith } from '../support/ux';

/**
 * The page as a person meets it: the landing, the summary, the tensor table and detail, the
 * metadata, the type picker, errors in words, progress and the result; every screen checked by
 * axe-core (no serious or critical violations) and saved under test-results/screens/.
 */
let s: BrowserSession;
let work: string;
const consoleErrors: string[] = [];
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
  s.page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  s.page.on('pageerror', (e) => consoleErrors.push(String(e)));
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
    // a 2-D tensor: its magnitude heat-map (computed in the worker; on the GPU when there is one)
    expect(await text('tensor-detail')).toMatch(/· \[\d+, \d+\] ·/);
    await waitForTestId(s.page, 'heatmap');
    const hb = (await evalFind('heatmap', 'e.scrollIntoView({ block: "nearest" }); const r = e.getBoundingClientRect(); return { x: r.x + 3, y: r.y + 3 };')) as { x: number; y: number };
    await s.page.mouse.move(hb.x, hb.y);
    await waitText('heatmap-readout', /^rows \d+–\d+, columns \d+–\d+: mean \|x\| [\d.e−-]+, max \|x\|/, 10_000).catch(async (e) => {
      throw new Error(`heat-map readout: ${await text('heatmap-readout')} at ${JSON.stringify(hb)}`, { cause: e });
    });
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
    await evalFind('meta-items', 'e.scrollIntoView({ block: "center" });');
    await s.page.waitForFunction(`${FIND}(document, 'meta-items').querySelectorAll('[role=listitem]').length > 5`, { polling: 100, timeout: 10_000 });
    const wordBreak = await s.page.evaluate(`getComputedStyle(${FIND_ALL}(document, 'meta-row', [])[0].children[0]).wordBreak`);
    expect(wordBreak).toBe('keep-all');
    await s.page.screenshot({ path: 'test-results/screens/metadata-expanded.png' });
    await screenshot(s.page, 'metadata');
    await audit('metadata');
  });
});

describe('errors in words', () => {
  it('a file that is not a model: a sentence beside the open controls, the open model stays', async () => {
    const title = await text('summary');
    writeFileSync(join(work, 'broken.gguf'), 'GGUF but not really');
    await uploadFiles(s.page, [join(work, 'broken.gguf')]);
    await waitText('error', /broken\.gguf/);
    expect(await evalFind<string>('error', 'return e.dataset.place;')).toBe('open');
    expect(await text('error')).toMatch(/could not be read as a model.*Check that the download finished/);
    expect(await text('error-detail')).toMatch(/^(Format|Unsupported)Error: gguf:/);
    expect(await evalFind<boolean>('error-detail', 'return e.closest("details").open;')).toBe(false);
    expect(await text('summary')).toBe(title);
    await screenshot(s.page, 'error-open');
    await audit('error-open');
  });

  it('an invalid option field is marked with the reason beside it', async () => {
    await reveal(s.page, 'opt-output-tensor-type');
    await evalFind('opt-output-tensor-type', 'e.value = "Q9_Z"; e.dispatchEvent(new Event("change", { bubbles: true, composed: true }));');
    await waitForTestId(s.page, 'opt-output-tensor-type-error');
    expect(await evalFind<string>('opt-output-tensor-type', 'return e.getAttribute("aria-invalid");')).toBe('true');
    expect(await text('opt-output-tensor-type-error')).toMatch(/unknown type 'Q9_Z'/);
    await screenshot(s.page, 'error-option');
    await audit('error-option');
    await evalFind('opt-output-tensor-type', 'e.value = ""; e.dispatchEvent(new Event("change", { bubbles: true, composed: true }));');
    await s.page.waitForFunction(`!${FIND}(document, 'opt-output-tensor-type-error')`, { polling: 200 });
  });

  it('an already-quantized input explains requantizing and offers it in place', async () => {
    writeFileSync(join(work, 'tiny-Q8_0.gguf'), await tinyLlamaWith({ quantized: true }));
    await uploadFiles(s.page, [join(work, 'tiny-Q8_0.gguf')]);
    await waitText('fact-quant', /Q8_0/);
    await selectValue(s.page, 'target-type', 'Q4_K_M');
    await waitForTestId(s.page, 'fix-allow-requantize');
    expect(await text('error')).toMatch(/already quantized/);
    expect(await evalFind<string>('error', 'return e.dataset.place;')).toBe('plan');
    await screenshot(s.page, 'error-requantize');
    await audit('error-requantize');
    await click(s.page, 'fix-allow-requantize');
    await s.page.waitForFunction(`!${FIND}(document, 'error') && !!${FIND}(document, 'plan')`, { polling: 200 });
    expect(await text('plan')).toMatch(/tiny-Q4_K_M\.gguf/);
    await evalFind('opt-allow-requantize', 'e.click();');
  });
});

describe('converting', () => {
  it('shows its phases, then the sizes before and after, bits per weight, time and speed', async () => {
    await click(s.page, 'open-sample');
    await waitText('fact-quant', /all F32/);
    await selectValue(s.page, 'engine-select', 'cpu');
    await waitText('engine', /Conversions run on \d+ CPU threads?, as chosen/);
    await selectValue(s.page, 'target-type', 'Q4_K_M');
    // record every phase the page shows while the run goes
    await s.page.evaluate(`window.__phases = new Set(); window.__phaseTimer = setInterval(() => { const p = ${FIND}(document, 'phases'); const c = p && p.querySelector('[aria-current="step"]'); if (c) window.__phases.add(c.dataset.phase); }, 5);`);
    await click(s.page, 'convert');
    const out = await waitForOutcome(s.page);
    expect(out.error).toBeNull();
    const phases = (await s.page.evaluate(`(clearInterval(window.__phaseTimer), [...window.__phases])`)) as string[];
    expect(phases.length).toBeGreaterThanOrEqual(2);
    expect(await text('result')).toMatch(/Before\s*5\.77 MB\s*After\s*[\d.]+ (kB|MB) \(\d+ %\)\s*Bits per weight\s*[45]\.\d\d\s*Time\s*[\d.]+ s\s*Speed\s*[\d.]+ MB\/s/);
    expect(await evalFind<boolean>('progress', 'return e.value === e.max;')).toBe(true);
    await screenshot(s.page, 'result');
    await audit('result');
  });

  it('the quantization error table: measured during the run, sortable, worst flagged, before/after overlaid; the GPU kernel agrees with the CPU twin', { timeout: 300_000 }, async () => {
    type Q = { name: string; rmse: number; cosine: number; snrDb: number; maxAbsError: number };
    const quality = () => s.page.evaluate(`document.querySelector('kiln-app').controller.state.result.quality`) as Promise<Q[]>;
    await waitForTestId(s.page, 'quality-table');
    const cpu = await quality();
    expect(cpu.length).toBeGreaterThan(3);
    for (const q of cpu) {
      expect(q.rmse).toBeGreaterThan(0);
      expect(q.cosine).toBeGreaterThan(0.9);
      expect(q.snrDb).toBeGreaterThan(10);
    }
    // sorted by SNR ascending at first: the flagged rows come first
    const rows = () => s.page.evaluate(`${FIND_ALL}(document, 'quality-row', []).map((r) => [r.dataset.name, r.dataset.worst])`) as Promise<[string, string][]>;
    const first = await rows();
    expect(first.length).toBe(cpu.length);
    const lowest = [...cpu].sort((a, b) => a.snrDb - b.snrDb)[0]!.name;
    expect(first[0]).toEqual([lowest, 'true']);
    expect(first.filter(([, w]) => w === 'true').length).toBeGreaterThanOrEqual(1);
    await click(s.page, 'quality-sort-rmse');
    await click(s.page, 'quality-sort-rmse');
    const byRmse = (await rows()).map(([n]) => n);
    expect(byRmse[0]).toBe([...cpu].sort((a, b) => b.rmse - a.rmse)[0]!.name);
    await evalFind('quality-compare', 'e.click();');
    await waitForTestId(s.page, 'quality-overlay');
    await s.page.waitForFunction(`!!${FIND}(document, 'overlay-after')`, { polling: 200 });
    await evalFind('quality-table', 'e.scrollIntoView({ block: "start" });');
    await screenshot(s.page, 'result-quality');
    await audit('result-quality');
    // the same run on the GPU: the WGSL kernel's numbers equal the CPU twin's within the shader's bound
    await selectValue(s.page, 'engine-select', 'gpu');
    await click(s.page, 'convert');
    const out = await waitForOutcome(s.page);
    expect(out.error).toBeNull();
    const engine = (await s.page.evaluate(`document.querySelector('kiln-app').controller.state.result.engine`)) as string;
    expect(engine).toMatch(/GPU/);
    const gpu = await quality();
    expect(gpu.map((q) => q.name)).toEqual(cpu.map((q) => q.name));
    for (let i = 0; i < gpu.length; i++) {
      expect(Math.abs(gpu[i]!.rmse - cpu[i]!.rmse) / cpu[i]!.rmse).toBeLessThan(5e-7);
      expect(Math.abs(gpu[i]!.snrDb - cpu[i]!.snrDb)).toBeLessThan(2e-5);
      expect(Math.abs(gpu[i]!.cosine - cpu[i]!.cosine)).toBeLessThan(2e-6);
    }
    await selectValue(s.page, 'engine-select', 'cpu');
  });

  it('cancel: a neutral notice, and the bar stays where the run stopped', async () => {
    writeFileSync(join(work, 'slow.safetensors'), rampSafetensors([[4096, 2048], [4096, 2048]]));
    await uploadFiles(s.page, [join(work, 'slow.safetensors')]);
    await waitText('fact-parameters', /16\.8 M/);
    // the software GPU is the slow engine here: the run is still going when cancel lands
    await selectValue(s.page, 'engine-select', 'gpu');
    await selectValue(s.page, 'target-format', 'gguf');
    await selectValue(s.page, 'target-type', 'Q6_K');
    await click(s.page, 'convert');
    await s.page.waitForFunction(`(() => { const p = ${FIND}(document, 'progress'); return (p && p.value > 0) || !!${FIND}(document, 'download'); })()`, { polling: 20 });
    await screenshot(s.page, 'progress');
    expect(await s.page.evaluate(`(() => { const c = ${FIND}(document, 'cancel'); if (!c) return 'finished before cancel'; c.click(); return 'cancelled'; })()`)).toBe('cancelled');
    await waitForTestId(s.page, 'cancelled');
    expect(await text('cancelled')).toBe('Cancelled, nothing was written.');
    expect(await testIdText(s.page, 'error')).toBeNull();
    expect(await evalFind<boolean>('progress', 'return e.value < e.max;')).toBe(true);
    expect(await text('progress-text')).toMatch(/^Stopped after/);
    await screenshot(s.page, 'cancelled');
    await audit('cancelled');
  });
});

describe('at scale and at 800 px', () => {
  it('a GGUF of 50,000 tensors: virtualized rows, smooth scrolling, quick sorting', { timeout: 300_000 }, async () => {
    writeFileSync(join(work, 'many.gguf'), await manyTensorsGguf(50_000));
    const open0 = Date.now();
    await uploadFiles(s.page, [join(work, 'many.gguf')]);
    await waitText('tensor-count', /50,000/, 60_000).catch(async (e) => {
      const st = await s.page.evaluate(`(() => { const c = document.querySelector('kiln-app').controller.state; return JSON.stringify({ opening: c.opening, converting: c.converting, files: c.model && c.model.files, problem: c.problem }); })()`);
      throw new Error(`50k model not shown: ${st}; count ${await text('tensor-count')}`, { cause: e });
    });
    const openMs = Date.now() - open0;
    // the virtualizer renders what is in the window: bring the table into view, as a person scrolls
    await evalFind('tensor-table', 'e.scrollIntoView({ block: "start" });');
    await s.page.waitForFunction(`${FIND_ALL}(document, 'tensor-row', []).length > 0`, { polling: 100 });
    expect(await countTestId(s.page, 'tensor-row')).toBeLessThan(200);
    // the worker's type-picker sizes compete for this machine's two cores; measure after them
    await s.page.waitForFunction(`document.querySelector('kiln-app').controller.state.estimates.size > 0`, { polling: 200 });
    const sizesMs = Date.now() - open0;
    // scroll through the list a frame at a time; the longest frame must stay short
    const worst = (await s.page.evaluate(`(async () => {
      const v = ${FIND}(document, 'tensor-table').querySelector('lit-virtualizer');
      const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
      let last = await frame(); const gaps = [];
      for (let i = 1; i <= 40; i++) { v.scrollTop = (v.scrollHeight * i) / 41; const t = await frame(); gaps.push(t - last); last = t; }
      gaps.sort((a, b) => a - b);
      return [gaps[gaps.length - 1], gaps[20]];
    })()`)) as [number, number];
    // two loaded cores and a software compositor, with another test file's conversion beside this
    // one (worst frame 105 ms alone, 416 ms beside the 1.1 GB responsiveness run): these bounds
    // catch a table that renders all 50k rows (seconds per frame), not the machine's noise; the
    // frame times themselves are printed below
    expect(worst[1]).toBeLessThan(250);
    expect(worst[0]).toBeLessThan(1500);
    const t0 = Date.now();
    await click(s.page, 'sort-size');
    await s.page.waitForFunction(`${FIND_ALL}(document, 'tensor-row', []).length > 0 && /▼/.test(${FIND}(document, 'sort-size').textContent)`, { polling: 20 });
    const sortMs = Date.now() - t0;
    expect(sortMs).toBeLessThan(3000);
    await s.page.evaluate(`(() => { const e = ${FIND}(document, 'tensor-filter'); e.value = 'blk.4999*'; e.dispatchEvent(new Event('input', { bubbles: true, composed: true })); })()`);
    await waitText('tensor-count', /10 of 50,000/);
    console.log(`50k tensors: shown ${openMs} ms after upload, type-picker sizes after ${sizesMs} ms, worst scroll frame ${worst[0].toFixed(0)} ms (median ${worst[1].toFixed(0)}), sort ${sortMs} ms`);
    await screenshot(s.page, 'tensors-50k');
    await audit('tensors-50k');
  });

  it('800 px wide: one column, the detail as a sheet in view, nothing wider than the window', async () => {
    await s.page.setViewport({ width: 800, height: 900 });
    await click(s.page, 'open-sample');
    await waitText('fact-quant', /all F32/);
    // as a person would: scroll to a row low in the table, click it
    await s.page.evaluate(`(() => { const r = ${FIND_ALL}(document, 'tensor-row', []).at(-1); r.scrollIntoView({ block: 'center' }); r.click(); })()`);
    await waitForTestId(s.page, 'histogram');
    const inView = await evalFind<boolean>('tensor-detail', 'const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight;');
    expect(inView).toBe(true);
    expect(await s.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(800);
    await screenshot(s.page, 'narrow-800');
    await audit('narrow-800');
    await s.page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    await screenshot(s.page, 'narrow-800-dark');
    await audit('narrow-800-dark');
    await s.page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  });
});

describe('the console', () => {
  it('logged no errors (no CSP violations, no exceptions)', () => {
    expect(consoleErrors).toEqual([]);
  });
});

/** A safetensors file of F32 tensors t0, t1, ... with these shapes, filled with a sine ramp. */
function rampSafetensors(shapes: number[][]): Uint8Array {
  const header: Record<string, unknown> = {};
  let at = 0;
  shapes.forEach((shape, i) => {
    const bytes = shape.reduce((a, b) => a * b, 4);
    header[`t${i}`] = { dtype: 'F32', shape, data_offsets: [at, at + bytes] };
    at += bytes;
  });
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  const f = new Float32Array(at / 4);
  for (let i = 0; i < f.length; i++) f[i] = Math.sin(i * 0.001) * 0.05;
  out.set(new Uint8Array(f.buffer), 8 + json.length);
  return out;
}
