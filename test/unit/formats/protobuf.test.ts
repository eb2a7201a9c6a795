import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/io/byte-source';
import { FormatError } from '../../../src/formats/errors';
import { ProtoStream, PROTO_MAX_DEPTH } from '../../../src/formats/protobuf/stream';
import {
  decodeVarint,
  i64ToSafe,
  ProtoBytes,
  u64ToSafe,
  varint,
  VARINT_OVERLONG,
  VARINT_TRUNCATED,
} from '../../../src/formats/protobuf/wire';
import { CountingSource, pb, SparseSource } from './protobuf-build';

const where = { format: 'protobuf' as const, file: 'm.pb' };
const dec = (...bytes: number[]): [number, number, number] => {
  const p = decodeVarint(Uint8Array.from(bytes), 0, bytes.length);
  return [p, varint.lo, varint.hi];
};

describe('varints (protobuf encoding guide examples and edges)', () => {
  it('decodes the spec examples and the 64-bit edges', () => {
    expect(dec(0x00)).toEqual([1, 0, 0]);
    expect(dec(0x01)).toEqual([1, 1, 0]);
    expect(dec(0x96, 0x01)).toEqual([2, 150, 0]); // the guide's 150
    expect(dec(0xac, 0x02)).toEqual([2, 300, 0]);
    expect(dec(0xff, 0xff, 0xff, 0xff, 0x0f)).toEqual([5, 0xffffffff, 0]);
    expect(dec(0x80, 0x80, 0x80, 0x80, 0x10)).toEqual([5, 0, 1]); // 2^32
    expect(dec(...Array(9).fill(0xff), 0x01)).toEqual([10, 0xffffffff, 0xffffffff]); // 2^64 - 1, i.e. int64 -1
  });
  it('reports truncation and overlong encodings', () => {
    expect(dec(0x80)[0]).toBe(VARINT_TRUNCATED);
    expect(dec(...Array(9).fill(0xff))[0]).toBe(VARINT_TRUNCATED);
    expect(dec(...Array(9).fill(0xff), 0x02)[0]).toBe(VARINT_OVERLONG); // bit 64 set
    expect(dec(...Array(10).fill(0x80), 0x00)[0]).toBe(VARINT_OVERLONG); // 11 bytes
  });
  it('converts to numbers only when exact', () => {
    expect(u64ToSafe(0xffffffff, 0x1fffff)).toBe(Number.MAX_SAFE_INTEGER);
    expect(u64ToSafe(0, 0x200000)).toBe(-1);
    expect(i64ToSafe(0xffffffff, 0xffffffff)).toBe(-1);
    expect(i64ToSafe(1, 0xffe00000)).toBe(-Number.MAX_SAFE_INTEGER);
    expect(i64ToSafe(0, 0xffe00000)).toBeNaN();
  });
  it('round-trips random 64-bit values written by an independent encoder', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
        const b = pb().varint(v).finish();
        const p = decodeVarint(b, 0, b.length);
        expect(p).toBe(b.length);
        expect((BigInt(varint.hi) << 32n) | BigInt(varint.lo)).toBe(v);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ProtoBytes (in-memory messages)', () => {
  it('reads each wire type', () => {
    const m = pb().int(1, 150).fixed32(2, 0xdeadbeef).double(3, 1.5).bytes(4, 'hi').int(5, -2).finish();
    const r = new ProtoBytes(m, where);
    const seen: unknown[] = [];
    while (r.next()) {
      if (r.field === 1) seen.push(r.uint());
      if (r.field === 2) seen.push(r.fixed32());
      if (r.field === 3) seen.push([r.lo, r.hi]);
      if (r.field === 4) seen.push(r.string());
      if (r.field === 5) seen.push(r.int());
    }
    expect(seen).toEqual([150, 0xdeadbeef, [0, 0x3ff80000], 'hi', -2]);
  });
  const err = (bytes: number[]): string => {
    const r = new ProtoBytes(Uint8Array.from(bytes), where, 100);
    try {
      while (r.next());
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      return (e as Error).message;
    }
    return 'no error';
  };
  it('names each malformed case with its offset', () => {
    expect(err([0x00, 0x01])).toBe('protobuf: field number 0 is not allowed (m.pb, offset 100)');
    expect(err([0x0b])).toBe('protobuf: field 1 has wire type SGROUP, which this reader does not accept (m.pb, offset 100)');
    expect(err([0x0e])).toBe('protobuf: field 1 has wire type 6, which this reader does not accept (m.pb, offset 100)');
    expect(err([0x12, 0x05, 0x61])).toBe('protobuf: field 2 declares 5 bytes but its message has 1 left (m.pb, offset 100)');
    expect(err([0x15, 0x01, 0x02])).toBe('protobuf: truncated 4-byte value in field 2 (m.pb, offset 100)');
    expect(err([0x08, 0x80])).toBe('protobuf: truncated varint in field 1 (m.pb, offset 100)');
    expect(err([0x80])).toBe('protobuf: truncated field tag (m.pb, offset 100)');
  });
  it('refuses a value read with the wrong wire type', () => {
    const r = new ProtoBytes(pb().bytes(1, 'x').finish(), where);
    r.next();
    expect(() => r.uint()).toThrow('field 1 has wire type LEN where VARINT was expected');
  });
});

/** Walks a message tree, entering fields listed in `nested`, and returns what it saw. */
async function walkStream(s: ProtoStream, nested: Set<number>): Promise<unknown[]> {
  const out: unknown[] = [];
  while (await s.next()) {
    if (s.wire === 2 && nested.has(s.field)) {
      s.enter();
      out.push([s.field, await walkStream(s, nested)]);
      s.leave();
    } else if (s.wire === 2) out.push([s.field, Array.from(await s.bytes(1 << 20, 'value'))]);
    else out.push([s.field, s.lo, s.hi]);
  }
  return out;
}

function walkBytes(r: ProtoBytes, nested: Set<number>): unknown[] {
  const out: unknown[] = [];
  while (r.next()) {
    if (r.wire === 2 && nested.has(r.field)) out.push([r.field, walkBytes(r.sub(), nested)]);
    else if (r.wire === 2) out.push([r.field, Array.from(r.bytesValue())]);
    else out.push([r.field, r.lo, r.hi]);
  }
  return out;
}

describe('ProtoStream (messages in a ByteSource)', () => {
  // random trees: fields 1-4 scalars / bytes, field 7 a nested message
  const leaf = fc.oneof(
    fc.record({ k: fc.constant('int' as const), f: fc.integer({ min: 1, max: 4 }), v: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }) }),
    fc.record({ k: fc.constant('fixed' as const), f: fc.integer({ min: 1, max: 4 }), v: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ k: fc.constant('bytes' as const), f: fc.integer({ min: 1, max: 4 }), v: fc.uint8Array({ maxLength: 40 }) }),
  );
  type Node = { k: 'int'; f: number; v: bigint } | { k: 'fixed'; f: number; v: number } | { k: 'bytes'; f: number; v: Uint8Array } | { k: 'msg'; kids: Node[] };
  const tree: fc.Arbitrary<Node[]> = fc.letrec<{ node: Node; list: Node[] }>((t) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.record({ k: fc.constant('msg' as const), kids: t('list') })) as fc.Arbitrary<Node>,
    list: fc.array(t('node'), { maxLength: 6 }),
  })).list;
  const encode = (nodes: Node[]): Uint8Array => {
    const m = pb();
    for (const n of nodes) {
      if (n.k === 'int') m.int(n.f, n.v);
      else if (n.k === 'fixed') m.fixed32(n.f, n.v);
      else if (n.k === 'bytes') m.bytes(n.f, n.v);
      else m.bytes(7, encode(n.kids));
    }
    return m.finish();
  };

  it('sees the same fields as the in-memory reader, for any window size', async () => {
    await fc.assert(
      fc.asyncProperty(tree, fc.integer({ min: 1, max: 64 }), async (nodes, window) => {
        const bytes = encode(nodes);
        const want = walkBytes(new ProtoBytes(bytes, where), new Set([7]));
        const got = await walkStream(new ProtoStream(new MemorySource('m.pb', bytes), where, 0, bytes.length, window), new Set([7]));
        expect(got).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });

  it('passes over a 3 GB field with bounded reads', async () => {
    const head = pb().int(1, 5).tag(2, 2).varint(3_000_000_000).finish();
    const tail = pb().int(3, 9).finish();
    const size = head.length + 3_000_000_000 + tail.length;
    const src = new CountingSource(new SparseSource('big.pb', size, [{ at: 0, bytes: head }, { at: size - tail.length, bytes: tail }]));
    const s = new ProtoStream(src, where);
    const seen: [number, number][] = [];
    while (await s.next()) seen.push([s.field, s.wire === 2 ? s.len : s.lo]);
    expect(seen).toEqual([[1, 5], [2, 3_000_000_000], [3, 9]]);
    expect(src.largestRead).toBeLessThanOrEqual(256 * 1024);
    expect(src.bytesRead).toBeLessThan(1 << 20);
  });

  it('refuses a LEN field running past its enclosing message, and nesting past the limit', async () => {
    const inner = pb().tag(1, 2).varint(10).raw(1, 2).finish(); // declares 10, has 2
    const bytes = pb().bytes(7, inner).int(2, 1).finish();
    const s = new ProtoStream(new MemorySource('m.pb', bytes), where);
    await s.next();
    s.enter();
    await expect(s.next()).rejects.toThrow('protobuf: field 1 declares 10 bytes but its message has 2 left (m.pb, offset 2)');

    let deep = pb().int(1, 1).finish();
    for (let i = 0; i <= PROTO_MAX_DEPTH; i++) deep = pb().bytes(7, deep).finish();
    const d = new ProtoStream(new MemorySource('d.pb', deep), where);
    await expect(
      (async () => {
        while (await d.next()) d.enter();
      })(),
    ).rejects.toThrow(`messages nested deeper than ${PROTO_MAX_DEPTH}`);
  });

  it('refuses a value over the caller limit before reading it', async () => {
    const bytes = pb().bytes(1, 'abcdef').finish();
    const s = new ProtoStream(new MemorySource('m.pb', bytes), where);
    await s.next();
    await expect(s.bytes(4, 'name')).rejects.toThrow('protobuf: name is 6 bytes, over the limit of 4 (m.pb, offset 0)');
  });
});
