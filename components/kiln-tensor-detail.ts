import { LitElement, css, html } from 'lit';
import { Task } from '@lit/task';
import { formatBytes, formatCount, formatNumber, formatShape } from '../src/app/format';
import { elementsOf, formatParams } from '../src/app/model-facts';
import { KilnWatch } from './kiln-context';
import { card, controls } from './kiln-styles';
import './kiln-histogram';
import './kiln-heatmap';
import { TYPES } from '../src/codecs/catalogue';

/**
 * Statistics and histogram of the selected tensor, computed in the worker (on the GPU when there
 * is one) by a @lit/task that restarts when the selection changes. Kiln-app keeps it in view: a
 * sticky side panel on wide screens, a sheet at the bottom on narrow ones.
 */
export class KilnTensorDetail extends LitElement {
  static override styles = [
    card,
    controls,
    css`
      .head {
        display: flex;
        gap: 0.5rem;
        align-items: start;
        justify-content: space-between;
      }
      h2 {
        font-size: 1rem;
        margin: 0 0 0.2rem;
        font-family: var(--kiln-mono);
        overflow-wrap: anywhere;
      }
      dl {
        display: grid;
        grid-template-columns: auto 1fr auto 1fr;
        gap: 0.1rem 0.8rem;
        font-variant-numeric: tabular-nums;
        margin: 0.6rem 0 0;
      }
      dt {
        color: var(--kiln-muted);
      }
      dd {
        margin: 0;
      }
      h3.sub {
        font-size: 0.9rem;
        margin: 0.8rem 0 0;
      }
      .scale {
        display: flex;
        gap: 0.8rem;
        font-size: 0.85rem;
        margin: 0.5rem 0 0.2rem;
        border: none;
        padding: 0;
      }
      .scale legend {
        float: left;
        margin-right: 0.4rem;
        color: var(--kiln-muted);
      }
      .values-wrap {
        overflow-x: auto;
        max-width: 100%;
      }
      table.values {
        border-collapse: collapse;
        font-family: var(--kiln-mono);
        font-size: 0.75rem;
        font-variant-numeric: tabular-nums;
        margin-top: 0.3rem;
      }
      table.values th,
      table.values td {
        padding: 0.1rem 0.35rem;
        text-align: right;
        white-space: nowrap;
      }
      table.values th {
        color: var(--kiln-muted);
        font-weight: normal;
      }
    `,
  ];

  private readonly kiln = new KilnWatch(this);
  private log = false;

  private readonly task = new Task(this, {
    task: async ([index]: readonly [number | null | undefined]) => {
      if (index === null || index === undefined || !this.kiln.app) return null;
      return this.kiln.app.stats(index);
    },
    args: () => [this.kiln.app?.state.selected] as const,
  });

  /** For 2-D tensors: the downsampled magnitude heat-map, after the statistics. */
  private readonly heat = new Task(this, {
    task: async ([index]: readonly [number | null | undefined]) => {
      const app = this.kiln.app;
      const t = index === null || index === undefined ? undefined : app?.state.model?.tensors[index];
      if (!app || !t || t.shape.length !== 2 || t.type === null) return null;
      return app.heatmap(index!);
    },
    args: () => [this.kiln.app?.state.selected] as const,
  });

  /** For quantized tensors: the first rows' first values, decoded from their blocks. */
  private readonly values = new Task(this, {
    task: async ([index]: readonly [number | null | undefined]) => {
      const app = this.kiln.app;
      const t = index === null || index === undefined ? undefined : app?.state.model?.tensors[index];
      if (!app || !t || t.type === null || TYPES[t.type].blockSize <= 1) return null;
      return app.values(index!);
    },
    args: () => [this.kiln.app?.state.selected] as const,
  });

  private setLog(log: boolean): void {
    this.log = log;
    this.requestUpdate();
  }

  override render() {
    const app = this.kiln.app;
    const model = app?.state.model;
    const index = app?.state.selected;
    if (!app || !model) return null;
    if (index === null || index === undefined) return html`<p class="muted">Select a tensor (click a row, or Enter on it) to see its statistics and histogram.</p>`;
    const t = model.tensors[index]!;
    return html`
      <section aria-labelledby="detail-title" data-testid="tensor-detail">
        <div class="head">
          <div>
            <h2 id="detail-title">${t.name}</h2>
            <div class="muted">${t.typeLabel} · ${formatShape(t.shape)} · ${formatParams(elementsOf(t))} parameters · ${formatBytes(t.nbytes)}</div>
          </div>
          <button data-testid="detail-close" aria-label="Close the tensor detail" @click=${() => app.select(null)}>✕</button>
        </div>
        ${this.task.render({
          pending: () => html`<p class="muted" data-testid="stats-pending" role="status">Computing statistics…</p>`,
          error: (e) =>
            html`<div class="problem" data-testid="stats-error"><p><strong>Kiln cannot show this tensor’s values.</strong></p><details><summary>Technical details</summary><pre>${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}</pre></details></div>`,
          complete: (s) =>
            s === null
              ? null
              : html`
                  <fieldset class="scale">
                    <legend>Counts</legend>
                    <label><input type="radio" name="scale" data-testid="scale-linear" .checked=${!this.log} @change=${() => this.setLog(false)} /> linear</label>
                    <label><input type="radio" name="scale" data-testid="scale-log" .checked=${this.log} @change=${() => this.setLog(true)} /> logarithmic</label>
                  </fieldset>
                  <kiln-histogram .bins=${s.histogram} .lo=${s.min} .hi=${s.max} .count=${s.finite} ?log=${this.log}></kiln-histogram>
                  <dl data-testid="stats">
                    <dt>elements</dt><dd>${formatCount(s.count)}</dd>
                    <dt>mean</dt><dd>${formatNumber(s.mean)}</dd>
                    <dt>min</dt><dd>${formatNumber(s.min)}</dd>
                    <dt>std</dt><dd>${formatNumber(s.std)}</dd>
                    <dt>max</dt><dd>${formatNumber(s.max)}</dd>
                    <dt>NaN</dt><dd>${formatCount(s.nan)}</dd>
                    <dt>+Inf / −Inf</dt><dd>${formatCount(s.posInf)} / ${formatCount(s.negInf)}</dd>
                  </dl>
                `,
        })}
        ${t.type !== null && TYPES[t.type].blockSize > 1
          ? this.values.render({
              pending: () => html`<p class="muted" data-testid="values-pending" role="status">Decoding the first blocks…</p>`,
              error: (e) => html`<p class="muted" data-testid="values-error">No decoded values: ${e instanceof Error ? e.message : String(e)}</p>`,
              complete: (v) =>
                v === null || v.rows.length === 0
                  ? null
                  : html`<h3 class="sub" id="values-title">Decoded values (first ${v.rows[0]!.values.length} of each row, ${v.type} blocks of ${v.blockSize})</h3>
                      <div class="values-wrap" tabindex="0" role="region" aria-labelledby="values-title">
                        <table class="values" data-testid="decoded-values">
                          <thead>
                            <tr><th scope="col">row</th><th scope="col">block</th>${v.rows[0]!.values.map((_, j) => html`<th scope="col">${j}</th>`)}</tr>
                          </thead>
                          <tbody>
                            ${v.rows.map(
                              (r) => html`<tr data-testid="decoded-row" data-row=${r.row}>
                                <th scope="row">${r.row}</th>
                                <td data-testid="decoded-block">${[...new Set(r.blocks)].join(', ')}</td>
                                ${r.values.map((x, j) => html`<td data-testid="decoded-value" data-value=${String(x)} title=${`row ${r.row}, element ${j}, block ${r.blocks[j]}: ${x}`}>${formatNumber(x)}</td>`)}
                              </tr>`,
                            )}
                          </tbody>
                        </table>
                      </div>`,
            })
          : null}
        ${t.shape.length === 2 && t.type !== null
          ? this.heat.render({
              pending: () => html`<p class="muted" data-testid="heatmap-pending" role="status">Computing the heat-map…</p>`,
              error: (e) => html`<p class="muted" data-testid="heatmap-error">No heat-map: ${e instanceof Error ? e.message : String(e)}</p>`,
              complete: (h) => (h === null ? null : html`<h3 class="sub">Magnitude by rows and columns</h3><kiln-heatmap .data=${h}></kiln-heatmap>`),
            })
          : null}
      </section>
    `;
  }
}

customElements.define('kiln-tensor-detail', KilnTensorDetail);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-tensor-detail': KilnTensorDetail;
  }
}
