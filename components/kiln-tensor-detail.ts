import { LitElement, css, html } from 'lit';
import { Task } from '@lit/task';
import { formatCount, formatNumber, formatShape } from '../src/app/format';
import { KilnWatch } from './kiln-context';
import './kiln-histogram';

/**
 * Statistics and histogram of the selected tensor, computed in the worker (on the GPU when there
 * is one) by a @lit/task that restarts when the selection changes.
 */
export class KilnTensorDetail extends LitElement {
  static override styles = css`
    :host {
      display: block;
      background: #fff;
      border: 1px solid #e3dad0;
      border-radius: 10px;
      padding: 1rem;
      margin-top: 1rem;
    }
    h2 {
      font-size: 1rem;
      margin: 0 0 0.4rem;
      word-break: break-all;
    }
    dl {
      display: grid;
      grid-template-columns: auto 1fr;
      gap: 0.1rem 0.8rem;
      font-variant-numeric: tabular-nums;
      margin: 0.6rem 0 0;
    }
    dt {
      color: #6b5d50;
    }
    dd {
      margin: 0;
    }
    .muted {
      color: #6b5d50;
    }
    label {
      font-size: 0.85rem;
    }
  `;

  private readonly kiln = new KilnWatch(this);
  private log = false;

  private readonly task = new Task(this, {
    task: async ([index]: readonly [number | null | undefined]) => {
      if (index === null || index === undefined || !this.kiln.app) return null;
      return this.kiln.app.stats(index);
    },
    args: () => [this.kiln.app?.state.selected] as const,
  });

  override render() {
    const app = this.kiln.app;
    const model = app?.state.model;
    const index = app?.state.selected;
    if (!app || !model) return null;
    if (index === null || index === undefined) return html`<p class="muted">Select a tensor to see its statistics and histogram.</p>`;
    const t = model.tensors[index]!;
    return html`
      <h2>${t.name}</h2>
      <div class="muted">${t.typeLabel} ${formatShape(t.shape)}</div>
      ${this.task.render({
        pending: () => html`<p class="muted" data-testid="stats-pending">Computing statistics…</p>`,
        error: (e) => html`<p data-testid="stats-error">${e instanceof Error ? e.message : String(e)}</p>`,
        complete: (s) =>
          s === null
            ? null
            : html`
                <label><input type="checkbox" .checked=${this.log} @change=${(e: Event) => ((this.log = (e.target as HTMLInputElement).checked), this.requestUpdate())} /> log counts</label>
                <kiln-histogram .bins=${s.histogram} .lo=${s.min} .hi=${s.max} ?log=${this.log}></kiln-histogram>
                <dl data-testid="stats">
                  <dt>elements</dt><dd>${formatCount(s.count)}</dd>
                  <dt>min</dt><dd>${formatNumber(s.min)}</dd>
                  <dt>max</dt><dd>${formatNumber(s.max)}</dd>
                  <dt>mean</dt><dd>${formatNumber(s.mean)}</dd>
                  <dt>std</dt><dd>${formatNumber(s.std)}</dd>
                  <dt>NaN</dt><dd>${formatCount(s.nan)}</dd>
                  <dt>+Inf / −Inf</dt><dd>${formatCount(s.posInf)} / ${formatCount(s.negInf)}</dd>
                </dl>
              `,
      })}
    `;
  }
}

customElements.define('kiln-tensor-detail', KilnTensorDetail);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-tensor-detail': KilnTensorDetail;
  }
}
