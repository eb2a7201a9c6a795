import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CodecJobResult } from '../pipeline/codec-job';
import { CpuEngine, type TransformEngine } from '../pipeline/engine';
import { PoolEngine, type CodecPort } from '../pipeline/pool-engine';

/** The bundled worker next to the bundled CLI (dist-cli/codec-worker.mjs). */
const WORKER = new URL('./codec-worker.mjs', import.meta.url);

/**
 * The CPU engine for the command line: a pool of worker_threads, one per core (or `threads`),
 * or the single-threaded engine when asked for one thread or when running unbundled (tests).
 */
export function cliEngine(threads = availableParallelism()): TransformEngine {
  if (threads <= 1 || !existsSync(fileURLToPath(WORKER))) return new CpuEngine();
  const ports: CodecPort[] = [];
  for (let i = 0; i < threads; i++) {
    const w = new Worker(WORKER);
    w.unref();
    ports.push({
      post: (job, transfer) => w.postMessage(job, transfer),
      onResult: (cb) => void w.on('message', (r: CodecJobResult) => cb(r)),
      onFailure: (cb) => {
        w.on('error', (e: Error) => cb(e.message));
        w.on('exit', (code: number) => cb(`it exited (code ${code})`));
      },
      terminate: () => {
        w.removeAllListeners('exit');
        void w.terminate();
      },
    });
  }
  return new PoolEngine(ports);
}
