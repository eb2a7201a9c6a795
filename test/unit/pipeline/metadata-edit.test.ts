import { describe, expect, it } from 'vitest';
import { readGguf } from '../../../src/formats/gguf/reader';
import { MemorySinkFactory } from '../../../src/io/byte-sink';
import { MemorySource } from '../../../src/io/byte-source';
import { CpuEngine } from '../../../src/pipeline/engine';
import { executePlan } from '../../../src/pipeline/executor';
import { planMetadataEdit } from '../../../src/pipeline/metadata-edit';
import { PlanError } from '../../../src/pipeline/plan';
import { verifyOutput } from '../../../src/pipeline/verify';
import { parseMetaInput } from '../../../src/app/meta-edit';
import { fixtureBytes } from '../../support/fixtures';

const tiny = () => readGguf([new MemorySource('tiny-llama-F16.gguf', fixtureBytes('gguf/tiny-llama-F16.gguf'))]);

describe('GGUF metadata editing (a COPY plan with edits)', () => {
  it('changes, adds and removes keys with their types; every tensor byte for byte; verified', async () => {
    const model = await tiny();
    const edits = [
      { op: 'set' as const, key: 'general.name', value: { type: 'string' as const, value: 'edited' } },
      { op: 'set' as const, key: 'kiln.big', value: { type: 'i64' as const, value: -9007199254740993n } },
      { op: 'set' as const, key: 'llama.context_length', value: { type: 'u64' as const, value: 4096n } },
      { op: 'remove' as const, key: 'tokenizer.ggml.add_eos_token' },
    ];
    const plan = planMetadataEdit(model, edits, 'out.gguf');
    expect(plan.tensors.every((t) => t.from === t.to)).toBe(true);
    const sinks = new MemorySinkFactory();
    const res = await executePlan(plan, new CpuEngine(), sinks, { qualityStats: true });
    expect(res.quality).toEqual([]);
    expect(await verifyOutput(plan, res, sinks)).toBe(true);
    const out = await readGguf([new MemorySource('out.gguf', sinks.sinks.get('out.gguf')!.bytes())]);
    const want = new Map(model.metadata);
    want.set('general.name', { type: 'string', value: 'edited' });
    want.set('kiln.big', { type: 'i64', value: -9007199254740993n });
    want.set('llama.context_length', { type: 'u64', value: 4096n });
    want.delete('tokenizer.ggml.add_eos_token');
    expect(new Map(out.metadata)).toEqual(want);
    expect(out.tensors.map((t) => [t.name, t.type, t.shape])).toEqual(model.tensors.map((t) => [t.name, t.type, t.shape]));
    for (let i = 0; i < model.tensors.length; i++) {
      expect(await out.tensors[i]!.read(0, out.tensors[i]!.nbytes)).toEqual(await model.tensors[i]!.read(0, model.tensors[i]!.nbytes));
    }
  });

  it('refuses what it cannot write, in words', async () => {
    const model = await tiny();
    expect(() => planMetadataEdit(model, [{ op: 'remove', key: 'no.such.key' }], 'o')).toThrow(new PlanError('cannot remove no.such.key: the model has no such key'));
    expect(() => planMetadataEdit(model, [{ op: 'set', key: '', value: { type: 'u8', value: 1 } }], 'o')).toThrow(/cannot be empty/);
    expect(() => planMetadataEdit(model, [{ op: 'set', key: 'a', value: { type: 'u8', value: 300 } }], 'o')).toThrow('a: 300 is not a u8 (whole numbers from 0 to 255)');
    expect(() => planMetadataEdit(model, [{ op: 'set', key: 'split.count', value: { type: 'u16', value: 2 } }], 'o')).toThrow(/written by the GGUF writer/);
  });

  it('parses typed text as GGUF values', () => {
    expect(parseMetaInput('u8', '255')).toEqual({ type: 'u8', value: 255 });
    expect(() => parseMetaInput('u8', '256')).toThrow('a u8 is between 0 and 255');
    expect(() => parseMetaInput('i32', '1.5')).toThrow('a i32 is a whole number');
    expect(parseMetaInput('u64', '18446744073709551615')).toEqual({ type: 'u64', value: 18446744073709551615n });
    expect(parseMetaInput('i64', '-9223372036854775808')).toEqual({ type: 'i64', value: -9223372036854775808n });
    expect(parseMetaInput('bool', 'False')).toEqual({ type: 'bool', value: false });
    expect(parseMetaInput('f32', '1e-6')).toEqual({ type: 'f32', value: 1e-6 });
    expect(() => parseMetaInput('f32', '1e39')).toThrow(/too large for f32/);
    expect(parseMetaInput('string', ' keep spaces ')).toEqual({ type: 'string', value: ' keep spaces ' });
  });
});
