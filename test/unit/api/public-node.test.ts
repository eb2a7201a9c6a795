import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertToFile, openModel, KilnApiError, RemoteFileChangedError, type ProgressInfo } from '../../../src/node';
import { llamaCppSha256, sha256, tinyLlamaF32 } from '../../support/tiny-llama';
import { RangeServer } from '../../support/range-server';

/**
 * The Node entry point, used only through what it exports: the tiny llama served by a loopback
 * HTTP server converts to Q4_K_M with the bytes llama-quantize wrote, reading only ranges.
 */
let srv: RangeServer;
let f32: Uint8Array;
let dir: string;
beforeAll(async () => {
  f32 = await tinyLlamaF32();
  srv = await new RangeServer().start();
  srv.put('/models/tiny-llama-F32.gguf', f32);
  dir = mkdtempSync(join(tmpdir(), 'kiln-api-'));
});
afterAll(async () => {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('public Node API', () => {
  it('converts a GGUF from a URL to Q4_K_M byte-identical to llama-quantize, by ranges only', async () => {
    srv.log.length = 0;
    const model = await openModel(srv.url('/models/tiny-llama-F32.gguf'));
    expect(model.format).toBe('gguf');
    const progress: ProgressInfo[] = [];
    const out = join(dir, 'tiny-llama-Q4_K_M.gguf');
    const r = await convertToFile(model, out, { target: 'Q4_K_M', onProgress: (p) => progress.push(p) });
    expect(sha256(readFileSync(out))).toBe(llamaCppSha256().get('tiny-llama-Q4_K_M.gguf'));
    expect(r.plan.target).toBe('Q4_K_M');
    expect(progress.at(-1)?.tensorsDone).toBe(r.plan.tensors.length);
    expect(srv.log.every((q) => q.range !== null && q.status === 206)).toBe(true);
    const fetched = srv.log.reduce((a, q) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(q.range!)!;
      return a + Number(m[2]) - Number(m[1]) + 1;
    }, 0);
    // the header window may overlap the first tensors; nothing is fetched twice beyond that
    expect(fetched).toBeLessThan(f32.length + (2 << 20));
    expect(readdirSync(dir)).toEqual(['tiny-llama-Q4_K_M.gguf']);
  });

  it('reads a tensor by rows, raw and decoded, from a local path', async () => {
    const p = join(dir, 'in.gguf');
    writeFileSync(p, f32);
    const model = await openModel(p);
    try {
      const t = model.tensors.find((x) => x.shape.length === 2)!;
      const { rows, rowElements, rowBytes } = model.rowLayout(t);
      expect(rows * rowBytes).toBe(t.nbytes);
      const raw = await model.readTensor(t.name, { rows: [1, 3] });
      expect(raw.length).toBe(2 * rowBytes);
      const all = await model.readTensor(t.name, { as: 'f32' });
      const part = await model.readTensor(t.name, { rows: [1, 3], as: 'f32' });
      expect(part).toEqual(all.subarray(rowElements, 3 * rowElements));
      const half = await model.readTensor(t.name, { rows: [1, 2], as: 'f16' });
      expect(half).toBeInstanceOf(Uint16Array);
      expect(half.length).toBe(rowElements);
      expect(() => model.tensor('nope')).toThrow(KilnApiError);
      await expect(model.readTensor(t.name, { rows: [0, rows + 1] })).rejects.toThrow(/outside its/);
    } finally {
      await model.close();
    }
  });

  it('a file replaced on the server mid-conversion fails the run and leaves no output', async () => {
    srv.put('/models/changing.gguf', f32);
    const model = await openModel(srv.url('/models/changing.gguf'), { http: { retryDelayMs: 1 } });
    const out = join(dir, 'changed.gguf');
    let swapped = false;
    const run = convertToFile(model, out, {
      target: 'Q8_0',
      onProgress: () => {
        if (swapped) return;
        swapped = true;
        srv.put('/models/changing.gguf', f32.slice(), { etag: '"v2"' });
      },
    });
    await expect(run).rejects.toThrow(RemoteFileChangedError);
    expect(readdirSync(dir).filter((n) => n.startsWith('changed'))).toEqual([]);
  });
});

describe('tensor-kiln inspect over HTTP', () => {
  it('inspects a URL, reading only ranges', async () => {
    const { main } = await import('../../../src/cli/main');
    srv.log.length = 0;
    let out = '';
    let err = '';
    const code = await main(['inspect', srv.url('/models/tiny-llama-F32.gguf')], { out: (s) => void (out += s), err: (s) => void (err += s) });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/blk\.0\.attn_q\.weight/);
    expect(srv.log.every((q) => q.range !== null)).toBe(true);
    expect(srv.log.length).toBeLessThanOrEqual(3);
  });

  it('a missing local model file is still a missing file, not a Hub repository', async () => {
    await expect(openModel('models/none.gguf')).rejects.toThrow(/ENOENT|no such file|not exist/i);
  });
});

describe('tensor-kiln convert over HTTP', () => {
  it('converts a URL to Q4_K_M with llama-quantize\'s bytes', async () => {
    const { main } = await import('../../../src/cli/main');
    let err = '';
    const out = join(dir, 'cli-Q4_K_M.gguf');
    const code = await main(['convert', srv.url('/models/tiny-llama-F32.gguf'), '-o', out, '--type', 'Q4_K_M', '--quiet'], { out: () => undefined, err: (s) => void (err += s) });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(sha256(readFileSync(out))).toBe(llamaCppSha256().get('tiny-llama-Q4_K_M.gguf'));
  });
});
