import { isTypeName, type TypeName } from '../../src/codecs/catalogue';

/** What every harness module needs: type names from the tests' strings, and one seeded generator. */

/** A ggml type name as the tests spell it (any case), checked against the catalogue. */
export function toName(s: string): TypeName {
  const n = s.toUpperCase();
  if (!isTypeName(n)) throw new Error(`unknown type ${s}`);
  return n;
}

/** xorshift32: a seeded stream of uint32 values (seed 0 becomes 1), the same in every harness module. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s >>>= 0), (s ^= s >>> 17), (s ^= s << 5), (s >>>= 0));
}
