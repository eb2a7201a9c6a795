import { typeInfo } from '../../codecs/catalogue';
import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import type { MetaValue, Metadata, ModelView, TensorInfo } from '../model';
import { ProtoStream } from '../protobuf/stream';
import { WIRE_LEN } from '../protobuf/wire';
import { initializerTensor, type InitContext } from './initializer';
import { ONNX_MAX_META_ENTRIES, ONNX_MAX_STRING_BYTES, ONNX_MAX_TENSORS } from './limits';
import { ATTRIBUTE, GRAPH, MODEL, NODE, OPSET, SPARSE, STRING_ENTRY, onnxDtype } from './schema';
import { OnnxTensor } from './tensor';
import { readDims, readTensorProto, type TensorDesc } from './tensor-proto';

/**
 * ONNX models (onnx/onnx.proto): a ModelProto whose graph lists initializers (TensorProto).
 * The file is walked field by field through a ProtoStream, so a 2 GB model is never loaded:
 * each initializer's values are recorded as file ranges and read on demand. Tensor data may also
 * sit in side files named by external_data (they must be among `files`). Initializers of
 * subgraphs (If branches, Loop and Scan bodies, as in merged decoder exports) are listed with the
 * main graph's; Constant nodes' values are not (they hold shapes and scalars, not weights).
 *
 * Metadata keys: onnx.ir_version, onnx.producer_name, onnx.producer_version, onnx.domain,
 * onnx.model_version, onnx.doc_string, onnx.opset_import.<domain> (ai.onnx for ""),
 * onnx.graph.name, onnx.graph.doc_string, onnx.metadata_props.<key>.
 */
export async function readOnnx(files: ByteSource[]): Promise<ModelView> {
  const model = files.find((f) => f.name.toLowerCase().endsWith('.onnx')) ?? files[0];
  if (model === undefined) throw new FormatError({ format: 'onnx', file: '(no files)' }, 'no file given');
  const s = new ProtoStream(model, { format: 'onnx', file: model.name });
  const metadata: Metadata = new Map();
  const details = new Map<string, string>([['container', 'ONNX ModelProto']]);
  const tensors: TensorInfo[] = [];
  const ctx: InitContext = { model, files, used: [] };
  const opsets: string[] = [];
  let sawIrVersion = false;
  let metaEntries = 0;
  let nodes = 0;
  let sparse = 0;
  let subgraphs = 0;
  let nested = 0;
  const skipped: string[] = [];

  const i64 = (): MetaValue => ({ type: 'i64', value: BigInt.asIntN(64, (BigInt(s.hi) << 32n) | BigInt(s.lo)) });
  const text = async (key: string, what: string): Promise<void> => {
    if (s.wire === WIRE_LEN && s.len > ONNX_MAX_STRING_BYTES) {
      skipped.push(`${what} (${s.len} bytes)`);
      return;
    }
    metadata.set(key, { type: 'string', value: await s.string(ONNX_MAX_STRING_BYTES, what) });
  };
  const countMeta = (): void => {
    if (++metaEntries > ONNX_MAX_META_ENTRIES) s.fail(`more than ${ONNX_MAX_META_ENTRIES} opset_import / metadata_props entries`, s.tagAt);
  };
  const addTensor = (t: TensorInfo): void => {
    if (tensors.length >= ONNX_MAX_TENSORS) s.fail(`more than ${ONNX_MAX_TENSORS} initializers`, s.tagAt);
    tensors.push(t);
  };

  /**
   * A GraphProto: its initializers, then recursively those of subgraphs in its nodes' attributes
   * (If branches, Loop and Scan bodies; ProtoStream bounds the nesting). Names are kept as they
   * are: ONNX names are unique across a graph and its subgraphs.
   */
  const readGraph = async (top: boolean): Promise<void> => {
    s.enter();
    while (await s.next()) {
      const f: number = s.field;
      switch (f) {
        case GRAPH.node:
          nodes++;
          await readNode();
          break;
        case GRAPH.name:
          if (top) await text('onnx.graph.name', 'graph name');
          break;
        case GRAPH.doc_string:
          if (top) await text('onnx.graph.doc_string', 'graph doc_string');
          break;
        case GRAPH.initializer: {
          const at = s.tagAt;
          s.enter();
          const d = await readTensorProto(s, at);
          s.leave();
          addTensor(initializerTensor(d, ctx));
          if (!top) nested++;
          break;
        }
        case GRAPH.sparse_initializer:
          addTensor(await sparseTensor(s));
          sparse++;
          if (!top) nested++;
          break;
        default:
          break;
      }
    }
    s.leave();
  };
  const readNode = async (): Promise<void> => {
    s.enter();
    while (await s.next()) {
      const nf: number = s.field;
      if (nf !== NODE.attribute) continue;
      s.enter();
      while (await s.next()) {
        const af: number = s.field;
        if (af === ATTRIBUTE.g || af === ATTRIBUTE.graphs) {
          subgraphs++;
          await readGraph(false);
        }
      }
      s.leave();
    }
    s.leave();
  };

  while (await s.next()) {
    const field: number = s.field;
    switch (field) {
      case MODEL.ir_version:
        s.int();
        metadata.set('onnx.ir_version', i64());
        sawIrVersion = true;
        break;
      case MODEL.producer_name:
        await text('onnx.producer_name', 'producer_name');
        break;
      case MODEL.producer_version:
        await text('onnx.producer_version', 'producer_version');
        break;
      case MODEL.domain:
        await text('onnx.domain', 'domain');
        break;
      case MODEL.model_version:
        s.int();
        metadata.set('onnx.model_version', i64());
        break;
      case MODEL.doc_string:
        await text('onnx.doc_string', 'doc_string');
        break;
      case MODEL.opset_import: {
        countMeta();
        s.enter();
        let domain = '';
        let version: MetaValue = { type: 'i64', value: 0n };
        while (await s.next()) {
          const f: number = s.field;
          if (f === OPSET.domain) domain = await s.string(ONNX_MAX_STRING_BYTES, 'opset domain');
          else if (f === OPSET.version) {
            s.int();
            version = i64();
          }
        }
        s.leave();
        const d = domain === '' ? 'ai.onnx' : domain;
        metadata.set(`onnx.opset_import.${d}`, version);
        opsets.push(`${d} ${String(version.value)}`);
        break;
      }
      case MODEL.metadata_props: {
        countMeta();
        s.enter();
        let key = '';
        let value = '';
        while (await s.next()) {
          const f: number = s.field;
          if (f === STRING_ENTRY.key) key = await s.string(ONNX_MAX_STRING_BYTES, 'metadata_props key');
          else if (f === STRING_ENTRY.value) value = await s.string(ONNX_MAX_STRING_BYTES, 'metadata_props value');
        }
        s.leave();
        metadata.set(`onnx.metadata_props.${key}`, { type: 'string', value });
        break;
      }
      case MODEL.graph:
        await readGraph(true);
        break;
      default:
        break;
    }
  }
  if (!sawIrVersion) s.fail('ModelProto has no ir_version (field 1), which every ONNX model carries: not an ONNX model', 0);

  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new FormatError({ format: 'onnx', file: model.name, tensor: t.name }, `two initializers are named "${t.name}"`);
    names.add(t.name);
  }
  details.set('ir_version', String(metadata.get('onnx.ir_version')?.value));
  const producer = [metadata.get('onnx.producer_name')?.value, metadata.get('onnx.producer_version')?.value].filter((v) => v !== undefined && v !== '');
  if (producer.length > 0) details.set('producer', producer.join(' '));
  if (opsets.length > 0) details.set('opsets', opsets.join(', '));
  details.set('graph nodes', String(nodes));
  if (subgraphs > 0) details.set('subgraphs', `${subgraphs} (${nested} initializers)`);
  if (sparse > 0) details.set('sparse initializers', `${sparse} (listed, not decoded)`);
  if (ctx.used.length > 0) details.set('external data', ctx.used.map((f) => f.name).join(', '));
  if (skipped.length > 0) details.set('skipped', `${skipped.join(', ')}: over the ${ONNX_MAX_STRING_BYTES}-byte string limit`);
  return { format: 'onnx', files: [model.name, ...ctx.used.map((f) => f.name)], metadata, tensors, details };
}

/** A SparseTensorProto (values + indices + dense dims): listed with its dense shape, not decoded. */
async function sparseTensor(s: ProtoStream): Promise<TensorInfo> {
  const at = s.tagAt;
  s.enter();
  let values: TensorDesc | null = null;
  const dims: number[] = [];
  while (await s.next()) {
    if (s.field === SPARSE.values) {
      const vAt = s.tagAt;
      s.enter();
      values = await readTensorProto(s, vAt);
      s.leave();
    } else if (s.field === SPARSE.dims) {
      await readDims(s, dims, 'sparse dims', at);
    }
  }
  s.leave();
  const name = values?.name ?? '';
  const dt = onnxDtype(values?.dataType ?? 0);
  let elements = 1;
  for (const d of dims) {
    if (d < 0) s.fail(`sparse tensor "${name}" has a negative dim in [${dims.join(', ')}]`, at);
    elements *= d;
  }
  const dense = dt.type !== null ? elements * typeInfo(dt.type).typeSize : 0;
  if (!Number.isSafeInteger(dense)) s.fail(`sparse tensor "${name}" dims [${dims.join(', ')}] are too large`, at);
  const nnz = values?.dims[0] ?? 0;
  return new OnnxTensor(name, null, `sparse ${dt.label} (${nnz} stored values)`, dims, dense, s.src.name, -1, { kind: 'none' });
}
