import { parentPort } from 'node:worker_threads';
import { runCodecJob, type CodecJob } from '../pipeline/codec-job';

/** A worker_threads codec worker for the command line's thread pool. */
parentPort!.on('message', (job: CodecJob) => {
  void runCodecJob(job).then((r) => parentPort!.postMessage(r, [r.input, r.output]));
});
