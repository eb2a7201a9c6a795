import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/io/byte-source';
import { FormatError } from '../../../src/formats/errors';
import { readImatrix } from '../../../src/formats/imatrix/reader';
import { checkImatrixFinite, filterImatrix, imatrixWeights } from '../../../src/formats/imatrix/imatrix';
import { fixtureBytes } from '../../support/fixtures';

const gguf = () => new MemorySource('tiny-llama.imatrix.gguf', fixtureBytes('imatrix/tiny-llama.imatrix.gguf'));
const dat = () => new MemorySource('tiny-llama.imatrix.dat', fixtureBytes('imatrix/tiny-llama.imatrix.dat'));

/** A legacy .dat file from parts (little-endian int32 fields). */
function buildDat(entries: { name: string; ncall: number; values: number[] }[], trailer?: { chunks: number; dataset: string }, count = entries.length): Uint8Array {
  const parts: number[] = [];
  const i32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    parts.push(...b);
  };
  i32(count);
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    i32(name.length);
    parts.push(...name);
    i32(e.ncall);
    i32(e.values.length);
    const f = new Uint8Array(new Float32Array(e.values).buffer);
    parts.push(...f);
  }
  if (trailer) {
    i32(trailer.chunks);
    const d = new TextEncoder().encode(trailer.dataset);
    i32(d.length);
    parts.push(...d);
  }
  return new Uint8Array(parts);
}

describe('imatrix reader', () => {
  it('reads the GGUF imatrix llama-imatrix wrote for the tiny llama', async () => {
    const im = await readImatrix(gguf());
    expect(im.format).toBe('gguf');
    expect(im.datasets).toEqual(['calib.txt']);
    expect(im.chunkCount).toBe(243);
    expect(im.chunkSize).toBe(128);
    expect(im.entries.length).toBe(14);
    expect(im.entries[0]!.name).toBe('blk.0.attn_k.weight');
    for (const e of im.entries) expect(e.counts).toEqual([31104]);
    expect(im.entries.find((e) => e.name === 'blk.0.ffn_down.weight')!.sums.length).toBe(512);
  });

  it('reads the legacy .dat imatrix, and both give bit-identical weights (in_sum2/counts = value/ncall)', async () => {
    const a = await readImatrix(gguf());
    const b = await readImatrix(dat());
    expect(b.format).toBe('dat');
    expect(b.datasets).toEqual(['calib.txt']);
    expect(b.chunkCount).toBe(243);
    expect(b.entries.map((e) => e.name)).toEqual(a.entries.map((e) => e.name));
    for (const e of b.entries) expect(e.counts).toEqual([243]);
    const wa = imatrixWeights(a);
    const wb = imatrixWeights(b);
    for (const [name, w] of wa) expect(Buffer.from(wb.get(name)!.buffer).equals(Buffer.from(w.buffer))).toBe(true);
  });

  it('derives weights per expert, 1 where an expert saw no tokens', () => {
    const w = imatrixWeights({
      format: 'gguf',
      file: 'x',
      datasets: [],
      chunkCount: 0,
      chunkSize: 0,
      entries: [{ name: 'blk.0.ffn_down_exps.weight', sums: new Float32Array([2, 4, 6, 8, 1, 1]), counts: [2, 0, 4] }],
    });
    expect([...w.get('blk.0.ffn_down_exps.weight')!]).toEqual([1, 2, 1, 1, 0.25, 0.25]);
  });

  it('filters as --include-weights / --exclude-weights do (substring match)', async () => {
    const w = imatrixWeights(await readImatrix(gguf()));
    expect(filterImatrix(w, ['attn_v'], []).size).toBe(2);
    expect(filterImatrix(w, [], ['ffn_down']).size).toBe(12);
  });

  it('refuses non-finite weights as llama-quantize does', () => {
    expect(() => checkImatrixFinite('f', new Map([['a', new Float32Array([1, NaN])]]))).toThrow(/non-finite/);
  });

  it('.dat: keeps values when ncall is 0, reads a file without the trailer', async () => {
    const im = await readImatrix(new MemorySource('a.dat', buildDat([{ name: 'w', ncall: 0, values: [3, 5] }])));
    expect(im.chunkCount).toBe(0);
    expect(im.datasets).toEqual([]);
    expect([...imatrixWeights(im).get('w')!]).toEqual([3, 5]);
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['too small', new Uint8Array([1, 0]), /too small|neither a GGUF/],
    ['no entries', buildDat([], undefined, 0), /entry count is 0/],
    ['negative count', buildDat([], undefined, -5), /entry count is -5/],
    ['count beyond the file', buildDat([{ name: 'a', ncall: 1, values: [1] }], undefined, 1000), /needs at least/],
    ['zero values', buildDat([{ name: 'a', ncall: 1, values: [] }, { name: 'b', ncall: 1, values: [1, 2] }]), /has 0 values/],
    ['duplicate', buildDat([{ name: 'a', ncall: 1, values: [1] }, { name: 'a', ncall: 1, values: [1] }]), /duplicate entry/],
    ['truncated values', buildDat([{ name: 'a', ncall: 1, values: [1, 2, 3, 4] }]).subarray(0, 20), /file ends inside the 4 values of entry 1/],
  ];
  for (const [label, bytes, re] of bad) {
    it(`.dat refused: ${label}`, async () => {
      const e = await readImatrix(new MemorySource('bad.dat', bytes)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(FormatError);
      expect((e as Error).message).toMatch(re);
      expect((e as Error).message).toContain('bad.dat');
    });
  }
});
