import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { readFileSync } from 'node:fs';

// The page's policy (index.html's meta tag) sent as a header too: a dedicated worker takes its
// policy from its own script's response headers, never from the page's meta tag.
const CSP = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(readFileSync(new URL('./index.html', import.meta.url), 'utf8'))?.[1];
if (CSP === undefined) throw new Error('index.html has no Content-Security-Policy meta tag');

// The app is a static bundle served from one origin. The Content-Security-Policy lives in
// index.html as a meta tag so every way of serving dist/ carries it for the page; `vite preview`
// also sends it as a header (the workers' policy); a host that sends no header still has the
// pipeline worker's own allowed-hosts check (src/io/allowed-hosts.ts).
// `--mode harness` builds the GPU test harness page (test/harness) into .test-dist/ instead,
// so test code never ships in dist/.
export default defineConfig(({ mode }) => ({
  base: './',
  build: {
    outDir: mode === 'harness' ? '.test-dist' : 'dist',
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      // the app, and the loader example (examples/loader: the public API alone) beside it in dist/examples/
      input: mode === 'harness' ? 'test/harness/index.html' : { main: 'index.html', loader: 'examples/loader/index.html' },
    },
  },
  worker: { format: 'es' },
  preview: { host: '127.0.0.1', headers: { 'Content-Security-Policy': CSP } },
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
              globIgnores: ['**/*.map', 'examples/**'],
              // the example pages are not the app: never answered with the app's page
              navigateFallbackDenylist: [/\/examples\//],
              // the pipeline worker bundles every codec (and its wasm): larger than Workbox's 2 MiB default
              maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
              cleanupOutdatedCaches: true,
              clientsClaim: true,
              skipWaiting: true,
            },
          }),
          // the loader example is a plain page of the library, not part of the offline app
          {
            name: 'kiln-example-without-sw',
            enforce: 'post' as const,
            transformIndexHtml: {
              order: 'post' as const,
              handler: (html: string, ctx: { path: string }) =>
                ctx.path.includes('/examples/') ? html.replace(/\s*<script id="vite-plugin-pwa:register-sw"[^>]*><\/script>/, '') : html,
            },
          },
        ],
}));
