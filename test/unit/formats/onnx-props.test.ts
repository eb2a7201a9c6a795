import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { typeInfo } from '../../../src/codecs/catalogue';
import { MemorySource, type ByteSource } from '../../../src/io/byte-source';
import { FormatError } from '../../../src/formats/errors';
import { elementCount } from '../../../src/formats/model';
import { readOnnx } from '../../../src/formats/onnx/reader';
import { fixtureBytes } from '../../support/fixtures';

/**
 * Mutation properties: python3-onnx models with bytes changed, dropped or appended must either
 * parse (and then every decodable tensor reads in full, or fails with a FormatError when its
 * lazily decoded values are bad) or fail with a FormatError, within a time bound. ONNX has no
 * checksums, so every mutation reaches the protobuf walk. Case counts and the slowest case are
 * printed for the report.
 */

const CASE_MS = 2000;
const stats: string[] = [];
afterAll(() => console.log(`onnx mutation properties:\n  ${stats.join('\n  ')}`));

async function outcome(files: ByteSource[]): Promise<'parsed' | 'format-error'> {
  let v;
  try {
    v = await readOnnx(files);
  } catch (e) {
    if (e instanceof FormatError) return 'format-error';
    throw e;
  }
  for (const t of v.tensors) {
    if (t.type === null) continue;
    // a tensor the reader accepted is self-consistent
    expect(t.nbytes).toBe(elementCount(t.shape) * typeInfo(t.type).typeSize);
    try {
      await t.read(0, t.nbytes);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
    }
  }
  return 'parsed';
}

const mutation = fc.record({
  edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
  cut: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
  append: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
});
type Mutation = { edits: [number, number][]; cut: number | null; append: Uint8Array | null };

function mutate(b: Uint8Array, m: Mutation): Uint8Array {
  let out = b.slice();
  for (const [p, v] of m.edits) out[p % out.length] = v;
  if (m.cut !== null) out = out.subarray(0, m.cut % (out.length + 1));
  if (m.append !== null) out = new Uint8Array([...out, ...m.append]);
  return out;
}

async function run(name: string, runs: number, make: (m: Mutation) => ByteSource[]): Promise<void> {
  const counts = { parsed: 0, 'format-error': 0 };
  let slowest = 0;
  const t0 = performance.now();
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      const s = performance.now();
      counts[await outcome(make(m as Mutation))]++;
      const ms = performance.now() - s;
      slowest = Math.max(slowest, ms);
      expect(ms).toBeLessThan(CASE_MS);
    }),
    { numRuns: runs, seed: 42 },
  );
  stats.push(
    `${name}: ${runs} cases in ${(performance.now() - t0).toFixed(0)} ms (slowest ${slowest.toFixed(1)} ms): ${counts.parsed} parsed, ${counts['format-error']} FormatError`,
  );
}

describe('mutated models: a correct parse or a FormatError, never anything else', () => {
  const typed = fixtureBytes('onnx/typed.onnx');
  const ext = fixtureBytes('onnx/external.onnx');
  const extData = fixtureBytes('onnx/external.onnx.data');
  const f8 = fixtureBytes('onnx/float8.onnx');

  it('typed.onnx (every storage field)', async () => {
    await run('typed.onnx', 800, (m) => [new MemorySource('typed.onnx', mutate(typed, m))]);
  }, 120_000);

  it('float8.onnx', async () => {
    await run('float8.onnx', 1000, (m) => [new MemorySource('float8.onnx', mutate(f8, m))]);
  }, 120_000);

  it('external.onnx and its data file', async () => {
    await run('external.onnx (model mutated)', 1000, (m) => [new MemorySource('external.onnx', mutate(ext, m)), new MemorySource('external.onnx.data', extData)]);
    await run('external.onnx.data (data mutated)', 300, (m) => [new MemorySource('external.onnx', ext), new MemorySource('external.onnx.data', mutate(extData, m))]);
  }, 120_000);

  it('every truncation of float8.onnx and external.onnx', async () => {
    let n = 0;
    const t0 = performance.now();
    for (const [name, b, side] of [['float8.onnx', f8, []], ['external.onnx', ext, [new MemorySource('external.onnx.data', extData)]]] as const) {
      for (let len = 0; len < b.length; len++) {
        await outcome([new MemorySource(name, b.subarray(0, len)), ...side]);
        n++;
      }
    }
    stats.push(`truncations: ${n} cases in ${(performance.now() - t0).toFixed(0)} ms`);
  });
});
