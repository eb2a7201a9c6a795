import { describeImatrixPage } from '../test/support/imatrix-page-cases';

/** Every tiny-llama llama-quantize --imatrix case through the page on WebGPU (npm test runs a subset). */
describeImatrixPage('tiny-llama llama-quantize --imatrix cases through the page on WebGPU: all', () => true);
