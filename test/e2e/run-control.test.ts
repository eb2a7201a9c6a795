import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { click, countTestId, selectValue, testIdText, uploadFiles, waitForTestId } from '../support/app-driver';
import { main } from '../../src/cli/main';
import { makeSampleModel } from '../../src/app/sample-model';
import { sha256 } from '../support/tiny-llama';
import { rampSafetensors } from '../support/ramp-safetensors';

/**
 * Running a conversion as a user does beyond the happy path: the built-in sample, saving where the
 * user picks (the picker is stubbed with an OPFS file handle, the same FileSystemFileHandle
 * interface, since a test cannot click a native dialog), cancelling, and a bad file.
 */
let s: BrowserSession;
let work: string;

const OPFS_LIST = `(async () => {
  const out = [];
  async function walk(dir, path) {
    for await (const [name, h] of dir.entries()) {
      if (h.kind === 'file') out.push(path + name + ':' + (await h.getFile()).size);
      else await walk(h, path + name + '/');
    }
  }
  await walk(await navigator.storage.getDirectory(), '');
  return out;
})()`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-run-'));
  s = await launch();
  await s.page.goto(`${inject('baseUrl')}/`);
});

afterAll(async () => {
  await s?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('running conversions', () => {
  it('opens the built-in sample with one click', async () => {
    await click(s.page, 'open-sample');
    await waitForTestId(s.page, 'tensor-row');
    expect(await countTestId(s.page, 'tensor-row')).toBe(21);
    expect(await testIdText(s.page, 'model-facts')).toMatch(/gguf/);
  });

  it('saves where the user picks; the bytes equal the CLI conversion of the same model', async () => {
    await s.page.evaluate(`window.showSaveFilePicker = async ({ suggestedName }) =>
      (await navigator.storage.getDirectory()).getFileHandle('picked-' + suggestedName, { create: true })`);
    // auto on this software adapter: the CPU threads (codec workers) do the work
    await selectValue(s.page, 'engine-select', 'auto');
    await selectValue(s.page, 'target-format', 'gguf');
    await selectValue(s.page, 'target-type', 'Q8_0');
    await click(s.page, 'convert-save');
    await s.page.waitForFunction(`(${FIND_TEXT})('saved') || (${FIND_TEXT})('error')`, { polling: 250, timeout: 300_000 });
    expect(await testIdText(s.page, 'error')).toBeNull();
    expect(await testIdText(s.page, 'saved')).toMatch(/Saved picked-kiln-sample-llama-Q8_0\.gguf/);
    expect(await testIdText(s.page, 'saved')).toMatch(/on CPU \(\d+ threads\)/);
    const hex = (await s.page.evaluate(`(async () => {
      const f = await (await (await navigator.storage.getDirectory()).getFileHandle('picked-kiln-sample-llama-Q8_0.gguf')).getFile();
      const d = new Uint8Array(await crypto.subtle.digest('SHA-256', await f.arrayBuffer()));
      return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
    })()`)) as string;
    const sample = await makeSampleModel();
    writeFileSync(join(work, 'sample.gguf'), new Uint8Array(await sample.arrayBuffer()));
    const code = await main(['convert', join(work, 'sample.gguf'), '-o', join(work, 'cli.gguf'), '--type', 'Q8_0', '--quiet'], { out: () => undefined, err: () => undefined });
    expect(code).toBe(0);
    expect(hex).toBe(sha256(readFileSync(join(work, 'cli.gguf'))));
  });

  it('cancel stops the run and removes its partial output', async () => {
    // big enough (64 MB F32 to Q6_K on the GPU engine) that the run is still going when cancel lands
    writeFileSync(join(work, 'slow.safetensors'), rampSafetensors([[4096, 2048], [4096, 2048]]));
    await uploadFiles(s.page, [join(work, 'slow.safetensors')]);
    await waitForTestId(s.page, 'tensor-row');
    await selectValue(s.page, 'engine-select', 'gpu');
    await selectValue(s.page, 'target-format', 'gguf');
    await selectValue(s.page, 'target-type', 'Q6_K');
    await click(s.page, 'convert');
    // the page clicks cancel once data flows (a partial output exists); polling from Node could
    // miss a short run
    const outcome = await s.page.evaluate(`new Promise((done) => {
      const find = ${FIND_TEXT};
      const tick = () => {
        const c = find('cancel');
        const p = find('progress');
        if (c && p && p.value > 0) {
          // opening another model mid-run is refused: the run reads the open one
          const locked = find('open-files').disabled && find('open-sample').disabled;
          c.click();
          return done(locked ? 'cancelled' : 'cancelled, but the open controls were enabled mid-run');
        }
        if (find('download') || find('error') || find('cancelled')) return done('finished before cancel');
        setTimeout(tick, 5);
      };
      tick();
    })`);
    expect(outcome).toBe('cancelled');
    // the user's own cancel is a neutral notice, not an error
    await waitForTestId(s.page, 'cancelled');
    expect(await testIdText(s.page, 'cancelled')).toMatch(/Cancelled, nothing was written/);
    expect(await testIdText(s.page, 'error')).toBeNull();
    expect(await countTestId(s.page, 'download')).toBe(0);
    const files = (await s.page.evaluate(OPFS_LIST)) as string[];
    expect(files.filter((f) => f.startsWith('kiln-output/'))).toEqual([]);
  });

  it('a file that is not a model gives a clear error naming it', async () => {
    writeFileSync(join(work, 'notes.gguf'), 'GGUF but not really');
    await uploadFiles(s.page, [join(work, 'notes.gguf')]);
    // the previous test's error may still be shown until the upload's change event is handled
    await s.page.waitForFunction(`((${FIND_TEXT})('error')?.textContent ?? '').includes('notes.gguf')`, { polling: 100, timeout: 60_000 });
    expect(await testIdText(s.page, 'error')).toMatch(/(Format|Unsupported)Error: gguf: .*notes\.gguf, offset 4/);
  });
});

const FIND_TEXT = `(id) => (function find(root) {
  const hit = root.querySelector('[data-testid="' + id + '"]');
  if (hit) return hit;
  for (const el of root.querySelectorAll('*')) if (el.shadowRoot) { const r = find(el.shadowRoot); if (r) return r; }
  return null;
})(document)`;

