import { LitElement, css, html, nothing } from 'lit';
import { KilnWatch } from './kiln-context';
import { filterNames } from '../src/app/app-controller';
import { describeImatrixCoverage } from '../src/pipeline/imatrix-summary';
import { controls } from './kiln-styles';

/**
 * The importance matrix beside the model (llama-quantize --imatrix): pick or drop the .gguf or
 * legacy .dat file llama-imatrix wrote. With one, the type picker offers the types that need it
 * (IQ2_XXS, IQ2_XS, IQ1_S, ...) and every other quantization weighs its rounding by it. GGUF
 * output only. A file that does not read as an imatrix shows as the plan's problem.
 */
export class KilnImatrix extends LitElement {
  static override styles = [
    controls,
    css`
      :host {
        display: block;
        font-size: 0.9rem;
      }
      .zone {
        border: 1px dashed var(--kiln-border-strong);
        border-radius: 8px;
        padding: 0.4rem 0.6rem;
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
      }
      .zone.over {
        border-color: var(--kiln-accent);
        background: var(--kiln-accent-soft);
      }
      .muted {
        color: var(--kiln-muted);
        font-size: 0.8rem;
      }
      code {
        font-size: 0.8rem;
      }
      .facts {
        flex-basis: 100%;
        margin: 0;
        padding-left: 1.1rem;
        font-size: 0.85rem;
      }
      .filters {
        flex-basis: 100%;
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
      }
      .filters label {
        display: flex;
        flex-direction: column;
        gap: 0.15rem;
        font-size: 0.85rem;
      }
      .field-error {
        flex-basis: 100%;
        color: var(--kiln-danger, #b00020);
        font-size: 0.85rem;
      }
    `,
  ];

  private readonly kiln = new KilnWatch(this);
  private over = false;

  private pick(file: File | undefined): void {
    if (file) void this.kiln.app?.setImatrix(file);
  }

  private _onChange(e: Event): void {
    const input = e.target as HTMLInputElement;
    this.pick(input.files?.[0]);
    input.value = '';
  }

  private _onDrop(e: DragEvent): void {
    e.preventDefault();
    this.over = false;
    this.pick(e.dataTransfer?.files[0]);
    this.requestUpdate();
  }

  private _onDragOver(e: DragEvent): void {
    e.preventDefault();
    if (!this.over) {
      this.over = true;
      this.requestUpdate();
    }
  }

  private _onDragLeave(): void {
    this.over = false;
    this.requestUpdate();
  }

  /** --include-weights / --exclude-weights, one name part per line (or comma-separated). */
  private filters() {
    const app = this.kiln.app!;
    const f = app.state.imatrixFilter;
    const both = f.include.length > 0 && f.exclude.length > 0;
    const field = (key: 'include' | 'exclude', flag: string, label: string) =>
      html`<label
        >${label} <code>${flag}</code>
        <input
          type="text"
          data-testid=${'imatrix-' + key}
          placeholder="name parts, e.g. attn_v, ffn_down"
          aria-invalid=${both ? 'true' : 'false'}
          ?disabled=${app.state.converting}
          .value=${f[key].join(', ')}
          @change=${(e: Event) => void app.setImatrixFilter({ ...f, [key]: filterNames((e.target as HTMLInputElement).value) })}
      /></label>`;
    return html`<div class="filters">
      ${field('include', '--include-weights', 'Use only the entries containing')} ${field('exclude', '--exclude-weights', 'Leave out the entries containing')}
      ${both ? html`<div class="field-error" data-testid="imatrix-filter-error">llama-quantize takes one of --include-weights and --exclude-weights, not both: clear one</div>` : nothing}
    </div>`;
  }

  /** What the file holds and which tensors of the current plan get its weights. */
  private facts() {
    const cov = this.kiln.app!.state.plan?.imatrix;
    if (!cov) return nothing;
    return html`<ul class="facts" data-testid="imatrix-facts">
      ${describeImatrixCoverage(cov).map((line) => html`<li>${line}</li>`)}
    </ul>`;
  }

  override render() {
    const app = this.kiln.app;
    if (!app || app.state.format !== 'gguf') return nothing;
    const s = app.state;
    return html`<div
      class="zone ${this.over ? 'over' : ''}"
      data-testid="imatrix"
      @drop=${this._onDrop}
      @dragover=${this._onDragOver}
      @dragleave=${this._onDragLeave}
    >
      <label
        >Importance matrix <code>--imatrix</code>
        <input type="file" accept=".gguf,.dat" data-testid="imatrix-file" ?disabled=${s.converting} @change=${this._onChange} />
      </label>
      ${s.imatrix
        ? html`<span data-testid="imatrix-name">using <code>${s.imatrix.name}</code></span>
            <button type="button" data-testid="imatrix-clear" ?disabled=${s.converting} @click=${() => void app.setImatrix(null)}>Remove</button>
            ${this.facts()} ${this.filters()}`
        : html`<span class="muted">optional: the imatrix file published beside the model (or drop it here); the IQ1/IQ2 types need one</span>`}
    </div>`;
  }
}

customElements.define('kiln-imatrix', KilnImatrix);

declare global {
  interface HTMLElementTagNameMap {
    'kiln-imatrix': KilnImatrix;
  }
}
