import { defineConfig } from 'vite';

// The command line is the same core bundled for Node: one ESM file, Node built-ins external.
export default defineConfig({
  build: {
    ssr: 'src/cli/main.ts',
    outDir: 'dist-cli',
    target: 'node20',
    sourcemap: true,
    emptyOutDir: true,
    rollupOptions: { output: { entryFileNames: 'tensor-kiln.mjs', format: 'es' } },
  },
  ssr: { noExternal: true },
});
