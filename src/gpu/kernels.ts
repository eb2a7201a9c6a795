import type { TypeName } from '../codecs/catalogue';
import type { GpuCodecKernels } from './kernel';
import { PLAIN_KERNELS } from './kernels-plain';
import { LEGACY_KERNELS } from './kernels-legacy';
import { KQUANTS_KERNELS } from './kernels-kquants';
import { IQUANTS_KERNELS } from './kernels-iquants';
import { LOWBIT_KERNELS } from './kernels-lowbit';

/** Every type's GPU kernels. Exhaustive by construction, like the CPU codec registry. */
export const GPU_KERNELS: Readonly<Record<TypeName, GpuCodecKernels>> = {
  ...PLAIN_KERNELS,
  ...LEGACY_KERNELS,
  ...KQUANTS_KERNELS,
  ...IQUANTS_KERNELS,
  ...LOWBIT_KERNELS,
} satisfies Record<TypeName, GpuCodecKernels>;
