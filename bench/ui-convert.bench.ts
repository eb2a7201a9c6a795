import { afterAll, beforeAll, it } from 'vitest';
import { inject } from 'vitest';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../test/support/browser';
import { uploadFiles, waitForTestId } from '../test/support/app-driver';
import { timeUiConversion } from './support/ui-run';
import { pssByKind } from './support/memory';
import { writeSafetensorsF32 } from './support/gen-model';
import { fmt, mb, report } from './support/report';

/**
 * Issue 2's measurement: a >= 256 MB F32 safetensors converted to F16 through the UI in headless
 * Chromium, next to a plain copy of the same file through the same read/write path (F32 -> F32:
 * the same worker, BlobSource reads, OPFS writes and verification, no kernels), alternating so
 * both see the same machine state.
 */
const DIR = '/tmp/kiln-bench';
const SIZE = Number(process.env.KILN_BENCH_MB ?? 288) * 1e6;
let s: BrowserSession;
let file: string;
let bytes: number;

beforeAll(async () => {
  mkdirSync(DIR, { recursive: true });
  file = join(DIR, 'bench-f32.safetensors');
  bytes = await writeSafetensorsF32(file, SIZE);
  s = await launch();
  await s.page.goto(`${inject('baseUrl')}/`);
  if (process.env.KILN_BENCH_VERBOSE) console.log('idle', Object.entries(pssByKind(s.browser.process()!.pid!)).map(([k, v]) => `${k} ${(v / 1e6).toFixed(0)} MB`).join(', '));
  await uploadFiles(s.page, [file]);
  await waitForTestId(s.page, 'tensor-row');
});

afterAll(async () => {
  await s?.close();
  rmSync(file, { force: true });
});

async function run(format: string, type: string, engine: string): Promise<{ seconds: number; peak: number }> {
  const r = await timeUiConversion(s, engine, format, type, 200);
  if (process.env.KILN_BENCH_VERBOSE) console.log(format, type, Object.entries(r.peakByKind).map(([k, v]) => `${k} ${(v / 1e6).toFixed(0)} MB`).join(', '));
  return r;
}

it('F32 -> F16 through the UI vs a plain copy through the same path', async () => {
  const rows: Record<string, string | number>[] = [];
  const cases: [string, string, string, string][] = [
    ['plain copy (safetensors F32 -> F32)', 'safetensors', 'F32', 'auto'],
    ['Kiln GGUF F16, WebGPU', 'gguf', 'F16', 'gpu'],
    ['Kiln safetensors F16, WebGPU', 'safetensors', 'F16', 'gpu'],
    ['Kiln GGUF F16, CPU threads (auto here)', 'gguf', 'F16', 'cpu'],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [label, format, type, engine] of cases) {
      const r = await run(format, type, engine);
      rows.push({ round: round + 1, path: label, 'input MB': fmt(mb(bytes), 0), seconds: fmt(r.seconds, 2), 'MB/s (input)': fmt(mb(bytes) / r.seconds), 'peak Chromium PSS MB': fmt(mb(r.peak), 0) });
    }
  }
  report('ui-convert', `F32 -> F16 through the UI, ${fmt(mb(bytes), 0)} MB input (includes the output re-read and verification)`, rows);
});
