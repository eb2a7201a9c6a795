import type { BrowserSession } from '../../test/support/browser';
import { click, selectValue, waitForOutcome } from '../../test/support/app-driver';
import { pssSampler } from './memory';

export interface UiRun {
  readonly seconds: number;
  /** Peak PSS of all Chromium processes together, in bytes. */
  readonly peak: number;
  /** PSS per process kind at the peak, for KILN_BENCH_VERBOSE. */
  readonly peakByKind: Record<string, number>;
}

/**
 * One conversion of the open model through the UI, timed from the click to the finished run's
 * download links, with Chromium's memory sampled throughout.
 */
export async function timeUiConversion(s: BrowserSession, engine: string, format: string, type: string, sampleMs = 250): Promise<UiRun> {
  await selectValue(s.page, 'engine-select', engine);
  await selectValue(s.page, 'target-format', format);
  await selectValue(s.page, 'target-type', type);
  const sampler = pssSampler(s.browser.process()!.pid!, sampleMs);
  const t0 = performance.now();
  await click(s.page, 'convert');
  // the finished run shows download links; the previous run's links are cleared at the click
  await new Promise((r) => setTimeout(r, 50));
  const out = await waitForOutcome(s.page, 3_600_000);
  const seconds = (performance.now() - t0) / 1000;
  const peak = sampler.stop();
  if (out.error) throw new Error(`${format} ${type} on ${engine}: ${out.error}`);
  return { seconds, peak, peakByKind: sampler.peakByKind() };
}
