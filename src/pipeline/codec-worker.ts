/// <reference lib="webworker" />
import { runCodecJob, type CodecJob, type CodecJobResult } from './codec-job';

/** A browser codec worker: the CPU codecs on one more core. */
declare const self: DedicatedWorkerGlobalScope;

self.onmessage = (ev: MessageEvent<CodecJob>) => {
  void runCodecJob(ev.data).then((r) => {
    try {
      self.postMessage(r, [r.input, r.output]);
    } catch (e) {
      // a reply that cannot be sent would leave the pool waiting forever: send the error instead
      self.postMessage({ id: r.id, ok: false, input: new ArrayBuffer(0), output: new ArrayBuffer(0), error: `the result could not be sent: ${e instanceof Error ? e.message : String(e)}` } satisfies CodecJobResult);
    }
  });
};
