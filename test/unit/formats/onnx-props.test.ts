import { afterAll, describe, expect, it } from 'vitest';
import { typeInfo } from '../../../src/codecs/catalogue';
import { MemorySource, type ByteSource } from '../../../src/io/byte-source';
import { FormatError } from '../../../src/formats/errors';
import { elementCount } from '../../../src/formats/model';
import { readOnnx } from '../../../src/formats/onnx/reader';
import { byteMutation, mutate, mutationRunner, type Outcome } from '../../support/byte-mutations';
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

async function outcome(files: ByteSource[]): Promise<Outcome> {
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

const run = mutationRunner(outcome, CASE_MS, stats, byteMutation(4));

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
