/**
 * Acquires a WebGPU device with the adapter's largest buffer limits (the defaults, 256 MiB buffers
 * and 128 MiB bindings, would force tiny chunks) and reports what chunk sizes they allow.
 */
export interface GpuContext {
  readonly device: GPUDevice;
  /** Largest storage binding, in bytes, rounded down to a multiple of 4. */
  readonly maxBinding: number;
  readonly maxBuffer: number;
  readonly maxWorkgroupsPerDim: number;
  readonly maxInvocations: number;
  /** e.g. "google swiftshader (fallback)" */
  readonly adapterLabel: string;
  readonly isFallback: boolean;
  /** Resolves when the device is lost (destroyed or a driver reset). */
  readonly lost: Promise<GPUDeviceLostInfo>;
}

export class GpuUnavailableError extends Error {
  override readonly name = 'GpuUnavailableError';
}

export async function acquireGpu(gpu: GPU | undefined = globalThis.navigator?.gpu): Promise<GpuContext> {
  if (!gpu) throw new GpuUnavailableError('WebGPU is not available in this browser (navigator.gpu is missing)');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new GpuUnavailableError('WebGPU found no adapter');
  const lim = adapter.limits;
  const device = await adapter.requestDevice({
    label: 'kiln',
    requiredLimits: {
      maxBufferSize: lim.maxBufferSize,
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: lim.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: lim.maxComputeWorkgroupsPerDimension,
    },
  });
  const info = adapter.info;
  const label = [info.vendor, info.architecture, info.device].filter((s) => s).join(' ') || 'unknown adapter';
  const isFallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
  return {
    device,
    // Chrome refuses bindings above 2 GiB whatever the adapter says (PLATFORM.md).
    maxBinding: Math.min(device.limits.maxStorageBufferBindingSize, 2 ** 31 - 4) & ~3,
    maxBuffer: Math.min(device.limits.maxBufferSize, 2 ** 31 - 4),
    maxWorkgroupsPerDim: device.limits.maxComputeWorkgroupsPerDimension,
    maxInvocations: device.limits.maxComputeInvocationsPerWorkgroup,
    adapterLabel: label + (isFallback ? ' (fallback)' : ''),
    isFallback,
    lost: device.lost,
  };
}
