/** Synthetic model descriptions for the preset-rule tests (names as convert_hf_to_gguf writes them). */
import type { TypeName } from '../../../src/codecs/catalogue';
import type { MetaValue, Metadata } from '../../../src/formats/model';
import { planQuantTypes, QuantizePlanError, type PlanModelInput, type PlanTensorInput, type QuantizeOptions, type QuantPlan } from '../../../src/pipeline/presets-plan';

export interface SynthOptions {
  arch?: string;
  layers?: number;
  nHead?: number;
  nHeadKv?: number;
  nExpert?: number;
  /** Row length (ne[0]) of every matrix but ffn_down. */
  cols?: number;
  /** Row length of ffn_down (its input is the FFN width). */
  ffCols?: number;
  tied?: boolean;
  type?: TypeName;
  /** Extra block tensors per layer: role -> row-major shape. */
  extra?: Record<string, number[]>;
  /** Extra keys. */
  meta?: Record<string, MetaValue>;
}

export const u32 = (value: number): MetaValue => ({ type: 'u32', value });

export function synthModel(o: SynthOptions = {}): PlanModelInput {
  const arch = o.arch ?? 'llama';
  const layers = o.layers ?? 4;
  const cols = o.cols ?? 256;
  const ffCols = o.ffCols ?? 512;
  const type = o.type ?? 'F32';
  const metadata: Metadata = new Map<string, MetaValue>([
    ['general.architecture', { type: 'string', value: arch }],
    [`${arch}.block_count`, u32(layers)],
    [`${arch}.attention.head_count`, u32(o.nHead ?? 8)],
    [`${arch}.attention.head_count_kv`, u32(o.nHeadKv ?? 8)],
  ]);
  if (o.nExpert !== undefined) metadata.set(`${arch}.expert_count`, u32(o.nExpert));
  for (const [k, v] of Object.entries(o.meta ?? {})) metadata.set(k, v);
  const t: PlanTensorInput[] = [];
  const add = (name: string, shape: number[], ty: TypeName = type): void => {
    t.push({ name, shape, type: shape.length === 1 ? 'F32' : ty });
  };
  add('token_embd.weight', [512, cols]);
  for (let l = 0; l < layers; l++) {
    add(`blk.${l}.attn_norm.weight`, [cols]);
    add(`blk.${l}.attn_q.weight`, [cols, cols]);
    add(`blk.${l}.attn_k.weight`, [64, cols]);
    add(`blk.${l}.attn_v.weight`, [64, cols]);
    add(`blk.${l}.attn_output.weight`, [cols, cols]);
    add(`blk.${l}.ffn_norm.weight`, [cols]);
    add(`blk.${l}.ffn_gate.weight`, [ffCols, cols]);
    add(`blk.${l}.ffn_up.weight`, [ffCols, cols]);
    add(`blk.${l}.ffn_down.weight`, [cols, ffCols]);
    for (const [role, shape] of Object.entries(o.extra ?? {})) add(`blk.${l}.${role}`, shape);
  }
  add('output_norm.weight', [cols]);
  if (o.tied !== true) add('output.weight', [512, cols]);
  return { metadata, tensors: t };
}

/** name -> chosen type */
export function typesOf(plan: QuantPlan): Record<string, TypeName> {
  return Object.fromEntries(plan.tensors.map((t) => [t.name, t.to]));
}

export function plan(model: PlanModelInput, opts: QuantizeOptions): Record<string, TypeName> {
  return typesOf(planQuantTypes(model, opts));
}

/** The per-layer type of one role, layer 0 first. */
export function perLayer(types: Record<string, TypeName>, role: string, layers: number): TypeName[] {
  return Array.from({ length: layers }, (_, l) => types[`blk.${l}.${role}.weight`]!);
}

/** Expected per-layer list: `hi` for the layers in `set`, `lo` otherwise. */
export function layersWith(layers: number, set: readonly number[], hi: TypeName, lo: TypeName): TypeName[] {
  return Array.from({ length: layers }, (_, l) => (set.includes(l) ? hi : lo));
}

export function refusal(f: () => unknown): QuantizePlanError {
  try {
    f();
  } catch (e) {
    if (e instanceof QuantizePlanError) return e;
    throw e;
  }
  throw new Error('expected a QuantizePlanError, got a plan');
}
