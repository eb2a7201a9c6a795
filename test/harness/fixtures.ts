/** Fetches test fixtures from the test server's /fixtures/ mount; `.gz` twins are inflated here. */
export async function fetchFixture(rel: string): Promise<Uint8Array> {
  let res = await fetch(`/fixtures/${rel}`);
  if (res.ok) return new Uint8Array(await res.arrayBuffer());
  res = await fetch(`/fixtures/${rel}.gz`);
  if (!res.ok || !res.body) throw new Error(`fixture ${rel} not found`);
  const stream = res.body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

interface ManifestType {
  type: string;
  status: string;
  nrows: number;
  quant?: string;
  dequant: string;
  blocks?: string;
}
export interface Manifest {
  types: ManifestType[];
  dequant_only: { types: ManifestType[] };
}

let manifest: Promise<Manifest> | null = null;
export function goldenManifest(): Promise<Manifest> {
  manifest ??= fetchFixture('golden/manifest.json').then((b) => JSON.parse(new TextDecoder().decode(b)) as Manifest);
  return manifest;
}
