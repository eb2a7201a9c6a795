import { html } from 'lit';
import type { AppController } from '../src/app/app-controller';
import type { Problem } from '../src/app/errors';

/**
 * A problem as people read it: what happened and what to do, a button where the page can fix it
 * in place, and the technical detail (class, offsets, tensor names) in a disclosure.
 */
export function renderProblem(p: Problem, app: AppController) {
  const fix =
    p.fix === 'allowRequantize'
      ? html`<button data-testid="fix-allow-requantize" @click=${() => void app.setOptions({ allowRequantize: true })}>Allow requantizing</button>`
      : p.fix === 'skipUnconvertible'
        ? html`<button data-testid="fix-skip-unconvertible" @click=${() => void app.setOptions({ skipUnconvertible: true })}>Leave those tensors out</button>`
        : null;
  return html`<div class="problem" role="alert" data-testid="error" data-place=${p.place}>
    <p><strong>${p.what}</strong></p>
    <p>${p.advice}</p>
    ${fix}
    <details>
      <summary>Technical details</summary>
      <pre data-testid="error-detail">${p.detail}</pre>
    </details>
  </div>`;
}
