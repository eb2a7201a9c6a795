import type { TypeName } from '../codecs/catalogue';
import { canDecode, canEncode } from '../codecs/registry';
import { planCast, PlanError, type ConversionPlan } from './plan';
import { UnsupportedError } from '../formats/errors';
import type { ModelView } from '../formats/model';
import { buildConfig, buildGenerationConfig } from '../formats/hf-export/config';
import { exportArchitectures, exportFamilyFor } from '../formats/hf-export/families';
import { Kv } from '../formats/hf-export/gguf-kv';
import { pyJsonFile } from '../formats/hf-export/py-json';
import { exportTensors } from '../formats/hf-export/tensors';
import { tokenizerFiles } from '../formats/hf-export/tokenizer-files';
import { recoverLlama3Rope, type Llama3Rope } from '../formats/hf-export/rope-llama3';

/**
 * GGUF -> Hugging Face folder: the weights as a safetensors cast plan (dequantized to F32, F16 or
 * BF16, Hugging Face names, transforms undone, sharded as huggingface_hub shards, __metadata__
 * {"format": "pt"} as torch writes it) that the executor streams like any other, plus the small
 * files (config.json, tokenizer files, generation_config.json) decided up front, so that nothing
 * is written before everything is known.
 */

/** huggingface_hub's default max_shard_size ("5GB", decimal). */
export const HF_DEFAULT_SHARD_BYTES = 5_000_000_000;

const DTYPES: readonly TypeName[] = ['F32', 'F16', 'BF16'];

export interface HfExportOptions {
  readonly type: string;
  readonly maxShardBytes?: number;
}

export interface HfExportPlan {
  /** The weights: model.safetensors, or model-0000i-of-0000N.safetensors + model.safetensors.index.json. */
  readonly weights: ConversionPlan;
  /** Everything else, in writing order. */
  readonly files: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>;
  readonly warnings: readonly string[];
  readonly summary: string;
}

export async function planHfExport(model: ModelView, opts: HfExportOptions): Promise<HfExportPlan> {
  const type = opts.type.trim().toUpperCase() as TypeName;
  if (!DTYPES.includes(type)) throw new PlanError(`a Hugging Face folder holds F32, F16 or BF16 weights, not ${opts.type}`);
  if (model.format !== 'gguf') throw new PlanError(`--format hf converts a GGUF back to a Hugging Face folder; this input is ${model.format}`);
  const kv = new Kv(model.metadata);
  const ggufArch = kv.str('general.architecture');
  const where = { format: 'gguf' as const, file: model.files[0] ?? 'model.gguf' };
  if (ggufArch === undefined) throw new UnsupportedError(where, 'general.architecture is missing, so the Hugging Face architecture is unknown');
  const fam = exportFamilyFor(ggufArch, (kv.num(`${ggufArch}.expert_count`) ?? 0) > 0);
  if (fam === null) throw new UnsupportedError(where, `architecture ${ggufArch} is not written back as a Hugging Face folder yet; Kiln writes ${exportArchitectures().join(', ')}`);
  const { family, arch } = fam;
  const blockCount = kv.num(`${ggufArch}.block_count`);
  const nHead = kv.num(`${ggufArch}.attention.head_count`);
  const nHeadKv = kv.num(`${ggufArch}.attention.head_count_kv`) ?? nHead;
  if (blockCount === undefined) throw new UnsupportedError(where, `${ggufArch}.block_count is missing`);
  if (arch.permute !== undefined && (nHead === undefined || nHeadKv === undefined)) throw new UnsupportedError(where, `${ggufArch}.attention.head_count is missing; undoing the q/k permutation needs it`);

  const mapped = exportTensors(
    { arch, blockCount, heads: { ATTN_Q: nHead, ATTN_K: nHeadKv }, ...(arch.normShift !== undefined ? { normOffset: arch.normShift } : {}), ...(family.names !== undefined ? { names: family.names } : {}) },
    model.tensors,
  );
  const view: ModelView = { format: 'gguf', files: model.files, metadata: new Map(), tensors: mapped.tensors, details: new Map() };
  const weights = planCast(view, type, { format: 'safetensors', baseName: 'model.safetensors', maxPartBytes: opts.maxShardBytes ?? HF_DEFAULT_SHARD_BYTES }, canEncode, canDecode);

  const names = new Set(model.tensors.map((t) => t.name));
  const warnings = [...mapped.warnings];
  let llama3Rope: Llama3Rope | undefined;
  const freqs = model.tensors.find((t) => t.name === 'rope_freqs.weight');
  if (freqs !== undefined) {
    const headDim = kv.num(`${ggufArch}.rope.dimension_count`) ?? 0;
    const theta = kv.num(`${ggufArch}.rope.freq_base`) ?? 10000;
    const values = freqs.type === 'F32' ? new Float32Array((await freqs.read(0, freqs.nbytes)).slice().buffer) : null;
    llama3Rope = values !== null ? (recoverLlama3Rope(values, theta, headDim) ?? undefined) : undefined;
    if (llama3Rope === undefined) warnings.push("rope_freqs.weight does not match Llama 3's rope scaling for any usual parameters; config.json has no rope_scaling, so long-context behaviour differs");
  }
  const config = buildConfig(family, kv, { hasOutput: names.has('output.weight'), hasAttnBias: names.has('blk.0.attn_q.bias'), dtype: type, ...(llama3Rope !== undefined ? { llama3Rope: { ...llama3Rope } } : {}) });
  const tok = tokenizerFiles(kv, family.bpeTokenizerClass, family.spmTokenizerClass);
  const files: Array<{ name: string; bytes: Uint8Array }> = [{ name: 'config.json', bytes: pyJsonFile(config) }];
  const gen = buildGenerationConfig(kv);
  if (gen !== null) files.push({ name: 'generation_config.json', bytes: pyJsonFile(gen) });
  for (const [name, body] of tok.files) files.push({ name, bytes: body instanceof Uint8Array ? body : pyJsonFile(body.json, body.ensureAscii) });
  const shards = weights.files.filter((f) => f.name.endsWith('.safetensors')).length;
  return {
    weights,
    files,
    warnings: [...warnings, ...weights.warnings],
    summary: `${config['architectures'] !== undefined ? (config['architectures'] as string[])[0] : family.hfArchitecture}, ${weights.tensors.length} tensors ${type} in ${shards} safetensors file(s); ${tok.summary}`,
  };
}
