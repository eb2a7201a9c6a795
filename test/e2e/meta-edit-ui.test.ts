import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { click, countTestId, downloadAll, enableDownloads, selectValue, testIdText, uploadFiles, waitForOutcome, waitForTestId } from '../support/app-driver';
import { fixtureBytes } from '../support/fixtures';
import { axeSerious, FIND, screenshot } from '../support/ux';

/**
 * GGUF metadata editing through the page: a key changed, one added with a 64-bit type, one removed,
 * an invalid value refused beside its field; the copy is saved, downloaded and read by an
 * independent Python parser: the keys as edited, every tensor's bytes as in the input.
 */
let s: BrowserSession;
let work: string;
const PY = join('test', 'support', 'independent', 'gguf_dump.py');
type Dump = { kv: Record<string, [string, unknown]>; tensors: Record<string, [number, number[], string]> };

const type = (id: string, value: string) =>
  s.page.evaluate(`(() => { const e = ${FIND}(document, ${JSON.stringify(id)}); e.value = ${JSON.stringify(value)}; e.dispatchEvent(new Event('input', { bubbles: true, composed: true })); })()`);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-meta-'));
  s = await launch();
  await s.page.setViewport({ width: 1280, height: 900 });
  await s.page.goto(`${inject('baseUrl')}/`);
});

afterAll(async () => {
  await s?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('editing GGUF metadata', () => {
  it('change, add, remove; an invalid value is refused in words; the saved copy has the edits and the same tensors', { timeout: 300_000 }, async () => {
    const input = join(work, 'tiny-llama-F16.gguf');
    writeFileSync(input, fixtureBytes('gguf/tiny-llama-F16.gguf'));
    await uploadFiles(s.page, [input]);
    await waitForTestId(s.page, 'meta-edit');
    await s.page.evaluate(`${FIND}(document, 'meta-edit').open = true`);

    // an existing key fills its type and value; change it
    await type('meta-edit-key', 'general.name');
    expect(await s.page.evaluate(`${FIND}(document, 'meta-edit-value').value`)).toBe('tiny-llama-oracle');
    await type('meta-edit-value', 'Edited in Kiln');
    await click(s.page, 'meta-edit-set');
    // a new key with a type; first a value that does not fit it
    await type('meta-edit-key', 'kiln.test.layers');
    await selectValue(s.page, 'meta-edit-type', 'u8');
    await type('meta-edit-value', '300');
    await click(s.page, 'meta-edit-set');
    expect(await testIdText(s.page, 'meta-edit-error')).toBe('kiln.test.layers: a u8 is between 0 and 255.');
    expect(await s.page.evaluate(`${FIND}(document, 'meta-edit-value').getAttribute('aria-invalid')`)).toBe('true');
    await screenshot(s.page, 'metadata-edit-error');
    await selectValue(s.page, 'meta-edit-type', 'i64');
    await type('meta-edit-value', '-9007199254740993');
    await click(s.page, 'meta-edit-set');
    // remove one
    await type('meta-edit-key', 'tokenizer.ggml.add_eos_token');
    await click(s.page, 'meta-edit-remove');
    expect(await countTestId(s.page, 'meta-edit-item')).toBe(3);
    await type('meta-edit-name', 'tiny-edited.gguf');
    await screenshot(s.page, 'metadata-edit');
    const v = await axeSerious(s.page);
    expect(v, JSON.stringify(v, null, 1)).toEqual([]);

    await click(s.page, 'meta-edit-save');
    const out = await waitForOutcome(s.page);
    expect(out.error).toBeNull();
    await waitForTestId(s.page, 'meta-edit-done');
    expect(await testIdText(s.page, 'meta-edit-done')).toMatch(/Saved and verified: tiny-edited\.gguf/);

    const dl = join(work, 'dl');
    mkdirSync(dl);
    const cdp = await enableDownloads(s, dl);
    const files = await downloadAll(s.page, cdp, dl);
    expect(files).toEqual(['tiny-edited.gguf']);
    const dump = (f: string) => JSON.parse(execFileSync('python3', [PY, f]).toString()) as Dump;
    const before = dump(input);
    const after = dump(join(dl, files[0]!));
    const want = { ...before.kv, 'general.name': ['string', 'Edited in Kiln'], 'kiln.test.layers': ['i64', '-9007199254740993'] } as Dump['kv'];
    delete want['tokenizer.ggml.add_eos_token'];
    expect(after.kv).toEqual(want);
    expect(after.tensors).toEqual(before.tensors);
  });
});
