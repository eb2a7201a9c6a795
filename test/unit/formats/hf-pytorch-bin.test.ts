import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { readGguf } from '../../../src/formats/gguf/reader';
import { writeHfFolder } from './hf-support';
import { openModel } from '../../../src/formats/open';
import { FormatError } from '../../../src/formats/errors';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { MemorySource } from '../../../src/io/byte-source';
import { spmModelFiles } from './hf-tiny-models';
import { torchPickle, torchZip, type TensorSpec } from './pytorch-builders';

/**
 * pytorch_model*.bin as the weights of a Hugging Face folder (ModelBase.index_tensors at 34af94cd:
 * no model*.safetensors, so pytorch_model*.bin parts in name order, or the parts the
 * pytorch_model.bin.index.json weight_map names; each part's tensors in torch.load's order, the
 * state dict's, not sorted). The .bin files are built here from the tiny Mixtral's safetensors.
 */

const sources = (files: Map<string, Uint8Array>) => [...files].map(([n, b]) => new MemorySource(n, b));

/** The folder with its safetensors replaced by torch.save zips holding the same tensors, in `shards` (name lists, state-dict order). */
async function asBin(shards: string[][], withIndex: boolean): Promise<Map<string, Uint8Array>> {
  const files = spmModelFiles('mixtral');
  const st = await readSafetensors([new MemorySource('model.safetensors', files.get('model.safetensors')!)]);
  files.delete('model.safetensors');
  const weightMap: Record<string, string> = {};
  for (const [i, names] of shards.entries()) {
    const file = shards.length === 1 ? 'pytorch_model.bin' : `pytorch_model-0000${i + 1}-of-0000${shards.length}.bin`;
    const specs: TensorSpec[] = [];
    const storages: Record<string, Uint8Array> = {};
    for (const [k, name] of names.entries()) {
      const t = st.tensors.find((x) => x.name === name)!;
      specs.push({ name, storage: 'BFloat16Storage', key: String(k), numel: t.nbytes / 2, shape: t.shape });
      storages[String(k)] = await t.read(0, t.nbytes);
      weightMap[name] = file;
    }
    files.set(file, torchZip(file.replace('.bin', ''), torchPickle(specs), storages));
  }
  if (withIndex) files.set('pytorch_model.bin.index.json', new TextEncoder().encode(JSON.stringify({ metadata: {}, weight_map: weightMap })));
  return files;
}

async function stateDictNames(): Promise<string[]> {
  const st = await readSafetensors([new MemorySource('model.safetensors', spmModelFiles('mixtral').get('model.safetensors')!)]);
  // a state dict's order: embeddings, layers in order, final norm, lm_head (not sorted)
  const names = st.tensors.map((t) => t.name);
  const rank = (n: string) => (n.startsWith('model.embed') ? 0 : n.startsWith('model.layers.') ? 1 + Number(n.split('.')[2]) : n === 'model.norm.weight' ? 100 : 101);
  return names.sort((a, b) => rank(a) - rank(b) || (a.includes('experts') ? -1 : 0) - (b.includes('experts') ? -1 : 0) || (a < b ? 1 : a > b ? -1 : 0));
}

describe('pytorch_model*.bin in a Hugging Face folder', () => {
  it('two shards with their index: the same GGUF tensors and bytes as from safetensors, in state-dict order', async () => {
    const names = await stateDictNames();
    const half = Math.floor(names.length / 2);
    const bin = await openModel(sources(await asBin([names.slice(0, half), names.slice(half)], true)), { folder: 'tiny-mixtral' });
    const st = await openModel(sources(spmModelFiles('mixtral')), { folder: 'tiny-mixtral' });
    expect(bin.format).toBe('hf');
    expect([...bin.tensors.map((t) => t.name)].sort()).toEqual([...st.tensors.map((t) => t.name)].sort());
    for (const t of bin.tensors) {
      const u = st.tensors.find((x) => x.name === t.name)!;
      expect([t.name, t.type, t.shape]).toEqual([u.name, u.type, u.shape]);
      expect(Buffer.from(await t.read(0, t.nbytes)).equals(Buffer.from(await u.read(0, u.nbytes)))).toBe(true);
    }
    // torch.load's order: token_embd first (state dicts start with the embeddings), output last
    expect(bin.tensors[0]!.name).toBe('token_embd.weight');
    expect(bin.tensors[bin.tensors.length - 1]!.name).toBe('output.weight');
    expect(st.tensors[0]!.name).toBe('output.weight'); // safetensors: names sorted, lm_head first
    expect([...bin.metadata.keys()]).toEqual([...st.metadata.keys()]);
    expect(bin.details.get('weights')).toMatch(/^2 PyTorch \.bin file\(s\), /);
  });

  it('one pytorch_model.bin without an index', async () => {
    const bin = await openModel(sources(await asBin([await stateDictNames()], false)), { folder: 'tiny-mixtral' });
    expect(bin.tensors.some((t) => t.name === 'blk.1.ffn_down_exps.weight')).toBe(true);
  });

  it('an index naming a shard the folder lacks is refused, naming it', async () => {
    const names = await stateDictNames();
    const files = await asBin([names.slice(0, 10), names.slice(10)], true);
    files.delete('pytorch_model-00002-of-00002.bin');
    const e = await openModel(sources(files), { folder: 'tiny-mixtral' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toContain('pytorch_model-00002-of-00002.bin');
  });

  it('the CLI converts such a folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-bin-'));
    try {
      const names = await stateDictNames();
      const input = writeHfFolder(dir, 'tiny-mixtral', await asBin([names.slice(0, 20), names.slice(20)], true));
      let err = '';
      const code = await main(['convert', input, '-o', join(dir, 'out.gguf'), '--type', 'BF16', '--quiet'], { out: () => {}, err: (s) => void (err += s) });
      expect([code, err]).toEqual([0, '']);
      const g = await readGguf([new MemorySource('out.gguf', new Uint8Array(readFileSync(join(dir, 'out.gguf'))))]);
      expect(g.tensors[0]!.name).toBe('token_embd.weight');
      expect(g.tensors.find((t) => t.name === 'blk.0.ffn_up_exps.weight')?.shape).toEqual([4, 96, 64]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('beside model.safetensors the .bin files are not read (the converter takes safetensors first)', async () => {
    const names = await stateDictNames();
    const files = await asBin([names], false);
    files.set('model.safetensors', spmModelFiles('mixtral').get('model.safetensors')!);
    const m = await openModel(sources(files), { folder: 'tiny-mixtral' });
    expect(m.format).toBe('hf');
    expect(m.tensors[0]!.name).toBe('output.weight'); // sorted safetensors order
    expect(m.details.get('not read')).toContain('pytorch_model.bin');
  });

  it('a .bin beside the config of an architecture Kiln does not convert stays a plain PyTorch model', async () => {
    const files = await asBin([await stateDictNames()], false);
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ architectures: ['BertModel'], model_type: 'bert' })));
    const m = await openModel(sources(files));
    expect(m.format).toBe('pytorch');
  });
});

