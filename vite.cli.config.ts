import { defineConfig } from 'vite';

// The command line is the same core bundled for Node: ESM files, Node built-ins external; the
// codec worker is its own entry so worker_threads can load it next to the CLI.
export default defineConfig({
  build: {
    ssr: true,
    outDir: 'dist-cli',
    target: 'node20',
    sourcemap: true,
    emptyOutDir: true,
    rollupOptions: {
      input: { 'tensor-kiln': 'src/cli/main.ts', 'codec-worker': 'src/cli/codec-worker-node.ts' },
      output: { entryFileNames: '[name].mjs', format: 'es' },
    },
  },
  ssr: { noExternal: true },
});
