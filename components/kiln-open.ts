import { LitElement, css, html } from 'lit';
import { KilnWatch } from './kiln-context';

/**
 * Opening models: a file picker (several files: shards, split parts, TF bundles, ONNX + data),
 * a folder picker where the browser has one, drag and drop, and the built-in sample.
 */
export class KilnOpen extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    .drop {
      border: 2px dashed #b9a999;
      border-radius: 10px;
      padding: 1.2rem;
      display: flex;
      flex-wrap: wrap;
      gap: 0.8rem;
      align-items: center;
      background: #fff;
    }
    .drop.over {
      border-color: #b5541c;
      background: #fff4ec;
    }
    label.button,
    button {
      font: inherit;
      border: 1px solid #8c7b6b;
      border-radius: 6px;
      padding: 0.35rem 0.8rem;
      background: #f3ebe3;
      cursor: pointer;
    }
    input[type='file'] {
      position: absolute;
      width: 1px;
      height: 1px;
      opacity: 0;
    }
    .hint {
      color: #6b5d50;
    }
  `;

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
    const opening = this.kiln.app?.state.opening ?? false;
    // the running conversion reads the open model; another one opens once it ends or is cancelled
    const busy = this.kiln.app?.state.converting ?? false;
    const folders = 'webkitdirectory' in HTMLInputElement.prototype;
    return html`
      <div class="drop ${this.over ? 'over' : ''}" @drop=${this._onDrop} @dragover=${this._onDragOver} @dragleave=${this._onDragLeave}>
        <label class="button">
          Open files…
          <input type="file" multiple data-testid="open-files" ?disabled=${busy} @change=${this._onFiles} />
        </label>
        ${folders
          ? html`<label class="button">
              Open folder…
              <input type="file" webkitdirectory data-testid="open-folder" ?disabled=${busy} @change=${this._onFiles} />
            </label>`
          : null}
        <button data-testid="open-sample" ?disabled=${busy} @click=${() => void this.controller.openSample()}>Open the sample model</button>
        <span class="hint">${busy ? 'Converting… (cancel it to open another model)' : opening ? 'Reading…' : 'or drop GGUF, safetensors, PyTorch (.pth .pt .bin .ckpt), TensorFlow or ONNX files here'}</span>
      </div>
    `;
  }
}

customElements.define('kiln-open', KilnOpen);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-open': KilnOpen;
  }
}
