/**
 * Python values as the unpickler builds them. Nothing here can run code: a "global" is only ever
 * an inert object that a policy chose to hand out (see unpickler.ts, PicklePolicy).
 *
 * Python int is `bigint` and float is `number`, so the two stay apart (an epoch of 3 is not 3.0).
 */

export type PyValue = null | boolean | bigint | number | string | PyBytes | PyTuple | PyList | PyDict | PySet | PyObject;

export class PyBytes {
  constructor(
    readonly bytes: Uint8Array,
    /** bytearray rather than bytes. */
    readonly mutable = false,
  ) {}
}

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export class PyList {
  constructor(readonly items: PyValue[] = []) {}
}

export class PySet {
  readonly items: PyValue[] = [];
  private readonly seen = new Set<string>();
  constructor(readonly frozen = false) {}
  add(v: PyValue): void {
    const k = hashKey(v);
    if (k !== null) {
      if (this.seen.has(k)) return;
      this.seen.add(k);
    }
    this.items.push(v);
  }
}

/** dict, collections.OrderedDict or collections.Counter: insertion order, Python key equality for hashable scalars. */
export class PyDict {
  readonly keys: PyValue[] = [];
  readonly values: PyValue[] = [];
  private readonly index = new Map<string, number>();
  /** Instance attributes set by BUILD (an OrderedDict's `_metadata`); kept apart from the items. */
  attrs: PyValue = null;
  constructor(readonly kind: 'dict' | 'OrderedDict' | 'Counter' = 'dict') {}

  get size(): number {
    return this.keys.length;
  }

  set(k: PyValue, v: PyValue): void {
    const h = hashKey(k);
    if (h !== null) {
      const at = this.index.get(h);
      if (at !== undefined) {
        this.values[at] = v;
        return;
      }
      this.index.set(h, this.keys.length);
    }
    this.keys.push(k);
    this.values.push(v);
  }

  get(k: PyValue): PyValue | undefined {
    const h = hashKey(k);
    if (h === null) return undefined;
    const at = this.index.get(h);
    return at === undefined ? undefined : this.values[at];
  }
}

/** Anything a policy creates (torch storages, tensors, dtypes...). `pyType` names it in messages. */
export abstract class PyObject {
  abstract readonly pyType: string;
}

const MAX_KEY_DEPTH = 16;

/**
 * A string that is equal for Python-equal hashable scalars (1 == 1.0 == True), or null when the
 * value is not one we compare (such keys are kept without de-duplication).
 */
export function hashKey(v: PyValue, depth = 0): string | null {
  if (v === null) return 'N';
  if (typeof v === 'string') return 's' + v;
  if (typeof v === 'bigint') return 'i' + v.toString();
  if (typeof v === 'boolean') return v ? 'i1' : 'i0';
  if (typeof v === 'number') return Number.isInteger(v) ? 'i' + BigInt(v).toString() : 'f' + String(v);
  if (v instanceof PyBytes && !v.mutable) {
    let s = 'y';
    for (let i = 0; i < v.bytes.length; i++) s += String.fromCharCode(v.bytes[i]!);
    return s;
  }
  if (v instanceof PyTuple && depth < MAX_KEY_DEPTH) {
    const parts: string[] = [];
    for (const item of v.items) {
      const k = hashKey(item, depth + 1);
      if (k === null) return null;
      parts.push(k);
    }
    return 't' + JSON.stringify(parts);
  }
  return null;
}

/** The Python type name of a value, for messages. */
export function pyTypeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'str';
  }
  if (v instanceof PyBytes) return v.mutable ? 'bytearray' : 'bytes';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyList) return 'list';
  if (v instanceof PySet) return v.frozen ? 'frozenset' : 'set';
  if (v instanceof PyDict) return v.kind === 'dict' ? 'dict' : `collections.${v.kind}`;
  return v.pyType;
}
