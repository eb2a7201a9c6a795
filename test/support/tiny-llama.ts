import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGguf } from '../../src/formats/gguf/reader';
import { planGguf, writeGguf } from '../../src/formats/gguf/writer';
import type { Metadata } from '../../src/formats/model';
import { MemorySink } from '../../src/io/byte-sink';
import { MemorySource } from '../../src/io/byte-source';
import { CPU_CODECS } from '../../src/codecs/registry';
import { FIXTURES, fixtureBytes } from './fixtures';

/** llama.cpp's sha256 of the tiny llama's files (test/fixtures/tiny-llama/llama-quantize.sha256). */
export function llamaCppSha256(): Map<string, string> {
  const text = readFileSync(join(FIXTURES, 'tiny-llama', 'llama-quantize.sha256'), 'utf8');
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const hit = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (hit) m.set(hit[2]!, hit[1]!);
  }
  return m;
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let f32: Uint8Array | null = null;

/**
 * tiny-llama-F32.gguf, the input llama-quantize was run on, rebuilt from the committed F16 GGUF
 * (the weights are exactly representable in F16) and checked against llama.cpp's sha256 of the
 * original, so the repository carries one 2 MB copy of the model instead of two.
 */
export async function tinyLlamaF32(): Promise<Uint8Array> {
  if (f32) return f32;
  const src = fixtureBytes('gguf/tiny-llama-F16.gguf');
  const view = await readGguf([new MemorySource('tiny-llama-F16.gguf', src)]);
  const metadata: Metadata = new Map(view.metadata);
  metadata.set('general.file_type', { type: 'u32', value: 0 });
  const plan = planGguf({ metadata, tensors: view.tensors.map((t) => ({ name: t.name, type: 'F32' as const, shape: t.shape })) });
  const sink = new MemorySink('tiny-llama-F32.gguf');
  const w = await writeGguf(plan, sink);
  for (const t of view.tensors) {
    const bytes = await t.read(0, t.nbytes);
    if (t.type === 'F32') {
      await w.write(bytes);
    } else {
      const out = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
      CPU_CODECS[t.type!].decode!(bytes, out);
      await w.write(new Uint8Array(out.buffer));
    }
  }
  await w.finish();
  const bytes = sink.bytes();
  const want = llamaCppSha256().get('tiny-llama-F32.gguf');
  if (sha256(bytes) !== want) throw new Error(`rebuilt tiny-llama-F32.gguf has sha256 ${sha256(bytes)}, llama.cpp's is ${want}`);
  f32 = bytes;
  return bytes;
}
