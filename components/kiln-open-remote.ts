import { LitElement, css, html } from 'lit';
import { KilnWatch } from './kiln-context';
import { controls } from './kiln-styles';

/**
 * Opening a model from the Hugging Face Hub (owner/repo, optionally @revision and :file or :QUANT)
 * or a Hub file URL. Only the headers are read to show the model; a conversion then streams the
 * tensors by HTTP ranges, never storing the input whole. The token, for gated or private repos,
 * goes to the worker's memory for this model only and is sent to the Hub only. Problems appear
 * where every opening problem does (kiln-open).
 */
export class KilnOpenRemote extends LitElement {
  static override styles = [
    controls,
    css`
      :host {
        display: block;
        margin-top: 0.6rem;
      }
      form {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: end;
      }
      label {
        display: flex;
        flex-direction: column;
        gap: 0.2rem;
        font-weight: 600;
      }
      input {
        font: inherit;
        padding: 0.4rem 0.5rem;
        border: 1px solid var(--kiln-border-strong);
        border-radius: 6px;
        background: var(--kiln-surface);
        color: var(--kiln-text);
      }
      input.source {
        min-width: min(28rem, 80vw);
      }
      button {
        font: inherit;
        font-weight: 600;
        padding: 0.45rem 0.9rem;
        border: 1px solid var(--kiln-border-strong);
        border-radius: 6px;
        background: var(--kiln-surface-2);
        color: var(--kiln-text);
        cursor: pointer;
      }
      button:disabled {
        opacity: 0.45;
        cursor: not-allowed;
      }
      small {
        color: var(--kiln-muted);
        display: block;
        margin-top: 0.3rem;
      }
    `,
  ];

  private readonly kiln = new KilnWatch(this);

  private _onSubmit(e: SubmitEvent): void {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const source = (form.elements.namedItem('source') as HTMLInputElement).value;
    const token = (form.elements.namedItem('token') as HTMLInputElement).value;
    void this.kiln.app?.openRemote(source, token);
  }

  override render() {
    const s = this.kiln.app?.state;
    const busy = (s?.opening ?? false) || (s?.converting ?? false);
    return html`
      <form @submit=${this._onSubmit} aria-label="Open from the Hugging Face Hub or a URL">
        <label
          >Hugging Face repo or URL
          <input class="source" name="source" data-testid="open-remote-source" placeholder="owner/repo, owner/repo:Q4_K_M, https://huggingface.co/…/resolve/…" autocomplete="off" spellcheck="false" required ?disabled=${busy} />
        </label>
        <label
          >Access token <span>(gated or private repos)</span>
          <input name="token" type="password" data-testid="open-remote-token" placeholder="hf_…" autocomplete="off" ?disabled=${busy} />
        </label>
        <button type="submit" data-testid="open-remote" ?disabled=${busy}>Open from the Hub</button>
      </form>
      <small>Reads only the headers, then streams tensors by ranges while converting. Talks to huggingface.co and its file servers only; the token is kept in memory, never stored.</small>
    `;
  }
}

customElements.define('kiln-open-remote', KilnOpenRemote);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-open-remote': KilnOpenRemote;
  }
}
