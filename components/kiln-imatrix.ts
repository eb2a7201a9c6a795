import { LitElement, css, html, nothing } from 'lit';
import { KilnWatch } from './kiln-context';
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
            <button type="button" data-testid="imatrix-clear" ?disabled=${s.converting} @click=${() => void app.setImatrix(null)}>Remove</button>`
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
