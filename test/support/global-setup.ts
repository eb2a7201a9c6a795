import type { TestProject } from 'vitest/node';
import { existsSync, readFileSync } from 'node:fs';
import { cspOfHtml, serveStatic } from './static-server';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

/** Serves the built app (dist/, built by `npm test` before vitest runs) and the test fixtures. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync('dist/index.html')) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does) before vitest');
  }
  // the app's own policy as a header too (for its workers), as vite preview sends it
  const policy = cspOfHtml(readFileSync('dist/index.html', 'utf8'));
  if (policy === null) throw new Error('dist/index.html has no Content-Security-Policy');
  const { url, server } = await serveStatic({ '/': 'dist', '/t/': '.test-dist', '/fixtures/': 'test/fixtures' }, 0, { csp: { policy, mounts: ['/'] } });
  project.provide('baseUrl', url);
  return async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
  };
}
