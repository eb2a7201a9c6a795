/**
 * Runs a test-only compute entry point (`main`, workgroup size 64, one invocation per item) over
 * input arrays bound at 0..k-1, an output array at k and a uniform { n, 0, 0, 0 } at k+1, and
 * returns the output's raw words. For checking shader helper functions (fmath.wgsl, legacy_io.wgsl,
 * iquants_common.wgsl) bit for bit; the entry point is appended to `code` by the caller.
 */
export async function runProbe(
  device: GPUDevice,
  code: string,
  inputs: ArrayBufferView<ArrayBuffer>[],
  n: number,
  outBytesPerItem: number,
): Promise<Uint32Array> {
  const mod = device.createShaderModule({ code });
  const errs = (await mod.getCompilationInfo()).messages.filter((m) => m.type === 'error');
  if (errs.length) throw new Error(errs.map((m) => `${m.lineNum}: ${m.message}`).join('; '));
  const pipe = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: mod, entryPoint: 'main' } });
  const upload = (data: ArrayBufferView<ArrayBuffer>, usage: number) => {
    const buf = device.createBuffer({ size: Math.max(16, data.byteLength), usage: usage | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buf, 0, data);
    return buf;
  };
  const ins = inputs.map((d) => upload(d, GPUBufferUsage.STORAGE));
  const outBytes = n * outBytesPerItem;
  const out = device.createBuffer({ size: outBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const params = upload(new Uint32Array([n, 0, 0, 0]), GPUBufferUsage.UNIFORM);
  const staging = device.createBuffer({ size: outBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipe);
  const entries = [...ins, out, params].map((buffer, binding) => ({ binding, resource: { buffer } }));
  pass.setBindGroup(0, device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries }));
  pass.dispatchWorkgroups(Math.ceil(n / 64));
  pass.end();
  enc.copyBufferToBuffer(out, 0, staging, 0, outBytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const res = new Uint32Array(staging.getMappedRange().slice(0));
  for (const b of [...ins, out, params, staging]) b.destroy();
  return res;
}
