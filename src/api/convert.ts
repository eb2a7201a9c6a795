import type { ModelView } from '../formats/model';
import type { SinkFactory } from '../io/byte-sink';
import { CpuEngine, type TransformEngine } from '../pipeline/engine';
import { CancelledError, executePlan, type ProgressInfo, type RunResult } from '../pipeline/executor';
import type { ConversionPlan, OutputFormat } from '../pipeline/plan';
import { planConversion } from '../pipeline/planner';
import { parseQuantizeOptions, type QuantizeOptionsText } from '../pipeline/quantize-options';
import { verifyOutput } from '../pipeline/verify';
import type { KilnModel } from './model';

export interface PlanOptions {
  /** A type (F16, BF16, Q8_0, ...) or a llama-quantize preset (Q4_K_M, ...). */
  readonly target: string;
  /** Default gguf. */
  readonly format?: OutputFormat;
  /** The output file's name (or the stem of split parts / shards); default model.gguf / model.safetensors. */
  readonly baseName?: string;
  /** llama-quantize's options, spelled as its flags take them (the CLI's and the app's own parser). */
  readonly options?: QuantizeOptionsText;
}

export interface ConvertOptions extends PlanOptions {
  /** Where the output files go: a NodeDirSinkFactory, an OPFS or picked-folder factory, memory. */
  readonly output: SinkFactory;
  /** Default: the CPU codecs on this thread (WebAssembly where it runs). */
  readonly engine?: TransformEngine;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ProgressInfo) => void;
  /** Re-read the written output and compare every tensor's checksum (default true). */
  readonly verify?: boolean;
}

export interface ConvertResult {
  readonly plan: ConversionPlan;
  readonly run: RunResult;
}

function viewOf(model: KilnModel | ModelView): ModelView {
  return 'view' in model ? model.view : model;
}

/**
 * Decides the whole conversion before any data moves: every output tensor's type and size, the
 * output metadata, the files and their exact sizes, and warnings. The same planner the app and
 * the CLI use (llama-quantize's rules for presets).
 */
export function planModelConversion(model: KilnModel | ModelView, opts: PlanOptions): ConversionPlan {
  const format = opts.format ?? 'gguf';
  const baseName = opts.baseName ?? (format === 'gguf' ? 'model.gguf' : 'model.safetensors');
  return planConversion(viewOf(model), { format, target: opts.target, baseName, ...parseQuantizeOptions(opts.options ?? {}) });
}

/**
 * Plans and runs a conversion, streaming tensors from the model's files through the engine into
 * the output's sinks; a failed or cancelled run leaves its sinks aborted (nothing under the final
 * names). With verify, the output is read back before this resolves.
 */
export async function convertModel(model: KilnModel | ModelView, opts: ConvertOptions): Promise<ConvertResult> {
  const plan = planModelConversion(model, opts);
  const engine = opts.engine ?? new CpuEngine();
  try {
    const run = await executePlan(plan, engine, opts.output, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    if (opts.verify !== false) await verifyOutput(plan, run, opts.output, opts.signal ? { signal: opts.signal } : {});
    if (opts.signal?.aborted) throw new CancelledError();
    return { plan, run };
  } finally {
    if (opts.engine === undefined) engine.dispose();
    await opts.output.closeReopened?.();
  }
}
