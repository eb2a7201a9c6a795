import { createHash } from 'node:crypto';
import { fixtureBytes } from '../../support/fixtures';
import { bf16ToF32Bits, f32BitsToF16 } from '../../../src/codecs/half';

/** A safetensors file from header text and data, spelled out byte by byte (no Kiln code). */
export function buildSafetensors(header: string | object, data: Uint8Array | number = 0, declaredLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** sha256 of the real shards in shared/models/tiny-llama/hf-f16-sharded (SHA256SUMS there). */
export const SHARD_SHA256 = [
  '703f3bb5f7fc67df8ec1346d6612475a14e2b26883ae01a0acb6c79a4ca582d1',
  'd3ac3549732b0aba04d208cd0d72a7184565cad180c92f6a78393524be16ccdf',
];

/**
 * Rebuilds the F16 shards of tiny-llama from their stored headers and the BF16 checkpoint's data:
 * every weight is exactly representable in both (shared/README.md 3.1), so bf16 -> f32 -> f16 is
 * exact. The header is parsed with JSON.parse here, not with Kiln's reader. The caller checks the
 * result against SHARD_SHA256 before trusting it.
 */
export function rebuildShards(): Uint8Array[] {
  const bf16 = fixtureBytes('safetensors/tiny-llama-bf16.safetensors');
  const dv = new DataView(bf16.buffer, bf16.byteOffset);
  const n = Number(dv.getBigUint64(0, true));
  const src = JSON.parse(new TextDecoder().decode(bf16.subarray(8, 8 + n))) as Record<string, { data_offsets: [number, number] }>;
  return [1, 2].map((i) => {
    const head = fixtureBytes(`safetensors/sharded/model-0000${i}-of-00002.header.bin`);
    const hn = Number(new DataView(head.buffer, head.byteOffset).getBigUint64(0, true));
    const h = JSON.parse(new TextDecoder().decode(head.subarray(8, 8 + hn))) as Record<string, { data_offsets: [number, number] }>;
    const entries = Object.entries(h).filter(([k]) => k !== '__metadata__');
    const size = Math.max(...entries.map(([, e]) => e.data_offsets[1]));
    const out = new Uint8Array(head.length + size);
    out.set(head);
    const o16 = new DataView(out.buffer);
    for (const [name, e] of entries) {
      const [b0, b1] = src[name]!.data_offsets;
      for (let k = 0; k < (b1 - b0) / 2; k++) {
        const bits = dv.getUint16(8 + n + b0 + 2 * k, true);
        o16.setUint16(head.length + e.data_offsets[0] + 2 * k, f32BitsToF16(bf16ToF32Bits(bits)), true);
      }
    }
    return out;
  });
}
