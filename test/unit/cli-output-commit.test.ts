import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { readGguf } from '../../src/formats/gguf/reader';
import { MemorySource } from '../../src/io/byte-source';
import { sinkFs } from '../../src/io/node/file-sink';
import { llamaCppSha256, sha256, tinyLlamaF32 } from '../support/tiny-llama';

/**
 * When the output appears under its name (issue 8 §2, item 2): only complete and verified, each
 * run through a temporary file of its own, so two runs writing one output leave one valid file
 * and a run whose output fails verification leaves the previous file alone.
 */
let dir: string;
let input: string;
const realOpen = sinkFs.open;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

const dotFiles = () => readdirSync(dir).filter((n) => n.startsWith('.'));

/** Makes the sinks' n-th write (counting from 1, over all files) land with its last byte flipped. */
function corruptWrite(n: number): void {
  let count = 0;
  sinkFs.open = async (path, flags) => {
    const fh = await realOpen(path, flags);
    const write = fh.write.bind(fh) as (b: Uint8Array, o: number, l: number) => Promise<{ bytesWritten: number; buffer: Uint8Array }>;
    Object.assign(fh, {
      write: (b: Uint8Array, o: number, l: number) => {
        if (++count !== n) return write(b, o, l);
        const copy = b.slice(o, o + l);
        copy[copy.length - 1]! ^= 0xff;
        return write(copy, 0, l);
      },
    });
    return fh as FileHandle;
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-out-commit-'));
  input = join(dir, 'in.gguf');
  writeFileSync(input, await tinyLlamaF32());
});
afterEach(() => {
  sinkFs.open = realOpen;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('committing the output', () => {
  it('two conversions to one output at once: each ends well, the file is one of the two, whole', async () => {
    const valid: string[] = [];
    for (const type of ['Q8_0', 'F16']) {
      const alone = join(dir, `alone-${type}.gguf`);
      expect((await cli('convert', input, '-o', alone, '--type', type, '--quiet')).code).toBe(0);
      valid.push(sha256(readFileSync(alone)));
    }
    expect(valid[0]).toBe(llamaCppSha256().get('tiny-llama-Q8_0.gguf'));
    const out = join(dir, 'same.gguf');
    for (let round = 0; round < 4; round++) {
      const [a, b] = await Promise.all([cli('convert', input, '-o', out, '--type', 'Q8_0', '--quiet'), cli('convert', input, '-o', out, '--type', 'F16', '--quiet')]);
      expect([a.err, b.err]).toEqual(['', '']);
      expect([a.code, b.code]).toEqual([0, 0]);
      const bytes = readFileSync(out);
      expect(valid).toContain(sha256(bytes));
      const view = await readGguf([new MemorySource('same.gguf', bytes)]);
      expect(view.tensors).toHaveLength(21);
      expect(dotFiles()).toEqual([]);
    }
  });

  it('an output that fails verification never replaces the previous file, and is removed', async () => {
    const out = join(dir, 'kept.gguf');
    expect((await cli('convert', input, '-o', out, '--type', 'Q8_0', '--quiet')).code).toBe(0);
    const good = sha256(readFileSync(out));
    corruptWrite(3); // a tensor's bytes, after the header
    const r = await cli('convert', input, '-o', out, '--type', 'F16', '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^tensor-kiln: the written output failed its check: tensor "[^"]+" reads back with CRC-32/);
    expect(sha256(readFileSync(out))).toBe(good);
    expect(dotFiles()).toEqual([]);
  });

  it('verification reads the temporary file: nothing is under the final name until it passed', async () => {
    const out = join(dir, 'fresh.gguf');
    corruptWrite(2);
    const r = await cli('convert', input, '-o', out, '--type', 'F16', '--quiet');
    expect(r.code).toBe(1);
    expect(readdirSync(dir)).not.toContain('fresh.gguf');
    expect(dotFiles()).toEqual([]);
  });
});
