import { describeImatrixCases } from '../test/support/imatrix-cli-cases';

/** Every tiny-llama imatrix case against llama-quantize's bytes (npm test runs a subset). */
describeImatrixCases('convert --imatrix: all llama-quantize cases', () => true);
