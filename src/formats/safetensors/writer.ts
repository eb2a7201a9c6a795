import { TYPES, type TypeName } from '../../codecs/catalogue';
import type { ByteSink, SinkFactory } from '../../io/byte-sink';
import { MAX_DIMS, SAFETENSORS_MAX_HEADER_BYTES } from '../limits';
import { PlannedStreamWriter, type PlannedPart } from '../gguf/stream-writer';
import { byCodePoint, pythonJsonDumps } from './python-json';

export interface SafetensorsTensorSpec {
  readonly name: string;
  readonly type: TypeName;
  /** Row-major dimensions. */
  readonly shape: readonly number[];
}

export interface SafetensorsPlanInput {
  /** __metadata__ (string to string), written first; omitted from the header when undefined. */
  readonly metadata?: ReadonlyMap<string, string>;
  /** Written in this order, data back to back. */
  readonly tensors: readonly SafetensorsTensorSpec[];
}

export interface SafetensorsPlannedTensor extends SafetensorsTensorSpec {
  readonly begin: number;
  readonly end: number;
  readonly nbytes: number;
}

export interface SafetensorsPlan {
  /** The 8-byte length, then the JSON header padded with spaces to a multiple of 8. */
  readonly header: Uint8Array;
  readonly tensors: readonly SafetensorsPlannedTensor[];
  readonly totalSize: number;
}

const utf8 = new TextEncoder();

/** The order the Rust crate's serialize() sorts tensors into: larger dtype alignment first, then by name. */
export function rustCrateOrder<T extends SafetensorsTensorSpec>(tensors: readonly T[]): T[] {
  const rank: readonly string[] = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];
  const r = (t: T) => rank.indexOf(TYPES[t.type].safetensors ?? '');
  return [...tensors].sort((a, b) => r(b) - r(a) || byCodePoint(a.name, b.name));
}

export function safetensorsTensorBytes(t: SafetensorsTensorSpec): number {
  const info = TYPES[t.type];
  if (info.safetensors === null) throw new TypeError(`tensor '${t.name}': type ${t.type} cannot be stored in safetensors`);
  if (t.shape.length > MAX_DIMS) throw new TypeError(`tensor '${t.name}' has ${t.shape.length} dimensions, above ${MAX_DIMS}`);
  let elements = 1;
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new TypeError(`tensor '${t.name}' has an invalid dimension ${d}`);
    elements *= d;
  }
  const nbytes = elements * info.typeSize;
  if (!Number.isSafeInteger(nbytes)) throw new TypeError(`tensor '${t.name}' is larger than 2^53-1 bytes`);
  return nbytes;
}

/**
 * Lays out a safetensors file as the Rust crate's serialize() does: compact JSON (serde_json
 * escapes strings the way JSON.stringify does), "__metadata__" first, tensors in the given order
 * with contiguous data_offsets, the JSON padded with spaces to a multiple of 8.
 */
export function planSafetensors(input: SafetensorsPlanInput): SafetensorsPlan {
  const parts: string[] = [];
  if (input.metadata !== undefined) {
    const md = [...input.metadata].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    parts.push(`"__metadata__":{${md.join(',')}}`);
  }
  const names = new Set<string>();
  const tensors: SafetensorsPlannedTensor[] = [];
  let offset = 0;
  for (const t of input.tensors) {
    if (t.name === '__metadata__') throw new TypeError(`a tensor cannot be named '__metadata__'`);
    if (names.has(t.name)) throw new TypeError(`duplicate tensor name '${t.name}'`);
    names.add(t.name);
    const nbytes = safetensorsTensorBytes(t);
    const begin = offset;
    offset += nbytes;
    if (!Number.isSafeInteger(offset)) throw new TypeError('safetensors data exceeds 2^53-1 bytes');
    tensors.push({ ...t, begin, end: offset, nbytes });
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${TYPES[t.type].safetensors}","shape":[${t.shape.join(',')}],"data_offsets":[${begin},${offset}]}`);
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8;
  if (n > SAFETENSORS_MAX_HEADER_BYTES) throw new TypeError(`safetensors header would be ${n} bytes, above the limit of ${SAFETENSORS_MAX_HEADER_BYTES}`);
  const header = new Uint8Array(8 + n);
  new DataView(header.buffer).setBigUint64(0, BigInt(n), true);
  header.set(json, 8);
  header.fill(0x20, 8 + json.length);
  return { header, tensors, totalSize: header.length + offset };
}

function part(name: string, plan: SafetensorsPlan): PlannedPart {
  return { name, header: plan.header, tensors: plan.tensors.map((t) => ({ name: t.name, nbytes: t.nbytes, padAfter: 0 })), totalSize: plan.totalSize };
}

/** Streams one planned file: write(chunk) each tensor's bytes in order, then finish(). */
export function writeSafetensors(plan: SafetensorsPlan, sink: ByteSink): Promise<PlannedStreamWriter> {
  return PlannedStreamWriter.start(`safetensors writer (${sink.name})`, [part(sink.name, plan)], async () => sink);
}

export interface ShardedInput extends SafetensorsPlanInput {
  /** huggingface_hub's max_shard_size, in bytes of tensor data. */
  readonly maxShardBytes: number;
  /** File name stem: "model" gives model-00001-of-00002.safetensors and model.safetensors.index.json. */
  readonly prefix?: string;
}

export interface ShardedPlan {
  readonly shards: readonly { readonly name: string; readonly plan: SafetensorsPlan; readonly tensorIndices: readonly number[] }[];
  /** model.safetensors.index.json, or null when everything fits in one model.safetensors. */
  readonly index: { readonly name: string; readonly bytes: Uint8Array } | null;
}

/**
 * Shards as huggingface_hub's split_state_dict_into_shards_factory does: walk the tensors in
 * order, start a new shard when the next tensor would push the current one over maxShardBytes,
 * and give a tensor larger than the limit a shard of its own (placed before the shard being
 * filled, as that code appends it). One shard gives "<prefix>.safetensors" and no index; several
 * give "<prefix>-0000N-of-0000M.safetensors" plus the index as transformers writes it
 * (json.dumps(indent=2, sort_keys=True) + "\n", metadata.total_size = sum of tensor bytes).
 */
export function planSafetensorsShards(input: ShardedInput): ShardedPlan {
  const prefix = input.prefix ?? 'model';
  const max = input.maxShardBytes;
  if (!(Number.isSafeInteger(max) && max > 0)) throw new TypeError(`maxShardBytes must be a positive integer, got ${max}`);
  const groups: number[][] = [];
  let current: number[] = [];
  let currentSize = 0;
  let total = 0;
  input.tensors.forEach((t, i) => {
    const size = safetensorsTensorBytes(t);
    total += size;
    if (size > max) {
      groups.push([i]);
      return;
    }
    if (currentSize + size > max) {
      groups.push(current);
      current = [];
      currentSize = 0;
    }
    current.push(i);
    currentSize += size;
  });
  if (current.length > 0) groups.push(current);
  if (groups.length <= 1) {
    return { shards: [{ name: `${prefix}.safetensors`, plan: planSafetensors(input), tensorIndices: input.tensors.map((_, i) => i) }], index: null };
  }
  const n = groups.length;
  const shards = groups.map((idx, k) => ({
    name: `${prefix}-${String(k + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`,
    plan: planSafetensors({ metadata: input.metadata, tensors: idx.map((i) => input.tensors[i]!) }),
    tensorIndices: idx,
  }));
  const weightMap = Object.fromEntries(shards.flatMap((s) => s.tensorIndices.map((i) => [input.tensors[i]!.name, s.name])));
  const text = pythonJsonDumps({ metadata: { total_size: total }, weight_map: weightMap }) + '\n';
  return { shards, index: { name: `${prefix}.safetensors.index.json`, bytes: utf8.encode(text) } };
}

/** Streams every shard, then the index, through `sinks`; nothing is committed before finish(). */
export function writeSafetensorsShards(plan: ShardedPlan, sinks: SinkFactory): Promise<PlannedStreamWriter> {
  const parts = plan.shards.map((s) => part(s.name, s.plan));
  if (plan.index !== null) parts.push({ name: plan.index.name, header: plan.index.bytes, tensors: [], totalSize: plan.index.bytes.length });
  return PlannedStreamWriter.start(`safetensors writer (${parts[0]!.name})`, parts, (p) => sinks.create(p.name, p.totalSize));
}
