import { BlobSource } from '../../src/io/blob-source';

/**
 * Reads a Blob through BlobSource's buffer-reusing path while forcing garbage collections (the page
 * is launched with --expose-gc). Each read is given a few seconds: a read that never settles is the
 * lost wake-up that froze conversions in the page (issue 8), so it is counted, not awaited forever.
 */
export const harnessExt = {
  async blobReadsUnderGc(_env: unknown, reads: number, megabytes: number): Promise<{ settled: number; lost: number; wrong: number }> {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (typeof gc !== 'function') throw new Error('launch Chromium with --js-flags=--expose-gc');
    const size = megabytes * 1024 * 1024;
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) bytes[i] = (i >>> 12) & 0xff;
    const src = new BlobSource(new Blob([bytes]), 'gc-test.bin');
    let settled = 0;
    let lost = 0;
    let wrong = 0;
    let stop = false;
    const collector = (async () => {
      while (!stop) {
        gc();
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    for (let i = 0; i < reads; i++) {
      const into = new Uint8Array(size);
      // no reference to the read is kept here beyond the race, as in the executor's loop
      const outcome = await Promise.race([
        src.read(0, size, into).then((b) => (b.length === size && b[4096] === 1 ? 'ok' : 'wrong')),
        new Promise<string>((r) => setTimeout(() => r('lost'), 5000)),
      ]);
      if (outcome === 'ok') settled++;
      else if (outcome === 'lost') lost++;
      else wrong++;
    }
    stop = true;
    await collector;
    return { settled, lost, wrong };
  },
};
