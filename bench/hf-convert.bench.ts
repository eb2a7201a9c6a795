import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../test/support/browser';
import { uploadFiles, uploadFolder, waitForTestId } from '../test/support/app-driver';
import { main } from '../src/cli/main';
import { llamaShape, type LlamaShape } from './support/gen-model';
import { writeHfLlamaBf16 } from './support/gen-hf';
import { pssSampler } from './support/memory';
import { timeUiConversion } from './support/ui-run';
import { fmt, mb, report } from './support/report';

/**
 * Issue 9's measurement: a generated ~1 GB BF16 llama-shaped Hugging Face checkpoint converted to
 * Q4_K_M in one pass, through the command line (the built CLI as a child process: time, peak RSS
 * and peak PSS of the process from /proc) and through the page (the folder picked with the
 * 'open-folder' input, CPU engine: time and peak PSS of Chromium), next to GGUF F16 -> Q4_K_M of
 * the same weights (the converter's F16 file of that folder) in the same run.
 * KILN_HF_BENCH_LAYERS overrides the layer count (8 gives ~0.99 GB); KILN_HF_BENCH_ROUNDS the number
 * of rounds (2: each path twice, alternating, so a busy machine shows as a spread, not as a verdict);
 * each row gives the 1-minute load average when it started.
 */
const DIR = '/tmp/kiln-bench/hf';
const SHAPE: LlamaShape = llamaShape(Number(process.env.KILN_HF_BENCH_LAYERS ?? 8));
const ROUNDS = Number(process.env.KILN_HF_BENCH_ROUNDS ?? 2);
const folder = join(DIR, 'bench-llama-bf16');
const gguf = join(DIR, 'bench-llama-F16.gguf');
let hfBytes = 0;

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  hfBytes = await writeHfLlamaBf16(folder, SHAPE);
  // the same weights as the converter's F16 GGUF (not timed)
  expect(await main(['convert', folder, '-o', gguf, '--type', 'F16', '--quiet'], { out: () => undefined, err: (s) => void process.stderr.write(s) })).toBe(0);
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

async function cliRun(input: string, out: string): Promise<{ seconds: number; rss: number; pss: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['bin/tensor-kiln.mjs', 'convert', input, '-o', out, '--type', 'Q4_K_M', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const pss = pssSampler(child.pid!, 200);
  let rss = 0;
  const t = setInterval(() => (rss = Math.max(rss, vmHwm(child.pid!))), 100);
  const code = await new Promise<number>((ok) => child.on('exit', (c) => ok(c ?? -1)));
  clearInterval(t);
  const peak = pss.stop();
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`CLI ${input} -> Q4_K_M exited ${code}: ${err}`);
  rmSync(out, { force: true });
  return { seconds, rss, pss: peak };
}

async function pageRun(open: (s: BrowserSession) => Promise<void>): Promise<{ seconds: number; peak: number }> {
  const s = await launch();
  try {
    await s.page.goto(`${inject('baseUrl')}/`);
    await open(s);
    await waitForTestId(s.page, 'tensor-row');
    return await timeUiConversion(s, 'cpu', 'gguf', 'Q4_K_M', 200);
  } finally {
    await s.close();
  }
}

it('HF BF16 folder -> Q4_K_M in one pass vs GGUF F16 -> Q4_K_M, CLI and page', async () => {
  const ggufBytes = statSync(gguf).size;
  const rows: Record<string, string | number>[] = [];
  let round = 0;
  const cli = async (label: string, input: string, bytes: number) => {
    const load = loadavg()[0]!;
    const r = await cliRun(input, join(DIR, 'out-Q4_K_M.gguf'));
    rows.push({ round, path: label, load: fmt(load, 1), 'input MB': fmt(mb(bytes), 0), seconds: fmt(r.seconds, 1), 'MB/s (input)': fmt(mb(bytes) / r.seconds, 0), 'peak RSS MB': fmt(mb(r.rss), 0), 'peak PSS MB': fmt(mb(r.pss), 0) });
  };
  const page = async (label: string, bytes: number, open: (s: BrowserSession) => Promise<void>) => {
    const load = loadavg()[0]!;
    const r = await pageRun(open);
    rows.push({ round, path: label, load: fmt(load, 1), 'input MB': fmt(mb(bytes), 0), seconds: fmt(r.seconds, 1), 'MB/s (input)': fmt(mb(bytes) / r.seconds, 0), 'peak RSS MB': '-', 'peak PSS MB': fmt(mb(r.peak), 0) + ' (Chromium)' });
  };
  for (round = 1; round <= ROUNDS; round++) {
    // alternate which of the pair goes first, so neither always meets a warmer page cache
    const hfFirst = round % 2 === 1;
    const cliPair = [() => cli('CLI: HF folder (BF16) -> Q4_K_M', folder, hfBytes), () => cli('CLI: GGUF F16 -> Q4_K_M', gguf, ggufBytes)];
    const pagePair = [
      () => page('page (CPU engine): HF folder (BF16) -> Q4_K_M', hfBytes, (s) => uploadFolder(s.page, folder)),
      () => page('page (CPU engine): GGUF F16 -> Q4_K_M', ggufBytes, (s) => uploadFiles(s.page, [gguf])),
    ];
    for (const f of hfFirst ? cliPair : cliPair.reverse()) await f();
    for (const f of hfFirst ? pagePair : pagePair.reverse()) await f();
  }
  report('hf-convert', `Q4_K_M from a ${SHAPE.layers}-layer llama (n_embd ${SHAPE.nEmbd}, vocab ${SHAPE.nVocab}): HF BF16 folder in one pass vs the same weights as GGUF F16 (times include writing and verifying the output)`, rows);
});
