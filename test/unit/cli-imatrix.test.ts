import { describeImatrixCases } from '../support/imatrix-cli-cases';

/**
 * convert --imatrix against llama-quantize --imatrix on the tiny llama, a subset for `npm test`:
 * every case but IQ2_M, the grid types on their wasm encoders (IQ1_*, IQ2_XXS, IQ2_XS, IQ3_*:
 * 0.3 to 1.5 s each) included, and the refusals. IQ2_M (about 6 s, most of its tensors on the
 * TypeScript IQ2_S encoder) runs in `npm run bench` (bench/cli-imatrix.bench.ts); each encoder
 * is checked byte for byte on golden/imatrix in test/unit/codecs.
 */
const SLOW = /^IQ2_M/;

describeImatrixCases('convert --imatrix: byte-identical to llama-quantize --imatrix (npm test subset)', (c) => !SLOW.test(c.case));
