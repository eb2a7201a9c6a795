import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { MemorySource } from '../../../src/io/byte-source';
import { MemorySink } from '../../../src/io/byte-sink';
import { readGguf } from '../../../src/formats/gguf/reader';
import { planGguf, writeGguf } from '../../../src/formats/gguf/writer';
import { fixtureBytes } from '../../support/fixtures';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('GGUF round trip on the gguf-py file', () => {
  it('writes tiny-llama-F16.gguf back byte for byte', async () => {
    const bytes = fixtureBytes('gguf/tiny-llama-F16.gguf');
    expect(sha256(bytes)).toBe('181c98b7bb9b73891b4252614d20236c65ba5c4c949aefaa6a57631c48629967');
    const view = await readGguf([new MemorySource('tiny-llama-F16.gguf', bytes)]);
    const plan = planGguf({
      metadata: view.metadata,
      tensors: view.tensors.map((t) => ({ name: t.name, type: t.type!, shape: t.shape })),
    });
    const sink = new MemorySink('out.gguf');
    const w = await writeGguf(plan, sink);
    for (const t of view.tensors) {
      for (let o = 0; o < t.nbytes; o += 65536) await w.write(await t.read(o, Math.min(65536, t.nbytes - o)));
    }
    await w.finish();
    const out = sink.bytes();
    expect(out.length).toBe(bytes.length);
    expect(sha256(out)).toBe(sha256(bytes));
  });
});
