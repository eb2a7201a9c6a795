import { LitElement, css, html } from 'lit';
import { formatBytes, formatCount, formatMeta, formatShape, metaTypeLabel } from '../src/app/format';
import { KilnWatch } from './kiln-context';

const ROW_LIMIT = 2000;

/**
 * What is inside the open model: format and files, metadata, and every tensor (name, type,
 * shape, size). Clicking a tensor shows its statistics and histogram.
 */
export class KilnModel extends LitElement {
  static override styles = css`
    :host {
      display: block;
      background: #fff;
      border: 1px solid #e3dad0;
      border-radius: 10px;
      padding: 1rem;
    }
    h2 {
      font-size: 1.05rem;
      margin: 0 0 0.5rem;
    }
    .facts {
      display: flex;
      flex-wrap: wrap;
      gap: 0.4rem 1.2rem;
      color: #4a4038;
      margin-bottom: 0.6rem;
    }
    details {
      margin: 0.6rem 0;
    }
    summary {
      cursor: pointer;
      font-weight: 600;
    }
    table {
      border-collapse: collapse;
      width: 100%;
      font-variant-numeric: tabular-nums;
    }
    th,
    td {
      text-align: left;
      padding: 0.2rem 0.5rem;
      border-bottom: 1px solid #f0e9e2;
      vertical-align: top;
    }
    td.name,
    td.key {
      font-family: ui-monospace, 'SFMono-Regular', Menlo, monospace;
      font-size: 0.85rem;
      word-break: break-all;
    }
    td.value {
      font-family: ui-monospace, monospace;
      font-size: 0.8rem;
      word-break: break-word;
    }
    tr.tensor {
      cursor: pointer;
    }
    tr.tensor:hover {
      background: #fbf3ec;
    }
    tr.tensor[aria-selected='true'] {
      background: #f6e2d2;
    }
    .unknown {
      color: #a04000;
    }
    input[type='search'] {
      font: inherit;
      padding: 0.25rem 0.5rem;
      width: 100%;
      box-sizing: border-box;
      margin: 0.3rem 0;
    }
  `;

  private readonly kiln = new KilnWatch(this);
  private filter = '';

  private _onFilter(e: Event): void {
    this.filter = (e.target as HTMLInputElement).value;
    this.requestUpdate();
  }

  override render() {
    const app = this.kiln.app;
    const m = app?.state.model;
    if (!app || !m) return null;
    const selected = app.state.selected;
    const f = this.filter.toLowerCase();
    const rows = m.tensors.map((t, i) => ({ t, i })).filter(({ t }) => !f || t.name.toLowerCase().includes(f));
    const shown = rows.slice(0, ROW_LIMIT);
    return html`
      <h2>${m.files.join(', ')}</h2>
      <div class="facts" data-testid="model-facts">
        <span>Format: <b>${m.format}</b></span>
        <span>${formatCount(m.tensors.length)} tensors</span>
        <span>${formatBytes(m.totalBytes)} of tensor data</span>
        ${m.details.map(([k, v]) => html`<span>${k}: ${v}</span>`)}
      </div>
      <details ?open=${m.metadata.length > 0 && m.metadata.length <= 40}>
        <summary>Metadata (${m.metadata.length})</summary>
        <table data-testid="metadata">
          <thead>
            <tr><th>key</th><th>type</th><th>value</th></tr>
          </thead>
          <tbody>
            ${m.metadata.map(([k, v]) => html`<tr><td class="key">${k}</td><td>${metaTypeLabel(v)}</td><td class="value">${formatMeta(v)}</td></tr>`)}
          </tbody>
        </table>
      </details>
      <details open>
        <summary>Tensors (${m.tensors.length})</summary>
        ${m.tensors.length > 20 ? html`<input type="search" placeholder="Filter by name" .value=${this.filter} @input=${this._onFilter} />` : null}
        <table>
          <thead>
            <tr><th>name</th><th>type</th><th>shape</th><th>size</th></tr>
          </thead>
          <tbody>
            ${shown.map(
              ({ t, i }) => html`<tr class="tensor" data-testid="tensor-row" aria-selected=${selected === i ? 'true' : 'false'} @click=${() => app.select(i)}>
                <td class="name">${t.name}</td>
                <td class=${t.type === null ? 'unknown' : ''} title=${t.type === null ? 'Kiln cannot decode this type' : ''}>${t.typeLabel}</td>
                <td>${formatShape(t.shape)}</td>
                <td>${formatBytes(t.nbytes)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${rows.length > shown.length ? html`<p>${rows.length - shown.length} more: use the filter.</p>` : null}
      </details>
    `;
  }
}

customElements.define('kiln-model', KilnModel);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-model': KilnModel;
  }
}
