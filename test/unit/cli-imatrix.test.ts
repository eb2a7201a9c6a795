import { describeImatrixCases } from '../support/imatrix-cli-cases';

/**
 * convert --imatrix against llama-quantize --imatrix on the tiny llama, a subset for `npm test`:
 * every case whose types all have a wasm encoder (about half a second each), the two refusals,
 * and two grid-search cases that between them use IQ2_XXS, IQ3_XXS, IQ2_S, IQ3_S, Q2_K and Q5_K
 * (about 10 s each on the TypeScript encoders). The other grid-search cases (IQ1_*, IQ2_XS, IQ2_S,
 * IQ2_M, IQ3_XS, IQ3_S, IQ3_M: 10-40 s each) run in `npm run bench` (bench/cli-imatrix.bench.ts);
 * each of their encoders is checked byte for byte on golden/imatrix in test/unit/codecs.
 */
const SLOW = /^IQ[123]/;
const KEPT = new Set(['IQ2_XXS-imat', 'IQ3_XXS-imat', 'IQ2_XXS-imat-exclude-ffn_down', 'IQ2_XXS-imat-pure']);

describeImatrixCases('convert --imatrix: byte-identical to llama-quantize --imatrix (npm test subset)', (c) => !SLOW.test(c.case) || KEPT.has(c.case));
