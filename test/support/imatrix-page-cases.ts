import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer';
import { launch, type BrowserSession } from './browser';
import { click, downloadAll, enableDownloads, opfsPaths, reveal, selectValue, setChecked, setText, testIdText, uploadFiles, waitForOutcome, waitForTestId } from './app-driver';
import { fixtureBytes } from './fixtures';
import { IMATRIX_CASES, type ImatrixCase } from './imatrix-cli-cases';
import { sha256 } from './tiny-llama';

/**
 * The tiny llama's llama-quantize --imatrix cases (../shared/models/tiny-llama/imatrix: 25 types
 * and presets, the .dat imatrix, include/exclude filters, --pure, --output-tensor-type, and
 * without an imatrix) done through the page as a user does it: model and imatrix picked with the
 * file inputs, the filters and options typed into their fields, engine "GPU". Each output is
 * byte-identical to llama-quantize's (sha256 from its case list) and made on the GPU alone (the
 * result names no CPU fallback); the two cases llama-quantize refuses are refused in the plan with
 * its words, and nothing is written. Also: the imatrix-only types are offered once an imatrix is
 * picked, the page says what the imatrix holds and covers, and both filters at once are refused.
 */
const FIND = `(function find(root, id) {
  const hit = root.querySelector('[data-testid="' + id + '"]');
  if (hit) return hit;
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) { const r = find(el.shadowRoot, id); if (r) return r; }
  }
  return null;
})`;

async function optionDisabled(page: Page, value: string): Promise<boolean | null> {
  return page.evaluate(`(() => { const s = ${FIND}(document, 'target-type'); const o = s && [...s.options].find((o) => o.value === ${JSON.stringify(value)}); return o ? o.disabled : null; })()`) as Promise<boolean | null>;
}

/** Registers the page tests, and one test per case that `pick` keeps, in one browser session. */
export function describeImatrixPage(title: string, pick: (c: ImatrixCase) => boolean): void {
  let s: BrowserSession;
  let work: string;
  /** The imatrix file the page holds now. */
  let picked: string | null = null;

  async function pickImatrix(name: string | null): Promise<void> {
    if (name === picked) return;
    if (name === null) {
      await click(s.page, 'imatrix-clear');
    } else {
      await waitForTestId(s.page, 'imatrix-file');
      const input = await s.page.evaluateHandle(`${FIND}(document, 'imatrix-file')`);
      await (input as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(join(work, name));
      await s.page.waitForFunction(`(() => { const e = ${FIND}(document, 'imatrix-name'); return !!e && e.textContent.includes(${JSON.stringify(name)}); })()`, { polling: 200, timeout: 30_000 });
    }
    picked = name;
  }

  /** llama-quantize's argv for the case, entered into the page's controls. */
  async function enterOptions(c: ImatrixCase): Promise<void> {
    const arg = (flag: string) => {
      const i = c.options.indexOf(flag);
      return i >= 0 ? c.options[i + 1]! : null;
    };
    await pickImatrix(arg('--imatrix'));
    if (picked !== null) {
      await setText(s.page, 'imatrix-include', arg('--include-weights') ?? '');
      await setText(s.page, 'imatrix-exclude', arg('--exclude-weights') ?? '');
    }
    await reveal(s.page, 'opt-pure');
    await setChecked(s.page, 'opt-pure', c.options.includes('--pure'));
    await setText(s.page, 'opt-output-tensor-type', arg('--output-tensor-type') ?? '');
    await selectValue(s.page, 'engine-select', 'gpu');
    await selectValue(s.page, 'target-format', 'gguf');
    await selectValue(s.page, 'target-type', c.type);
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kiln-e2e-imatrix-'));
    writeFileSync(join(work, 'tiny-llama-F16.gguf'), fixtureBytes('gguf/tiny-llama-F16.gguf'));
    writeFileSync(join(work, 'tiny-llama.imatrix.gguf'), fixtureBytes('imatrix/tiny-llama.imatrix.gguf'));
    writeFileSync(join(work, 'tiny-llama.imatrix.dat'), fixtureBytes('imatrix/tiny-llama.imatrix.dat'));
    s = await launch();
    await s.page.goto(`${inject('baseUrl')}/`);
    await uploadFiles(s.page, [join(work, 'tiny-llama-F16.gguf')]);
    await waitForTestId(s.page, 'tensor-row');
  });

  afterAll(async () => {
    await s?.close();
    rmSync(work, { recursive: true, force: true });
  });

  describe('imatrix picked in the page', () => {
    it('IQ2_XXS is offered only once an imatrix is picked; the page then says what the imatrix holds and covers', async () => {
      expect(await optionDisabled(s.page, 'IQ2_XXS')).toBe(true);
      await pickImatrix('tiny-llama.imatrix.gguf');
      await s.page.waitForFunction(`(() => { const s = ${FIND}(document, 'target-type'); const o = s && [...s.options].find((o) => o.value === 'IQ2_XXS'); return o && !o.disabled; })()`, { polling: 200, timeout: 30_000 });
      await selectValue(s.page, 'target-format', 'gguf');
      await selectValue(s.page, 'target-type', 'Q4_K_M');
      await waitForTestId(s.page, 'imatrix-facts');
      await s.page.waitForFunction(`(() => { const e = ${FIND}(document, 'imatrix-facts'); return !!e && /quantized tensors/.test(e.textContent); })()`, { polling: 200, timeout: 30_000 });
      const facts = (await testIdText(s.page, 'imatrix-facts'))!.replace(/\s+/g, ' ');
      // ../shared/models/tiny-llama/imatrix/README.md: 243 chunks of 128, 14 entries; token_embd and output not collected
      expect(facts).toContain('dataset calib.txt · 243 chunks of 128 tokens · 14 entries · GGUF format');
      expect(facts).toContain('weights for 14 of 16 quantized tensors');
      expect(facts).toMatch(/quantized without an entry: (output\.weight, token_embd\.weight|token_embd\.weight, output\.weight)/);
    }, 120_000);

    it('both filters at once are refused beside the fields, as llama-quantize refuses them', async () => {
      await setText(s.page, 'imatrix-include', 'attn_v');
      await setText(s.page, 'imatrix-exclude', 'ffn_down');
      await waitForTestId(s.page, 'imatrix-filter-error', 30_000);
      await s.page.waitForFunction(`(() => { const e = ${FIND}(document, 'error'); return !!e && /cannot be used together/.test(e.textContent); })()`, { polling: 200, timeout: 30_000 });
      await setText(s.page, 'imatrix-include', '');
      await setText(s.page, 'imatrix-exclude', '');
    }, 120_000);
  });

  describe(title, () => {
    for (const c of IMATRIX_CASES.filter(pick)) {
      it(`${c.case}: ${c.exit_code === 0 ? 'byte-identical, GPU only' : 'refused, nothing written'}`, async () => {
        const before = await opfsPaths(s.page);
        await enterOptions(c);
        if (c.exit_code !== 0) {
          const words = c.case.includes('pure') ? /iq2_xxs cannot be made without an importance matrix.*output\.weight/s : /Missing importance matrix for tensor blk\.0\.ffn_down\.weight in a very low-bit quantization/;
          await s.page.waitForFunction(`(() => { const e = ${FIND}(document, 'error'); return !!e && ${words}.test(e.textContent); })()`, { polling: 200, timeout: 60_000 });
          expect(await s.page.evaluate(`${FIND}(document, 'convert').disabled`)).toBe(true);
          expect(await opfsPaths(s.page), 'nothing written').toEqual(before);
          return;
        }
        const dl = mkdtempSync(join(work, 'dl-'));
        const cdp = await enableDownloads(s, dl);
        await click(s.page, 'convert');
        const out = await waitForOutcome(s.page, 300_000);
        expect(out.error).toBeNull();
        const done = (await testIdText(s.page, 'done-line'))!;
        expect(done, 'every tensor on the GPU').toMatch(/ on GPU \(/);
        expect(done, 'no CPU fallback').not.toMatch(/\+/);
        const files = await downloadAll(s.page, cdp, dl, 60_000);
        expect(files).toHaveLength(1);
        if (process.env.KILN_KEEP_PAGE_OUTPUTS) writeFileSync(join(process.env.KILN_KEEP_PAGE_OUTPUTS, files[0]!), readFileSync(join(dl, files[0]!)));
        expect(sha256(readFileSync(join(dl, files[0]!))), `${c.case}: ${files[0]}`).toBe(c.sha256);
        await cdp.detach();
      }, 400_000);
    }
  });
}
