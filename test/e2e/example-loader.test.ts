import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HTTPRequest } from 'puppeteer';
import { launch, type BrowserSession } from '../support/browser';
import { cspOfHtml, serveStatic } from '../support/static-server';
import { fixtureBytes } from '../support/fixtures';
import { llamaCppSha256, sha256, tinyLlamaF32 } from '../support/tiny-llama';
import { main } from '../../src/cli/main';
import { openModel } from '../../src/node';
import type { LoaderResult } from '../../examples/loader/main';

/**
 * Issue 12's example page (examples/loader, built with the app into dist/examples/loader/): using
 * the public browser API alone it opens a GGUF (the tiny llama quantized to Q4_K_M by the CLI
 * here, = llama-quantize's file) and a safetensors file (the tiny llama's BF16) by URL, loads every
 * tensor into GPUBuffers on WebGPU (SwiftShader), dequantizes a Q4_K tensor on the GPU and draws
 * its histogram. Checked against the Node API: every buffer holds the file's bytes, the
 * dequantized values are the CPU decode bit for bit, and the histogram is theirs.
 */
let s: BrowserSession;
let work: string;
let server: Server;
let base: string;
const requests: { url: string; range: string | null }[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-loader-'));
  writeFileSync(join(work, 'tiny-llama-F32.gguf'), await tinyLlamaF32());
  expect(await main(['convert', join(work, 'tiny-llama-F32.gguf'), '-o', join(work, 'model.gguf'), '--type', 'Q4_K_M', '--quiet'], { out: () => undefined, err: () => undefined })).toBe(0);
  expect(sha256(readFileSync(join(work, 'model.gguf')))).toBe(llamaCppSha256().get('tiny-llama-Q4_K_M.gguf'));
  writeFileSync(join(work, 'model.safetensors'), fixtureBytes('safetensors/tiny-llama-bf16.safetensors'));
  // served as a host that sends the app's policy would serve it: the models from the same origin
  const policy = cspOfHtml(readFileSync('dist/index.html', 'utf8'))!;
  ({ url: base, server } = await serveStatic({ '/': 'dist', '/models/': work }, 0, { csp: { policy, mounts: ['/'] } }));
  s = await launch();
  s.page.on('request', (r: HTTPRequest) => void requests.push({ url: r.url(), range: r.headers().range ?? null }));
  s.page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
  s.page.on('pageerror', (e) => void consoleErrors.push(String(e)));
});

afterAll(async () => {
  await s?.close();
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
  rmSync(work, { recursive: true, force: true });
});

function histogram(values: Float32Array, bins: number): { min: number; max: number; bins: number[] } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const counts = new Array<number>(bins).fill(0);
  const width = max - min;
  for (const v of values) counts[width > 0 ? Math.min(bins - 1, Math.floor(((v - min) / width) * bins)) : 0]!++;
  return { min, max, bins: counts };
}

describe('the loader example page (public API only)', () => {
  let r: LoaderResult;

  it('loads a GGUF and a safetensors file from URLs into GPU buffers and dequantizes a Q4_K tensor on the GPU', async () => {
    await s.page.goto(`${base}/examples/loader/?gguf=/models/model.gguf&safetensors=/models/model.safetensors`);
    await s.page.waitForFunction(() => window.loaderResult !== undefined || window.loaderError !== undefined, { polling: 200, timeout: 120_000 });
    expect(await s.page.evaluate(() => window.loaderError ?? null)).toBeNull();
    r = (await s.page.evaluate(() => window.loaderResult))!;
    expect(r.adapter).toMatch(/swiftshader|\w/);
    expect(r.dequantized.type).toBe('Q4_K');
    expect(await s.page.$eval('#status', (e) => e.textContent)).toMatch(/^Done:/);
  }, 180_000);

  it('every GPU buffer holds the file\'s bytes (raw load), for both files', async () => {
    for (const [file, loaded] of [['model.gguf', r.gguf], ['model.safetensors', r.safetensors]] as const) {
      const m = await openModel(join(work, file));
      try {
        expect(loaded.tensors).toBe(m.tensors.length);
        expect(m.tensors.length).toBeGreaterThan(0);
        for (const t of m.tensors) expect(loaded.sha256[t.name], `${file} ${t.name}`).toBe(sha256(await m.readTensor(t)));
      } finally {
        await m.close();
      }
    }
    expect(r.safetensors.format).toBe('safetensors');
    expect(r.gguf.format).toBe('gguf');
  });

  it('the GPU\'s dequantized values are the CPU decode bit for bit, and the histogram drawn is theirs', async () => {
    const m = await openModel(join(work, 'model.gguf'));
    const cpu = await m.readTensor(r.dequantized.tensor, { as: 'f32' });
    await m.close();
    expect(r.dequantized.elements).toBe(cpu.length);
    expect(r.dequantized.sha256).toBe(sha256(new Uint8Array(cpu.buffer, cpu.byteOffset, cpu.byteLength)));
    const h = histogram(cpu, 64);
    expect(r.dequantized.bins).toEqual(h.bins);
    expect([r.dequantized.min, r.dequantized.max]).toEqual([h.min, h.max]);
    expect(h.bins.reduce((a, b) => a + b, 0)).toBe(cpu.length);
    // bars on the canvas: pixels of the bar colour
    const painted = await s.page.$eval('#histogram', (c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === 0x3b && d[i + 1] === 0x6e && d[i + 2] === 0xa5) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(500);
  });

  it('read the models by ranges from its own origin only, with no policy violation', () => {
    const origin = new URL(base).origin;
    expect(requests.filter((q) => !q.url.startsWith(origin + '/') && !q.url.startsWith('data:') && !q.url.startsWith('blob:'))).toEqual([]);
    const models = requests.filter((q) => new URL(q.url).pathname.startsWith('/models/'));
    expect(models.length).toBeGreaterThan(0);
    expect(models.filter((q) => q.range === null).map((q) => q.url)).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
