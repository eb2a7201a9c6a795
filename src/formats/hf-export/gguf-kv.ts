import type { Metadata, MetaValue } from '../model';

/** Typed reads of GGUF KVs; a key of the wrong type reads as absent. */
export class Kv {
  constructor(readonly md: Metadata) {}
  get(key: string): MetaValue | undefined {
    return this.md.get(key);
  }
  num(key: string): number | undefined {
    const v = this.md.get(key);
    if (v === undefined) return undefined;
    if (v.type === 'u64' || v.type === 'i64') return Number(v.value);
    return typeof v.value === 'number' ? v.value : undefined;
  }
  isFloat(key: string): boolean {
    const t = this.md.get(key)?.type;
    return t === 'f32' || t === 'f64';
  }
  str(key: string): string | undefined {
    const v = this.md.get(key);
    return v?.type === 'string' ? v.value : undefined;
  }
  bool(key: string): boolean | undefined {
    const v = this.md.get(key);
    return v?.type === 'bool' ? v.value : undefined;
  }
  strings(key: string): string[] | undefined {
    const v = this.md.get(key);
    return v?.type === 'array' && v.itemType === 'string' ? (v.value as string[]) : undefined;
  }
  numbers(key: string): number[] | undefined {
    const v = this.md.get(key);
    return v?.type === 'array' && v.itemType !== 'string' && v.itemType !== 'array' && v.itemType !== 'bool' ? v.value.map((x) => Number(x)) : undefined;
  }
}
