import { describe, expect, it } from 'vitest';
import { runCodecJob, type CodecJob, type CodecJobResult } from '../../../src/pipeline/codec-job';
import { PoolEngine, type CodecPort } from '../../../src/pipeline/pool-engine';

/** A codec worker in-process: answers jobs, or dies (as a worker whose script throws) when told. */
function port(dieOnJob: boolean): CodecPort & { jobs: number } {
  let result: (r: CodecJobResult) => void = () => undefined;
  let failure: (m: string) => void = () => undefined;
  const p = {
    jobs: 0,
    post(job: CodecJob) {
      p.jobs++;
      if (dieOnJob) setTimeout(() => failure('Uncaught RangeError: out of memory'), 5);
      else void runCodecJob(job).then((r) => result(r));
    },
    onResult: (cb: (r: CodecJobResult) => void) => void (result = cb),
    onFailure: (cb: (m: string) => void) => void (failure = cb),
    terminate: () => undefined,
  };
  return p;
}

const f32 = (n: number) => new Uint8Array(new Float32Array(n).fill(0.5).buffer);

describe('a codec worker that dies fails its job instead of leaving it unanswered', () => {
  it('the dead worker\'s job rejects naming it; the other worker keeps converting', async () => {
    const dead = port(true);
    const live = port(false);
    const pool = new PoolEngine([dead, live]);
    const results = await Promise.allSettled([pool.transform('F32', 'F16', f32(64), 64), pool.transform('F32', 'F16', f32(64), 64), pool.transform('F32', 'F16', f32(64), 64)]);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(String((rejected[0] as PromiseRejectedResult).reason)).toMatch(/codec worker 1 of 2 failed: Uncaught RangeError: out of memory/);
    expect(dead.jobs).toBe(1);
    expect(live.jobs).toBe(2);
  });

  it('with every worker dead, waiting jobs fail too', async () => {
    const pool = new PoolEngine([port(true)]);
    const results = await Promise.allSettled([pool.transform('F32', 'F16', f32(64), 64), pool.transform('F32', 'F16', f32(64), 64)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
