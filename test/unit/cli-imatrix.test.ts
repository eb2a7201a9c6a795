import { describeImatrixCases } from '../support/imatrix-cli-cases';

/**
 * convert --imatrix against llama-quantize --imatrix on the tiny llama: every case, the grid types
 * on their wasm encoders (a second or two each), and the refusals; each encoder is also checked
 * byte for byte on golden/imatrix in test/unit/codecs.
 */
describeImatrixCases('convert --imatrix: byte-identical to llama-quantize --imatrix', () => true);
