import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { llamaCppSha256, sha256, tinyLlamaF32 } from '../../support/tiny-llama';

/**
 * The command line quantizes the tiny llama exactly as llama-quantize did: every output's
 * sha256 equals llama.cpp's (16 presets plus --pure Q4_0 and Q4_K_M), and Q2_K_S is refused
 * before any file is written, as llama-quantize refuses it.
 */
const CASES: [string, string[]][] = [
  ['Q8_0', []], ['Q4_0', []], ['Q4_1', []], ['Q5_0', []], ['Q5_1', []], ['Q2_K', []], ['Q3_K_S', []], ['Q3_K_M', []], ['Q3_K_L', []],
  ['Q4_K_S', []], ['Q4_K_M', []], ['Q5_K_S', []], ['Q5_K_M', []], ['Q6_K', []], ['IQ4_NL', []], ['IQ4_XS', []],
  ['Q4_0', ['--pure']], ['Q4_K_M', ['--pure']],
];

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('tensor-kiln convert vs llama-quantize on the tiny llama', () => {
  it('rebuilds llama-quantize\'s input byte for byte', async () => {
    expect(sha256(await tinyLlamaF32())).toBe(llamaCppSha256().get('tiny-llama-F32.gguf'));
  });

  for (const [preset, flags] of CASES) {
    const name = `tiny-llama-${preset}${flags.includes('--pure') ? '-pure' : ''}.gguf`;
    it(`${preset} ${flags.join(' ')}: sha256 equals llama-quantize's`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kiln-q-'));
      try {
        writeFileSync(join(dir, 'in.gguf'), await tinyLlamaF32());
        const r = await cli(['convert', join(dir, 'in.gguf'), '-o', join(dir, name), '--type', preset, '--quiet', ...flags]);
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        expect(sha256(readFileSync(join(dir, name)))).toBe(llamaCppSha256().get(name));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }

  it('refuses Q2_K_S (needs an importance matrix) and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-q-'));
    try {
      writeFileSync(join(dir, 'in.gguf'), await tinyLlamaF32());
      const r = await cli(['convert', join(dir, 'in.gguf'), '-o', join(dir, 'out.gguf'), '--type', 'Q2_K_S', '--quiet']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/requires an imatrix|importance matrix/);
      expect(r.err).toMatch(/blk\.0\.attn_k\.weight/);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(readdirSync(dir)).toEqual(['in.gguf']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
