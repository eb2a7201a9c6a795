/**
 * Which types each preset can pick, found by running the ported rules over a grid of probe
 * models (dense and expert, grouped-query or not, falcon and bailingmoe3 special cases, a 70B
 * llama, tied and untied embeddings) and adding what the fallbacks make of each type.
 * A preset is usable when Kiln can encode every one of them (checked at call time, since the
 * encoders are being filled in) and it needs no importance matrix Kiln does not have.
 */
import { typeInfo, type TypeName } from '../codecs/catalogue';
import { canEncode } from '../codecs/registry';
import type { MetaValue, Metadata } from '../formats/model';
import { defaultTypeOf, PRESETS, type Preset } from './presets';
import { fallbackType, keepReason, QuantState, requiresImatrix, type RuleParams, type RuleTensor } from './quant-rules';
import { decideType } from './quant-rules-mix';
import { ggmlNDims, ggmlNe, quantHparams, weightOrder } from './quant-rules-model';

export interface PresetStatus extends Preset {
  /** Every type the preset can give a tensor, in ggml id order. */
  readonly types: readonly TypeName[];
  /** Some tensor of an ordinary model would need an importance matrix. */
  readonly needsImatrix: boolean;
  /** Types in `types` Kiln cannot encode yet. */
  readonly missingEncoders: readonly TypeName[];
  readonly usable: boolean;
}

interface ProbeModel {
  readonly metadata: Metadata;
  readonly tensors: readonly RuleTensor[];
  readonly tied: boolean;
}

const LAYER_ROLES = ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'attn_qkv', 'attn_q_a', 'ffn_gate', 'ffn_up', 'ffn_down'];

function probeModel(arch: string, layers: number, nExpert: number, nHead: number, nHeadKv: number, tied: boolean, cols: number): ProbeModel {
  const u32 = (value: number): MetaValue => ({ type: 'u32', value });
  const metadata: Metadata = new Map<string, MetaValue>([
    ['general.architecture', { type: 'string', value: arch }],
    [`${arch}.block_count`, u32(layers)],
    [`${arch}.attention.head_count`, u32(nHead)],
    [`${arch}.attention.head_count_kv`, u32(nHeadKv)],
  ]);
  if (nExpert > 0) metadata.set(`${arch}.expert_count`, u32(nExpert));
  const shapes: Array<[string, number[]]> = [['token_embd.weight', [512, cols]]];
  if (!tied) shapes.push(['output.weight', [512, cols]]);
  for (let l = 0; l < layers; l++) {
    for (const r of LAYER_ROLES) shapes.push([`blk.${l}.${r}.weight`, [64, cols]]);
    if (nExpert > 0) shapes.push([`blk.${l}.ffn_down_exps.weight`, [nExpert, 64, cols]], [`blk.${l}.attn_kv_b.weight`, [nExpert, 64, cols]]);
  }
  const tensors = shapes.map(([name, shape]): RuleTensor => {
    const ne = ggmlNe(shape);
    return { name, ne, nDims: ggmlNDims(ne), type: 'F32' };
  });
  return { metadata, tensors: weightOrder(tensors), tied };
}

/**
 * Rows of 256, since only the output rule looks at the row length (it is probed with small
 * models of 96 and 40 columns); fallbacks are added afterwards from each type found. 16 layers
 * give every n/8, n/16 and use_more_bits case; tying only changes token_embd.
 */
function probeModels(): ProbeModel[] {
  const out: ProbeModel[] = [];
  for (const arch of ['llama', 'falcon']) {
    for (const nExpert of [0, 4, 8]) {
      for (const [h, kv] of [[8, 8], [32, 8]] as const) out.push(probeModel(arch, 16, nExpert, h, kv, false, 256));
    }
    out.push(probeModel(arch, 1, 0, 8, 8, true, 256));
  }
  out.push(probeModel('bailingmoe3', 2, 4, 8, 8, false, 256));
  out.push(probeModel('llama', 80, 0, 64, 8, false, 256)); // LLM_TYPE_70B
  for (const cols of [96, 40]) for (const tied of [false, true]) out.push(probeModel('llama', 1, 0, 8, 8, tied, cols));
  return out;
}

interface ProbeResult {
  readonly types: ReadonlySet<TypeName>;
  readonly needsImatrix: boolean;
}

function probePreset(models: readonly ProbeModel[], preset: Preset, imatrix: boolean): ProbeResult {
  const types = new Set<TypeName>();
  // types of tensors outside the output rule, whose row length the mixtures never look at
  const anyRow = new Set<TypeName>();
  let needsImatrix = false;
  const defaultType = defaultTypeOf(preset.ftype);
  if (defaultType === null || preset.name === 'COPY') return { types, needsImatrix };
  const params: RuleParams = {
    ftype: preset.ftype,
    onlyCopy: false,
    pure: false,
    quantizeOutputTensor: true,
    outputTensorType: null,
    tokenEmbeddingType: null,
    patterns: [],
    hasImatrix: imatrix,
  };
  for (const m of models) {
    const qs = new QuantState(quantHparams(m.metadata), m.tensors.map((t) => t.name));
    for (const t of m.tensors) {
      if (keepReason(params, t) !== null) continue;
      let type: TypeName;
      try {
        type = decideType(qs, params, t, defaultType).type;
      } catch {
        continue; // a row no type of the preset fits: llama-quantize refuses the model
      }
      types.add(type);
      if (t.name !== 'output.weight' && !(m.tied && t.name === 'token_embd.weight')) anyRow.add(type);
      if (requiresImatrix(t.name, type, preset.ftype) || typeInfo(type).needsImatrix) needsImatrix = true;
    }
  }
  // what tensor_type_fallback makes of each such type for a row of 96 (a multiple of 32 only) or 40
  const scratch = new QuantState(quantHparams(models[0]!.metadata), []);
  for (const t of anyRow) {
    for (const cols of [96, 40]) {
      try {
        types.add(fallbackType(scratch, { name: 'probe', ne: [cols, 1, 1, 1], nDims: 2, type: 'F32' }, t));
      } catch {
        // no fallback defined: such a model is refused
      }
    }
  }
  return { types, needsImatrix };
}

const cache = new Map<boolean, ReadonlyMap<string, ProbeResult>>();

function probeAll(imatrix: boolean): ReadonlyMap<string, ProbeResult> {
  let r = cache.get(imatrix);
  if (r === undefined) {
    const models = probeModels();
    const byFtype = new Map<number, ProbeResult>(); // aliases share their target's result
    const m = new Map<string, ProbeResult>();
    for (const p of PRESETS) {
      let res = p.name === 'COPY' ? undefined : byFtype.get(p.ftype);
      if (res === undefined) {
        res = probePreset(models, p, imatrix);
        if (p.name !== 'COPY') byFtype.set(p.ftype, res);
      }
      m.set(p.name, res);
    }
    r = m;
    cache.set(imatrix, r);
  }
  return r;
}

const GGML_ORDER = (t: TypeName): number => typeInfo(t).ggmlId ?? 1000;

/** Every preset of llama-quantize with the types it can pick and whether Kiln can run it now. */
export function presetStatuses(opts: { readonly imatrix?: boolean } = {}): PresetStatus[] {
  const imatrix = opts.imatrix === true;
  const probed = probeAll(imatrix);
  return PRESETS.map((p) => {
    const r = probed.get(p.name)!;
    const types = [...r.types].sort((a, b) => GGML_ORDER(a) - GGML_ORDER(b));
    const missingEncoders = types.filter((t) => !canEncode(t));
    return { ...p, types, needsImatrix: r.needsImatrix, missingEncoders, usable: missingEncoders.length === 0 && (imatrix || !r.needsImatrix) };
  });
}
