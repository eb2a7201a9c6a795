import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { click, downloadAll, enableDownloads, selectValue, uploadFolder, waitForOutcome, waitForTestId } from '../support/app-driver';
import { main } from '../../src/cli/main';
import { sha256 } from '../support/tiny-llama';
import { hfFiles, hfReference, writeHfFolder } from '../unit/formats/hf-support';

/**
 * Issue 9 through the page: the tiny llama's Hugging Face folder picked as a folder (its name
 * becomes general.name, as the converter derives it) converts in one pass to what
 * convert_hf_to_gguf.py writes (BF16, byte for byte) and to Q4_K_M equal to the command line's file.
 */
let s: BrowserSession;
let work: string;
let folder: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-hf-'));
  folder = writeHfFolder(work, 'hf', hfFiles('bf16'));
  s = await launch();
  await s.page.goto(`${inject('baseUrl')}/`);
});

afterAll(async () => {
  await s?.close();
  rmSync(work, { recursive: true, force: true });
});

async function convertInPage(type: string): Promise<Uint8Array> {
  const dl = mkdtempSync(join(work, 'dl-'));
  const cdp = await enableDownloads(s, dl);
  await selectValue(s.page, 'engine-select', 'cpu');
  await selectValue(s.page, 'target-format', 'gguf');
  await selectValue(s.page, 'target-type', type);
  await click(s.page, 'convert');
  await new Promise((r) => setTimeout(r, 50));
  expect((await waitForOutcome(s.page, 120_000)).error).toBeNull();
  const files = await downloadAll(s.page, cdp, dl, 60_000);
  expect(files).toHaveLength(1);
  return readFileSync(join(dl, files[0]!));
}

describe('a Hugging Face folder through the page', () => {
  it('opens as one model and converts to BF16, F16 and Q8_0 byte-identical to convert_hf_to_gguf.py', async () => {
    await uploadFolder(s.page, folder);
    await waitForTestId(s.page, 'tensor-row');
    for (const type of ['BF16', 'F16', 'Q8_0']) expect(sha256(await convertInPage(type)), type).toBe(hfReference().get(`hf ${type}`));
  }, 300_000);

  it('the F16 sharded folder (index and two shards) converts to F16 byte-identical to the converter', async () => {
    await uploadFolder(s.page, writeHfFolder(work, 'hf-f16-sharded', hfFiles('f16-sharded')));
    await waitForTestId(s.page, 'tensor-row');
    expect(sha256(await convertInPage('F16'))).toBe(hfReference().get('hf-f16-sharded F16'));
    await uploadFolder(s.page, folder);
    await waitForTestId(s.page, 'tensor-row');
  }, 300_000);

  it('converts to Q4_K_M in one pass, equal to the command line on the same folder', async () => {
    const out = join(work, 'cli-Q4_K_M.gguf');
    expect(await main(['convert', folder, '-o', out, '--type', 'Q4_K_M', '--quiet'], { out: () => undefined, err: () => undefined })).toBe(0);
    expect(sha256(await convertInPage('Q4_K_M'))).toBe(sha256(readFileSync(out)));
  }, 300_000);
});
