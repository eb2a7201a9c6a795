import type { SinkFactory } from '../io/byte-sink';
import { FormatError } from '../formats/errors';
import { openModel } from '../formats/open';
import { crc32Update } from '../formats/zip/crc32';
import { CancelledError, type RunResult } from './executor';
import type { ConversionPlan } from './plan';

/** The output, read back after writing, differs from what was planned or written. */
export class VerifyError extends Error {
  override readonly name = 'VerifyError';
  constructor(what: string) {
    super(`the written output failed its check: ${what}`);
  }
}

const CHUNK = 8 * 1024 * 1024;

/**
 * Re-reads the written output as a new user would: parses its header with Kiln's own reader,
 * checks every tensor's name, type and shape against the plan, and every tensor's bytes against
 * the CRC-32 taken while it was written.
 */
export async function verifyOutput(plan: ConversionPlan, run: RunResult, sinks: SinkFactory, opts: { signal?: AbortSignal } = {}): Promise<true> {
  try {
    return await verifyFiles(plan, run, sinks, opts.signal);
  } catch (e) {
    // the reader's words ("gguf: bad magic ...") would read as a fault of the user's input
    if (e instanceof FormatError) throw new VerifyError(`${plan.files.map((f) => f.name).join(', ')} does not read back as a valid ${plan.format} file (${e.message})`);
    throw e;
  } finally {
    await sinks.closeReopened?.();
  }
}

async function verifyFiles(plan: ConversionPlan, run: RunResult, sinks: SinkFactory, signal: AbortSignal | undefined): Promise<true> {
  const checkCancel = () => {
    if (signal?.aborted) throw new CancelledError();
  };
  checkCancel();
  const sources = await Promise.all(plan.files.map((f) => sinks.reopen(f.name)));
  for (let i = 0; i < sources.length; i++) {
    if (sources[i]!.size !== plan.files[i]!.size) throw new VerifyError(`${plan.files[i]!.name} is ${sources[i]!.size} bytes, planned ${plan.files[i]!.size}`);
  }
  const view = await openModel(sources);
  const planned = new Map(plan.tensors.map((t) => [t.name, t]));
  // one buffer for every read: re-reading gigabytes must not allocate per chunk
  let buffer: Uint8Array = new Uint8Array(CHUNK);
  if (view.tensors.length !== plan.tensors.length) throw new VerifyError(`output holds ${view.tensors.length} tensors, planned ${plan.tensors.length}`);
  for (const t of view.tensors) {
    const p = planned.get(t.name);
    if (!p) throw new VerifyError(`output holds an unplanned tensor "${t.name}"`);
    if (t.type !== p.to || t.shape.join() !== p.shape.join()) {
      throw new VerifyError(`tensor "${t.name}" reads back as ${t.typeLabel} [${t.shape.join(', ')}], planned ${p.to} [${p.shape.join(', ')}]`);
    }
    let crc = 0;
    for (let o = 0; o < t.nbytes; o += CHUNK) {
      checkCancel();
      const n = Math.min(CHUNK, t.nbytes - o);
      const bytes = await t.read(o, n, buffer.subarray(0, n));
      crc = crc32Update(crc, bytes);
      if (buffer.buffer.byteLength === 0) buffer = new Uint8Array(bytes.buffer as ArrayBuffer, 0, CHUNK); // transferred by a BYOB read
    }
    const want = run.checksums.get(t.name) ?? 0;
    if (crc !== want) throw new VerifyError(`tensor "${t.name}" reads back with CRC-32 ${crc.toString(16)}, written ${want.toString(16)}`);
  }
  return true;
}
