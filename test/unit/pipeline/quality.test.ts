import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TypeName } from '../../../src/codecs/catalogue';
import { CPU_CODECS, canDecode, canEncode } from '../../../src/codecs/registry';
import { readGguf } from '../../../src/formats/gguf/reader';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { planSafetensors, writeSafetensors } from '../../../src/formats/safetensors/writer';
import { MemorySink, MemorySinkFactory } from '../../../src/io/byte-sink';
import { MemorySource } from '../../../src/io/byte-source';
import { CpuEngine, chunkGranule } from '../../../src/pipeline/engine';
import { executePlan } from '../../../src/pipeline/executor';
import { planCast } from '../../../src/pipeline/plan';
import { PoolEngine, type CodecPort } from '../../../src/pipeline/pool-engine';
import { runCodecJob, type CodecJobResult } from '../../../src/pipeline/codec-job';

/**
 * Per-tensor quantization error measured during a run (CPU twin, summed over several chunks)
 * against numpy computing the same four numbers in float64 from the input and the decoded output.
 */
const SHAPE = [48, 256];

async function model(): Promise<{ view: Awaited<ReturnType<typeof readSafetensors>>; values: Float32Array }> {
  let s = 777;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s / 2 ** 32 - 0.5);
  const plan = planSafetensors({ metadata: new Map([['format', 'pt']]), tensors: [{ name: 'blk.0.w.weight', shape: SHAPE, type: 'F32' }] });
  const values = new Float32Array(SHAPE[0]! * SHAPE[1]!).map((_, i) => rnd() * 0.2 + (i % 997 === 0 ? 3 : 0));
  const sink = new MemorySink('m.safetensors');
  const w = await writeSafetensors(plan, sink);
  await w.write(new Uint8Array(values.buffer));
  await w.finish();
  return { view: await readSafetensors([new MemorySource('m.safetensors', sink.bytes())]), values };
}

/** The CPU engine with small chunks, so the sums are folded over many chunks. */
class SmallChunks extends CpuEngine {
  override maxChunkElements(from: TypeName, to: TypeName): number {
    return chunkGranule(from, to) * 32;
  }
}

function numpyMetrics(input: Float32Array, output: Float32Array): { rmse: number; maxAbs: number; cosine: number; snrDb: number } {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-quality-'));
  try {
    writeFileSync(join(dir, 'a.f32'), new Uint8Array(input.buffer));
    writeFileSync(join(dir, 'b.f32'), new Uint8Array(output.buffer));
    const py = [
      'import json, sys, numpy as np',
      `a = np.fromfile(sys.argv[1] + "/a.f32", dtype=np.float32).astype(np.float64)`,
      `b = np.fromfile(sys.argv[1] + "/b.f32", dtype=np.float32).astype(np.float64)`,
      'e = b - a',
      'print(json.dumps({"rmse": float(np.sqrt(np.mean(e * e))), "maxAbs": float(np.max(np.abs(e))), "cosine": float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))), "snrDb": float(10 * np.log10(np.sum(a * a) / np.sum(e * e)))}))',
    ].join('\n');
    writeFileSync(join(dir, 'm.py'), py);
    return JSON.parse(execFileSync('python3', [join(dir, 'm.py'), dir], { encoding: 'utf8' })) as never;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('quantization error during a run vs numpy', () => {
  for (const target of ['Q4_0', 'Q8_0', 'F16'] as const) {
    it(`F32 -> ${target}: RMSE, max abs error, cosine and SNR equal numpy's float64 values`, async () => {
      const { view, values } = await model();
      const plan = planCast(view, target, { format: 'gguf', baseName: 'out' }, canEncode, canDecode);
      const sinks = new MemorySinkFactory();
      const res = await executePlan(plan, new SmallChunks(), sinks, { qualityStats: true });
      expect(res.quality).toHaveLength(1);
      const q = res.quality![0]!;
      expect([q.name, q.from, q.to, q.elements, q.nonFinite]).toEqual(['blk.0.w.weight', 'F32', target, values.length, 0]);
      const out = await readGguf([new MemorySource('out.gguf', sinks.sinks.get('out.gguf')!.bytes())]);
      const t = out.tensors[0]!;
      const decoded = new Float32Array(values.length);
      CPU_CODECS[target].decode!(await t.read(0, t.nbytes), decoded);
      const np = numpyMetrics(values, decoded);
      expect(q.rmse).toBeGreaterThan(0);
      // float64 sums in another order than numpy's pairwise ones: equal to ~1e-13 relative
      expect(Math.abs(q.rmse - np.rmse) / np.rmse).toBeLessThan(1e-12);
      expect(q.maxAbsError).toBe(np.maxAbs);
      expect(Math.abs(q.cosine - np.cosine)).toBeLessThan(1e-12);
      expect(Math.abs(q.snrDb - np.snrDb)).toBeLessThan(1e-9);
    });
  }

  it('the codec workers measure in parallel (PoolEngine): the same numbers as the executor\'s twin', async () => {
    const { view } = await model();
    const plan = planCast(view, 'Q4_0', { format: 'gguf', baseName: 'out' }, canEncode, canDecode);
    // in-process ports running the codec worker's own job function
    const port = (): CodecPort => {
      let cb: (r: CodecJobResult) => void = () => undefined;
      return { post: (job) => void runCodecJob(job).then((r) => cb(r)), onResult: (f) => (cb = f), terminate: () => undefined };
    };
    const pool = new PoolEngine([port(), port()]);
    const a = await executePlan(plan, pool, new MemorySinkFactory(), { qualityStats: true });
    const b = await executePlan(plan, new CpuEngine(), new MemorySinkFactory(), { qualityStats: true });
    expect(a.quality).toEqual(b.quality);
  });

  it('a run without qualityStats returns no quality; an unchanged tensor gets no entry', async () => {
    const { view } = await model();
    const plan = planCast(view, 'F32', { format: 'gguf', baseName: 'out' }, canEncode, canDecode);
    expect((await executePlan(plan, new CpuEngine(), new MemorySinkFactory())).quality).toBeUndefined();
    expect((await executePlan(plan, new CpuEngine(), new MemorySinkFactory(), { qualityStats: true })).quality).toEqual([]);
  });
});
