import type { TestProject } from 'vitest/node';
import { existsSync } from 'node:fs';
import { serveStatic } from './static-server';

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
  const { url, server } = await serveStatic({ '/': 'dist', '/t/': '.test-dist', '/fixtures/': 'test/fixtures' });
  project.provide('baseUrl', url);
  return async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
  };
}
