import { describe, expect, it } from 'vitest';
import { shaderNames, shaderSource } from '../../../src/gpu/shaders';
import { GPU_KERNELS } from '../../../src/gpu/kernels';
import { TYPE_NAMES } from '../../../src/codecs/catalogue';

/** The kernel table and the shader files agree (compilation itself is tested in Chromium). */
describe('shader table', () => {
  it('every shader file expands its includes', () => {
    for (const n of shaderNames()) expect(() => shaderSource(n), n).not.toThrow();
  });
  it('every registered kernel names an existing module and an entry point in it', () => {
    for (const t of TYPE_NAMES) {
      for (const dir of ['decode', 'encode', 'encodeWeighted'] as const) {
        const k = GPU_KERNELS[t][dir];
        if (k === undefined || k === null || k === 'identity') continue;
        expect(shaderNames(), `${t} ${dir}`).toContain(k.module);
        expect(shaderSource(k.module), `${t} ${dir}: fn ${k.entry}`).toMatch(new RegExp(`@compute[^;{]*\\bfn ${k.entry}\\s*\\(`));
        expect(k.blocksPerInvocation).toBeGreaterThan(0);
      }
    }
  });
});
