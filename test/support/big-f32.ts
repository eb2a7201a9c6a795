/**
 * The integer v (|v| < 2^64) rounded to float32, ties to even, by exact BigInt arithmetic: the
 * reference for 64-bit integer decodes, independent of the CPU twin and of the GPU kernels. Used
 * in Node (test/gpu/codecs-plain.test.ts) and in the harness page (test/harness/ext-plain.ts).
 */
export function bigToF32(v: bigint): number {
  const neg = v < 0n;
  let m = neg ? -v : v;
  const bits = m.toString(2).length;
  if (bits > 24) {
    const s = BigInt(bits - 24);
    let q = m >> s;
    const rem = m - (q << s);
    const half = 1n << (s - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    m = q << s;
  }
  const r = Number(m); // exact: at most 25 significant bits
  return neg ? -r : r;
}
