import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Metadata, MetaValue } from '../src/formats/model';
import { planGguf } from '../src/formats/gguf/writer';
import { launch, type BrowserSession } from '../test/support/browser';
import { downloadAll, enableDownloads, uploadFiles, waitForTestId } from '../test/support/app-driver';
import { llamaShape, writeLlamaGgufF16, type LlamaShape } from './support/gen-model';
import { pssSampler } from './support/memory';
import { timeUiConversion } from './support/ui-run';
import { fmt, mb, report } from './support/report';

/**
 * Issue 10's measurement: the 1 GB F16 llama bench model (gen-model's llamaShape(8)) with a
 * generated importance matrix (a llama-imatrix GGUF: general.type, imatrix.datasets / chunk_count /
 * chunk_size, `<weight>.in_sum2` and `<weight>.counts` for every matmul weight but output.weight, as
 * llama-imatrix writes them without --output; fixed-seed values) quantized to IQ2_XXS, IQ3_XXS and
 * Q4_K_M with --imatrix through the built CLI (child process: time, peak RSS from VmHWM, peak PSS)
 * and through the page (model picked with 'open-files', imatrix with 'imatrix-file', engine auto:
 * time and peak PSS of Chromium), in one run; each page output is downloaded and must equal the
 * CLI's byte for byte. llama-quantize --imatrix runs beside them, its output compared with the
 * CLI's, when KILN_LLAMA_QUANTIZE names the binary: a CPU Release build of llama.cpp 34af94cd
 * (`cmake -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build --target llama-quantize`;
 * the unslothai/llama.cpp mirror holds that commit).
 * KILN_IMATRIX_BENCH_LAYERS (default 8) and KILN_IMATRIX_BENCH_VOCAB (default 32000) shrink the
 * model; KILN_IMATRIX_BENCH_TYPES (comma-separated) picks the types.
 */
const DIR = '/tmp/kiln-bench/imatrix';
const SHAPE: LlamaShape = { ...llamaShape(Number(process.env.KILN_IMATRIX_BENCH_LAYERS ?? 8)), nVocab: Number(process.env.KILN_IMATRIX_BENCH_VOCAB ?? 32000) };
const TYPES = (process.env.KILN_IMATRIX_BENCH_TYPES ?? 'IQ2_XXS,IQ3_XXS,Q4_K_M').split(',');
const LLAMA_QUANTIZE = process.env.KILN_LLAMA_QUANTIZE ?? null;
const MODEL = 'bench-llama-F16.gguf';
const IMATRIX = 'bench-llama.imatrix.gguf';
const model = join(DIR, MODEL);
const imatrix = join(DIR, IMATRIX);
const CLI = join(import.meta.dirname, '..', 'bin', 'tensor-kiln.mjs');
let modelBytes = 0;

/** The input widths of the weights llama-imatrix records for the llama (output.weight needs --output). */
function imatrixEntries(s: LlamaShape): { name: string; nIn: number }[] {
  const e: { name: string; nIn: number }[] = [];
  for (let i = 0; i < s.layers; i++) {
    for (const t of ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up']) e.push({ name: `blk.${i}.${t}.weight`, nIn: s.nEmbd });
    e.push({ name: `blk.${i}.ffn_down.weight`, nIn: s.nFf });
  }
  return e.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A llama-imatrix GGUF for the shape: per entry in_sum2 (F32, n_in) = tokens * mean square, with
 * mean squares spread over three decades as real activations are (a few columns much hotter), and
 * counts (F32, 1) = the tokens seen; xorshift32 from a fixed seed.
 */
export function imatrixGguf(s: LlamaShape, chunks = 100, chunkSize = 512): Uint8Array {
  let r = 0x2545f491;
  const next = () => ((r ^= r << 13), (r >>>= 0), (r ^= r >>> 17), (r ^= r << 5), (r >>>= 0), r / 2 ** 32);
  const tokens = chunks * chunkSize;
  const entries = imatrixEntries(s);
  const md: Metadata = new Map<string, MetaValue>([
    ['general.type', { type: 'string', value: 'imatrix' }],
    ['imatrix.datasets', { type: 'array', itemType: 'string', value: ['kiln-bench-calibration.txt'] }],
    ['imatrix.chunk_count', { type: 'u32', value: chunks }],
    ['imatrix.chunk_size', { type: 'u32', value: chunkSize }],
  ]);
  const specs = entries.flatMap((e) => [
    { name: `${e.name}.in_sum2`, type: 'F32' as const, shape: [e.nIn] },
    { name: `${e.name}.counts`, type: 'F32' as const, shape: [1] },
  ]);
  const plan = planGguf({ metadata: md, tensors: specs });
  const out = new Uint8Array(plan.totalSize);
  out.set(plan.header);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < entries.length; i++) {
    const sums = plan.tensors[2 * i]!;
    for (let c = 0; c < entries[i]!.nIn; c++) {
      const u = next();
      const meanSquare = 1e-3 * 10 ** (3 * next() * next()) * (0.5 + u);
      dv.setFloat32(sums.fileOffset + 4 * c, Math.fround(tokens * meanSquare), true);
    }
    dv.setFloat32(plan.tensors[2 * i + 1]!.fileOffset, tokens, true);
  }
  return out;
}

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  modelBytes = await writeLlamaGgufF16(model, SHAPE);
  writeFileSync(imatrix, imatrixGguf(SHAPE));
}, 3_600_000);

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** VmHWM (peak resident set) of a live process, in bytes. */
function vmHwm(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Runs in DIR, so the model and the imatrix go by their file names (quantize.imatrix.file holds the name as given, and the page knows only the name). */
async function timedChild(cmd: string, args: string[], what: string): Promise<{ seconds: number; rss: number; pss: number }> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: DIR });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const pss = pssSampler(child.pid!, 200);
  let rss = 0;
  const t = setInterval(() => (rss = Math.max(rss, vmHwm(child.pid!))), 100);
  const code = await new Promise<number>((ok) => child.on('exit', (c) => ok(c ?? -1)));
  clearInterval(t);
  const peak = pss.stop();
  if (code !== 0) throw new Error(`${what} exited ${code}: ${err.slice(-2000)}`);
  return { seconds: (performance.now() - t0) / 1000, rss, pss: peak };
}

async function engineLabel(s: BrowserSession): Promise<string> {
  return s.page.evaluate(`(function find(root) {
    const hit = root.querySelector('[data-testid="engine-select"]');
    if (hit) return hit.options[hit.selectedIndex].textContent.trim();
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) { const r = find(el.shadowRoot); if (r) return r; }
    return null;
  })(document) ?? '?'`) as Promise<string>;
}

async function pageRun(type: string): Promise<{ seconds: number; peak: number; sha: string; engine: string }> {
  const s = await launch();
  try {
    await s.page.goto(`${inject('baseUrl')}/`);
    await uploadFiles(s.page, [model]);
    await waitForTestId(s.page, 'tensor-row');
    await waitForTestId(s.page, 'imatrix-file');
    const input = await s.page.evaluateHandle(`(function find(root) {
      const hit = root.querySelector('[data-testid="imatrix-file"]');
      if (hit) return hit;
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) { const r = find(el.shadowRoot); if (r) return r; }
      return null;
    })(document)`);
    await (input as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(imatrix);
    await waitForTestId(s.page, 'imatrix-name');
    const r = await timeUiConversion(s, 'auto', 'gguf', type, 200);
    const engine = await engineLabel(s);
    const dl = mkdtempSync(join(DIR, 'dl-'));
    const cdp = await enableDownloads(s, dl);
    const files = await downloadAll(s.page, cdp, dl, 600_000);
    expect(files.length).toBe(1);
    const sha = sha256(join(dl, files[0]!));
    rmSync(dl, { recursive: true, force: true });
    return { seconds: r.seconds, peak: r.peak, sha, engine };
  } finally {
    await s.close();
  }
}

it('F16 -> IQ2_XXS, IQ3_XXS, Q4_K_M with an importance matrix: CLI and page', async () => {
  const rows: Record<string, string | number>[] = [];
  const row = (type: string, path: string, load: number, seconds: number, rss: string, pss: string, outBytes: number | string, same: string) =>
    rows.push({ type, path, load: fmt(load, 1), 'input MB': fmt(mb(modelBytes), 0), seconds: fmt(seconds, 1), 'MB/s (input)': fmt(mb(modelBytes) / seconds, 1), 'peak RSS MB': rss, 'peak PSS MB': pss, 'output MB': typeof outBytes === 'number' ? fmt(mb(outBytes), 0) : outBytes, 'sha256 = CLI': same }) && void process.stderr.write(`imatrix bench: ${type} ${path}: ${fmt(seconds, 1)} s\n`);
  for (const type of TYPES) {
    const out = join(DIR, `out-${type}.gguf`);
    let load = loadavg()[0]!;
    const c = await timedChild(process.execPath, [CLI, 'convert', MODEL, '-o', out, '--type', type, '--imatrix', IMATRIX, '--quiet'], `CLI -> ${type}`);
    const cliSha = sha256(out);
    const outBytes = statSync(out).size;
    rmSync(out, { force: true });
    row(type, 'CLI (--imatrix)', load, c.seconds, fmt(mb(c.rss), 0), fmt(mb(c.pss), 0), outBytes, '-');
    if (LLAMA_QUANTIZE !== null) {
      load = loadavg()[0]!;
      const lq = await timedChild(LLAMA_QUANTIZE, ['--imatrix', IMATRIX, MODEL, out, type], `llama-quantize -> ${type}`);
      const same = sha256(out) === cliSha ? 'yes' : 'NO';
      row(type, 'llama-quantize --imatrix', load, lq.seconds, fmt(mb(lq.rss), 0), fmt(mb(lq.pss), 0), statSync(out).size, same);
      rmSync(out, { force: true });
    }
    load = loadavg()[0]!;
    const p = await pageRun(type);
    row(type, `page (${p.engine}, imatrix picked)`, load, p.seconds, '-', fmt(mb(p.peak), 0) + ' (Chromium)', '-', p.sha === cliSha ? 'yes' : 'NO');
  }
  const lq = LLAMA_QUANTIZE === null ? '; llama-quantize not measured (no binary: set KILN_LLAMA_QUANTIZE)' : '';
  const differ = rows.filter((r) => r['sha256 = CLI'] === 'NO');
  report('imatrix', `F16 -> imatrix quants of a ${SHAPE.layers}-layer llama (n_embd ${SHAPE.nEmbd}, n_ff ${SHAPE.nFf}, vocab ${SHAPE.nVocab}), generated llama-imatrix GGUF (times include writing and verifying the output)${lq}`, rows);
  expect(differ.map((r) => `${r.type} ${r.path}`)).toEqual([]);
});
