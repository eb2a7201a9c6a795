import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FIXTURES } from '../support/fixtures';
import { writeF32Gguf } from './cli-output-model';

/**
 * Ctrl-C and odd inputs, on the built command line as a user runs it (issue 8 §2, item 7): a
 * double Ctrl-C, and one during verification, end with "cancelled" and no temporary file; a FIFO
 * is refused at once instead of waiting for a writer forever.
 */
const ROOT = join(FIXTURES, '..', '..');
const run = promisify(execFile);
let dir: string;
let input: string;

beforeAll(async () => {
  await run('npm', ['run', 'build:cli'], { cwd: ROOT });
  dir = mkdtempSync(join(tmpdir(), 'kiln-out-signals-'));
  input = join(dir, 'big.gguf');
  await writeF32Gguf(input, 16, 1024, 4096); // 268 MB: about a second of Q4_K on two cores
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs `convert` writing into a fresh folder; `when` resolves once the run is where the signals
 * should land, then `signals` are sent `gapMs` apart.
 */
async function interrupted(args: string[], when: (out: string, stderr: () => string) => Promise<void>, signals: number, gapMs: number): Promise<{ outcome: Outcome; out: string }> {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  mkdirSync(out);
  const child = spawn(process.execPath, ['bin/tensor-kiln.mjs', 'convert', input, '-o', join(out, 'o.gguf'), ...args], { cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<Outcome>((res) => child.on('exit', (code, signal) => res({ code, signal, stderr })));
  await when(out, () => stderr);
  for (let i = 0; i < signals; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
    child.kill('SIGINT');
  }
  const outcome = await exited;
  // stderr may still be draining after 'exit'
  await new Promise((r) => setTimeout(r, 20));
  return { outcome: { ...outcome, stderr }, out };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('Ctrl-C', () => {
  it('twice within 10 ms during the conversion: status 130, "cancelled", no temporary file left', async () => {
    const { outcome, out } = await interrupted(
      ['--type', 'Q4_K'],
      (o) => until(() => readdirSync(o).some((n) => n.endsWith('.partial')), 'the temporary file'),
      2,
      10,
    );
    expect(outcome.signal).toBe(null);
    expect(outcome.code).toBe(130);
    expect(outcome.stderr).toContain('cancelled');
    expect(readdirSync(out)).toEqual([]);
  }, 60_000);

  it('during verification: the run stops there, status 130, and nothing is left', async () => {
    const { outcome, out } = await interrupted(['--type', 'F32'], (_o, err) => until(() => err().includes('verifying the written output'), 'verification'), 1, 0);
    expect(outcome.signal).toBe(null);
    expect(outcome.code).toBe(130);
    expect(outcome.stderr).toContain('tensor-kiln: conversion cancelled; the partial output was removed');
    expect(readdirSync(out)).toEqual([]);
  }, 60_000);
});

describe('inputs that are not regular files', () => {
  it('inspect and convert refuse a FIFO at once', async () => {
    const fifo = join(dir, 'pipe.gguf');
    execFileSync('mkfifo', [fifo]);
    for (const args of [['inspect', fifo], ['convert', fifo, '-o', join(dir, 'x.gguf'), '--type', 'F16']]) {
      const t0 = Date.now();
      const r = await run(process.execPath, ['bin/tensor-kiln.mjs', ...args], { cwd: ROOT, timeout: 5000 }).catch((e: { code: number; stderr: string; killed: boolean }) => e);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect((r as { killed: boolean }).killed).toBe(false);
      expect((r as { code: number }).code).toBe(1);
      expect((r as { stderr: string }).stderr).toBe(`tensor-kiln: cannot read ${fifo}: it is a named pipe (FIFO); give a model file\n`);
    }
  }, 30_000);
});
