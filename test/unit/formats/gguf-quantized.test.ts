import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/io/byte-source';
import { readGguf } from '../../../src/formats/gguf/reader';
import { planGguf } from '../../../src/formats/gguf/writer';
import { fixtureBytes, fixtureJson } from '../../support/fixtures';

/**
 * The 18 llama-quantize outputs of shared/models/tiny-llama/quant, by their headers (the data is
 * zero-filled to the real file size): every tensor's type, ne, absolute offset and byte size must
 * match the listing llama.cpp's side produced (tensor_types.json), and our planner fed with the
 * KVs and tensor infos must reproduce each header (gguf.cpp's writer) byte for byte.
 */
interface Listing {
  [file: string]: { alignment: number; tensors: { name: string; type: string; ne: number[]; offset: number; nbytes: number }[] };
}
const listing = fixtureJson<Listing>('gguf/headers/tensor_types.json');
const sizes = fixtureJson<{ file_sizes: Record<string, number> }>('gguf/headers/sizes.json').file_sizes;

describe('GGUF files written by llama-quantize (gguf.cpp)', () => {
  const files = Object.keys(listing);
  it('covers every quantized output', () => {
    expect(files.length).toBe(18);
  });
  for (const f of files) {
    it(f, async () => {
      const header = fixtureBytes(`gguf/headers/${f}.header`);
      const bytes = new Uint8Array(sizes[f]!);
      bytes.set(header);
      const m = await readGguf([new MemorySource(f, bytes)]);
      const want = listing[f]!;
      expect(m.details.get('alignment')).toBe(String(want.alignment));
      expect(m.tensors.map((t) => ({ name: t.name, type: t.type, ne: [...t.shape].reverse(), offset: t.fileOffset, nbytes: t.nbytes }))).toEqual(want.tensors);
      const plan = planGguf({ metadata: m.metadata, tensors: m.tensors.map((t) => ({ name: t.name, type: t.type!, shape: t.shape })) });
      expect(plan.totalSize).toBe(bytes.length);
      expect(Buffer.from(plan.header).equals(Buffer.from(header))).toBe(true);
    });
  }
});
