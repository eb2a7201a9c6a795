import type { HarnessEnv } from './main';

/**
 * Pattern for harness extensions: export `harnessExt`, functions whose first argument is the
 * shared GPU environment; tests call them as window.harnessExt.<name>(...args).
 */
export const harnessExt = {
  async adapterLabel(env: HarnessEnv): Promise<string> {
    return (await env()).ctx.adapterLabel;
  },
};
