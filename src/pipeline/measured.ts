import type { TypeName } from '../codecs/catalogue';
import type { QualitySums } from '../codecs/quality';
import type { TransformEngine } from './engine';

/**
 * An engine that measures a chunk's quantization error itself (the GPU, on the decoded input it
 * already holds). quality null leaves the measurement to the CPU twin in the executor.
 */
export interface MeasuredTransform {
  transformMeasured(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number, out?: Uint8Array, weights?: Float32Array): Promise<{ bytes: Uint8Array; quality: QualitySums | null }>;
}

export function measures(e: TransformEngine): e is TransformEngine & MeasuredTransform {
  return typeof (e as Partial<MeasuredTransform>).transformMeasured === 'function';
}
