import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { FIXTURES, fixtureBytes, fixtureJson } from '../../support/fixtures';
import { planGguf, writeGguf } from '../../../src/formats/gguf/writer';
import { MemorySink } from '../../../src/io/byte-sink';
import { catalogueName } from '../../support/golden';
import { TYPES } from '../../../src/codecs/catalogue';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { MemorySource } from '../../../src/io/byte-source';

/**
 * Every readable format converts to safetensors with a dtype cast, checked by an independent
 * Python decoder against the bytes torch, numpy or onnx wrote; and quantized GGUF tensors convert
 * to F32 equal to ggml's own dequantization.
 */
const PY = join(import.meta.dirname, '..', '..', 'support', 'independent', 'check_cast.py');

async function convert(inputs: string[], out: string, type: string, skip = true): Promise<{ code: number; err: string }> {
  let err = '';
  // most fixtures hold, on purpose, tensors no output can carry (strings, complex, int4, sparse)
  const code = await main(['convert', ...inputs, '-o', out, '--type', type, '--quiet', ...(skip ? ['--skip-unconvertible'] : [])], { out: () => undefined, err: (s) => void (err += s) });
  return { code, err };
}

interface Expected {
  name: string;
  dtype: string;
  shape: number[];
  hex: string;
}

function check(expected: Expected[], output: string, type: string): { ok: boolean; checked: number; problems: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-exp-'));
  try {
    writeFileSync(join(dir, 'expected.json'), JSON.stringify(expected));
    return JSON.parse(execFileSync('python3', [PY, join(dir, 'expected.json'), output, type]).toString());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pt = fixtureJson<{ checkpoints: Record<string, { tensors: Expected[] }> }>('pytorch/expected.json').checkpoints;
const f32hex = (v: number): string => Buffer.from(new Float32Array([v]).buffer).toString('hex');
const CASES: { label: string; files: string[]; expected: Expected[]; skip?: false }[] = [
  ...['dtypes.pt', 'dtypes_legacy.pt', 'views.pt', 'views_deflated.pt', 'legacy_tar.pt', 'lightning.ckpt', 'big_endian.pt', 'float8_v3.pt'].map((f) => ({
    label: `PyTorch ${f}`,
    files: [join(FIXTURES, 'pytorch', f)],
    expected: pt[f]!.tensors,
  })),
  ...['multi', 'be'].map((b) => ({
    label: `TensorFlow bundle ${b}`,
    files: [join(FIXTURES, 'tensorflow', `${b}.ckpt.index`), ...(b === 'multi' ? [0, 1].map((i) => join(FIXTURES, 'tensorflow', `multi.ckpt.data-0000${i}-of-00002`)) : [join(FIXTURES, 'tensorflow', 'be.ckpt.data-00000-of-00001')])],
    expected: fixtureJson<{ tensors: Expected[] }>(`tensorflow/${b}.expected.json`).tensors,
  })),
  {
    // written by TensorFlow 2: its _CHECKPOINTABLE_OBJECT_GRAPH string is bookkeeping, left out
    // without --skip-unconvertible (values from saved_model_half_plus_two.py)
    label: 'TensorFlow 2 checkpoint (tensorflow/serving), without --skip-unconvertible',
    files: ['variables.index', 'variables.data-00000-of-00001'].map((f) => join(FIXTURES, 'tensorflow', 'real', 'saved_model_half_plus_two_tf2_cpu', f)),
    expected: ([['a', 0.5], ['b', 2], ['c', 3]] as const).map(([n, v]) => ({ name: `${n}/.ATTRIBUTES/VARIABLE_VALUE`, dtype: 'DT_FLOAT', shape: [], hex: f32hex(v) })),
    skip: false,
  },
  ...[
    ['typed.onnx'],
    ['float8.onnx'],
    ['external.onnx', 'external.onnx.data'],
  ].map((files) => ({
    label: `ONNX ${files[0]}`,
    files: files.map((f) => join(FIXTURES, 'onnx', f)),
    expected: fixtureJson<(Expected & { dims: number[] })[]>(`onnx/${files[0]!.replace('.onnx', '.expected.json')}`).map((t) => ({ ...t, shape: t.dims })),
  })),
];

describe('any readable format -> safetensors, checked by an independent decoder', () => {
  for (const c of CASES) {
    for (const type of ['F32', 'BF16']) {
      it(`${c.label} -> ${type}`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'kiln-any-'));
        try {
          const out = join(dir, 'out.safetensors');
          const r = await convert(c.files, out, type, c.skip ?? true);
          expect(r.err.replace(/^warning: .*\n/gm, '')).toBe('');
          expect(r.code).toBe(0);
          const report = check(c.expected, out, type);
          expect(report.problems).toEqual([]);
          expect(report.checked).toBeGreaterThan(0);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});

describe('quantized GGUF -> safetensors F32 equals ggml\'s dequantization', () => {
  it('every ggml-encodable type, rows quantized by ggml', async () => {
    const manifest = fixtureJson<{ types: { type: string; status: string; quant?: string; dequant: string; nrows: number }[] }>('golden/manifest.json');
    const rows = manifest.types.filter((t) => t.status === 'ok' && t.quant);
    const dir = mkdtempSync(join(tmpdir(), 'kiln-gq-'));
    try {
      // a GGUF whose tensors are ggml's own quantized rows (24 x 4096 per type)
      const tensors = rows.map((t) => ({ name: `golden.${t.type}`, type: catalogueName(t.type), shape: [t.nrows, 4096] }));
      const plan = planGguf({ metadata: new Map([['general.architecture', { type: 'string', value: 'kiln-golden' }]]), tensors });
      const sink = new MemorySink('golden.gguf');
      const w = await writeGguf(plan, sink);
      for (const t of rows) await w.write(fixtureBytes(`golden/${t.quant}`));
      await w.finish();
      writeFileSync(join(dir, 'golden.gguf'), sink.bytes());
      const r = await convert([join(dir, 'golden.gguf')], join(dir, 'out.safetensors'), 'F32');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const out = await readSafetensors([new MemorySource('out.safetensors', new Uint8Array(readFileSync(join(dir, 'out.safetensors'))))]);
      const bad: string[] = [];
      for (const t of rows) {
        const got = out.tensors.find((x) => x.name === `golden.${t.type}`)!;
        expect(got.type).toBe('F32');
        const bytes = await got.read(0, got.nbytes);
        if (!Buffer.from(bytes).equals(Buffer.from(fixtureBytes(`golden/${t.dequant}`)))) bad.push(t.type);
      }
      expect(bad).toEqual([]);
      expect(rows.length).toBeGreaterThanOrEqual(Object.values(TYPES).filter((x) => x.family === 'quant').length - 6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
