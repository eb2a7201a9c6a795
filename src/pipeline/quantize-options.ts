import type { TypeName } from '../codecs/catalogue';
import type { MetaValue } from '../formats/model';
import { parseGgmlType, parseTensorTypeOption, type KvUpdate, type QuantizeOptions } from './presets-plan';
import type { ConversionOptions } from './planner';
import { parsePruneLayers, PruneLayersError } from './prune-layers';

/** A llama-quantize option the user spelled wrongly (the CLI turns it into a usage error). */
export class OptionError extends Error {
  override readonly name = 'OptionError';
}

/**
 * --override-kv KEY=TYPE:VALUE as llama.cpp's string_parse_kv_override reads it (int, float,
 * bool, str; a key under 128 bytes, a string under 128), and as llama-quantize then writes it:
 * int as u32 of its absolute value, float as f32.
 */
export function parseOverrideKv(text: string): KvUpdate {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq >= 128) throw new OptionError(`malformed KV override '${text}' (want KEY=TYPE:VALUE)`);
  const key = text.slice(0, eq);
  const rest = text.slice(eq + 1);
  let value: MetaValue;
  if (rest.startsWith('int:')) {
    const n = parseIntPrefix(rest.slice(4));
    value = { type: 'u32', value: Math.abs(n) % 2 ** 32 };
  } else if (rest.startsWith('float:')) {
    value = { type: 'f32', value: Math.fround(parseFloatPrefix(rest.slice(6))) };
  } else if (rest.startsWith('bool:')) {
    const v = rest.slice(5);
    if (v !== 'true' && v !== 'false') throw new OptionError(`invalid boolean value for KV override '${text}'`);
    value = { type: 'bool', value: v === 'true' };
  } else if (rest.startsWith('str:')) {
    const v = rest.slice(4);
    if (new TextEncoder().encode(v).length > 127) throw new OptionError(`malformed KV override '${text}', value cannot exceed 127 chars`);
    value = { type: 'string', value: v };
  } else {
    throw new OptionError(`invalid type for KV override '${text}' (int, float, bool or str)`);
  }
  return { op: 'set', key, value };
}

/** std::atol: leading blanks, a sign, digits; anything after ignored; 0 when there are none. */
function parseIntPrefix(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

function parseFloatPrefix(s: string): number {
  const m = /^\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?inf(inity)?|[+-]?nan)/i.exec(s);
  if (!m) return 0;
  const t = m[1]!.toLowerCase();
  if (t.includes('inf')) return t.startsWith('-') ? -Infinity : Infinity;
  if (t.includes('nan')) return NaN;
  return Number(t);
}

/** gguf-split --split-max-size: a number of bytes, or with M / G (10^6 / 10^9) as gguf-split takes it. */
export function parseSize(text: string): number {
  const m = /^(\d+)([MG]?)$/.exec(text);
  if (!m) throw new OptionError(`invalid size '${text}' (bytes, or a number followed by M or G)`);
  const n = Number(m[1]) * (m[2] === 'M' ? 1e6 : m[2] === 'G' ? 1e9 : 1);
  if (!Number.isSafeInteger(n) || n <= 0) throw new OptionError(`invalid size '${text}'`);
  return n;
}

function pruneLayersOption(text: string): number[] {
  try {
    return parsePruneLayers(text);
  } catch (e) {
    if (e instanceof PruneLayersError) throw new OptionError(`--prune-layers: ${e.message}`);
    throw e;
  }
}

export function parseTypeOption(flag: string, text: string): TypeName {
  const t = parseGgmlType(text);
  if (t === null) throw new OptionError(`${flag}: unknown type '${text}'`);
  return t;
}

export function parseTensorType(text: string): readonly [string, TypeName] {
  try {
    return parseTensorTypeOption(text);
  } catch (e) {
    throw new OptionError(`--tensor-type: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** llama-quantize's options as text, the way a user gives them (the UI form, a saved request). */
export interface QuantizeOptionsText {
  readonly pure?: boolean;
  readonly outputTensorType?: string;
  readonly tokenEmbeddingType?: string;
  /** PATTERN=TYPE, one per entry. */
  readonly tensorTypes?: readonly string[];
  readonly leaveOutputTensor?: boolean;
  readonly allowRequantize?: boolean;
  /** KEY=TYPE:VALUE, one per entry. */
  readonly overrideKv?: readonly string[];
  readonly keepSplit?: boolean;
  /** bytes, or N with M / G */
  readonly splitMaxSize?: string;
  /** --prune-layers L0,L1,... */
  readonly pruneLayers?: string;
  /** --skip-unconvertible (any output format) */
  readonly skipUnconvertible?: boolean;
}

/** Parses the text options into what planConversion takes; throws OptionError naming the flag. */
export function parseQuantizeOptions(o: QuantizeOptionsText): Pick<ConversionOptions, 'quantize' | 'overrideKv' | 'keepSplit' | 'maxPartBytes' | 'skipUnconvertible'> {
  const blank = (s: string | undefined) => s === undefined || s.trim() === '';
  const quantize: Omit<QuantizeOptions, 'preset'> = {
    pure: o.pure === true,
    outputTensorType: blank(o.outputTensorType) ? null : parseTypeOption('--output-tensor-type', o.outputTensorType!.trim()),
    tokenEmbeddingType: blank(o.tokenEmbeddingType) ? null : parseTypeOption('--token-embedding-type', o.tokenEmbeddingType!.trim()),
    tensorTypes: (o.tensorTypes ?? []).filter((t) => !blank(t)).map((t) => parseTensorType(t.trim())),
    leaveOutputTensor: o.leaveOutputTensor === true,
    allowRequantize: o.allowRequantize === true,
    ...(blank(o.pruneLayers) ? {} : { pruneLayers: pruneLayersOption(o.pruneLayers!.trim()) }),
  };
  const keepSplit = o.keepSplit === true;
  const maxPartBytes = blank(o.splitMaxSize) ? undefined : parseSize(o.splitMaxSize!.trim());
  if (keepSplit && maxPartBytes !== undefined) throw new OptionError('--keep-split and --split-max-size exclude each other');
  return {
    quantize,
    overrideKv: (o.overrideKv ?? []).filter((t) => !blank(t)).map((t) => parseOverrideKv(t.trim())),
    keepSplit,
    maxPartBytes,
    skipUnconvertible: o.skipUnconvertible === true,
  };
}
