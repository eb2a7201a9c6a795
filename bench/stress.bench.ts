import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../test/support/browser';
import { click, selectValue, testIdText, uploadFiles, waitForTestId } from '../test/support/app-driver';
import { main } from '../src/cli/main';
import { llamaShape, writeLlamaGgufF16 } from './support/gen-model';
import { fmt, report } from './support/report';

/**
 * Issue 8's stress test: the 1 GB llama-shaped F16 GGUF converted through the page ten times in a
 * row per engine (Q4_K_M on the CPU threads, Q8_0 on WebGPU), each in a fresh browser as a user
 * opening the app would, each output compared with the CLI's (= llama-quantize's) bytes. A run
 * with no visible progress for 120 s counts as frozen and is reported with where it stood; the
 * bench fails if any run froze, failed or differed. KILN_STRESS_RUNS overrides the count.
 */
const DIR = '/tmp/kiln-bench';
const RUNS = Number(process.env.KILN_STRESS_RUNS ?? 10);
const FROZEN_AFTER_MS = 120_000;
const file = join(DIR, 'stress-llama-8L-F16.gguf');
const want = new Map<string, string>();

const FIND = `(function find(root, id) {
  const hit = root.querySelector('[data-testid="' + id + '"]');
  if (hit) return hit;
  for (const el of root.querySelectorAll('*')) if (el.shadowRoot) { const r = find(el.shadowRoot, id); if (r) return r; }
  return null;
})`;

function sha256File(path: string): Promise<string> {
  return new Promise((ok, fail) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('end', () => ok(h.digest('hex'))).on('error', fail);
  });
}

beforeAll(async () => {
  mkdirSync(DIR, { recursive: true });
  if (!existsSync(file)) await writeLlamaGgufF16(file, llamaShape(8));
  for (const type of ['Q4_K_M', 'Q8_0']) {
    const out = join(DIR, `stress-cli-${type}.gguf`);
    expect(await main(['convert', file, '-o', out, '--type', type, '--quiet'], { out: () => undefined, err: () => undefined })).toBe(0);
    want.set(type, await sha256File(out));
    rmSync(out);
  }
});

afterAll(() => rmSync(file, { force: true }));

interface Outcome {
  readonly state: 'finished' | 'frozen' | 'failed' | 'differs';
  readonly seconds: number;
  readonly detail: string;
}

async function oneRun(engine: string, type: string): Promise<Outcome> {
  const s: BrowserSession = await launch();
  try {
    await s.page.goto(`${inject('baseUrl')}/`);
    await uploadFiles(s.page, [file]);
    await waitForTestId(s.page, 'tensor-row');
    await selectValue(s.page, 'engine-select', engine);
    await selectValue(s.page, 'target-format', 'gguf');
    await selectValue(s.page, 'target-type', type);
    const t0 = performance.now();
    await click(s.page, 'convert');
    let last = '';
    let lastChange = performance.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const st = JSON.parse(
        (await s.page.evaluate(`JSON.stringify({ done: !!${FIND}(document, 'download'), error: ${FIND}(document, 'error')?.textContent ?? null, progress: ${FIND}(document, 'progress-text')?.textContent ?? '' })`)) as string,
      ) as { done: boolean; error: string | null; progress: string };
      const seconds = (performance.now() - t0) / 1000;
      if (st.error) return { state: 'failed', seconds, detail: st.error.trim() };
      if (st.done) {
        const hex = (await s.page.evaluate(`(async () => {
          const a = ${FIND}(document, 'download');
          const buf = await (await fetch(a.href)).arrayBuffer();
          const h = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
          return [...h].map((b) => b.toString(16).padStart(2, '0')).join('');
        })()`)) as string;
        const engineText = ((await testIdText(s.page, 'outputs')) ?? '').replace(/\s+/g, ' ').trim();
        return hex === want.get(type) ? { state: 'finished', seconds, detail: engineText } : { state: 'differs', seconds, detail: `sha256 ${hex}` };
      }
      if (st.progress !== last) {
        last = st.progress;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > FROZEN_AFTER_MS) {
        return { state: 'frozen', seconds, detail: last.replace(/\s+/g, ' ').trim() };
      }
    }
  } finally {
    await s.close();
  }
}

it(`the 1 GB model through the page, ${RUNS} runs per engine, never freezes`, async () => {
  const rows: Record<string, string | number>[] = [];
  const problems: string[] = [];
  for (const [engine, type] of [['cpu', 'Q4_K_M'], ['gpu', 'Q8_0']] as const) {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < RUNS; i++) {
      const o = await oneRun(engine, type);
      outcomes.push(o);
      if (o.state !== 'finished') problems.push(`${type} on ${engine}, run ${i + 1}: ${o.state} after ${fmt(o.seconds)} s: ${o.detail}`);
    }
    const done = outcomes.filter((o) => o.state === 'finished').map((o) => o.seconds).sort((a, b) => a - b);
    rows.push({
      engine,
      target: type,
      runs: RUNS,
      finished: done.length,
      frozen: outcomes.filter((o) => o.state === 'frozen').length,
      'failed or differing': outcomes.filter((o) => o.state === 'failed' || o.state === 'differs').length,
      'seconds min / median / max': done.length ? `${fmt(done[0]!)} / ${fmt(done[done.length >> 1]!)} / ${fmt(done[done.length - 1]!)}` : '-',
    });
  }
  report('stress', `1 GB F16 llama GGUF through the page, fresh browser per run (each output = the CLI's bytes)`, rows);
  expect(problems).toEqual([]);
});
