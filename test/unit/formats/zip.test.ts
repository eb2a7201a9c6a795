import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FormatError, UnsupportedError } from '../../../src/formats/errors';
import { InflateSource } from '../../../src/formats/zip/inflate-source';
import { ZipArchive } from '../../../src/formats/zip/zip-reader';
import { MemorySource } from '../../../src/io/byte-source';
import { buildZip, expected, pk, ptBytes, sha256, u16le, u32le, u64le } from './pytorch-builders';

async function openZip(bytes: Uint8Array, name = 't.zip'): Promise<ZipArchive> {
  return ZipArchive.open(new MemorySource(name, bytes));
}

/** Deterministic, mildly compressible bytes. */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = (x >>> 8) & (i % 3 === 0 ? 0xff : 0x0f);
  }
  return out;
}

describe('zip reader: the directory of every fixture matches Python zipfile', () => {
  for (const [file, rows] of Object.entries(expected.zips)) {
    it(file, async () => {
      const zip = await openZip(ptBytes(file), file);
      expect(zip.entries.map((e) => [e.name, e.method, e.uncompressedSize, e.compressedSize, e.crc32])).toEqual(rows.map((r) => [r.name, r.method, r.size, r.csize, r.crc]));
      for (const r of rows) {
        const e = zip.get(r.name)!;
        expect(await zip.dataOffset(e)).toBe(r.dataOffset);
        expect(sha256(await zip.readAll(e, 1 << 20))).toBe(r.sha256);
      }
    });
  }
});

describe('zip reader: deflated entries stream through InflateSource', () => {
  const data = noise(3 * 1024 * 1024 + 17);
  const zip = buildZip([{ name: 'big', data, method: 8 }]);

  it('reads any range, restarting only on a backward seek', async () => {
    const z = await openZip(zip);
    const src = (await z.open(z.get('big')!)) as InflateSource;
    expect(src).toBeInstanceOf(InflateSource);
    expect(src.size).toBe(data.length);
    const ranges: Array<[number, number]> = [
      [0, 10],
      [5, 100_000],
      [1_000_000, 1],
      [1_000_001, 2_000_000],
      [data.length - 5, 5],
    ];
    for (const [o, n] of ranges) expect(sha256(await src.read(o, n))).toBe(sha256(data.subarray(o, o + n)));
    expect(src.restarts).toBe(0);
    expect(await src.read(3, 4)).toEqual(data.subarray(3, 7));
    expect(src.restarts).toBe(1);
  });

  it('sequential 64 KiB reads inflate the stream once', async () => {
    const z = await openZip(zip);
    const src = (await z.open(z.get('big')!)) as InflateSource;
    const out = new Uint8Array(data.length);
    for (let at = 0; at < data.length; at += 65536) out.set(await src.read(at, Math.min(65536, data.length - at)), at);
    expect(sha256(out)).toBe(sha256(data));
    expect(src.restarts).toBe(0);
  });

  it('concurrent reads are serialised and still correct', async () => {
    const z = await openZip(zip);
    const src = await z.open(z.get('big')!);
    const got = await Promise.all([src.read(2_000_000, 1000), src.read(10, 1000), src.read(1_500_000, 70_000)]);
    expect(got[0]).toEqual(data.subarray(2_000_000, 2_001_000));
    expect(got[1]).toEqual(data.subarray(10, 1010));
    expect(got[2]).toEqual(data.subarray(1_500_000, 1_570_000));
  });

  it('a corrupt stream or a wrong CRC is a FormatError', async () => {
    const small = noise(5000);
    const good = buildZip([{ name: 'x', data: small, method: 8 }]);
    const z = await openZip(good);
    const start = await z.dataOffset(z.get('x')!);
    const badCrc = good.slice();
    badCrc.set(u32le(0xdeadbeef), good.length - 22 - (46 + 1) + 16); // the directory's CRC field
    const zc = await openZip(badCrc);
    await expect(zc.readAll(zc.get('x')!, 1 << 20)).rejects.toThrow(/CRC-32 is 0x[0-9a-f]+, the directory says 0xdeadbeef/);
    for (const at of [0, 10, 100]) {
      const bad = good.slice();
      bad[start + at]! ^= 0xff;
      const zb = await openZip(bad);
      await expect(zb.readAll(zb.get('x')!, 1 << 20)).rejects.toThrow(FormatError);
    }
  });

  it('a stream that inflates to more or less than declared', async () => {
    const comp = deflateRawSync(noise(1000));
    const mk = (size: number): Uint8Array =>
      pk(
        u32le(0x04034b50), u16le(20), u16le(0), u16le(8), u32le(0), u32le(0), u32le(comp.length), u32le(size), u16le(1), u16le(0), 'x', comp,
        u32le(0x02014b50), u16le(20), u16le(20), u16le(0), u16le(8), u32le(0), u32le(0), u32le(comp.length), u32le(size), u16le(1), u16le(0), u16le(0), u16le(0), u16le(0), u32le(0), u32le(0), 'x',
        u32le(0x06054b50), u16le(0), u16le(0), u16le(1), u16le(1), u32le(47), u32le(31 + comp.length), u16le(0),
      );
    const more = await openZip(mk(999));
    await expect((await more.open(more.get('x')!)).read(0, 999)).rejects.toThrow('inflates to more than the 999 bytes');
    const less = await openZip(mk(1001));
    await expect((await less.open(less.get('x')!)).read(0, 1001)).rejects.toThrow('deflate stream ends after 1000 of 1001 bytes');
  });
});

describe('zip reader: end records, ZIP64', () => {
  it('finds the end record behind a maximal comment', async () => {
    const z = await openZip(buildZip([{ name: 'a', data: pk('hello') }], { comment: 'c'.repeat(65535) }));
    expect(new TextDecoder().decode(await z.readAll(z.get('a')!, 100))).toBe('hello');
  });

  it('reads a ZIP64 archive with more than 65535 entries', async () => {
    const entries = Array.from({ length: 70_000 }, (_, i) => ({ name: `d/${i}`, data: Uint8Array.of(i & 0xff, i >>> 8) }));
    const z = await openZip(buildZip(entries));
    expect(z.zip64).toBe(true);
    expect(z.entries.length).toBe(70_000);
    expect(await z.readAll(z.get('d/69999')!, 16)).toEqual(Uint8Array.of(69999 & 0xff, 69999 >>> 8));
  });

  it('reads forced ZIP64 records on a small archive', async () => {
    const z = await openZip(buildZip([{ name: 'a', data: pk('xyz'), pad: 8 }], { forceZip64: true }));
    expect(z.zip64).toBe(true);
    expect(await z.readAll(z.get('a')!, 16)).toEqual(pk('xyz'));
  });
});

describe('zip reader: malformed and hostile archives', () => {
  const one = buildZip([{ name: 'a', data: pk('hello') }]);
  const eocdAt = one.length - 22;
  const cdAt = eocdAt - (46 + 1);
  const patch = (at: number, bytes: number[]): Uint8Array => {
    const b = one.slice();
    b.set(bytes, at);
    return b;
  };
  const cases: Array<[string, () => Uint8Array, RegExp | string]> = [
    ['too small', () => pk('PK'), 'too small for a zip end record'],
    ['no end record', () => one.subarray(0, eocdAt), 'no end of central directory record'],
    ['comment length past the end', () => patch(eocdAt + 20, u16le(5)), 'no end of central directory record'],
    ['directory past the end records', () => patch(eocdAt + 16, u32le(cdAt + 10)), 'overlaps the end records'],
    ['entry count too large for the directory', () => patch(eocdAt + 8, [...u16le(500), ...u16le(500)]), 'cannot hold 500 entries'],
    ['zip64 values without a locator', () => patch(eocdAt + 8, [...u16le(0xffff), ...u16le(0xffff)]), 'no zip64 locator'],
    ['multi-disk', () => patch(eocdAt + 4, u16le(1)), 'multi-disk'],
    ['bad directory signature', () => patch(cdAt, u32le(0x12345678)), 'no central directory signature'],
    ['local header past the directory', () => patch(cdAt + 42, u32le(cdAt)), 'do not fit before the central directory'],
    ['stored sizes that differ', () => patch(cdAt + 20, u32le(4)), 'compressed size 4 but uncompressed size 5'],
    ['zip64 size without its extra field', () => patch(cdAt + 24, u32le(0xffffffff)), 'needs a zip64 extra field'],
  ];
  for (const [what, make, msg] of cases) {
    it(what, async () => {
      const err = await openZip(make()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FormatError);
      expect((err as Error).message).toMatch(msg);
    });
  }

  it('claims beyond deflate ratio, duplicates, encryption and unknown methods', async () => {
    const ratio = one.slice();
    ratio.set(u16le(8), cdAt + 10);
    ratio.set(u32le(5_000_000), cdAt + 24);
    await expect(openZip(ratio)).rejects.toThrow('beyond deflate\'s maximum ratio');
    await expect(openZip(buildZip([{ name: 'a', data: pk('1') }, { name: 'a', data: pk('2') }]))).rejects.toThrow('duplicate entry name "a"');
    const enc = one.slice();
    enc.set(u16le(0x801), cdAt + 8);
    const ze = await openZip(enc);
    await expect(ze.open(ze.get('a')!)).rejects.toThrow(UnsupportedError);
    const bz = one.slice();
    bz.set(u16le(12), cdAt + 10);
    bz.set(u32le(3), cdAt + 20);
    const zb = await openZip(bz);
    await expect(zb.open(zb.get('a')!)).rejects.toThrow('compression method 12');
  });

  it('a zip64 record whose counts exceed the limits', async () => {
    const z = buildZip([{ name: 'a', data: pk('x') }], { forceZip64: true });
    const rec = z.length - 22 - 20 - 56;
    const b = z.slice();
    b.set(u64le(2n ** 40n), rec + 24);
    b.set(u64le(2n ** 40n), rec + 32);
    await expect(openZip(b)).rejects.toThrow('entries, more than the 4000000 allowed');
    const c = z.slice();
    c.set(u64le(2n ** 60n), rec + 48);
    await expect(openZip(c)).rejects.toThrow(FormatError);
  });
});
