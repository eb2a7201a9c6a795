import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { sinkFs } from '../../src/io/node/file-sink';
import { OutputFileError } from '../../src/io/node/fs-errors';
import { tinyLlamaF32 } from '../support/tiny-llama';
import { buildGguf } from './formats/gguf-builder';

/**
 * Errors a person can act on (issue 8 §2, item 8): the output path they gave and the reason in
 * words; never an errno code, never a temporary file's name.
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

const errno = (code: string, syscall: string) => Object.assign(new Error(`${code}: something, ${syscall} '/x/.o.gguf.123-ab.partial'`), { code, syscall, path: '/x/.o.gguf.123-ab.partial' });
const dotFiles = () => readdirSync(dir).filter((n) => n.startsWith('.'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-out-errors-'));
  input = join(dir, 'in.gguf');
  writeFileSync(input, await tinyLlamaF32());
});
afterEach(() => {
  sinkFs.open = realOpen;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('write errors name the output and the reason', () => {
  it('a full disk: the path given, the size needed, nothing left behind', async () => {
    let writes = 0;
    sinkFs.open = async (path, flags) => {
      const fh = await realOpen(path, flags);
      const write = fh.write.bind(fh) as (b: Uint8Array, o: number, l: number) => Promise<unknown>;
      Object.assign(fh, { write: (b: Uint8Array, o: number, l: number) => (++writes > 2 ? Promise.reject(errno('ENOSPC', 'write')) : write(b, o, l)) });
      return fh as FileHandle;
    };
    const r = await cli('convert', input, '-o', join(dir, 'model-Q8_0.gguf'), '--type', 'Q8_0', '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`^tensor-kiln: cannot write ${join(dir, 'model-Q8_0.gguf')}: the disk is full \\(the file needs 1549856 bytes; \\d+ were written\\); nothing was kept, free some space and run again\\n$`),
    );
    expect(readdirSync(dir)).not.toContain('model-Q8_0.gguf');
    expect(dotFiles()).toEqual([]);
  });

  it('a read-only file system and a denied permission, when the file is created', async () => {
    for (const [code, reason] of [
      ['EROFS', 'the file system is read-only'],
      ['EACCES', `permission denied (check that you may write in ${dir})`],
    ]) {
      sinkFs.open = () => Promise.reject(errno(code!, 'open'));
      const r = await cli('convert', input, '-o', join(dir, 'o.gguf'), '--type', 'Q8_0', '--quiet');
      expect(r.code).toBe(1);
      expect(r.err).toBe(`tensor-kiln: cannot write ${join(dir, 'o.gguf')}: ${reason}\n`);
    }
  });

  it('every errno the brief names reads as a sentence with the path and without the code', () => {
    for (const code of ['EROFS', 'ENOSPC', 'EACCES', 'EISDIR', 'ENOTDIR', 'ENOENT', 'EDQUOT', 'EMFILE']) {
      const m = OutputFileError.from('out/model.gguf', errno(code, 'write'), { needs: 10, written: 4 }).message;
      expect(m, code).toMatch(/^cannot write out\/model\.gguf: [a-z]/);
      expect(m, code).not.toContain(code);
      expect(m, code).not.toContain('partial');
    }
  });

  it('an output that does not read back is reported as a failed check of the output, not as bad input', async () => {
    let writes = 0;
    sinkFs.open = async (path, flags) => {
      const fh = await realOpen(path, flags);
      const write = fh.write.bind(fh) as (b: Uint8Array, o: number, l: number) => Promise<unknown>;
      // the header's magic, wrong
      Object.assign(fh, { write: (b: Uint8Array, o: number, l: number) => (++writes === 1 ? write(new Uint8Array(l), 0, l) : write(b, o, l)) });
      return fh as FileHandle;
    };
    const r = await cli('convert', input, '-o', join(dir, 'v.gguf'), '--type', 'Q8_0', '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^tensor-kiln: the written output failed its check: v\.gguf does not read back as a valid gguf file \(gguf: bad magic/);
    expect(r.err).not.toContain('partial');
    expect(dotFiles()).toEqual([]);
  });
});

describe('reader messages that misled', () => {
  it('an unknown GGUF type is not "type type 99"', async () => {
    const f = join(dir, 'u99.gguf');
    writeFileSync(f, buildGguf({ tensors: [{ name: 'mystery', ne: [8], type: 99, offset: 0 }], data: 32 }));
    const r = await cli('convert', f, '-o', join(dir, 'u.safetensors'), '--type', 'F32', '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toContain('ggml type 99 (unknown');
    expect(r.err).not.toMatch(/type type/);
  });

  it('a safetensors dimension beyond 2^53 says so', async () => {
    const header = Buffer.from(JSON.stringify({ t: { dtype: 'F32', shape: [0, 2 ** 62], data_offsets: [0, 0] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const f = join(dir, 'huge.safetensors');
    writeFileSync(f, Buffer.concat([len, header]));
    const r = await cli('inspect', f);
    expect(r.code).toBe(1);
    expect(r.err).toBe('tensor-kiln: safetensors: shape dimension 1 is 4611686018427387904, above 2^53 - 1, the largest size Kiln can count exactly (huge.safetensors, offset 8, tensor "t")\n');
  });
});
