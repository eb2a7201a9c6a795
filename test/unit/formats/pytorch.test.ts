import { describe, expect, it } from 'vitest';
import type { TypeName } from '../../../src/codecs/catalogue';
import { FormatError, UnsupportedError } from '../../../src/formats/errors';
import type { MetaValue, ModelView } from '../../../src/formats/model';
import { readPytorch } from '../../../src/formats/pytorch/reader';
import { MemorySource } from '../../../src/io/byte-source';
import { buildZip, expected, hex, int, ints, pk, ptBytes, ptSource, sha256, SpySource, str, torchPickle, torchZip, u64le } from './pytorch-builders';

/** The catalogue type each torch dtype must map to (null: listed, not decodable). */
const TYPE_OF: Record<string, TypeName | null> = {
  'torch.float32': 'F32',
  'torch.float64': 'F64',
  'torch.float16': 'F16',
  'torch.bfloat16': 'BF16',
  'torch.int8': 'I8',
  'torch.int16': 'I16',
  'torch.int32': 'I32',
  'torch.int64': 'I64',
  'torch.uint8': 'U8',
  'torch.uint16': 'U16',
  'torch.bool': 'BOOL',
  'torch.float8_e4m3fn': 'F8_E4M3',
  'torch.float8_e5m2': 'F8_E5M2',
  'torch.complex64': null,
  'torch.qint8': null,
};

function metaJson(m: MetaValue): unknown {
  if (m.type === 'array') return m.value.map((x) => (typeof x === 'bigint' ? Number(x) : x));
  return typeof m.value === 'bigint' ? Number(m.value) : m.value;
}

async function readAllChunked(t: ModelView['tensors'][number], chunk: number): Promise<Uint8Array> {
  const out = new Uint8Array(t.nbytes);
  for (let at = 0; at < t.nbytes; at += chunk) out.set(await t.read(at, Math.min(chunk, t.nbytes - at)), at);
  return out;
}

describe('readPytorch: every fixture agrees with what torch 1.13 says it holds', () => {
  for (const [file, exp] of Object.entries(expected.checkpoints)) {
    it(file, async () => {
      const view = await readPytorch(ptSource(file));
      expect(view.format).toBe('pytorch');
      expect(view.files).toEqual([file]);
      expect(view.tensors.map((t) => t.name)).toEqual(exp.tensors.map((t) => t.name));
      for (const [i, e] of exp.tensors.entries()) {
        const t = view.tensors[i]!;
        expect(t.typeLabel.startsWith(e.dtype), `${e.name} label ${t.typeLabel}`).toBe(true);
        expect(t.type, e.name).toBe(TYPE_OF[e.dtype]);
        expect(t.shape, e.name).toEqual(e.shape);
        expect(t.nbytes, e.name).toBe(e.nbytes);
        const whole = await t.read(0, t.nbytes);
        if (e.hex !== null) expect(hex(whole), e.name).toBe(e.hex);
        expect(sha256(whole), e.name).toBe(e.sha256);
        // Odd-sized pieces cross element (and byte-swap) boundaries; they must join up exactly.
        expect(sha256(await readAllChunked(t, 7)), `${e.name} in 7-byte pieces`).toBe(e.sha256);
      }
      const meta = Object.fromEntries([...view.metadata].map(([k, v]) => [k, metaJson(v)]));
      expect(meta).toEqual(exp.metadata);
    });
  }
});

describe('readPytorch: container details', () => {
  it('zip: stored contiguous tensors point at their bytes in the file', async () => {
    const bytes = ptBytes('views.pt');
    const view = await readPytorch(new MemorySource('views.pt', bytes));
    const base = view.tensors.find((t) => t.name === 'base')!;
    const window = view.tensors.find((t) => t.name === 'window')!;
    const transposed = view.tensors.find((t) => t.name === 'transposed')!;
    const entry = expected.zips['views.pt']!.find((z) => z.name === 'views/data/0')!;
    expect(base.fileOffset).toBe(entry.dataOffset);
    expect(window.fileOffset).toBe(entry.dataOffset + 4 * 4); // base[4:16] shares base's storage
    expect(transposed.fileOffset).toBe(-1);
    expect(await window.read(0, window.nbytes)).toEqual(bytes.subarray(window.fileOffset, window.fileOffset + window.nbytes));
    expect(view.details.get('container')).toContain('zip');
    expect(view.details.get('pickle protocol')).toBe('2');
  });

  it('deflated zip: no file offsets, same bytes', async () => {
    const view = await readPytorch(ptSource('views_deflated.pt'));
    expect(view.tensors.every((t) => t.fileOffset === -1)).toBe(true);
    expect(view.details.get('compressed tensors')).toBe(String(view.tensors.length));
  });

  it('big-endian zip: byte order reported, offsets withheld (bytes are not canonical in the file)', async () => {
    const view = await readPytorch(ptSource('big_endian.pt'));
    expect(view.details.get('byte order')).toBe('big');
    expect(view.tensors.filter((t) => t.fileOffset >= 0).map((t) => t.name)).toEqual(['i8', 'u8', 'bool']);
  });

  it('legacy stream and tar: named as such, protocol and sys_info reported', async () => {
    const legacy = await readPytorch(ptSource('legacy_sysinfo_be.pt'));
    expect(legacy.details.get('container')).toContain('legacy pickle stream');
    expect(legacy.details.get('sys_info.little_endian')).toBe('false');
    const tar = await readPytorch(ptSource('legacy_tar.pt'));
    expect(tar.details.get('container')).toContain('tar');
  });

  it('complex and quantized tensors are listed with a clear label, not dropped', async () => {
    const view = await readPytorch(ptSource('complex_quant.pt'));
    const c = view.tensors.find((t) => t.name === 'c64')!;
    const q = view.tensors.find((t) => t.name === 'q')!;
    expect(c.type).toBeNull();
    expect(c.typeLabel).toContain('complex');
    expect(c.typeLabel).toContain('not decodable');
    expect(q.type).toBeNull();
    expect(q.typeLabel).toContain('per_tensor_affine scale=0.1 zero_point=3');
  });
});

/** A legacy stream by hand: tensor "v" sits at offset 1 of a view starting 2 elements into storage "root". */
function legacyWithView(count: number, floats: number): Uint8Array {
  const data = new Float32Array(floats).map((_, i) => i);
  return pk(
    0x80, 2, int(0x1950a86a20f9469cfc6cn), '.',
    0x80, 2, int(1001), '.',
    0x80, 2, '}', str('little_endian'), 0x88, 's', '.',
    0x80, 2, '}', str('v'), 'ctorch._utils\n_rebuild_tensor_v2\n(',
    '(', str('storage'), 'ctorch\nFloatStorage\n', str('root'), str('cpu'), int(8), '(', str('view'), int(2), int(4), 't', 't', 'Q',
    int(1), ints([3]), ints([1]), 0x89, 'ccollections\nOrderedDict\n)R', 't', 'R', 's', '.',
    0x80, 2, ']', str('root'), 'a', '.',
    u64le(count), new Uint8Array(data.buffer),
  );
}

describe('readPytorch: legacy stream details', () => {
  it('storage views (view_metadata) resolve against their root', async () => {
    const view = await readPytorch(new MemorySource('v.pt', legacyWithView(8, 8)));
    const v = view.tensors[0]!;
    expect(v.name).toBe('v');
    expect(Array.from(new Float32Array((await v.read(0, 12)).slice().buffer))).toEqual([3, 4, 5]);
  });

  it('an element count that disagrees with the pickle, or data past the end', async () => {
    await expect(readPytorch(new MemorySource('v.pt', legacyWithView(9, 8)))).rejects.toThrow('has 9 elements in the file but 8 in the pickle');
    await expect(readPytorch(new MemorySource('v.pt', legacyWithView(8, 7)))).rejects.toThrow('runs past the end of the file');
  });
});

describe('readPytorch: hostile checkpoints', () => {
  it('a zip whose data.pkl calls os.system is refused (made by CPython)', async () => {
    const err = await readPytorch(ptSource('hostile_zip.pt')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).format).toBe('pickle');
    expect((err as Error).message).toContain('"posix.system"');
    expect((err as FormatError).file).toBe('hostile_zip.pt!hostile_zip/data.pkl');
  });

  it('... and not one byte of its storage is read first', async () => {
    // A 256 KiB storage between the pickle and an 80 KiB entry, so the end-record search stays clear of it.
    const storage = new Uint8Array(256 * 1024).fill(0x41);
    const zip = buildZip([
      { name: 'h/data.pkl', data: ptBytes('os_system.pkl') },
      { name: 'h/data/0', data: storage },
      { name: 'h/zz', data: new Uint8Array(80 * 1024) },
    ]);
    const at = Buffer.from(zip).indexOf(Buffer.from(storage.subarray(0, 1024)));
    const src = new SpySource('h.pt', zip);
    await expect(readPytorch(src)).rejects.toThrow('"posix.system"');
    const touched = src.reads.filter(([o, n]) => o < at + storage.length && o + n > at);
    expect(touched).toEqual([]);
    expect(src.reads.length).toBeGreaterThan(0);
  });

  it('a legacy stream with a hostile object pickle is refused', async () => {
    const legacy = ptBytes('dtypes_legacy.pt');
    // Keep the magic, protocol and sys_info pickles; replace the object pickle.
    const evil = ptBytes('os_system.pkl');
    const at = findSysInfoEnd(legacy);
    const err = await readPytorch(new MemorySource('evil.pt', pk(legacy.subarray(0, at), evil))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toContain('"posix.system"');
  });

  it('a TorchScript archive is named as such', async () => {
    const zip = buildZip([
      { name: 'm/data.pkl', data: pk(0x80, 2, '}.') },
      { name: 'm/constants.pkl', data: pk(0x80, 2, ').') },
    ]);
    // data.pkl exists, so this still reads as a checkpoint; without it, TorchScript is recognised.
    await expect(readPytorch(new MemorySource('m.pt', zip))).resolves.toBeDefined();
    const ts = buildZip([{ name: 'm/constants.pkl', data: pk(0x80, 2, ').') }, { name: 'm/code/m.py', data: pk('x') }]);
    await expect(readPytorch(new MemorySource('ts.pt', ts))).rejects.toThrow(UnsupportedError);
  });

  it('a view that reaches past its storage names the tensor', async () => {
    const pkl = torchPickle([{ name: 'w', storage: 'FloatStorage', key: '0', numel: 4, offset: 2, shape: [2, 2] }]);
    const zip = torchZip('a', pkl, { '0': new Uint8Array(16) });
    const err = await readPytorch(new MemorySource('a.pt', zip)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).tensor).toBe('w');
    expect((err as Error).message).toContain('reaches element 5 of a storage of 4 float32 elements');
  });

  it('a storage entry smaller than the pickle says', async () => {
    const pkl = torchPickle([{ name: 'w', storage: 'FloatStorage', key: '0', numel: 8, shape: [8] }]);
    const err = await readPytorch(new MemorySource('a.pt', torchZip('a', pkl, { '0': new Uint8Array(16) }))).catch((e: unknown) => e);
    expect((err as Error).message).toContain('(32 bytes) but its entry holds 16 bytes');
    expect((err as FormatError).tensor).toBe('w');
  });

  it('a missing storage entry', async () => {
    const pkl = torchPickle([{ name: 'w', storage: 'FloatStorage', key: '7', numel: 1, shape: [1] }]);
    await expect(readPytorch(new MemorySource('a.pt', torchZip('a', pkl, {})))).rejects.toThrow('storage "7" has no entry a/data/7');
  });

  it('a pickle that contains itself', async () => {
    // d = {}; d['self'] = d
    const pkl = pk(0x80, 2, '}q', 0, str('self'), 'h', 0, 's.');
    await expect(readPytorch(new MemorySource('a.pt', torchZip('a', pkl, {})))).rejects.toThrow('contains itself');
  });

  it('persistent ids that are not storages', async () => {
    const pkl = pk(0x80, 2, '(', str('module'), 'ctorch\nFloatStorage\n', str('0'), str('cpu'), 'K', 1, 'tQ.');
    await expect(readPytorch(new MemorySource('a.pt', torchZip('a', pkl, {})))).rejects.toThrow('only storages may be loaded');
  });

  it('files that are not checkpoints', async () => {
    await expect(readPytorch(new MemorySource('x.bin', pk('GGUF', 0, 0, 0, 0)))).rejects.toThrow('not a PyTorch checkpoint');
    await expect(readPytorch(new MemorySource('x.pt', ptBytes('plain_proto2.pkl')))).rejects.toThrow(FormatError);
  });
});

/** End of the third pickle (sys_info) in a legacy stream, from the known sizes of the first two. */
function findSysInfoEnd(b: Uint8Array): number {
  // magic: 80 02 8a 0a <10 bytes> 2e ; protocol: 80 02 4d e9 03 2e ; then sys_info ends at the first '.' followed by 80 02.
  let at = 2 + 2 + 10 + 1 + 6;
  while (!(b[at] === 0x2e && b[at + 1] === 0x80 && b[at + 2] === 0x02)) at++;
  return at + 1;
}
