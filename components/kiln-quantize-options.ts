import { LitElement, css, html, nothing } from 'lit';
import type { OptionKey } from '../src/app/app-controller';
import type { QuantizeOptionsText } from '../src/pipeline/quantize-options';
import { KilnWatch } from './kiln-context';
import { controls } from './kiln-styles';

/**
 * llama-quantize's options (GGUF output) and the output split, each control named after the flag
 * it stands for. Lists (tensor types, KV overrides) take one entry per line. A field that does not
 * parse is marked aria-invalid with the reason beside it. Opens by itself when a field is invalid
 * or an option is switched on.
 */
export class KilnQuantizeOptions extends LitElement {
  static override styles = [
    controls,
    css`
      :host {
        display: block;
        font-size: 0.9rem;
      }
      summary {
        cursor: pointer;
      }
      .grid {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        gap: 0.5rem;
        margin: 0.5rem 0;
      }
      .field {
        display: flex;
        flex-direction: column;
        gap: 0.15rem;
      }
      code {
        font-size: 0.8rem;
        color: var(--kiln-muted);
      }
      input[type='text'],
      textarea {
        font-family: var(--kiln-mono);
        font-size: 0.8rem;
        width: 100%;
        box-sizing: border-box;
      }
      textarea {
        min-height: 2.6rem;
      }
      .example {
        font-size: 0.8rem;
        color: var(--kiln-muted);
      }
    `,
  ];

  private readonly kiln = new KilnWatch(this);
  private opened = false;

  private set(patch: Partial<QuantizeOptionsText>): void {
    void this.kiln.app?.setOptions(patch);
  }

  private check(key: 'pure' | 'leaveOutputTensor' | 'allowRequantize' | 'keepSplit' | 'skipUnconvertible', flag: string, label: string) {
    const o = this.kiln.app!.state.options;
    return html`<label class="check" title=${flag}><input type="checkbox" data-testid=${'opt-' + flag.slice(2)} .checked=${o[key] === true} @change=${(e: Event) => this.set({ [key]: (e.target as HTMLInputElement).checked })} /> ${label} <code>${flag}</code></label>`;
  }

  private field(key: OptionKey, flag: string, label: string, example: string, control: (id: string, invalid: boolean, describedBy: string) => unknown) {
    const err = this.kiln.app!.state.optionErrors[key];
    const id = 'opt-' + flag.slice(2);
    return html`<div class="field">
      <label for=${id}>${label} <code>${flag}</code></label>
      ${control(id, err !== undefined, `${id}-example${err ? ` ${id}-error` : ''}`)}
      ${err ? html`<div class="field-error" id="${id}-error" data-testid="${id}-error">${err}</div>` : nothing}
      <div class="example" id="${id}-example">${example}</div>
    </div>`;
  }

  private text(key: 'outputTensorType' | 'tokenEmbeddingType' | 'splitMaxSize' | 'pruneLayers', flag: string, label: string, example: string) {
    const o = this.kiln.app!.state.options;
    return this.field(
      key,
      flag,
      label,
      example,
      (id, invalid, describedBy) =>
        html`<input type="text" id=${id} data-testid=${id} aria-invalid=${invalid ? 'true' : 'false'} aria-describedby=${describedBy} .value=${o[key] ?? ''} @change=${(e: Event) => this.set({ [key]: (e.target as HTMLInputElement).value })} />`,
    );
  }

  private list(key: 'tensorTypes' | 'overrideKv', flag: string, label: string, example: string) {
    const o = this.kiln.app!.state.options;
    return this.field(
      key,
      flag,
      label,
      example,
      (id, invalid, describedBy) =>
        html`<textarea id=${id} data-testid=${id} aria-invalid=${invalid ? 'true' : 'false'} aria-describedby=${describedBy} .value=${(o[key] ?? []).join('\n')} @change=${(e: Event) => this.set({ [key]: (e.target as HTMLTextAreaElement).value.split('\n') })}></textarea>`,
    );
  }

  override render() {
    const app = this.kiln.app;
    if (!app) return null;
    const gguf = app.state.format === 'gguf';
    const invalid = Object.keys(app.state.optionErrors).length > 0;
    const open = this.opened || invalid;
    return html`
      <details ?open=${open} @toggle=${(e: Event) => (this.opened = (e.target as HTMLDetailsElement).open)} data-testid="options">
        <summary>Options${gguf ? ' (llama-quantize)' : ''}${invalid ? html` <span class="field-error">— a field needs correcting</span>` : nothing}</summary>
        <div class="grid">
          ${gguf
            ? html`${this.check('pure', '--pure', 'pure: one type for every quantized tensor')}
                ${this.check('leaveOutputTensor', '--leave-output-tensor', 'leave output.weight as it is')}
                ${this.check('allowRequantize', '--allow-requantize', 'allow requantizing quantized tensors')}
                ${this.text('outputTensorType', '--output-tensor-type', 'output.weight type', 'A type name, e.g. Q8_0')}
                ${this.text('tokenEmbeddingType', '--token-embedding-type', 'token_embd.weight type', 'A type name, e.g. Q8_0')}
                ${this.list('tensorTypes', '--tensor-type', 'Tensor types', 'PATTERN=TYPE, one per line, e.g. attn_v=Q8_0')}
                ${this.list('overrideKv', '--override-kv', 'Metadata overrides', 'KEY=TYPE:VALUE, one per line, e.g. general.name=str:My model')}
                ${this.text('pruneLayers', '--prune-layers', 'Leave out blocks', 'Block numbers, e.g. 20,21; the others are renumbered')}
                ${this.check('keepSplit', '--keep-split', 'one output part per input part')}`
            : null}
          ${this.text('splitMaxSize', '--split-max-size', gguf ? 'Split into parts of at most' : 'Shard into files of at most', 'A size, e.g. 2G or 500M; empty for one file')}
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
