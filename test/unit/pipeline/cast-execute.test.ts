import { describe, expect, it } from 'vitest';
import { readGguf } from '../../../src/formats/gguf/reader';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { planSafetensors, writeSafetensors } from '../../../src/formats/safetensors/writer';
import { MemorySinkFactory, MemorySink } from '../../../src/io/byte-sink';
import { MemorySource } from '../../../src/io/byte-source';
import { f32BitsToBf16, f32BitsToF16 } from '../../../src/codecs/half';
import { CpuEngine } from '../../../src/pipeline/engine';
import { CancelledError, executePlan } from '../../../src/pipeline/executor';
import { planCast } from '../../../src/pipeline/plan';
import { canDecode, canEncode } from '../../../src/codecs/registry';
import type { ModelView } from '../../../src/formats/model';
import { crc32 } from '../../../src/formats/zip/crc32';

/** A small F32 model: 2-D, 1-D, odd sizes, a row not divisible by 32, and an int tensor. */
async function model(): Promise<{ view: ModelView; values: Map<string, Float32Array> }> {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s / 2 ** 32 - 0.5);
  const specs: { name: string; shape: number[] }[] = [
    { name: 'embed.weight', shape: [37, 64] },
    { name: 'norm.weight', shape: [64] },
    { name: 'odd.weight', shape: [5, 33] },
    { name: 'scalar', shape: [] },
  ];
  const values = new Map<string, Float32Array>();
  const tensors = specs.map((t) => ({ ...t, type: 'F32' as const }));
  const plan = planSafetensors({ metadata: new Map([['format', 'pt']]), tensors });
  const sink = new MemorySink('m.safetensors');
  const w = await writeSafetensors(plan, sink);
  for (const t of plan.tensors) {
    const n = t.nbytes / 4;
    const v = new Float32Array(n).map(() => rnd() * 4);
    values.set(t.name, v);
    await w.write(new Uint8Array(v.buffer));
  }
  await w.finish();
  return { view: await readSafetensors([new MemorySource('m.safetensors', sink.bytes())]), values };
}

const layoutGguf = { format: 'gguf' as const, baseName: 'out' };
const layoutSt = { format: 'safetensors' as const, baseName: 'out' };

describe('cast plan + executor (CPU engine)', () => {
  it('safetensors F32 -> GGUF F16: 2-D tensors F16, 1-D kept F32, values rounded like ggml', async () => {
    const { view, values } = await model();
    const plan = planCast(view, 'F16', layoutGguf, canEncode, canDecode);
    expect(plan.tensors.map((t) => [t.name, t.to])).toEqual([
      ['embed.weight', 'F16'],
      ['norm.weight', 'F32'],
      ['odd.weight', 'F16'],
      ['scalar', 'F32'],
    ]);
    const sinks = new MemorySinkFactory();
    const res = await executePlan(plan, new CpuEngine(), sinks);
    const bytes = sinks.sinks.get('out.gguf')!.bytes();
    expect(bytes.length).toBe(plan.files[0]!.size);
    const out = await readGguf([new MemorySource('out.gguf', bytes)]);
    for (const t of out.tensors) {
      const src = values.get(t.name)!;
      const got = await t.read(0, t.nbytes);
      expect(crc32(got)).toBe(res.checksums.get(t.name));
      if (t.type === 'F16') {
        const h = new Uint16Array(got.buffer, got.byteOffset, got.length / 2);
        const bits = new Uint32Array(src.buffer);
        expect(Array.from(h)).toEqual(Array.from(bits, f32BitsToF16));
      } else {
        expect(new Float32Array(got.slice().buffer)).toEqual(src);
      }
    }
  });

  it('safetensors F32 -> safetensors BF16 (every float tensor), tensors in the Rust crate order', async () => {
    const { view, values } = await model();
    const plan = planCast(view, 'BF16', layoutSt, canEncode, canDecode);
    const sinks = new MemorySinkFactory();
    await executePlan(plan, new CpuEngine(), sinks);
    const out = await readSafetensors([new MemorySource('out.safetensors', sinks.sinks.get('out.safetensors')!.bytes())]);
    expect(out.tensors.every((t) => t.type === 'BF16')).toBe(true);
    for (const t of out.tensors) {
      const got = await t.read(0, t.nbytes);
      const h = new Uint16Array(got.slice().buffer);
      expect(Array.from(h)).toEqual(Array.from(new Uint32Array(values.get(t.name)!.buffer), f32BitsToBf16));
    }
  });

  it('refuses types a format cannot hold', async () => {
    const { view } = await model();
    expect(() => planCast(view, 'Q8_0', layoutSt, canEncode, canDecode)).toThrow(/safetensors cannot hold Q8_0/);
  });

  it('an engine that fails mid-run (a lost GPU) hands over to another: same bytes as a clean run', async () => {
    const { view } = await model();
    const plan = planCast(view, 'F16', { ...layoutGguf }, canEncode, canDecode);
    const clean = new MemorySinkFactory();
    await executePlan(plan, new CpuEngine(), clean);
    let calls = 0;
    const flaky = new CpuEngine();
    const lost = Object.assign(Object.create(flaky) as CpuEngine, {
      label: 'lost GPU',
      transform: (...args: Parameters<CpuEngine['transform']>) => (++calls >= 2 ? Promise.reject(new Error('Device lost')) : flaky.transform(...args)),
    });
    const failures: unknown[] = [];
    const sinks = new MemorySinkFactory();
    const res = await executePlan(plan, lost, sinks, { onEngineFailure: (e) => (failures.push(e), new CpuEngine()) });
    expect(failures).toHaveLength(1);
    expect(res.engine).toBe('CPU (TypeScript codecs)');
    expect(sinks.sinks.get('out.gguf')!.bytes()).toEqual(clean.sinks.get('out.gguf')!.bytes());
  });

  it('cancel aborts the sinks: nothing is committed', async () => {
    const { view } = await model();
    const plan = planCast(view, 'F16', layoutGguf, canEncode, canDecode);
    const ac = new AbortController();
    ac.abort();
    const sinks = new MemorySinkFactory();
    await expect(executePlan(plan, new CpuEngine(), sinks, { signal: ac.signal })).rejects.toBeInstanceOf(CancelledError);
    expect([...sinks.sinks.values()].every((s) => !s.closed && s.position === 0)).toBe(true);
  });
});
