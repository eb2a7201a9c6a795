import { LitElement, css, html } from 'lit';
import type { QuantizeOptionsText } from '../src/pipeline/quantize-options';
import { KilnWatch } from './kiln-context';

/**
 * llama-quantize's options (GGUF output) and the output split, each control named after the flag
 * it stands for. Lists (tensor types, KV overrides) take one entry per line.
 */
export class KilnQuantizeOptions extends LitElement {
  static override styles = css`
    :host {
      display: block;
      font-size: 0.9rem;
    }
    .grid {
      display: grid;
      grid-template-columns: auto 1fr;
      gap: 0.35rem 0.6rem;
      align-items: center;
      margin-top: 0.4rem;
    }
    code {
      font-size: 0.8rem;
      color: #6b5d50;
    }
    input[type='text'],
    textarea {
      font: inherit;
      font-family: ui-monospace, monospace;
      font-size: 0.8rem;
      width: 100%;
      box-sizing: border-box;
    }
    textarea {
      min-height: 2.6rem;
    }
  `;

  private readonly kiln = new KilnWatch(this);

  private set(patch: Partial<QuantizeOptionsText>): void {
    void this.kiln.app?.setOptions(patch);
  }

  private check(key: 'pure' | 'leaveOutputTensor' | 'allowRequantize' | 'keepSplit' | 'skipUnconvertible', flag: string, label: string) {
    const o = this.kiln.app!.state.options;
    return html`<label title=${flag}><input type="checkbox" data-testid=${'opt-' + flag.slice(2)} .checked=${o[key] === true} @change=${(e: Event) => this.set({ [key]: (e.target as HTMLInputElement).checked })} /> ${label}</label><code>${flag}</code>`;
  }

  private text(key: 'outputTensorType' | 'tokenEmbeddingType' | 'splitMaxSize', flag: string, label: string, placeholder: string) {
    const o = this.kiln.app!.state.options;
    return html`<label>${label} <code>${flag}</code></label
      ><input type="text" data-testid=${'opt-' + flag.slice(2)} placeholder=${placeholder} .value=${o[key] ?? ''} @change=${(e: Event) => this.set({ [key]: (e.target as HTMLInputElement).value })} />`;
  }

  private list(key: 'tensorTypes' | 'overrideKv', flag: string, label: string, placeholder: string) {
    const o = this.kiln.app!.state.options;
    return html`<label>${label} <code>${flag}</code></label
      ><textarea data-testid=${'opt-' + flag.slice(2)} placeholder=${placeholder} .value=${(o[key] ?? []).join('\n')} @change=${(e: Event) => this.set({ [key]: (e.target as HTMLTextAreaElement).value.split('\n') })}></textarea>`;
  }

  override render() {
    const app = this.kiln.app;
    if (!app) return null;
    const gguf = app.state.format === 'gguf';
    return html`
      <details>
        <summary>Options${gguf ? ' (llama-quantize)' : ''}</summary>
        <div class="grid">
          ${gguf
            ? html`${this.check('pure', '--pure', 'pure: one type for every quantized tensor')}
                ${this.check('leaveOutputTensor', '--leave-output-tensor', 'leave output.weight as it is')}
                ${this.check('allowRequantize', '--allow-requantize', 'allow requantizing quantized tensors')}
                ${this.text('outputTensorType', '--output-tensor-type', 'output.weight type', 'e.g. Q8_0')}
                ${this.text('tokenEmbeddingType', '--token-embedding-type', 'token_embd.weight type', 'e.g. Q8_0')}
                ${this.list('tensorTypes', '--tensor-type', 'tensor types', 'PATTERN=TYPE, one per line')}
                ${this.list('overrideKv', '--override-kv', 'metadata overrides', 'KEY=TYPE:VALUE, one per line')}
                ${this.check('keepSplit', '--keep-split', 'one output part per input part')}`
            : null}
          ${this.text('splitMaxSize', '--split-max-size', gguf ? 'split into parts of at most' : 'shard into files of at most', 'e.g. 2G, 500M')}
          ${this.check('skipUnconvertible', '--skip-unconvertible', 'leave out tensors that cannot be converted')}
        </div>
      </details>
    `;
  }
}

customElements.define('kiln-quantize-options', KilnQuantizeOptions);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-quantize-options': KilnQuantizeOptions;
  }
}
