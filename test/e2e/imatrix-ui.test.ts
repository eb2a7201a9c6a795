import { describeImatrixPage } from '../support/imatrix-page-cases';

/**
 * Importance matrices through the page on WebGPU against llama-quantize --imatrix: every tiny-llama
 * case but the four whose grid-search kernels take 35-70 s each to compile and run on SwiftShader
 * (IQ2_XS, IQ2_S with its IQ2_XS tensors, IQ1_S, IQ1_M); those run in `npm run bench`
 * (bench/imatrix-page-cases.bench.ts), and their kernels are checked against ggml block by block in
 * test/gpu/codecs-imatrix.test.ts.
 */
const SLOW = new Set(['IQ2_XS-imat', 'IQ2_S-imat', 'IQ1_S-imat', 'IQ1_M-imat']);

describeImatrixPage('tiny-llama llama-quantize --imatrix cases through the page on WebGPU (npm test subset)', (c) => !SLOW.has(c.case));
