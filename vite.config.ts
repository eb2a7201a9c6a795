import { defineConfig } from 'vite';

// The app is a static bundle served from one origin. The Content-Security-Policy lives in
// index.html as a meta tag so every way of serving dist/ carries it.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: {
        main: 'index.html',
        harness: 'test/harness/index.html',
      },
    },
  },
  worker: { format: 'es' },
  preview: { host: '127.0.0.1' },
  server: { host: '127.0.0.1' },
});
