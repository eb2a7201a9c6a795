import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { planSafetensors, writeSafetensors } from '../../../src/formats/safetensors/writer';
import { MemorySink, MemorySinkFactory } from '../../../src/io/byte-sink';
import { MemorySource, type ByteSource } from '../../../src/io/byte-source';
import { CpuEngine, type TransformEngine } from '../../../src/pipeline/engine';
import { CancelledError, executePlan } from '../../../src/pipeline/executor';
import { planCast } from '../../../src/pipeline/plan';
import { StallError } from '../../../src/pipeline/stall-watch';
import { canDecode, canEncode } from '../../../src/codecs/registry';
import type { TypeName } from '../../../src/codecs/catalogue';

/**
 * Every wait in a run completes or fails naming what it waited for: a read, a conversion or a write
 * that never settles ends the run with a StallError (or a cancel ends it at once), and the partial
 * output is removed. Also: a failing engine hands every chunk in flight to the fallback.
 */
async function modelBytes(): Promise<Uint8Array> {
  const specs = [
    { name: 'a.weight', shape: [64, 256] },
    { name: 'b.weight', shape: [64, 256] },
    { name: 'c.weight', shape: [64, 256] },
  ];
  const plan = planSafetensors({ metadata: new Map([['format', 'pt']]), tensors: specs.map((t) => ({ ...t, type: 'F32' as const })) });
  const sink = new MemorySink('m.safetensors');
  const w = await writeSafetensors(plan, sink);
  let x = 1;
  for (const t of plan.tensors) await w.write(new Uint8Array(new Float32Array(t.nbytes / 4).map(() => ((x = (x * 48271) % 2147483647), x / 2147483647 - 0.5)).buffer));
  await w.finish();
  return sink.bytes();
}

/** A source whose reads at or past `hangFrom` never settle (a lost wake-up). */
class HangingSource implements ByteSource {
  readonly size: number;
  constructor(
    readonly name: string,
    private readonly inner: MemorySource,
    private readonly hangFrom: number,
  ) {
    this.size = inner.size;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return offset >= this.hangFrom ? new Promise(() => undefined) : this.inner.read(offset, length);
  }
}

class RecordingSinks extends MemorySinkFactory {
  aborted: string[] = [];
  override async create(name: string): Promise<MemorySink> {
    const s = await super.create(name);
    const abort = s.abort.bind(s);
    s.abort = async () => {
      this.aborted.push(name);
      await abort();
    };
    return s;
  }
}

async function hangingView(hangAtTensor: string) {
  const bytes = await modelBytes();
  const probe = await readSafetensors([new MemorySource('m.safetensors', bytes)]);
  const at = probe.tensors.find((t) => t.name === hangAtTensor)!.fileOffset;
  return readSafetensors([new HangingSource('m.safetensors', new MemorySource('m.safetensors', bytes), at)]);
}

const layout = { format: 'gguf' as const, baseName: 'out' };

describe('no wait in a run is endless', () => {
  it('a read that never settles fails the run naming the tensor and the file; the partial output is removed', async () => {
    const view = await hangingView('b.weight');
    const plan = planCast(view, 'F16', layout, canEncode, canDecode);
    const sinks = new RecordingSinks();
    const err = await executePlan(plan, new CpuEngine(), sinks, { stallSeconds: 0.3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StallError);
    expect((err as Error).message).toMatch(/no progress for 0.3 s .*\d of 3 tensors written.*reading \d+ bytes of "b\.weight" at its byte 0 from m\.safetensors/);
    expect(sinks.aborted).toEqual(['out.gguf']);
    expect(sinks.sinks.get('out.gguf')!.closed).toBe(false);
  });

  it('a conversion that never settles names the engine and the tensor', async () => {
    const view = await hangingView('c.weight');
    const plan = planCast(view, 'F16', layout, canEncode, canDecode);
    const stuck: TransformEngine = {
      label: 'stuck engine',
      maxChunkElements: () => 1 << 20,
      supports: () => true,
      transform: () => new Promise(() => undefined),
      dispose: () => undefined,
    };
    const err = await executePlan(plan, stuck, new RecordingSinks(), { stallSeconds: 0.3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StallError);
    expect((err as Error).message).toMatch(/stuck engine to convert 16384 elements of "a\.weight" \(F32 to F16\)/);
  });

  it('cancel ends a run at once even while a read hangs', async () => {
    const view = await hangingView('a.weight');
    const plan = planCast(view, 'F16', layout, canEncode, canDecode);
    const ac = new AbortController();
    const sinks = new RecordingSinks();
    const run = executePlan(plan, new CpuEngine(), sinks, { signal: ac.signal, stallSeconds: 60 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    ac.abort();
    expect(await run).toBeInstanceOf(CancelledError);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(sinks.aborted).toEqual(['out.gguf']);
  });

  it('when the engine fails, every chunk already in flight is retried on the fallback, not only the first', async () => {
    const bytes = await modelBytes();
    const view = await readSafetensors([new MemorySource('m.safetensors', bytes)]);
    const plan = planCast(view, 'Q8_0', layout, canEncode, canDecode);
    // fails every chunk after the first, slowly, as a lost GPU device fails its queued work
    let calls = 0;
    const failing: TransformEngine = {
      label: 'failing GPU',
      parallelism: 2,
      maxChunkElements: () => 4096,
      supports: () => true,
      transform: async (from: TypeName, to: TypeName, b: Uint8Array, n: number, out?: Uint8Array) => {
        if (calls++ === 0) return new CpuEngine().transform(from, to, b, n, out);
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('device lost');
      },
      dispose: () => undefined,
    };
    const cpu = new CpuEngine();
    let switches = 0;
    const sinks = new MemorySinkFactory();
    const res = await executePlan(plan, failing, sinks, {
      onEngineFailure: (_e, failed) => (failed === failing ? (switches++, cpu) : null),
    });
    expect(switches).toBe(1);
    const want = new MemorySinkFactory();
    await executePlan(plan, new CpuEngine(), want);
    expect(sinks.sinks.get('out.gguf')!.bytes()).toEqual(want.sinks.get('out.gguf')!.bytes());
    expect(res.engine).toBe(cpu.label);
  });
});
