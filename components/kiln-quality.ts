import { LitElement, css, html, nothing } from 'lit';
import type { TensorQuality } from '../src/codecs/quality';
import type { CompareHistograms } from '../src/pipeline/protocol';
import { formatDb, formatMetric, sortQuality, worstTensors, type QualityKey } from '../src/app/quality-table';
import { KilnWatch } from './kiln-context';
import { card, controls } from './kiln-styles';
import './kiln-hist-overlay';

/** Rows drawn at once; a filter or another sort reaches the rest. */
const MAX_ROWS = 200;

const COLUMNS: readonly [QualityKey, string, string][] = [
  ['name', 'Tensor', 'name'],
  ['conversion', 'Conversion', 'type before and after'],
  ['rmse', 'RMSE', 'root mean square error'],
  ['maxAbsError', 'Max abs error', 'largest absolute error of one value'],
  ['cosine', 'Cosine', 'cosine similarity of the tensor before and after (1 = same direction)'],
  ['snrDb', 'SNR (dB)', 'signal-to-noise ratio: 10·log10(Σx² / Σ(y−x)²); higher is better'],
];

/**
 * Per-tensor quantization error of the last run (measured during it): a sortable table that
 * flags the worst tensors, and for any row the values before and after as overlaid histograms.
 */
export class KilnQuality extends LitElement {
  static override properties = {
    sortKey: { state: true },
    descending: { state: true },
    filter: { state: true },
    chosen: { state: true },
    overlay: { state: true },
    overlayError: { state: true },
  };
  declare sortKey: QualityKey;
  declare descending: boolean;
  declare filter: string;
  declare chosen: string | null;
  declare overlay: CompareHistograms | null;
  declare overlayError: string | null;
  private readonly kiln = new KilnWatch(this);
  private asked = 0;

  static override styles = [
    card,
    controls,
    css`
      h2 {
        font-size: 1.1rem;
        margin: 0 0 0.4rem;
      }
      .cols {
        display: grid;
        grid-template-columns: minmax(0, 3fr) minmax(280px, 2fr);
        gap: 1rem;
        align-items: start;
      }
      @media (max-width: 900px) {
        .cols {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .scroll {
        max-height: 22rem;
        overflow: auto;
        border: 1px solid var(--kiln-border);
        border-radius: 6px;
      }
      table {
        border-collapse: collapse;
        width: 100%;
        font-size: 0.85rem;
        font-variant-numeric: tabular-nums;
      }
      th,
      td {
        padding: 0.25rem 0.5rem;
        text-align: right;
        border-bottom: 1px solid var(--kiln-border);
        white-space: nowrap;
      }
      th:first-child,
      td:first-child,
      th:nth-child(2),
      td:nth-child(2) {
        text-align: left;
      }
      td:first-child {
        font-family: var(--kiln-mono);
        white-space: normal;
        min-width: 8rem;
      }
      thead th {
        position: sticky;
        top: 0;
        background: var(--kiln-surface-2);
      }
      th button {
        font: inherit;
        font-weight: 600;
        background: none;
        border: none;
        padding: 0.1rem 0.2rem;
        color: var(--kiln-text);
        cursor: pointer;
      }
      tr.worst td {
        background: var(--kiln-danger-bg);
      }
      tr.chosen td:first-child {
        box-shadow: inset 4px 0 var(--kiln-focus);
      }
      .flag {
        color: var(--kiln-danger);
        font-weight: 600;
        font-family: system-ui, sans-serif;
        margin-left: 0.3rem;
      }
      td button {
        font-size: 0.8rem;
        padding: 0.05rem 0.4rem;
      }
      .bar {
        display: flex;
        gap: 0.6rem;
        align-items: center;
        flex-wrap: wrap;
        margin-bottom: 0.4rem;
      }
      .muted {
        color: var(--kiln-muted);
      }
    `,
  ];

  constructor() {
    super();
    this.sortKey = 'snrDb';
    this.descending = false;
    this.filter = '';
    this.chosen = null;
    this.overlay = null;
    this.overlayError = null;
  }

  private sortBy(key: QualityKey): void {
    if (this.sortKey === key) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = false;
    }
  }

  private async choose(name: string): Promise<void> {
    const app = this.kiln.app;
    if (!app) return;
    this.chosen = name;
    this.overlay = null;
    this.overlayError = null;
    const ask = ++this.asked;
    try {
      const h = await app.compare(name);
      if (ask === this.asked) this.overlay = h;
    } catch (e) {
      if (ask === this.asked) this.overlayError = e instanceof Error ? e.message : String(e);
    }
  }

  private renderOverlay(canCompare: boolean) {
    if (!canCompare) return html`<p class="muted">Before/after histograms need the output kept in the browser (Convert, not “save to”).</p>`;
    if (this.chosen === null) return html`<p class="muted">Choose “Compare” on a row to overlay its values before and after.</p>`;
    if (this.overlayError !== null) return html`<p class="muted" role="alert" data-testid="quality-overlay-error">Could not read ${this.chosen} back: ${this.overlayError}</p>`;
    if (this.overlay === null) return html`<p class="muted" role="status">Reading ${this.chosen} before and after…</p>`;
    return html`<kiln-hist-overlay data-testid="quality-overlay" .data=${this.overlay}></kiln-hist-overlay>`;
  }

  override render() {
    const app = this.kiln.app;
    const rows: readonly TensorQuality[] = app?.state.result?.quality ?? [];
    if (rows.length === 0) return nothing;
    const worst = worstTensors(rows);
    const f = this.filter.trim().toLowerCase();
    const shown = sortQuality(f ? rows.filter((r) => r.name.toLowerCase().includes(f)) : rows, this.sortKey, this.descending);
    const canCompare = (app?.state.outputs.length ?? 0) > 0;
    return html`
      <h2 id="quality-title">Quantization error per tensor</h2>
      <div class="bar">
        <label>Filter <input data-testid="quality-filter" type="search" .value=${this.filter} @input=${(e: Event) => (this.filter = (e.target as HTMLInputElement).value)} placeholder="name contains" /></label>
        <span class="muted" data-testid="quality-summary">${rows.length} converted tensor${rows.length === 1 ? '' : 's'}${worst.size > 0 ? html`; the ${worst.size} with the lowest SNR are flagged` : ''}${shown.length > MAX_ROWS ? `; showing ${MAX_ROWS} of ${shown.length}` : ''}.</span>
      </div>
      <div class="cols">
      <div class="scroll">
        <table data-testid="quality-table" aria-labelledby="quality-title">
          <thead>
            <tr>
              ${COLUMNS.map(
                ([key, label, title]) =>
                  html`<th aria-sort=${this.sortKey === key ? (this.descending ? 'descending' : 'ascending') : 'none'}><button data-testid="quality-sort-${key}" title=${title} @click=${() => this.sortBy(key)}>${label}${this.sortKey === key ? (this.descending ? ' ▼' : ' ▲') : ''}</button></th>`,
              )}
              <th><span class="muted">Histogram</span></th>
            </tr>
          </thead>
          <tbody>
            ${shown.slice(0, MAX_ROWS).map(
              (r) => html`<tr class="${worst.has(r.name) ? 'worst' : ''} ${this.chosen === r.name ? 'chosen' : ''}" data-testid="quality-row" data-name=${r.name} data-worst=${worst.has(r.name) ? 'true' : 'false'}>
                <td>${breakAtDots(r.name)}${worst.has(r.name) ? html`<span class="flag" data-testid="quality-worst">worst</span>` : nothing}</td>
                <td>${r.from} → ${r.to}</td>
                <td data-testid="quality-rmse">${formatMetric(r.rmse)}</td>
                <td>${formatMetric(r.maxAbsError)}</td>
                <td>${r.cosine.toFixed(6)}</td>
                <td data-testid="quality-snr">${formatDb(r.snrDb)}</td>
                <td><button data-testid="quality-compare" aria-label="Compare ${r.name} before and after" ?disabled=${!canCompare} @click=${() => void this.choose(r.name)}>Compare</button></td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <div>${this.renderOverlay(canCompare)}</div>
      </div>
    `;
  }
}

/** A tensor name that wraps only after its dots (blk.0.ffn_up.weight), never inside a word. */
function breakAtDots(name: string) {
  const parts = name.split('.');
  return parts.map((p, i) => (i < parts.length - 1 ? html`${p}.<wbr />` : p));
}

customElements.define('kiln-quality', KilnQuality);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-quality': KilnQuality;
  }
}
