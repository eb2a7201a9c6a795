import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer';
import { launch, type BrowserSession } from '../support/browser';
import { click, downloadAll, enableDownloads, selectValue, uploadFiles, waitForOutcome, waitForTestId } from '../support/app-driver';
import { fixtureBytes, fixtureJson } from '../support/fixtures';
import { sha256, tinyLlamaF32 } from '../support/tiny-llama';

/**
 * An importance matrix picked beside the model in the page: the tiny llama's F32 GGUF with
 * tiny-llama.imatrix.gguf converts to IQ2_XXS (offered only once the imatrix is there), IQ2_XS,
 * Q4_K_M, IQ3_XXS, IQ3_S and IQ2_S, each byte-identical to llama-quantize --imatrix (sha256 from the fixtures' case list;
 * llama-quantize ran on the F16 model, whose values the F32 one holds exactly).
 */
const { cases } = fixtureJson<{ cases: { case: string; sha256?: string }[] }>('imatrix/llama-quantize-cases.json');
const want = (c: string) => cases.find((x) => x.case === c)!.sha256!;

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

let s: BrowserSession;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-imatrix-'));
  writeFileSync(join(work, 'tiny-llama-F32.gguf'), await tinyLlamaF32());
  writeFileSync(join(work, 'tiny-llama.imatrix.gguf'), fixtureBytes('imatrix/tiny-llama.imatrix.gguf'));
  s = await launch();
  await s.page.goto(`${inject('baseUrl')}/`);
  await uploadFiles(s.page, [join(work, 'tiny-llama-F32.gguf')]);
  await waitForTestId(s.page, 'tensor-row');
});

afterAll(async () => {
  await s?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('imatrix picked in the page: llama-quantize --imatrix byte for byte', () => {
  it('IQ2_XXS is offered only once an imatrix is picked', async () => {
    expect(await optionDisabled(s.page, 'IQ2_XXS')).toBe(true);
    await waitForTestId(s.page, 'imatrix-file');
    const input = await s.page.evaluateHandle(`${FIND}(document, 'imatrix-file')`);
    await (input as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(join(work, 'tiny-llama.imatrix.gguf'));
    await waitForTestId(s.page, 'imatrix-name');
    await s.page.waitForFunction(`(() => { const s = ${FIND}(document, 'target-type'); const o = s && [...s.options].find((o) => o.value === 'IQ2_XXS'); return o && !o.disabled; })()`, { polling: 200, timeout: 30_000 });
  }, 120_000);

  for (const [type, c] of [
    // IQ2_XXS and IQ2_XS: weighted-only WGSL kernels (CompositeEngine sends weighted chunks to the GPU)
    ['IQ2_XXS', 'IQ2_XXS-imat'],
    ['IQ2_XS', 'IQ2_XS-imat'],
    ['Q4_K_M', 'Q4_K_M-imat'],
    // the grid-search encoders' weighted WGSL kernels (GpuEngine takes their weights)
    ['IQ3_XXS', 'IQ3_XXS-imat'],
    ['IQ3_S', 'IQ3_S-imat'],
    ['IQ2_S', 'IQ2_S-imat'],
  ] as const) {
    it(`${type} with the imatrix equals llama-quantize's ${c}`, async () => {
      const dl = mkdtempSync(join(work, 'dl-'));
      const cdp = await enableDownloads(s, dl);
      await selectValue(s.page, 'engine-select', 'gpu');
      await selectValue(s.page, 'target-format', 'gguf');
      await selectValue(s.page, 'target-type', type);
      await click(s.page, 'convert');
      const out = await waitForOutcome(s.page, 300_000);
      expect(out.error).toBeNull();
      const files = await downloadAll(s.page, cdp, dl, 60_000);
      expect(files).toEqual([`tiny-llama-${type}.gguf`]);
      expect(sha256(readFileSync(join(dl, files[0]!)))).toBe(want(c));
    }, 400_000);
  }
});
