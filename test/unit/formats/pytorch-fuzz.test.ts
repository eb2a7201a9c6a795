/**
 * Property tests: mutate real checkpoints (flip bytes, truncate, splice) and require that every
 * outcome is either a parse whose tensors read back at their declared sizes, or a FormatError,
 * each within a time bound. Zip files are mutated twice over: as raw files (the zip layer and CRCs
 * see the damage) and with only data.pkl mutated and the archive rebuilt with a correct CRC (so the
 * damage reaches the pickle VM and the tensor checks instead of stopping at the CRC).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/formats/errors';
import { unpickle } from '../../../src/formats/pickle/unpickler';
import { collect } from '../../../src/formats/pytorch/collect';
import { readPytorch } from '../../../src/formats/pytorch/reader';
import { torchPolicy } from '../../../src/formats/pytorch/torch-policy';
import { MemorySource } from '../../../src/io/byte-source';
import { buildZip, expected, ptBytes } from './pytorch-builders';

const CASE_MS = 3000;
/** Reads at most this much of each tensor: a mutated stride of 0 can make a tiny storage look huge. */
const READ_CAP = 1 << 20;
const RUNS = Number(process.env.KILN_FUZZ_RUNS ?? 400);

const stats = new Map<string, { runs: number; ok: number; formatErrors: number; ms: number; worst: number }>();
afterAll(() => {
  for (const [k, s] of stats) {
    console.log(`${k}: ${s.runs} cases, ${s.ok} parsed, ${s.formatErrors} FormatError, ${s.ms.toFixed(0)} ms total, slowest ${s.worst.toFixed(1)} ms`);
  }
});

type Mutation = { kind: 'flip'; at: number; xor: number }[] | { kind: 'truncate'; keep: number } | { kind: 'splice'; at: number; len: number; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 3 }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }), byte: fc.integer({ min: 0, max: 255 }) }) },
);

function mutate(src: Uint8Array, m: Mutation): Uint8Array {
  if (Array.isArray(m)) {
    const b = src.slice();
    for (const f of m) b[f.at % b.length]! ^= f.xor;
    return b;
  }
  if (m.kind === 'truncate') return src.slice(0, m.keep % src.length);
  const at = m.at % src.length;
  const b = src.slice();
  b.fill(m.byte, at, Math.min(b.length, at + m.len));
  return b;
}

async function outcome(name: string, bytes: Uint8Array): Promise<'ok' | 'format'> {
  try {
    const view = await readPytorch(new MemorySource(name, bytes));
    for (const t of view.tensors) {
      const n = Math.min(t.nbytes, READ_CAP);
      try {
        const got = await t.read(0, n);
        expect(got.length).toBe(n);
        if (t.nbytes > n) expect((await t.read(t.nbytes - 16, 16)).length).toBe(16);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
      }
    }
    return 'ok';
  } catch (e) {
    if (e instanceof FormatError) return 'format';
    throw e;
  }
}

/** The pickle VM and the tensor walk alone (no container), under the torch policy. */
async function vmOutcome(_name: string, bytes: Uint8Array): Promise<'ok' | 'format'> {
  try {
    const r = unpickle(bytes, 0, torchPolicy('x', (_p, _a, err) => { throw err('no pids'); }), { file: 'x' });
    collect(r.value, 'x');
    return 'ok';
  } catch (e) {
    if (e instanceof FormatError) return 'format';
    throw e;
  }
}

async function property(label: string, make: (m: Mutation) => Uint8Array, run = outcome): Promise<void> {
  const s = { runs: 0, ok: 0, formatErrors: 0, ms: 0, worst: 0 };
  stats.set(label, s);
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      const bytes = make(m);
      const t0 = performance.now();
      const r = await run(label, bytes);
      const ms = performance.now() - t0;
      s.runs++;
      s.ms += ms;
      s.worst = Math.max(s.worst, ms);
      if (r === 'ok') s.ok++;
      else s.formatErrors++;
      expect(ms).toBeLessThan(CASE_MS);
    }),
    { numRuns: RUNS, seed: 20261129 },
  );
}

describe('mutated checkpoints: a correct parse or a FormatError, never anything else', () => {
  for (const file of ['views.pt', 'views_deflated.pt', 'lightning.ckpt', 'big_endian.pt', 'views_legacy.pt', 'legacy_tar.pt']) {
    it(`${file}: raw bytes`, async () => {
      const src = ptBytes(file);
      await property(`${file} raw`, (m) => mutate(src, m));
    });
  }

  for (const file of ['views.pt', 'views_deflated.pt', 'lightning.ckpt', 'float8_v3.pt', 'complex_quant.pt']) {
    it(`${file}: data.pkl mutated, archive rebuilt with valid CRCs`, async () => {
      const src = ptBytes(file);
      const rows = expected.zips[file]!;
      const entries = rows.map((r) => ({ name: r.name, data: src.slice(r.dataOffset, r.dataOffset + r.csize), method: r.method as 0 | 8 }));
      // Work on uncompressed bytes: inflate the deflated fixture's entries through a stored copy.
      const plain = await Promise.all(
        entries.map(async (e) => {
          if (e.method === 0) return e;
          const { inflateRawSync } = await import('node:zlib');
          return { ...e, data: new Uint8Array(inflateRawSync(e.data)) };
        }),
      );
      const pklAt = plain.findIndex((e) => e.name.endsWith('/data.pkl'));
      await property(`${file} data.pkl`, (m) => buildZip(plain.map((e, i) => (i === pklAt ? { ...e, data: mutate(e.data, m) } : e))));
    });
  }
});

describe('mutated pickles through the VM and the tensor walk', () => {
  for (const proto of [0, 2, 4, 5]) {
    it(`plain_proto${proto}.pkl`, async () => {
      const src = ptBytes(`plain_proto${proto}.pkl`);
      await property(`plain_proto${proto}.pkl`, (m) => mutate(src, m), vmOutcome);
    });
  }
});
