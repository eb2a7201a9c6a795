import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { click, reveal, selectValue, setChecked, testIdText, uploadFiles, waitForOutcome, waitForTestId } from '../support/app-driver';
import { planSafetensors, writeSafetensors } from '../../src/formats/safetensors/writer';
import { MemorySink } from '../../src/io/byte-sink';

/**
 * The page's --skip-unconvertible: a safetensors file with U8 and BOOL tensors is refused for
 * GGUF, naming them, until the user ticks the option; then the plan lists what it leaves out.
 */
let s: BrowserSession;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-skip-'));
  const plan = planSafetensors({
    tensors: [
      { name: 'w.weight', type: 'F32', shape: [2, 32] },
      { name: 'mask', type: 'BOOL', shape: [4] },
      { name: 'ids', type: 'U8', shape: [8] },
    ],
  });
  const sink = new MemorySink('ints.safetensors');
  const w = await writeSafetensors(plan, sink);
  for (const t of plan.tensors) await w.write(new Uint8Array(t.nbytes));
  await w.finish();
  writeFileSync(join(work, 'ints.safetensors'), sink.bytes());
  s = await launch();
  await s.page.goto(`${inject('baseUrl')}/`);
});

afterAll(async () => {
  await s?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('skip unconvertible tensors in the page', () => {
  it('refused by default, converted without them when the box is ticked', async () => {
    await uploadFiles(s.page, [join(work, 'ints.safetensors')]);
    await waitForTestId(s.page, 'tensor-row');
    await selectValue(s.page, 'engine-select', 'cpu');
    await selectValue(s.page, 'target-format', 'gguf');
    await selectValue(s.page, 'target-type', 'F16');
    await waitForTestId(s.page, 'error');
    const refusal = await testIdText(s.page, 'error');
    expect(refusal).toMatch(/GGUF has no BOOL type: mask/);
    expect(refusal).toMatch(/GGUF has no U8 type: ids/);
    await reveal(s.page, 'opt-skip-unconvertible');
    await setChecked(s.page, 'opt-skip-unconvertible', true);
    await waitForTestId(s.page, 'plan');
    await click(s.page, 'convert');
    const outcome = await waitForOutcome(s.page, 120_000);
    expect(outcome.error).toBeNull();
    expect(outcome.downloads).toBe(1);
    expect(await testIdText(s.page, 'plan')).toMatch(/mask: left out \(--skip-unconvertible\)/);
  });
});
