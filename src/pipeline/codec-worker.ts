/// <reference lib="webworker" />
import { runCodecJob, type CodecJob } from './codec-job';

/** A browser codec worker: the CPU codecs on one more core. */
declare const self: DedicatedWorkerGlobalScope;

self.onmessage = (ev: MessageEvent<CodecJob>) => {
  void runCodecJob(ev.data).then((r) => self.postMessage(r, [r.input, r.output]));
};
