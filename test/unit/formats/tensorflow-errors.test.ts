import { describe, expect, it } from 'vitest';
import { MemorySource, type ByteSource } from '../../../src/io/byte-source';
import { FormatError, UnsupportedError } from '../../../src/formats/errors';
import { readTensorflow } from '../../../src/formats/tensorflow/reader';
import { snappyDecompress } from '../../../src/formats/tensorflow/snappy';
import { fixtureJson } from '../../support/fixtures';
import { pb } from './protobuf-build';
import { bundle, entry, f32le, header, key, table } from './tensorflow-build';

/** One small byte-built input per error the reader names. */
async function err(files: ByteSource[]): Promise<string> {
  try {
    await readTensorflow(files);
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return (e as Error).message;
  }
  return 'no error';
}

const ok = entry({ dtype: 1, shape: [2], size: 8 });
const data = f32le(1, 2);
const DT_FLOAT = 1;

describe('table layer', () => {
  it('file shorter than the footer', async () => {
    expect(await err([new MemorySource('x.index', new Uint8Array(47))])).toBe(
      'tensorflow: file is 47 bytes, shorter than the 48-byte table footer (x.index, offset 0)',
    );
  });
  it('bad magic', async () => {
    expect(await err([new MemorySource('x.index', new Uint8Array(48))])).toBe(
      'tensorflow: bad table magic 0x0000000000000000 (expected 0xdb4775248b80fb57): not a TensorFlow .index file (x.index, offset 40)',
    );
  });
  it('index handle outside the file', async () => {
    const f = new Uint8Array(148);
    f.set(pb().varint(0).varint(0).varint(1000).varint(10).finish(), 100);
    f.set([0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb], 140);
    expect(await err([new MemorySource('x.index', f)])).toBe(
      'tensorflow: index block [1000, +10 + 5) lies outside the 100 bytes before the footer (x.index, offset 102)',
    );
  });
  it('block checksum mismatch', async () => {
    const files = bundle([['w', ok]], data, { afterCrc: true, mangle: (b, k) => (k === 'index' ? b.map((x, i) => (i === 0 ? x ^ 1 : x)) : b) });
    expect(await err(files)).toMatch(/^tensorflow: index block checksum mismatch: stored crc32c 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8} \(t\.ckpt\.index, offset \d+\)$/);
  });
  it('unknown compression type', async () => {
    expect(await err(bundle([['w', ok]], data, { type: 2 }))).toMatch(
      /^tensorflow: index block has compression type 2; only 0 \(none\) and 1 \(Snappy\) exist in TensorFlow tables \(t\.ckpt\.index, offset \d+\)$/,
    );
  });
  it('corrupt Snappy block', async () => {
    // type 1 on a body that is not Snappy: its first byte (an entry's shared-length 0) reads as length 0
    expect(await err(bundle([['w', ok]], data, { type: 1 }))).toMatch(/^tensorflow: index block: corrupt Snappy data: /);
  });
  it('restart count larger than the block', async () => {
    const files = bundle([['w', ok]], data, { mangle: (b, k) => (k === 'data' && b.length > 8 ? Uint8Array.from([...b.subarray(0, -4), 0xff, 0, 0, 0]) : b) });
    expect(await err(files)).toMatch(/^tensorflow: block at 0: restart count 255 does not fit in \d+ bytes \(t\.ckpt\.index, offset 0\)$/);
  });
  it('entry sharing more bytes than the previous key has', async () => {
    const bad = pb().varint(3).varint(1).varint(0).raw(0x61).raw(0, 0, 0, 0, 1, 0, 0, 0).finish();
    const files = bundle([], data, { mangle: (b, k) => (k === 'data' && b.length > 8 ? bad : b) });
    expect(await err(files)).toBe('tensorflow: block at 0: entry at block byte 0 shares 3 key bytes but the previous key has 0 (t.ckpt.index, offset 0)');
  });
  it('entry lengths overrunning the block', async () => {
    const bad = pb().varint(0).varint(1).varint(200).raw(0x61).raw(0, 0, 0, 0, 1, 0, 0, 0).finish();
    const files = bundle([], data, { mangle: (b, k) => (k === 'data' && b.length > 8 ? bad : b) });
    expect(await err(files)).toBe('tensorflow: block at 0: entry at block byte 0 declares 1 key + 200 value bytes but 1 remain (t.ckpt.index, offset 0)');
  });
  it('key over the length limit', async () => {
    // the index block (which repeats the block's last key) is parsed first
    expect(await err(bundle([['k'.repeat(16385), ok]], data))).toMatch(
      /^tensorflow: block at (\d+): key of 16385 bytes exceeds the limit of 16384 \(t\.ckpt\.index, offset \1\)$/,
    );
  });
});

describe('bundle layer', () => {
  it('no .index file, or two', async () => {
    expect(await err([new MemorySource('a.data-00000-of-00001', data)])).toBe(
      'tensorflow: no .index file among 1 file(s): a.data-00000-of-00001 (a.data-00000-of-00001)',
    );
    expect(await err([new MemorySource('a.index', data), new MemorySource('b.index', data)])).toBe(
      'tensorflow: 2 .index files given (a.index, b.index); open one checkpoint at a time (a.index)',
    );
  });
  it('no header entry', async () => {
    const idx = table([[key('w'), ok]]);
    expect(await err([new MemorySource('t.ckpt.index', idx)])).toBe('tensorflow: the table has no "" header entry, so it is not a tensor bundle (t.ckpt.index, offset 0)');
  });
  it('shard count, endianness and version limits', async () => {
    expect(await err(bundle([], data, { header: header({ numShards: 100000 }) }))).toBe('tensorflow: header declares 100000 shards (allowed 0..99999) (t.ckpt.index, offset 0)');
    expect(await err(bundle([], data, { header: header({ endianness: 2 }) }))).toBe('tensorflow: header endianness 2 is neither LITTLE (0) nor BIG (1) (t.ckpt.index, offset 0)');
    await expect(readTensorflow(bundle([], data, { header: header({ minConsumer: 2 }) }))).rejects.toThrow(UnsupportedError);
    expect(await err(bundle([], data, { header: header({ bad: [1] }) }))).toBe(
      'tensorflow: bundle format needs a reader of version >= 0 and not 1; this one implements version 1 (t.ckpt.index, offset 0)',
    );
  });
  it('shard id outside the header count', async () => {
    expect(await err(bundle([['w', entry({ dtype: DT_FLOAT, shape: [2], size: 8, shard: 3 })]], data))).toBe(
      'tensorflow: shard_id 3 is outside 0..0 (t.ckpt.index, offset 0, tensor "w")',
    );
  });
  it('bytes outside the data file', async () => {
    expect(await err(bundle([['w', entry({ dtype: DT_FLOAT, shape: [2], size: 8, offset: 4 })]], data))).toBe(
      'tensorflow: bytes [4, 12) lie outside t.ckpt.data-00000-of-00001 (8 bytes) (t.ckpt.index, offset 0, tensor "w")',
    );
  });
  it('size that does not match dtype x shape', async () => {
    expect(await err(bundle([['w', entry({ dtype: DT_FLOAT, shape: [3], size: 8 })]], data))).toBe(
      'tensorflow: entry stores 8 bytes but DT_FLOAT [3] needs 12 (t.ckpt.index, offset 0, tensor "w")',
    );
  });
  it('negative dimension, unknown rank, too many dims', async () => {
    expect(await err(bundle([['w', entry({ dtype: DT_FLOAT, shape: [-1, 2], size: 8 })]], data))).toBe(
      'tensorflow: dimension -1 in shape [-1, 2] is negative (t.ckpt.index, offset 0, tensor "w")',
    );
    expect(await err(bundle([['w', entry({ dtype: DT_FLOAT, shape: [], size: 4, unknownRank: true })]], data))).toBe(
      'tensorflow: entry shape has unknown_rank set; a checkpoint entry needs a full shape (t.ckpt.index, offset 0, tensor "w")',
    );
    expect(await err(bundle([['w', entry({ dtype: DT_FLOAT, shape: new Array(255).fill(1), size: 4 })]], data))).toMatch(
      /^tensorflow: shape has more than 254 dimensions \(t\.ckpt\.index, offset \d+\)$/,
    );
  });
  it('element count beyond 2^53', async () => {
    expect(await err(bundle([['w', entry({ dtype: DT_FLOAT, shape: [2 ** 30, 2 ** 30, 2 ** 30], size: 4 })]], data))).toBe(
      'tensorflow: shape [1073741824, 1073741824, 1073741824] has more than 2^53 elements (t.ckpt.index, offset 0, tensor "w")',
    );
  });
  it('truncated entry proto', async () => {
    expect(await err(bundle([['w', Uint8Array.from([0x08])]], data))).toBe('tensorflow: truncated varint in field 1 (t.ckpt.index, offset 0)');
  });
  it('duplicate entries', async () => {
    const idx = table([[new Uint8Array(0), header()], [key('w'), ok], [key('w'), ok]]);
    expect(await err([new MemorySource('t.ckpt.index', idx), new MemorySource('t.ckpt.data-00000-of-00001', data)])).toBe(
      'tensorflow: duplicate entry "w" (t.ckpt.index, offset 0, tensor "w")',
    );
  });
  it('type null entries keep their stored size and refuse reads', async () => {
    const v = await readTensorflow(bundle([['c', entry({ dtype: 8, shape: [1], size: 8 })], ['q', entry({ dtype: 11, shape: [8], size: 8 })]], data));
    expect(v.tensors.map((t) => [t.name, t.type, t.typeLabel, t.nbytes])).toEqual([
      ['c', null, 'DT_COMPLEX64', 8],
      ['q', null, 'DT_QINT8', 8],
    ]);
  });
});

describe('Snappy decoder (vectors from python3-snappy, plus hand-made edge cases)', () => {
  it('decompresses what the reference compressor wrote', () => {
    const v = fixtureJson<{ raw: string; z: string }[]>('tensorflow/snappy.vectors.json');
    expect(v.length).toBeGreaterThan(3);
    for (const { raw, z } of v) {
      const out = snappyDecompress(Buffer.from(z, 'hex'), 1 << 20);
      expect(typeof out).not.toBe('string');
      expect(Buffer.from(out as Uint8Array).toString('hex')).toBe(raw);
    }
  });
  it('handles 4-byte offsets and overlapping copies', () => {
    // "ab" then copy len 6 offset 2 (4-byte offset form): "abababab"
    const z = Uint8Array.from([8, 0x04, 0x61, 0x62, ((6 - 1) << 2) | 3, 2, 0, 0, 0]);
    expect(new TextDecoder().decode(snappyDecompress(z, 100) as Uint8Array)).toBe('abababab');
  });
  it('names each malformed case', () => {
    expect(snappyDecompress(Uint8Array.from([0x80]), 100)).toBe('truncated length preamble');
    expect(snappyDecompress(Uint8Array.from([101]), 100)).toBe('declared uncompressed length 101 exceeds the limit of 100');
    expect(snappyDecompress(Uint8Array.from([100, 0]), 1000)).toBe('literal of 1 bytes at byte 2 runs past the input (2 bytes)');
    expect(snappyDecompress(Uint8Array.from([4, 0x01 | (0 << 2), 5]), 100)).toBe('copy offset 5 at output byte 0 points outside the output');
    expect(snappyDecompress(Uint8Array.from([2, 0x00, 0x61, 0x00, 0x62, 0x00, 0x63]), 100)).toBe('literal of 1 bytes overflows the declared length 2');
    expect(snappyDecompress(Uint8Array.from([3, 0x00, 0x61]), 100)).toBe('decompressed 1 bytes but the block declares 3');
    expect(snappyDecompress(Uint8Array.from([200, 0x01]), 1 << 20)).toBe('declared uncompressed length 200 is impossible for 2 compressed bytes');
  });
});
