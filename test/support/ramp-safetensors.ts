/**
 * A safetensors file of F32 tensors t0, t1, ... with these shapes, filled with a small sine ramp:
 * big enough inputs for runs that must still be going when a test acts on them (cancel, close).
 */
export function rampSafetensors(shapes: number[][]): Uint8Array {
  const header: Record<string, unknown> = {};
  let at = 0;
  shapes.forEach((shape, i) => {
    const bytes = shape.reduce((a, b) => a * b, 4);
    header[`t${i}`] = { dtype: 'F32', shape, data_offsets: [at, at + bytes] };
    at += bytes;
  });
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  const f = new Float32Array(at / 4);
  for (let i = 0; i < f.length; i++) f[i] = Math.sin(i * 0.001) * 0.05;
  out.set(new Uint8Array(f.buffer), 8 + json.length);
  return out;
}
