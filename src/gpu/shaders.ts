/**
 * WGSL sources, one file per kernel family in shaders/, loaded as strings at build time.
 * A line `//#include name` is replaced by shaders/name.wgsl (once per module), so helpers are
 * written once and every kernel file still reads as plain WGSL.
 */
const files = import.meta.glob('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

const SOURCES = new Map<string, string>();
for (const [path, text] of Object.entries(files)) {
  SOURCES.set(path.replace(/^.*\//, '').replace(/\.wgsl$/, ''), text);
}

export function shaderNames(): string[] {
  return [...SOURCES.keys()];
}

export function shaderSource(name: string): string {
  const seen = new Set<string>();
  const expand = (n: string): string => {
    const text = SOURCES.get(n);
    if (text === undefined) throw new Error(`no shader named "${n}" in shaders/`);
    if (seen.has(n)) return '';
    seen.add(n);
    return text.replace(/^\/\/#include\b(.*)$/gm, (_, rest: string) => {
      const inc = rest.trim();
      if (!/^[\w-]+$/.test(inc)) throw new Error(`shaders/${n}.wgsl: malformed include "//#include${rest}"`);
      return expand(inc);
    });
  };
  return expand(name);
}
