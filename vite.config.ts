import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

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
  // Offline after the first visit: a Workbox service worker precaches every file of the build
  // (the page, its workers and their inlined wasm) and serves them from the cache; a new build
  // replaces the old cache. Registered from a file (registerSW.js), not inline, so the CSP's
  // script-src 'self' holds; the worker itself is same-origin (worker-src 'self').
  plugins:
    mode === 'harness'
      ? []
      : [
          VitePWA({
            registerType: 'autoUpdate',
            injectRegister: 'script',
            manifest: false,
            workbox: {
              globPatterns: ['**/*.{html,js,css,wasm}'],
              globIgnores: ['**/*.map'],
              // the pipeline worker bundles every codec (and its wasm): larger than Workbox's 2 MiB default
              maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
              cleanupOutdatedCaches: true,
              clientsClaim: true,
              skipWaiting: true,
            },
          }),
        ],
}));
