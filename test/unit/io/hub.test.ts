import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRemoteModel } from '../../../src/api/remote';
import { HubError, parseHubRef } from '../../../src/io/hub';
import { fixtureBytes } from '../../support/fixtures';
import { FakeHub } from '../../support/fake-hub';
import { hfFiles } from '../formats/hf-support';

/**
 * Hub resolution against a loopback Hub (API + /resolve/ redirecting to a loopback "CDN" on
 * another origin): which files are picked, that only their headers are read, pagination, tokens
 * for gated repos, typed errors for 401/403/404 and ambiguous repos.
 */
const F16 = fixtureBytes('gguf/tiny-llama-F16.gguf');
const HTTP = { retryDelayMs: 2, maxDelayMs: 20 };
let hub: FakeHub;

beforeAll(async () => {
  hub = await new FakeHub().start();
  hub.add('org/tiny-gguf', {
    files: new Map([
      ['README.md', new TextEncoder().encode('# tiny')],
      ['tiny-llama-F16.gguf', F16],
      ['tiny-llama-Q8_0.gguf', new Uint8Array(100)],
      ['split/tiny-Q4_K_M-00001-of-00002.gguf', new Uint8Array(10)],
      ['split/tiny-Q4_K_M-00002-of-00002.gguf', new Uint8Array(10)],
    ]),
  });
  const hf = hfFiles('bf16');
  hf.set('README.md', new TextEncoder().encode('# hf'));
  hf.set('original/consolidated.00.pth', new Uint8Array(64));
  hub.add('org/tiny-hf', { files: hf });
  hub.add('org/tiny-sharded', { files: hfFiles('f16-sharded') });
  hub.add('org/gated', { files: new Map([['model.gguf', F16]]), token: 'hf_secret' });
});
afterAll(() => hub.stop());

const opts = (extra: object = {}) => ({ hubUrl: hub.url, http: HTTP, ...extra });

describe('parseHubRef', () => {
  it('reads owner/repo, @revision and :file', () => {
    expect(parseHubRef('a/b')).toEqual({ repo: 'a/b', revision: 'main', file: null });
    expect(parseHubRef('a/b@v1.0:Q4_K_M')).toEqual({ repo: 'a/b', revision: 'v1.0', file: 'Q4_K_M' });
    expect(parseHubRef('hf://a/b@refs/pr/3:x/y.gguf')).toEqual({ repo: 'a/b', revision: 'refs/pr/3', file: 'x/y.gguf' });
    expect(() => parseHubRef('a/b/c')).toThrow(/not a Hub repository/);
    expect(() => parseHubRef('../etc')).toThrow(HubError);
  });
});

describe('openRemoteModel from the Hub', () => {
  it('a GGUF repo: asks which file, then reads only that file\'s header, at the listed commit', async () => {
    const amb = await openRemoteModel('org/tiny-gguf', opts()).catch((e: unknown) => e);
    expect(amb).toBeInstanceOf(HubError);
    expect((amb as HubError).reason).toBe('ambiguous');
    expect(String(amb)).toMatch(/3 GGUF models; choose one as org\/tiny-gguf:QUANT .*tiny-llama-F16\.gguf, tiny-llama-Q8_0\.gguf, split\/tiny-Q4_K_M-00001-of-00002\.gguf/);

    hub.cdn.log.length = 0;
    const m = await openRemoteModel('org/tiny-gguf:F16', opts());
    expect(m.view.format).toBe('gguf');
    expect(m.view.tensors.length).toBeGreaterThan(10);
    expect(m.hub!.selection.weights.map((f) => f.path)).toEqual(['tiny-llama-F16.gguf']);
    // only the GGUF, only by range: the probe, then one header window (HEADER_CHUNK_BYTES)
    expect(hub.cdn.log.map((r) => [r.path, r.range])).toEqual([
      [`/cdn/${m.hub!.listing.commit}/tiny-llama-F16.gguf`, 'bytes=0-65535'],
      [`/cdn/${m.hub!.listing.commit}/tiny-llama-F16.gguf`, 'bytes=8-1048583'],
    ]);
    const t = m.view.tensors[3]!;
    expect(Buffer.from(await t.read(0, t.nbytes)).equals(Buffer.from(F16.subarray(t.fileOffset, t.fileOffset + t.nbytes)))).toBe(true);

    const q = await openHubPaths('org/tiny-gguf:q4_k_m');
    expect(q).toEqual(['split/tiny-Q4_K_M-00001-of-00002.gguf', 'split/tiny-Q4_K_M-00002-of-00002.gguf']);
    await expect(openRemoteModel('org/tiny-gguf:Q5_K_S', opts())).rejects.toThrow(/no file or GGUF quantization "Q5_K_S"/);
  });

  it('a Hugging Face folder: config and tokenizer files beside the safetensors, through a paginated listing; README and subfolders untouched', async () => {
    hub.pageSize = 3;
    hub.hub.log.length = 0;
    hub.cdn.log.length = 0;
    try {
      const m = await openRemoteModel(`${hub.url}/org/tiny-hf`, opts());
      expect(m.view.format).toBe('hf');
      expect(m.hub!.selection.weights.map((f) => f.path)).toEqual(['model.safetensors']);
      expect(m.hub!.selection.companions.map((f) => f.path)).toEqual(['config.json', 'generation_config.json', 'tokenizer_config.json', 'tokenizer.model', 'special_tokens_map.json']);
      expect(hub.hub.log.filter((r) => r.path.includes('/tree/')).length).toBe(3);
      const fetched = new Set(hub.cdn.log.map((r) => r.path.split('/').pop()));
      expect(fetched.has('README.md') || fetched.has('consolidated.00.pth')).toBe(false);
      expect(m.view.metadata.get('general.architecture')?.value).toBe('llama');
    } finally {
      hub.pageSize = 1000;
    }
  });

  it('a sharded checkpoint: the shards the index names', async () => {
    const m = await openRemoteModel('org/tiny-sharded', opts());
    expect(m.hub!.selection.weights.map((f) => f.path)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
    expect(m.view.format).toBe('hf');
  });

  it('a gated repo: a typed error asking for a token; the token opens it and never reaches the CDN', async () => {
    const no = await openRemoteModel('org/gated', opts()).catch((e: unknown) => e);
    expect(no).toBeInstanceOf(HubError);
    expect((no as HubError).reason).toBe('needs-token');
    expect(String(no)).toMatch(/private or gated \(HTTP 401\): give a Hugging Face access token/);
    await expect(openRemoteModel('org/gated', opts({ token: 'hf_wrong' }))).rejects.toThrow(/the token given may not read org\/gated \(HTTP 403\)/);
    hub.cdn.log.length = 0;
    const m = await openRemoteModel('org/gated', opts({ token: 'hf_secret' }));
    expect(m.view.format).toBe('gguf');
    expect(hub.hub.log.filter((r) => r.path.startsWith('/org/gated/resolve/')).every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    expect(hub.cdn.log.length).toBeGreaterThan(0);
    expect(hub.cdn.log.every((r) => r.authorization === null)).toBe(true);
  });

  it('404s name what is missing', async () => {
    const e = await openRemoteModel('org/nothing', opts()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HubError);
    expect((e as HubError).reason).toBe('not-found');
    expect(String(e)).toMatch(/no repository org\/nothing/);
    await expect(openRemoteModel('org/tiny-gguf@v9', opts())).rejects.toThrow(/no repository org\/tiny-gguf at that revision/);
  });

  it('a plain URL opens without the Hub API', async () => {
    hub.hub.log.length = 0;
    const sha = hub.repos.get('org/tiny-gguf')!.sha;
    const m = await openRemoteModel(hub.cdn.url(`/cdn/${sha}/tiny-llama-F16.gguf`), opts());
    expect(m.view.format).toBe('gguf');
    expect(m.hub).toBeNull();
    expect(hub.hub.log).toHaveLength(0);
  });
});

async function openHubPaths(spec: string): Promise<string[]> {
  const { openHubFiles } = await import('../../../src/io/hub');
  const r = await openHubFiles(spec, opts());
  return r.selection.weights.map((f) => f.path);
}

describe('converting from the Hub', () => {
  it('owner/repo of a Hugging Face folder converts to Q4_K_M with the same bytes as the local folder', async () => {
    const { convertModel, MemorySinkFactory, KilnModel, openModelView } = await import('../../../src/node');
    const { hfSources } = await import('../formats/hf-support');
    const { sha256 } = await import('../../support/tiny-llama');
    const run = async (model: InstanceType<typeof KilnModel>) => {
      const out = new MemorySinkFactory();
      await convertModel(model, { target: 'Q4_K_M', baseName: 'tiny.gguf', output: out });
      return sha256(out.sinks.get('tiny.gguf')!.bytes());
    };
    const remote = await openRemoteModel('org/tiny-hf', opts());
    const local = new KilnModel(await openModelView(hfSources(hfFiles('bf16')), { folder: 'tiny-hf' }));
    expect(await run(new KilnModel(remote.view, remote.sources))).toBe(await run(local));
    expect(remote.view.metadata.get('general.name')).toEqual(local.view.metadata.get('general.name'));
  });
});
