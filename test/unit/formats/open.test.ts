import { afterEach, describe, expect, it } from 'vitest';
import { MemorySource, type ByteSource } from '../../../src/io/byte-source';
import { READERS, detectFile, openModel, type Reader } from '../../../src/formats/open';
import { FormatError, UnsupportedError } from '../../../src/formats/errors';
import type { FormatName } from '../../../src/formats/model';
import { fixtureBytes } from '../../support/fixtures';
import { buildSafetensors, rebuildShards } from './safetensors-builder';

const mem = (name: string, bytes: ArrayLike<number>) => new MemorySource(name, Uint8Array.from(bytes));
const gguf = () => new MemorySource('tiny.gguf', fixtureBytes('gguf/tiny-llama-F16.gguf'));
const st = () => new MemorySource('model.safetensors', fixtureBytes('safetensors/tiny-llama-bf16.safetensors'));

function tarHeader(): Uint8Array {
  const b = new Uint8Array(1024);
  b.set(new TextEncoder().encode('archive/data.pkl'), 0);
  b.set(new TextEncoder().encode('ustar\u000000'), 257);
  return b;
}

function tfIndex(): Uint8Array {
  const b = new Uint8Array(64);
  new DataView(b.buffer).setBigUint64(56, 0xdb4775248b80fb57n, true);
  return b;
}

describe('format detection by content, then name', () => {
  const cases: [ByteSource, string][] = [
    [gguf(), 'gguf'],
    [st(), 'safetensors'],
    [mem('weird-name.bin', buildSafetensors('  {}    ')), 'safetensors'],
    [mem('model.safetensors.index.json', [0x7b, 0x7d]), 'safetensors-index'],
    [mem('pytorch_model.bin.index.json', [0x7b, 0x7d]), 'pytorch-index'],
    [mem('model.pt', [0x50, 0x4b, 0x03, 0x04, 0, 0]), 'pytorch'],
    [mem('old.bin', [0x80, 0x02, 0x8a, 0x0a]), 'pytorch'],
    [new MemorySource('legacy.tar', tarHeader()), 'pytorch'],
    [new MemorySource('model.ckpt.index', tfIndex()), 'tensorflow-index'],
    [mem('model.ckpt.data-00000-of-00001', [1, 2, 3]), 'tensorflow-data'],
    [mem('model.onnx', [0x08, 0x07, 0x12, 0x00]), 'onnx'],
    [mem('config.json', [0x7b, 0x7d]), 'companion'],
    [mem('README.md', [0x23]), 'companion'],
    [mem('broken.gguf', [1, 2, 3, 4, 5, 6, 7, 8]), 'gguf'],
    [mem('notes.xyz', [1, 2, 3]), 'unknown'],
    [mem('model.ckpt.index', [1, 2, 3]), 'unknown'],
  ];
  for (const [f, kind] of cases) {
    it(`${f.name} -> ${kind}`, async () => {
      expect((await detectFile(f)).kind).toBe(kind);
    });
  }
});

describe('openModel', () => {
  const saved = { ...READERS };
  afterEach(() => Object.assign(READERS, saved));

  it('opens a GGUF and a safetensors file', async () => {
    expect((await openModel([gguf()])).format).toBe('gguf');
    expect((await openModel([st()])).tensors.length).toBe(21);
  });

  it('groups shards, index and companion files of an HF folder into one view', async () => {
    const [a, b] = rebuildShards();
    const m = await openModel([
      mem('config.json', [0x7b, 0x7d]),
      new MemorySource('model-00002-of-00002.safetensors', b!),
      new MemorySource('model.safetensors.index.json', fixtureBytes('safetensors/sharded/model.safetensors.index.json')),
      new MemorySource('model-00001-of-00002.safetensors', a!),
      mem('tokenizer.model', [0]),
    ]);
    expect(m.format).toBe('safetensors');
    expect(m.tensors.length).toBe(21);
    expect(m.details.get('skipped files')).toBe('config.json, tokenizer.model');
  });

  it('lets the reader explain a file whose name says GGUF but whose content does not', async () => {
    await expect(openModel([mem('broken.gguf', [1, 2, 3, 4, 5, 6, 7, 8])])).rejects.toThrow('gguf: bad magic 01 02 03 04, expected 47 47 55 46 ("GGUF") (broken.gguf, offset 0)');
  });

  it('refuses mixed formats, listing every file', async () => {
    await expect(openModel([gguf(), st()])).rejects.toThrow(
      'unknown: files of different formats (gguf, safetensors) were given; open one model at a time: tiny.gguf (gguf), model.safetensors (safetensors) (tiny.gguf)',
    );
  });

  it('refuses unrecognised files, listing every file', async () => {
    const e = await openModel([gguf(), mem('notes.xyz', [1, 2, 3])]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toBe('unknown: unrecognised file(s): notes.xyz; all files given: tiny.gguf (gguf), notes.xyz (no known signature) (notes.xyz)');
    await expect(openModel([mem('config.json', [0x7b, 0x7d])])).rejects.toThrow('unknown: no model file among: config.json (config.json)');
  });

  it('throws UnsupportedError naming the format when its reader is not wired', async () => {
    for (const f of ['pytorch', 'tensorflow', 'onnx'] as FormatName[]) READERS[f] = null;
    const e = await openModel([mem('model.pt', [0x50, 0x4b, 0x03, 0x04, 0, 0])]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnsupportedError);
    expect((e as Error).message).toBe('pytorch: pytorch files are recognised (zip archive (torch.save)) but their reader is not available yet (model.pt)');
  });

  it('dispatches the model file first: ONNX with external data, TF index with its shards', async () => {
    const seen: string[][] = [];
    const spy: Reader = async (files) => {
      seen.push(files.map((f) => f.name));
      return { format: 'onnx', files: [], metadata: new Map(), tensors: [], details: new Map() };
    };
    READERS.onnx = spy;
    READERS.tensorflow = spy;
    await openModel([mem('weights.bin', [9, 9]), mem('model.onnx', [0x08, 0x07])]);
    await openModel([mem('m.ckpt.data-00000-of-00001', [1]), new MemorySource('m.ckpt.index', tfIndex())]);
    expect(seen).toEqual([
      ['model.onnx', 'weights.bin'],
      ['m.ckpt.index', 'm.ckpt.data-00000-of-00001'],
    ]);
  });
});
