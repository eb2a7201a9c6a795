import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { FormatError } from '../../../src/formats/errors';
import { readGguf } from '../../../src/formats/gguf/reader';
import type { Metadata, ModelView } from '../../../src/formats/model';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { MemorySinkFactory } from '../../../src/io/byte-sink';
import { MemorySource } from '../../../src/io/byte-source';
import { CpuEngine } from '../../../src/pipeline/engine';
import { executePlan } from '../../../src/pipeline/executor';
import { safetensorsMetadata } from '../../../src/pipeline/plan';
import { planConversion } from '../../../src/pipeline/planner';
import { tinyLlamaF32 } from '../../support/tiny-llama';
import { buildSafetensors } from './safetensors-builder';

/**
 * GGUF metadata survives a trip through safetensors: every KV with its type, arrays included,
 * so GGUF -> safetensors -> GGUF gives back the same KVs.
 */
let dir: string;
let original: ModelView;

async function cli(...args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(args, { out: () => undefined, err: (s) => void (err += s) });
  return { code, err };
}

const open = (path: string) => new MemorySource(path.split('/').pop()!, new Uint8Array(readFileSync(path)));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-stmeta-'));
  writeFileSync(join(dir, 'tiny.gguf'), await tinyLlamaF32());
  original = await readGguf([open(join(dir, 'tiny.gguf'))]);
  const r = await cli('convert', join(dir, 'tiny.gguf'), '-o', join(dir, 'tiny.safetensors'), '--type', 'F32', '--quiet');
  if (r.code !== 0) throw new Error(r.err);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A model with one F32 tensor and `metadata`, through a safetensors file and read back. */
async function throughSafetensors(metadata: Metadata): Promise<ModelView> {
  const tensor = original.tensors.find((t) => t.name === 'output_norm.weight')!;
  const model: ModelView = { ...original, metadata, tensors: [tensor] };
  const plan = planConversion(model, { format: 'safetensors', target: 'F32', baseName: 'm' });
  const sinks = new MemorySinkFactory();
  await executePlan(plan, new CpuEngine(), sinks);
  return readSafetensors([new MemorySource('m.safetensors', sinks.sinks.get('m.safetensors')!.bytes())]);
}

function headerWith(gguf: string): Uint8Array {
  return buildSafetensors({ __metadata__: { gguf, format: 'pt', other: 'x' }, t: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
}

describe('GGUF metadata through safetensors', () => {
  it('tiny llama GGUF -> safetensors F32 -> GGUF F32: same KVs (types, values, arrays), same tensor bytes', async () => {
    const st = join(dir, 'tiny.safetensors');
    const back = join(dir, 'back.gguf');
    const mid = await readSafetensors([open(st)]);
    expect([...mid.metadata]).toEqual([...original.metadata]);
    const r = await cli('convert', st, '-o', back, '--type', 'F32', '--quiet');
    expect(r.err.replace(/^warning: float casts .*\n/m, '')).toBe('');
    expect(r.code).toBe(0);
    const out = await readGguf([open(back)]);
    // the same KVs, but for what the output is: general.file_type set again (ALL_F32) after
    // general.quantization_version, where llama-quantize writes them
    const expected = [...original.metadata].filter(([k]) => k !== 'general.file_type' && k !== 'general.quantization_version');
    expected.push(['general.quantization_version', { type: 'u32', value: 2 }], ['general.file_type', { type: 'u32', value: 0 }]);
    expect([...out.metadata]).toEqual(expected);
    for (const key of ['tokenizer.ggml.tokens', 'tokenizer.ggml.scores', 'tokenizer.ggml.token_type']) {
      expect(out.metadata.get(key)!.type).toBe('array');
      expect(out.metadata.get(key)).toEqual(original.metadata.get(key));
    }
    expect(out.tensors.map((t) => t.name).sort()).toEqual(original.tensors.map((t) => t.name).sort());
    for (const t of original.tensors) {
      const o = out.tensors.find((x) => x.name === t.name)!;
      expect(o.type).toBe(t.type);
      expect(Buffer.from(await o.read(0, o.nbytes)).equals(Buffer.from(await t.read(0, t.nbytes))), t.name).toBe(true);
    }
  });

  it('the safetensors copy goes through a preset (general.file_type is a u32 again), the tokenizer arrays carried along', async () => {
    const r = await cli('convert', join(dir, 'tiny.safetensors'), '-o', join(dir, 'q4km.gguf'), '--type', 'Q4_K_M', '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const q = await readGguf([open(join(dir, 'q4km.gguf'))]);
    expect(q.metadata.get('general.file_type')).toEqual({ type: 'u32', value: 15 });
    expect(q.metadata.get('tokenizer.ggml.tokens')).toEqual(original.metadata.get('tokenizer.ggml.tokens'));
  });

  it('every value type, with the edge values JSON numbers cannot carry, comes back exactly', async () => {
    const md: Metadata = new Map<string, Metadata extends Map<string, infer V> ? V : never>([
      ['u8', { type: 'u8', value: 255 }],
      ['i8', { type: 'i8', value: -128 }],
      ['u16', { type: 'u16', value: 65535 }],
      ['i16', { type: 'i16', value: -32768 }],
      ['u32', { type: 'u32', value: 4294967295 }],
      ['i32', { type: 'i32', value: -2147483648 }],
      ['u64', { type: 'u64', value: 18446744073709551615n }],
      ['i64', { type: 'i64', value: -9223372036854775808n }],
      ['f32', { type: 'f32', value: Math.fround(0.1) }],
      ['f32.nan', { type: 'f32', value: NaN }],
      ['f32.-0', { type: 'f32', value: -0 }],
      ['f64.inf', { type: 'f64', value: -Infinity }],
      ['f64', { type: 'f64', value: 0.1 }],
      ['bool', { type: 'bool', value: false }],
      ['string', { type: 'string', value: 'ünï "q" \\ \u0000 😀' }],
      ['gguf', { type: 'string', value: 'a key named like the document' }],
      ['empty', { type: 'array', itemType: 'string', value: [] }],
      ['u64s', { type: 'array', itemType: 'u64', value: [0n, 2n ** 64n - 1n] }],
      ['nested', { type: 'array', itemType: 'array', value: [{ type: 'array', itemType: 'f32', value: [1.5, -0, NaN] }, { type: 'array', itemType: 'bool', value: [true] }] }],
    ]);
    const back = await throughSafetensors(md);
    expect([...back.metadata]).toEqual([...md]);
    expect(Object.is((back.metadata.get('f32.-0') as { value: number }).value, -0)).toBe(true);
  });

  it('metadata that is all strings is written as plain strings, as before', async () => {
    const md: Metadata = new Map([['general.name', { type: 'string', value: 'x' }]]);
    const { metadata } = safetensorsMetadata(md, []);
    expect([...metadata]).toEqual([
      ['general.name', 'x'],
      ['format', 'pt'],
    ]);
  });

  it('a document too large for the header limit: the largest KVs are left out, each named', () => {
    const tokens = { type: 'array' as const, itemType: 'string' as const, value: Array.from({ length: 2000 }, (_, i) => `token-${i}`) };
    const md: Metadata = new Map<string, Metadata extends Map<string, infer V> ? V : never>([
      ['general.architecture', { type: 'string', value: 'llama' }],
      ['tokenizer.ggml.tokens', tokens],
      ['llama.block_count', { type: 'u32', value: 2 }],
    ]);
    const { metadata, warnings } = safetensorsMetadata(md, [{ name: 't', type: 'F32', shape: [1] }], 4096);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^metadata tokenizer\.ggml\.tokens left out of the safetensors file: its \d+ bytes do not fit the 4096-byte header limit/);
    const doc = JSON.parse(metadata.get('gguf')!) as [string, string, unknown][];
    expect(doc.map((e) => e[0])).toEqual(['general.architecture', 'llama.block_count']);
  });

  it('a "gguf" value that is not a JSON array is an ordinary string', async () => {
    for (const text of ['not json', '{"a":1}', '"str"']) {
      const view = await readSafetensors([new MemorySource('x.safetensors', headerWith(text))]);
      expect(view.metadata.get('gguf')).toEqual({ type: 'string', value: text });
      expect(view.metadata.get('format')).toEqual({ type: 'string', value: 'pt' });
    }
  });

  it('a malformed document is a FormatError naming what is wrong', async () => {
    const deep = (n: number): unknown => (n === 0 ? ['u8', [1]] : ['array', [deep(n - 1)]]);
    const cases: [unknown, RegExp][] = [
      [[['k', 'u8']], /entry 0 must be \[key, type, value\]/],
      [[['k', 'u8', 256]], /value of 'k' is not a u8/],
      [[['k', 'u64', 1]], /value of 'k' must be a u64 written as a decimal string/],
      [[['k', 'u64', '18446744073709551616']], /outside the u64 range/],
      [[['k', 'f32', 0.1]], /no f32 holds exactly/],
      [[['k', 'f64', 'nan']], /must be a number/],
      [[['k', 'complex', 1]], /unknown type/],
      [[['k', 'array', ['u8', 3]]], /must be \[itemType, \[items\]\]/],
      [[['k', 'array', ['x', []]]], /unknown item type/],
      [[['k', 'array', deep(8)]], /nests arrays 9 deep, above the limit of 8/],
      [[['k', 'bool', true], ['k', 'bool', false]], /key 'k' appears twice/],
      [[null], /entry 0 must be/],
    ];
    for (const [doc, want] of cases) {
      const err = await readSafetensors([new MemorySource('bad.safetensors', headerWith(JSON.stringify(doc)))]).catch((e: unknown) => e);
      expect(err, JSON.stringify(doc)).toBeInstanceOf(FormatError);
      expect((err as Error).message).toMatch(want);
      expect((err as Error).message).toMatch(/__metadata__ "gguf"/);
    }
    // eight deep is what GGUF allows
    const ok = await readSafetensors([new MemorySource('ok.safetensors', headerWith(JSON.stringify([['k', 'array', deep(7)]])))]);
    expect(ok.metadata.get('k')!.type).toBe('array');
  });
});
