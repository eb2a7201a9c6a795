import type { CodecJobResult } from './codec-job';
import { PoolEngine, type CodecPort } from './pool-engine';

/** A PoolEngine over `n` dedicated workers (spawned from the pipeline worker). */
export function browserPool(n: number): PoolEngine {
  const ports: CodecPort[] = [];
  for (let i = 0; i < n; i++) {
    const w = new Worker(new URL('./codec-worker.ts', import.meta.url), { type: 'module', name: `kiln-codec-${i}` });
    ports.push({
      post: (job, transfer) => w.postMessage(job, transfer),
      onResult: (cb) => {
        w.onmessage = (ev: MessageEvent<CodecJobResult>) => cb(ev.data);
      },
      onFailure: (cb) => {
        w.onerror = (ev: ErrorEvent) => {
          ev.preventDefault();
          cb(ev.message || 'its script failed to load or threw');
        };
        w.onmessageerror = () => cb('a message from it could not be read');
      },
      terminate: () => w.terminate(),
    });
  }
  return new PoolEngine(ports);
}
