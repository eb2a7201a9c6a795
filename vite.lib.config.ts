import { defineConfig } from 'vite';

// The npm package's library build: the browser entry (src/index.ts) and the Node entry
// (src/node.ts) as ES modules, one output file per source module (preserveModules) so a user's
// bundler drops what they do not import: opening a GGUF header pulls in no WGSL and no wasm.
// Types come from tsc (tsconfig.lib.json) into dist-lib/types.
export default defineConfig({
  build: {
    outDir: 'dist-lib',
    target: 'es2022',
    sourcemap: true,
    emptyOutDir: true,
    minify: false,
    lib: { entry: { index: 'src/index.ts', node: 'src/node.ts' }, formats: ['es'] },
    rollupOptions: {
      external: [/^node:/, 'fflate'],
      output: { preserveModules: true, preserveModulesRoot: 'src', entryFileNames: '[name].js' },
    },
  },
});
