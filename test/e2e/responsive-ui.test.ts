import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { click, selectValue, uploadFiles, waitForOutcome } from '../support/app-driver';
import { rampSafetensors } from '../support/ramp-safetensors';
import { FIND } from '../support/ux';

/**
 * The page stays responsive while a large conversion runs (the pipeline lives in a worker): a
 * 1.1 GB model converts while a person types into the tensor filter and clicks a checkbox, and
 * every input event is handled within 100 ms. Measured two ways on the page itself: each event's
 * delay from its timestamp to its first listener (every event, a capture listener on the document),
 * and the Event Timing API's entries (handlers' end minus the event's start) for events over 16 ms;
 * long tasks are counted too.
 */
let s: BrowserSession;
let work: string;
const HANDLED_WITHIN_MS = 100;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-responsive-'));
  s = await launch();
  await s.page.setViewport({ width: 1280, height: 900 });
  await s.page.goto(`${inject('baseUrl')}/`);
});

afterAll(async () => {
  await s?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('responsive during work', () => {
  it('input events are handled within 100 ms while a 1 GB conversion runs', { timeout: 600_000 }, async () => {
    // 2 × 512 MiB + 32 MiB of F32: 1.11 GB, as the issue asks (the codec workers convert 300 MB here in under a second)
    writeFileSync(join(work, 'big.safetensors'), rampSafetensors([[16384, 8192], [16384, 8192], [2048, 4096]]));
    await uploadFiles(s.page, [join(work, 'big.safetensors')]);
    await s.page.waitForFunction(`(() => { const e = ${FIND}(document, 'tensor-count'); return !!e && /3/.test(e.textContent); })()`, { polling: 200 });
    await selectValue(s.page, 'engine-select', 'cpu');
    await selectValue(s.page, 'target-format', 'gguf');
    await selectValue(s.page, 'target-type', 'Q6_K');
    await s.page.evaluate(`(() => {
      window.__delays = []; window.__timing = []; window.__long = [];
      const rec = (e) => { if (window.__running) window.__delays.push({ type: e.type, ms: performance.now() - e.timeStamp, at: e.timeStamp }); };
      for (const t of ['keydown', 'keyup', 'pointerdown', 'pointerup', 'click', 'input']) document.addEventListener(t, rec, { capture: true });
      new PerformanceObserver((l) => { for (const e of l.getEntries()) if (window.__running) window.__timing.push({ name: e.name, handled: e.processingEnd - e.startTime, delay: e.processingStart - e.startTime, duration: e.duration }); }).observe({ type: 'event', durationThreshold: 16 });
      new PerformanceObserver((l) => { for (const e of l.getEntries()) if (window.__running) window.__long.push(e.duration); }).observe({ type: 'longtask' });
    })()`);
    await s.page.evaluate(`window.__running = true`);
    await click(s.page, 'convert');
    await s.page.waitForFunction(`(() => { const p = ${FIND}(document, 'progress'); return p && p.value > 0; })()`, { polling: 50 });
    const running = () => s.page.evaluate(`!${FIND}(document, 'download') && !${FIND}(document, 'error')`) as Promise<boolean>;
    let rounds = 0;
    const t0 = Date.now();
    while ((await running()) && Date.now() - t0 < 300_000) {
      await s.page.evaluate(`${FIND}(document, 'tensor-filter').focus()`);
      await s.page.keyboard.type('t1', { delay: 30 });
      await s.page.keyboard.press('Backspace');
      await s.page.keyboard.press('Backspace');
      const box = (await s.page.evaluate(`(() => { const r = ${FIND}(document, 'tensor-group').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)) as [number, number];
      await s.page.mouse.click(box[0], box[1]);
      rounds++;
      await new Promise((r) => setTimeout(r, 150));
    }
    const runMs = Date.now() - t0;
    await s.page.evaluate(`window.__running = false`);
    const out = await waitForOutcome(s.page);
    expect(out.error).toBeNull();
    const r = (await s.page.evaluate(`({ delays: window.__delays, timing: window.__timing, long: window.__long })`)) as {
      delays: { type: string; ms: number; at: number }[];
      timing: { name: string; handled: number; delay: number; duration: number }[];
      long: number[];
    };
    const maxDelay = Math.max(0, ...r.delays.map((d) => d.ms));
    const maxHandled = Math.max(0, ...r.timing.map((t) => t.handled));
    const maxDuration = Math.max(0, ...r.timing.map((t) => t.duration));
    console.log(
      `responsiveness: ${rounds} rounds of input over ${(runMs / 1000).toFixed(1)} s of conversion; ${r.delays.length} events, max delay to first listener ${maxDelay.toFixed(1)} ms; ` +
        `${r.timing.length} Event Timing entries over 16 ms, max handled ${maxHandled.toFixed(1)} ms, max duration to next paint ${maxDuration.toFixed(0)} ms; ${r.long.length} long tasks, longest ${Math.max(0, ...r.long).toFixed(0)} ms`,
    );
    console.log('slowest:', JSON.stringify([...r.delays].sort((a, b) => b.ms - a.ms).slice(0, 6)), 'long tasks:', JSON.stringify(r.long));
    expect(rounds).toBeGreaterThanOrEqual(5);
    expect(r.delays.length).toBeGreaterThanOrEqual(rounds * 8);
    expect(maxDelay).toBeLessThan(HANDLED_WITHIN_MS);
    expect(maxHandled).toBeLessThan(HANDLED_WITHIN_MS);
  });
});
