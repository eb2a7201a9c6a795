import { defineConfig } from 'vite';

// The app is a static bundle served from one origin. The Content-Security-Policy lives in
// index.html as a meta tag so every way of serving dist/ carries it.
// `--mode harness` builds the GPU test harness page (test/harness) into .test-dist/ instead,
// so test code never ships in dist/.
export default defineConfig(({ mode }) => ({
  base: './',
  build: {
    outDir: mode === 'harness' ? '.test-dist' : 'dist',
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: mode === 'harness' ? 'test/harness/index.html' : 'index.html',
    },
  },
  worker: { format: 'es' },
  preview: { host: '127.0.0.1' },
  server: { host: '127.0.0.1' },
}));
