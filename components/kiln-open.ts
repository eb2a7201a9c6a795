import { LitElement, css, html, nothing } from 'lit';
import { KilnWatch } from './kiln-context';
import { renderProblem } from './kiln-problem';
import { controls } from './kiln-styles';

const FORMATS = 'GGUF (also split into parts), safetensors (also sharded), PyTorch (.pth .pt .bin .ckpt), TensorFlow checkpoints (.index with its .data files), ONNX (with external data) and Hugging Face model folders';

/**
 * Opening models: a file picker (several files: shards, split parts, TF bundles, ONNX + data),
 * a folder picker where the browser has one, drag and drop, and the built-in sample. With no
 * model open it is the landing page: what Kiln does, the three ways in, the formats it reads.
 * Problems opening a file are shown here, beside the controls.
 */
export class KilnOpen extends LitElement {
  static override styles = [
    controls,
    css`
      :host {
        display: block;
      }
      .drop {
        border: 2px dashed var(--kiln-border-strong);
        border-radius: 10px;
        padding: 1rem 1.2rem;
        background: var(--kiln-surface);
      }
      .drop.over {
        border-color: var(--kiln-accent);
        background: var(--kiln-accent-soft);
      }
      .ways {
        display: flex;
        flex-wrap: wrap;
        gap: 0.8rem;
        align-items: center;
      }
      .landing .ways {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));
        margin: 1rem 0;
      }
      .way {
        display: flex;
        flex-direction: column;
        gap: 0.3rem;
      }
      .way small {
        color: var(--kiln-muted);
      }
      label.button,
      button.open {
        display: inline-block;
        border: 1px solid var(--kiln-border-strong);
        border-radius: 6px;
        padding: 0.45rem 0.9rem;
        background: var(--kiln-surface-2);
        cursor: pointer;
        font-weight: 600;
        text-align: center;
      }
      .landing label.button,
      .landing button.open {
        padding: 0.7rem 1rem;
        font-size: 1rem;
      }
      label.button:hover {
        background: var(--kiln-hover);
      }
      label.button:focus-within {
        outline: 3px solid var(--kiln-focus);
        outline-offset: 2px;
      }
      label.button:has(input:disabled) {
        opacity: 0.45;
        cursor: not-allowed;
        filter: grayscale(0.6);
      }
      input[type='file'] {
        position: absolute;
        width: 1px;
        height: 1px;
        opacity: 0;
      }
      h2 {
        font-size: 1.35rem;
        margin: 0 0 0.4rem;
      }
      .lead {
        font-size: 1.05rem;
        max-width: 60rem;
        margin: 0;
      }
      .formats {
        margin: 0;
        color: var(--kiln-muted);
      }
      .status {
        color: var(--kiln-muted);
      }
    `,
  ];

  private readonly kiln = new KilnWatch(this);
  private over = false;

  private get controller() {
    return this.kiln.app!;
  }

  private _onFiles(e: Event): void {
    const input = e.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    void this.controller.openFiles(files);
  }

  private _onDrop(e: DragEvent): void {
    e.preventDefault();
    this.over = false;
    this.requestUpdate();
    void this.controller.openFiles([...(e.dataTransfer?.files ?? [])]);
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
    const opening = app?.state.opening ?? false;
    // the running conversion reads the open model; another one opens once it ends or is cancelled
    const busy = app?.state.converting ?? false;
    const landing = !app?.state.model;
    const folders = 'webkitdirectory' in HTMLInputElement.prototype;
    const problem = app?.state.problem?.place === 'open' ? app.state.problem : null;
    const files = html`<label class="button">
      ${landing ? 'Open model files…' : 'Open files…'}
      <input type="file" multiple data-testid="open-files" ?disabled=${busy} @change=${this._onFiles} />
    </label>`;
    const folder = folders
      ? html`<label class="button">
          ${landing ? 'Open a model folder…' : 'Open folder…'}
          <input type="file" webkitdirectory data-testid="open-folder" ?disabled=${busy} @change=${this._onFiles} />
        </label>`
      : null;
    const sample = html`<button class="open" data-testid="open-sample" ?disabled=${busy} @click=${() => void this.controller.openSample()}>Open the sample model</button>`;
    const status = busy ? 'Converting… cancel it to open another model.' : opening ? 'Reading the model…' : '';
    return html`
      <section
        class="drop ${this.over ? 'over' : ''} ${landing ? 'landing' : ''}"
        aria-labelledby=${landing ? 'open-title' : nothing}
        aria-label=${landing ? nothing : 'Open another model'}
        data-testid=${landing ? 'landing' : 'open-bar'}
        @drop=${this._onDrop}
        @dragover=${this._onDragOver}
        @dragleave=${this._onDragLeave}
      >
        ${landing
          ? html`<h2 id="open-title">See inside a model, then convert or quantize it</h2>
              <p class="lead" data-testid="tagline">
                Tensor Kiln shows what a model file holds (architecture, size, every tensor and its values) and converts it to GGUF or safetensors, quantizing
                with llama.cpp’s presets such as Q4_K_M, right here in your browser. Nothing leaves this machine: no upload, no server.
              </p>
              <div class="ways">
                <div class="way">${files}<small>One file, or all parts of a split or sharded model</small></div>
                ${folder ? html`<div class="way">${folder}<small>A Hugging Face folder or a checkpoint directory</small></div>` : null}
                <div class="way">${sample}<small>A small llama-shaped model made in the page</small></div>
              </div>
              <p class="formats" data-testid="formats">Reads ${FORMATS}. You can also drop files here.</p>`
          : html`<div class="ways">${files} ${folder} ${sample} <span class="status">or drop files here</span></div>`}
        <p class="status" role="status" aria-live="polite">${status}</p>
        ${problem && app ? renderProblem(problem, app) : null}
      </section>
    `;
  }
}

customElements.define('kiln-open', KilnOpen);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-open': KilnOpen;
  }
}
