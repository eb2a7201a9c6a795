import { afterAll, beforeAll, inject, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../test/support/browser';
import { uploadFiles, waitForTestId } from '../test/support/app-driver';
import { timeUiConversion } from './support/ui-run';
import { treePss } from './support/memory';
import { llamaShape, writeLlamaGgufF16 } from './support/gen-model';
import { fmt, mb, report } from './support/report';

/**
 * Issue 5's measurement: a generated llama-like F16 GGUF, in two sizes, converted to Q8_0 and
 * Q4_K_M through the UI in headless Chromium (engine `auto`: CPU threads on a software adapter,
 * the GPU on a real one), next to a plain copy through the same read/write path (the COPY preset)
 * and next to the command line, all in one run. Peak memory is the PSS of all Chromium processes
 * together (RSS for the CLI and llama-quantize, single processes). With KILN_LLAMA_QUANTIZE set to a
 * llama-quantize binary, the same files go through it too.
 * Sizes: KILN_BENCH_LAYERS="8,45" (8 layers ~ 1 GB, 45 ~ 4.3 GB).
 */
const DIR = '/tmp/kiln-bench';
const LAYERS = (process.env.KILN_BENCH_LAYERS ?? '8,45').split(',').map(Number);
const PRESETS = (process.env.KILN_BENCH_PRESETS ?? 'Q8_0,Q4_K_M').split(',');
const LLAMA = process.env.KILN_LLAMA_QUANTIZE;
let s: BrowserSession;

beforeAll(async () => {
  mkdirSync(DIR, { recursive: true });
  s = await launch();
  await s.page.goto(`${inject('baseUrl')}/`);
});

afterAll(async () => {
  await s?.close();
});

/** Runs a command, sampling its process tree's RSS (PSS) every 250 ms. */
function timed(cmd: string, args: string[]): Promise<{ seconds: number; peak: number }> {
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    let peak = 0;
    const t = setInterval(() => (peak = Math.max(peak, treePss(p.pid!))), 250);
    p.on('exit', (code) => {
      clearInterval(t);
      if (code !== 0) fail(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`));
      else ok({ seconds: (performance.now() - t0) / 1000, peak });
    });
  });
}

it('F16 GGUF -> Q8_0 / Q4_K_M: UI vs plain copy vs CLI (vs llama-quantize)', async () => {
  const rows: Record<string, string | number>[] = [];
  for (const layers of LAYERS) {
    const file = join(DIR, `bench-llama-${layers}L-F16.gguf`);
    const bytes = await writeLlamaGgufF16(file, llamaShape(layers));
    await uploadFiles(s.page, [file]);
    await waitForTestId(s.page, 'tensor-row');
    const add = (path: string, preset: string, r: { seconds: number; peak: number }, memLabel: string) =>
      rows.push({ 'model MB': fmt(mb(bytes), 0), path, target: preset, seconds: fmt(r.seconds, 1), 'MB/s (input)': fmt(mb(bytes) / r.seconds), [`peak memory MB`]: `${fmt(mb(r.peak), 0)} (${memLabel})` });
    add('UI: plain copy (COPY preset)', 'COPY', await timeUiConversion(s, 'auto', 'gguf', 'COPY'), 'Chromium PSS');
    for (const preset of PRESETS) {
      add('UI (auto engine)', preset, await timeUiConversion(s, 'auto', 'gguf', preset), 'Chromium PSS');
      const out = join(DIR, `cli-${preset}.gguf`);
      add('CLI (tensor-kiln convert)', preset, await timed('node', ['bin/tensor-kiln.mjs', 'convert', file, '-o', out, '--type', preset, '--quiet']), 'PSS');
      rmSync(out, { force: true });
      if (LLAMA && existsSync(LLAMA)) {
        const lq = join(DIR, `llama-${preset}.gguf`);
        add('llama-quantize (2 threads)', preset, await timed(LLAMA, [file, lq, preset, '2']), 'PSS');
        rmSync(lq, { force: true });
      }
    }
    rmSync(file, { force: true });
  }
  report('quantize', 'F16 llama GGUF -> Q8_0 / Q4_K_M (UI includes re-reading and verifying the output)', rows);
});
