import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { checkpointBookkeeping } from '../../../src/formats/tensorflow/bookkeeping';
import { readTensorflow } from '../../../src/formats/tensorflow/reader';
import { MemorySource } from '../../../src/io/byte-source';
import { UnconvertibleTensorsError } from '../../../src/pipeline/plan';
import { planConversion } from '../../../src/pipeline/planner';
import { FIXTURES } from '../../support/fixtures';
import { bundle, entry } from '../formats/tensorflow-build';

/**
 * TensorFlow 2 checkpoints always hold entries that are TensorFlow's own bookkeeping, not weights
 * (the object graph, a save counter, optimizer state). They are left out of every conversion
 * with a warning naming them; weights of types the output cannot carry are still refused.
 */
const DT = { FLOAT: 1, STRING: 7, INT64: 9, COMPLEX64: 8 } as const;

async function cli(...args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(args, { out: () => undefined, err: (s) => void (err += s) });
  return { code, err };
}

/** A checkpoint as tf.train.Checkpoint(model=..., optimizer=Adam) writes one, plus `extra` entries. */
async function tf2Checkpoint(extra: [string, number, number[], number][] = []) {
  const specs: [string, number, number[], number][] = [
    ['_CHECKPOINTABLE_OBJECT_GRAPH', DT.STRING, [], 40],
    ['save_counter/.ATTRIBUTES/VARIABLE_VALUE', DT.INT64, [], 8],
    ['model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE', DT.FLOAT, [2, 32], 256],
    ['model/dense/bias/.ATTRIBUTES/VARIABLE_VALUE', DT.FLOAT, [32], 128],
    ['model/dense/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE', DT.FLOAT, [2, 32], 256],
    ['model/dense/kernel/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE', DT.FLOAT, [2, 32], 256],
    ['optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE', DT.INT64, [], 8],
    ['optimizer/learning_rate/.ATTRIBUTES/VARIABLE_VALUE', DT.FLOAT, [], 4],
    ...extra,
  ];
  let offset = 0;
  const entries = specs.map(([name, dtype, shape, size]) => {
    const e = [name, entry({ dtype, shape, offset, size })] as const;
    offset += size;
    return e;
  });
  const data = new Uint8Array(offset);
  return readTensorflow(bundle(entries, data));
}

describe('TensorFlow checkpoint bookkeeping', () => {
  it('names TensorFlow\'s own entries, and no weight', () => {
    for (const n of [
      '_CHECKPOINTABLE_OBJECT_GRAPH',
      'save_counter/.ATTRIBUTES/VARIABLE_VALUE',
      'global_step',
      'layer/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE',
      'optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE',
      'optimizer/_variables/3/.ATTRIBUTES/VARIABLE_VALUE',
      'model/optimizer/beta_1/.ATTRIBUTES/VARIABLE_VALUE',
      'model/.ATTRIBUTES/OBJECT_CONFIG_JSON',
      'keras_api/metrics/0/total/.ATTRIBUTES/VARIABLE_VALUE',
    ]) expect(checkpointBookkeeping(n), n).not.toBeNull();
    for (const n of [
      'a/.ATTRIBUTES/VARIABLE_VALUE',
      'conv2d/kernel',
      'model/save_counter/.ATTRIBUTES/VARIABLE_VALUE', // only the checkpoint's own, at the root
      'counter',
      'model/global_step_embedding/.ATTRIBUTES/VARIABLE_VALUE',
      'model/..OPTIMIZER_SLOT/.ATTRIBUTES/VARIABLE_VALUE', // a user's ".OPTIMIZER_SLOT", escaped
      'optimizer/w', // TF1 names: a variable scope may be called anything
    ]) expect(checkpointBookkeeping(n), n).toBeNull();
  });

  it('a TF2 checkpoint converts without --skip-unconvertible; the plan names what it left out', async () => {
    const model = await tf2Checkpoint();
    for (const format of ['gguf', 'safetensors'] as const) {
      const plan = planConversion(model, { format, baseName: `out.${format}`, target: 'F32' });
      expect(plan.tensors.map((t) => t.name).sort()).toEqual(['model/dense/bias/.ATTRIBUTES/VARIABLE_VALUE', 'model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE']);
      const notes = plan.warnings.filter((w) => w.startsWith('left out TensorFlow checkpoint bookkeeping'));
      expect(notes.join('\n')).toContain('_CHECKPOINTABLE_OBJECT_GRAPH');
      expect(notes.join('\n')).toContain('save_counter/.ATTRIBUTES/VARIABLE_VALUE');
      expect(notes.join('\n')).toContain('model/dense/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE');
      expect(notes.join('\n')).toContain('optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE');
      expect(notes.join('\n')).toContain('optimizer/learning_rate/.ATTRIBUTES/VARIABLE_VALUE');
    }
  });

  it('a weight of a type the output lacks is still refused, and only it is named', async () => {
    const model = await tf2Checkpoint([['model/cplx/.ATTRIBUTES/VARIABLE_VALUE', DT.COMPLEX64, [2], 16], ['model/steps/.ATTRIBUTES/VARIABLE_VALUE', DT.STRING, [], 8]]);
    let err: unknown;
    try {
      planConversion(model, { format: 'gguf', baseName: 'out.gguf', target: 'F16' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnconvertibleTensorsError);
    expect((err as UnconvertibleTensorsError).tensors.map((t) => t.name)).toEqual(['model/cplx/.ATTRIBUTES/VARIABLE_VALUE', 'model/steps/.ATTRIBUTES/VARIABLE_VALUE']);
    const plan = planConversion(model, { format: 'gguf', baseName: 'out.gguf', target: 'F16', skipUnconvertible: true });
    expect(plan.warnings.some((w) => w.startsWith('model/cplx/.ATTRIBUTES/VARIABLE_VALUE: left out (--skip-unconvertible)'))).toBe(true);
    expect(plan.warnings.some((w) => w.includes('_CHECKPOINTABLE_OBJECT_GRAPH'))).toBe(true);
  });

  it('other formats keep tensors of those names', async () => {
    const model = await tf2Checkpoint();
    const asSafetensors = { ...model, format: 'safetensors' as const, tensors: model.tensors.filter((t) => t.type !== null) };
    const plan = planConversion(asSafetensors, { format: 'safetensors', baseName: 'out.safetensors', target: 'F32' });
    expect(plan.tensors.map((t) => t.name)).toContain('optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE');
  });

  it('the TensorFlow-written TF2 checkpoint (tensorflow/serving) converts from the command line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-tf2-'));
    try {
      const base = join(FIXTURES, 'tensorflow', 'real', 'saved_model_half_plus_two_tf2_cpu');
      const out = join(dir, 'out.safetensors');
      const r = await cli('convert', join(base, 'variables.index'), join(base, 'variables.data-00000-of-00001'), '-o', out, '--type', 'F32', '--quiet');
      expect(r.err).toMatch(/^warning: left out TensorFlow checkpoint bookkeeping, .*: _CHECKPOINTABLE_OBJECT_GRAPH$/m);
      expect(r.code).toBe(0);
      const v = await readSafetensors([new MemorySource('out.safetensors', new Uint8Array(readFileSync(out)))]);
      expect(v.tensors.map((t) => t.name)).toEqual(['a/.ATTRIBUTES/VARIABLE_VALUE', 'b/.ATTRIBUTES/VARIABLE_VALUE', 'c/.ATTRIBUTES/VARIABLE_VALUE']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
