import { isTypeName } from '../../src/codecs/catalogue';
import { readSafetensors } from '../../src/formats/safetensors/reader';
import { planSafetensors, writeSafetensors } from '../../src/formats/safetensors/writer';
import { MemorySink, MemorySinkFactory } from '../../src/io/byte-sink';
import { MemorySource } from '../../src/io/byte-source';
import { executePlan } from '../../src/pipeline/executor';
import { GpuEngine } from '../../src/pipeline/gpu-engine';
import { planConversion } from '../../src/pipeline/planner';
import type { HarnessEnv } from './main';
import { rng } from './common';

/**
 * A tensor bigger than the device's largest binding goes through in chunks sized from that limit.
 * Here the limit is lowered on purpose (the software adapter allows 1 GiB) and the same tensor is
 * converted by the full pipeline with the real limit and with the lowered one; the files must be
 * identical.
 */
export const harnessExt = {
  async bindingLimitChunks(env: HarnessEnv, typeName: unknown, rows: unknown, smallBinding: unknown) {
    const type = String(typeName);
    if (!isTypeName(type)) throw new Error(`unknown type ${type}`);
    const { ctx } = await env();
    const n = Number(rows) * 4096;
    const next = rng(12345);
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = (next() / 2 ** 32 - 0.5) * 0.1;
    const plan = planSafetensors({ metadata: new Map([['format', 'pt']]), tensors: [{ name: 'w', type: 'F32', shape: [Number(rows), 4096] }] });
    const sink = new MemorySink('in.safetensors');
    const w = await writeSafetensors(plan, sink);
    await w.write(new Uint8Array(x.buffer));
    await w.finish();
    const model = await readSafetensors([new MemorySource('in.safetensors', sink.bytes())]);
    const run = async (maxBinding: number) => {
      const engine = new GpuEngine({ ...ctx, maxBinding });
      const p = planConversion(model, { format: 'gguf', target: type, baseName: 'out', quantize: { pure: true } });
      const sinks = new MemorySinkFactory();
      await executePlan(p, engine, sinks);
      engine.dispose();
      return { bytes: sinks.sinks.get('out.gguf')!.bytes(), chunk: engine.maxChunkElements('F32', type) };
    };
    const whole = await run(ctx.maxBinding);
    const small = await run(Number(smallBinding));
    let diff = 0;
    for (let i = 0; i < whole.bytes.length; i++) if (whole.bytes[i] !== small.bytes[i]) diff++;
    return { elements: n, wholeChunk: whole.chunk, smallChunk: small.chunk, bytes: whole.bytes.length, sameLength: whole.bytes.length === small.bytes.length, diff };
  },
};
