import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySource, type ByteSource } from '../../../src/io/byte-source';
import { FormatError } from '../../../src/formats/errors';
import { crc32c, maskCrc } from '../../../src/formats/tensorflow/crc32c';
import { readTensorflow } from '../../../src/formats/tensorflow/reader';
import { parseBlock } from '../../../src/formats/tensorflow/sstable';
import { decodeSliceKey } from '../../../src/formats/tensorflow/slice-key';
import { snappyDecompress } from '../../../src/formats/tensorflow/snappy';
import { decodeVarint, varint } from '../../../src/formats/protobuf/wire';
import { byteMutation, mutate, mutationRunner, type Outcome } from '../../support/byte-mutations';
import { fixtureBytes } from '../../support/fixtures';

/**
 * Mutation properties: valid bundles with bytes changed, dropped or appended must either parse
 * (and then every decodable tensor reads in full) or fail with a FormatError, within a time
 * bound. Case counts and the slowest case are printed for the report.
 */

const CASE_MS = 2000;
const stats: string[] = [];
afterAll(() => console.log(`tensorflow mutation properties:\n  ${stats.join('\n  ')}`));

async function outcome(files: ByteSource[]): Promise<Outcome> {
  try {
    const v = await readTensorflow(files);
    for (const t of v.tensors) {
      if (t.type === null) continue;
      expect(t.nbytes).toBeGreaterThanOrEqual(0);
      try {
        await t.read(0, t.nbytes);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
      }
    }
    return 'parsed';
  } catch (e) {
    if (e instanceof FormatError) return 'format-error';
    throw e;
  }
}

/** Byte edits only: the footer stays where it is, so edits land in blocks more often. */
const editsOnly = fc.record({
  edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
  cut: fc.constant(null),
  append: fc.constant(null),
});

/** Recomputes every block trailer the footer and index lead to, so mutations reach the block and proto parsers. */
function recrc(b: Uint8Array): Uint8Array {
  const out = b.slice();
  if (out.length < 48) return out;
  const footer = out.length - 48;
  let p = footer;
  const handle = (): [number, number] | null => {
    const r: number[] = [];
    for (let i = 0; i < 2; i++) {
      const q = decodeVarint(out, p, footer + 40);
      if (q < 0 || varint.hi !== 0) return null;
      r.push(varint.lo);
      p = q;
    }
    return [r[0]!, r[1]!];
  };
  const fix = (h: [number, number] | null): void => {
    if (h === null || h[0] + h[1] + 5 > footer) return;
    const crc = maskCrc(crc32c(out, h[0], h[0] + h[1] + 1));
    out.set([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24], h[0] + h[1] + 1);
  };
  const meta = handle();
  const index = handle();
  fix(meta);
  if (index === null || index[0] + index[1] + 5 > footer) return out;
  // data blocks first (the index block's bytes do not change when they do), then the index
  try {
    for (const e of parseBlock(out.subarray(index[0], index[0] + index[1]), index[0], 'x', { keyBytes: 0 })) {
      p = 0;
      const r: number[] = [];
      for (let i = 0; i < 2; i++) {
        const q = decodeVarint(e.value, p, e.value.length);
        if (q < 0 || varint.hi !== 0) break;
        r.push(varint.lo);
        p = q;
      }
      if (r.length === 2) fix([r[0]!, r[1]!]);
    }
  } catch {
    // an index block that does not parse is left for the reader to refuse
  }
  fix(index);
  return out;
}

const run = mutationRunner(outcome, CASE_MS, stats, byteMutation(6));

describe('mutated bundles: a correct parse or a FormatError, never anything else', () => {
  const idx = fixtureBytes('tensorflow/multi.ckpt.index');
  const d0 = fixtureBytes('tensorflow/multi.ckpt.data-00000-of-00002');
  const d1 = fixtureBytes('tensorflow/multi.ckpt.data-00001-of-00002');
  const data = [new MemorySource('multi.ckpt.data-00000-of-00002', d0), new MemorySource('multi.ckpt.data-00001-of-00002', d1)];
  const beIdx = fixtureBytes('tensorflow/be.ckpt.index');
  const beData = new MemorySource('be.ckpt.data-00000-of-00001', fixtureBytes('tensorflow/be.ckpt.data-00000-of-00001'));

  it('raw byte edits of a Snappy-compressed index', async () => {
    await run('multi.ckpt.index, raw edits', 1500, (m) => [new MemorySource('multi.ckpt.index', mutate(idx, m)), ...data]);
  }, 120_000);

  it('edits behind valid block checksums (reach the block and entry parsers)', async () => {
    await run('be.ckpt.index, 1-3 byte edits + re-checksummed blocks', 1500, (m) => [new MemorySource('be.ckpt.index', recrc(mutate(beIdx, m))), beData], editsOnly);
  }, 120_000);

  it('edits of the data shards', async () => {
    await run('multi.ckpt data shards, raw edits', 300, (m) => [
      new MemorySource('multi.ckpt.index', idx),
      new MemorySource('multi.ckpt.data-00000-of-00002', mutate(d0, m)),
      data[1]!,
    ]);
  }, 120_000);

  it('the Snappy decoder returns bytes or a reason for any input', () => {
    const t0 = performance.now();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const out = snappyDecompress(b, 1 << 16);
        expect(typeof out === 'string' || out instanceof Uint8Array).toBe(true);
      }),
      { numRuns: 5000, seed: 7 },
    );
    stats.push(`snappy random inputs: 5000 cases in ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it('the slice-key decoder returns a name or null for any input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const k = decodeSliceKey(Uint8Array.from([0, ...b]));
        expect(k === null || typeof k.name === 'string').toBe(true);
      }),
      { numRuns: 5000, seed: 7 },
    );
  });
});
