import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { fixtureBytes, fixtureJson } from './fixtures';
import { sha256 } from './tiny-llama';

/**
 * tensor-kiln convert --imatrix on the tiny llama: every case llama-quantize 34af94cd was run on
 * (../shared/models/tiny-llama/imatrix) gives its bytes, and its failures fail with nothing
 * written. The imatrix is passed by its bare name, as there, since quantize.imatrix.file keeps
 * the argument as given. test/unit/cli-imatrix.test.ts runs them all; the page runs them in
 * imatrix-page-cases.ts.
 */
export interface ImatrixCase {
  case: string;
  type: string;
  options: string[];
  exit_code: number;
  sha256?: string;
}
export const IMATRIX_CASES = fixtureJson<{ cases: ImatrixCase[] }>('imatrix/llama-quantize-cases.json').cases;

async function cli(...args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(args, { out: () => undefined, err: (s) => void (err += s) });
  return { code, err };
}

/** Registers one test per case that `pick` keeps, plus the option refusals, in a scratch folder. */
export function describeImatrixCases(title: string, pick: (c: ImatrixCase) => boolean): void {
  let dir: string;
  let cwd: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-imatrix-'));
    writeFileSync(join(dir, 'tiny-llama-F16.gguf'), fixtureBytes('gguf/tiny-llama-F16.gguf'));
    writeFileSync(join(dir, 'tiny-llama.imatrix.gguf'), fixtureBytes('imatrix/tiny-llama.imatrix.gguf'));
    writeFileSync(join(dir, 'tiny-llama.imatrix.dat'), fixtureBytes('imatrix/tiny-llama.imatrix.dat'));
    cwd = process.cwd();
    process.chdir(dir);
  });
  afterAll(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  describe(title, () => {
    for (const c of IMATRIX_CASES.filter(pick)) {
      it(`${c.case}: ${c.exit_code === 0 ? 'same bytes' : 'refused, nothing written'}`, async () => {
        const out = `out-${c.case}.gguf`;
        const r = await cli('convert', 'tiny-llama-F16.gguf', '-o', out, '--type', c.type, '--quiet', ...c.options);
        if (c.exit_code === 0) {
          expect(r.err).toBe('');
          expect(r.code).toBe(0);
          expect(sha256(new Uint8Array(readFileSync(out)))).toBe(c.sha256);
        } else {
          expect(r.code).not.toBe(0);
          expect(r.err).toMatch(c.case.includes('pure') ? /iq2_xxs cannot be made without an importance matrix.*output\.weight/ : /Missing importance matrix for tensor blk\.0\.ffn_down\.weight in a very low-bit quantization/);
          expect(existsSync(out)).toBe(false);
        }
      }, 120_000);
    }

    it('--include-weights with --exclude-weights is a usage error, as in llama-quantize', async () => {
      const r = await cli('convert', 'tiny-llama-F16.gguf', '-o', 'x.gguf', '--type', 'Q4_K_M', '--imatrix', 'tiny-llama.imatrix.gguf', '--include-weights', 'a', '--exclude-weights', 'b');
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/cannot be used together/);
    });

    it('a damaged imatrix is refused naming the file, before anything is written', async () => {
      writeFileSync('bad.imatrix.dat', new Uint8Array([5, 0, 0, 0, 1, 0]));
      const r = await cli('convert', 'tiny-llama-F16.gguf', '-o', 'y.gguf', '--type', 'Q4_K_M', '--imatrix', 'bad.imatrix.dat');
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/imatrix: .*bad\.imatrix\.dat/);
      expect(existsSync('y.gguf')).toBe(false);
    });
  });
}
