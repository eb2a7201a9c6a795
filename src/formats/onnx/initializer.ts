import { typeInfo } from '../../codecs/catalogue';
import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import { FIELD_NAMES, onnxDtype, TYPED_FIELDS } from './schema';
import type { TensorDesc } from './tensor-proto';
import { OnnxTensor, type OnnxData } from './tensor';
import { VarintData } from './typed-data';

/**
 * Turns a TensorDesc into a TensorInfo after checking it: dims against the element count, the
 * stored byte count against dims x element size, the data field against data_type, external
 * ranges against the side file's size. Data is not read.
 */

export interface InitContext {
  readonly model: ByteSource;
  readonly files: readonly ByteSource[];
  /** Side files referenced so far, in first-use order. */
  readonly used: ByteSource[];
}

export function initializerTensor(d: TensorDesc, ctx: InitContext): OnnxTensor {
  const model = ctx.model;
  const name = d.name;
  const fail = (what: string, offset = d.at, file = model.name): never => {
    throw new FormatError({ format: 'onnx', file, offset, tensor: name }, what);
  };
  const dt = onnxDtype(d.dataType);
  let elements = 1;
  for (const x of d.dims) {
    if (x < 0) fail(`dims [${d.dims.join(', ')}] has a negative dimension`);
    elements *= x;
    if (elements > Number.MAX_SAFE_INTEGER) fail(`dims [${d.dims.join(', ')}] hold more than 2^53 elements`);
  }
  const width = dt.type === null ? 0 : typeInfo(dt.type).typeSize;
  const nbytes = elements * width;
  if (nbytes > Number.MAX_SAFE_INTEGER) fail(`dims [${d.dims.join(', ')}] need more than 2^53 bytes`);

  const typedFields = TYPED_FIELDS.filter((f) => d.typed.has(f));
  const sources = typedFields.length + (d.raw !== null ? 1 : 0) + (d.stringCount > 0 ? 1 : 0);
  if (sources > 1) {
    const names = [...typedFields.map((f) => FIELD_NAMES[f]), ...(d.raw ? ['raw_data'] : []), ...(d.stringCount ? ['string_data'] : [])];
    fail(`holds values in ${names.join(' and ')}; a tensor uses exactly one field`);
  }

  if (d.dataLocation !== 0 && d.dataLocation !== 1) fail(`data_location ${d.dataLocation} is neither DEFAULT (0) nor EXTERNAL (1)`);
  if (d.dataLocation === 1) return external(d, ctx, dt.type, dt.label, nbytes, fail);

  const listed = (label: string, stored: number, file = model.name): OnnxTensor =>
    new OnnxTensor(name, null, label, d.dims, stored, file, -1, { kind: 'none' });
  if (d.hasSegment) return listed(`${dt.label} (segmented TensorProto, not handled)`, d.raw?.length ?? 0);
  if (dt.type === null) return listed(dt.label, d.raw?.length ?? 0);

  if (d.raw !== null) {
    if (d.raw.length !== nbytes) fail(`raw_data holds ${d.raw.length} bytes but ${dt.label} [${d.dims.join(', ')}] needs ${nbytes}`, d.raw.offset);
    return new OnnxTensor(name, dt.type, dt.label, d.dims, nbytes, model.name, d.raw.offset, { kind: 'bytes', src: model, offset: d.raw.offset });
  }
  if (d.stringCount > 0) fail(`string_data present but data_type is ${dt.label}`);
  const field = typedFields[0];
  if (field === undefined) {
    if (nbytes === 0) return new OnnxTensor(name, dt.type, dt.label, d.dims, 0, model.name, -1, { kind: 'none' });
    return fail(`no values: ${dt.label} [${d.dims.join(', ')}] has neither raw_data, ${FIELD_NAMES[dt.storage!.field]} nor external data`);
  }
  const st = dt.storage!;
  const segs = d.typed.get(field)!;
  if (field !== st.field) fail(`values are in ${FIELD_NAMES[field]} but ${dt.label} stores them in ${FIELD_NAMES[st.field]}`, segs.offsets[0]);
  const fieldName = FIELD_NAMES[field]!;
  if (st.kind === 'fixed') {
    if (segs.totalBytes !== nbytes) fail(`${fieldName} holds ${segs.totalBytes / width} values but dims [${d.dims.join(', ')}] need ${elements}`, segs.offsets[0]);
    const data: OnnxData = segs.count === 1 ? { kind: 'bytes', src: model, offset: segs.offsets[0]! } : { kind: 'fixed', src: model, segs };
    return new OnnxTensor(name, dt.type, dt.label, d.dims, nbytes, model.name, segs.count === 1 ? segs.offsets[0]! : -1, data);
  }
  // varints take 1..10 bytes each: anything outside that range cannot be the right count
  if (segs.totalBytes < elements || segs.totalBytes > 10 * elements) {
    fail(`${fieldName} holds ${segs.totalBytes} bytes, which cannot encode the ${elements} values dims [${d.dims.join(', ')}] need`, segs.offsets[0]);
  }
  const data = new VarintData(model, segs, st, width, elements, { file: model.name, tensor: name, field: fieldName, label: dt.label });
  return new OnnxTensor(name, dt.type, dt.label, d.dims, nbytes, model.name, -1, { kind: 'varint', data });
}

function external(
  d: TensorDesc,
  ctx: InitContext,
  type: ReturnType<typeof onnxDtype>['type'],
  label: string,
  nbytes: number,
  fail: (what: string, offset?: number, file?: string) => never,
): OnnxTensor {
  const location = d.external.get('location');
  if (location === undefined || location === '') return fail('data_location is EXTERNAL but external_data has no "location"');
  const src = findFile(ctx, location!);
  if (src === undefined) {
    return fail(`external data file "${location}" was not given (files: ${ctx.files.map((f) => f.name).join(', ')})`);
  }
  if (!ctx.used.includes(src!)) ctx.used.push(src!);
  const num = (key: string): number | undefined => {
    const v = d.external.get(key);
    if (v === undefined) return undefined;
    if (!/^\d{1,16}$/.test(v) || Number(v) > Number.MAX_SAFE_INTEGER) fail(`external_data "${key}" is "${v.slice(0, 40)}", not a byte count`);
    return Number(v);
  };
  const offset = num('offset') ?? 0;
  const length = num('length') ?? (type !== null ? nbytes : src!.size - offset);
  if (offset + length > src!.size) fail(`external bytes [${offset}, ${offset + length}) lie outside ${src!.name} (${src!.size} bytes)`, offset, src!.name);
  if (d.hasSegment || type === null) {
    const l = d.hasSegment ? `${label} (segmented TensorProto, not handled)` : label;
    return new OnnxTensor(d.name, null, l, d.dims, length, src!.name, -1, { kind: 'none' });
  }
  if (length !== nbytes) fail(`external_data length ${length} but ${label} [${d.dims.join(', ')}] needs ${nbytes} bytes`);
  return new OnnxTensor(d.name, type, label, d.dims, nbytes, src!.name, offset, { kind: 'bytes', src: src!, offset });
}

/** Matches a location (a path relative to the model's folder) against the given files' names. */
function findFile(ctx: InitContext, location: string): ByteSource | undefined {
  const norm = location.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  const slash = ctx.model.name.replace(/\\/g, '/').lastIndexOf('/');
  const dir = slash >= 0 ? ctx.model.name.replace(/\\/g, '/').slice(0, slash + 1) : '';
  const names = ctx.files.map((f) => f.name.replace(/\\/g, '/'));
  let i = names.findIndex((n) => n === dir + norm || n === norm);
  if (i < 0) i = names.findIndex((n) => n.endsWith('/' + norm));
  if (i < 0) {
    const base = norm.slice(norm.lastIndexOf('/') + 1);
    const hits = names.flatMap((n, k) => (n.slice(n.lastIndexOf('/') + 1) === base ? [k] : []));
    if (hits.length === 1) i = hits[0]!;
  }
  return i >= 0 && ctx.files[i] !== ctx.model ? ctx.files[i] : undefined;
}
