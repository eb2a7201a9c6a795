import { LitElement, css, html, nothing } from 'lit';
import type { MetaValue } from '../src/formats/model';
import type { KvUpdate } from '../src/pipeline/presets-plan';
import { METADATA_EDIT_TARGET } from '../src/pipeline/metadata-edit';
import { EDIT_TYPES, metaInputText, parseMetaInput, type EditType } from '../src/app/meta-edit';
import { formatBytes, formatMeta } from '../src/app/format';
import { KilnWatch } from './kiln-context';
import { controls } from './kiln-styles';

/**
 * GGUF metadata editing: set a key (new or existing) with its type, or remove one; the edits
 * collect in a list (each can be undone), then "Save edited copy" writes a new GGUF whose tensors
 * are copied unchanged (streamed, checksummed and verified like a conversion) and offers it for
 * download. The open file is never changed.
 */
export class KilnMetaEditor extends LitElement {
  static override properties = {
    key: { state: true },
    type: { state: true },
    value: { state: true },
    error: { state: true },
    edits: { state: true },
    name: { state: true },
  };
  declare key: string;
  declare type: EditType;
  declare value: string;
  declare error: string | null;
  declare edits: KvUpdate[];
  declare name: string;
  private readonly kiln = new KilnWatch(this);
  private shownFor: unknown = null;

  static override styles = [
    controls,
    css`
      :host {
        display: block;
        margin: 0.6rem 0;
      }
      .form {
        display: grid;
        grid-template-columns: minmax(12rem, 2fr) minmax(6rem, auto) minmax(10rem, 2fr);
        gap: 0.5rem;
        align-items: end;
      }
      @media (max-width: 700px) {
        .form {
          grid-template-columns: 1fr;
        }
      }
      label {
        display: flex;
        flex-direction: column;
        gap: 0.2rem;
        font-size: 0.9rem;
      }
      .row {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
        align-items: end;
        margin-top: 0.5rem;
      }
      .error {
        color: var(--kiln-danger);
        margin: 0.3rem 0;
      }
      ul.edits {
        margin: 0.5rem 0;
        padding-left: 1.2rem;
      }
      ul.edits li {
        margin: 0.15rem 0;
      }
      code {
        font-family: var(--kiln-mono);
        overflow-wrap: anywhere;
      }
      .muted {
        color: var(--kiln-muted);
      }
      li button {
        font-size: 0.8rem;
        padding: 0.05rem 0.4rem;
        margin-left: 0.4rem;
      }
    `,
  ];

  constructor() {
    super();
    this.key = '';
    this.type = 'string';
    this.value = '';
    this.error = null;
    this.edits = [];
    this.name = '';
  }

  /** The key's value as the edits so far leave it (undefined: absent). */
  private current(key: string): MetaValue | undefined {
    const m = this.kiln.app?.state.model;
    let v = m?.metadata.find(([k]) => k === key)?.[1];
    for (const e of this.edits) if (e.key === key) v = e.op === 'set' ? e.value : undefined;
    return v;
  }

  private onKey(key: string): void {
    this.key = key;
    this.error = null;
    const v = this.current(key.trim());
    const text = v ? metaInputText(v) : null;
    if (v && text !== null && (EDIT_TYPES as readonly string[]).includes(v.type)) {
      this.type = v.type as EditType;
      this.value = text;
    }
  }

  private push(e: KvUpdate): void {
    this.edits = [...this.edits.filter((x) => x.key !== e.key), e];
    this.error = null;
  }

  private setKey(): void {
    const key = this.key.trim();
    if (key === '') {
      this.error = 'Give the key a name, such as general.description.';
      return;
    }
    try {
      this.push({ op: 'set', key, value: parseMetaInput(this.type, this.value) });
    } catch (e) {
      this.error = `${key}: ${e instanceof Error ? e.message : String(e)}.`;
    }
  }

  private removeKey(): void {
    const key = this.key.trim();
    const m = this.kiln.app?.state.model;
    if (!m?.metadata.some(([k]) => k === key)) {
      // removing a key only this list added: drop that edit
      if (this.edits.some((e) => e.key === key)) this.edits = this.edits.filter((e) => e.key !== key);
      else this.error = `${key || 'That key'} is not in this file.`;
      return;
    }
    this.push({ op: 'remove', key });
  }

  private save(): void {
    const app = this.kiln.app;
    if (!app || this.edits.length === 0) return;
    const name = this.name.trim() || this.defaultName();
    void app.saveMetadataEdits(this.edits, name.endsWith('.gguf') ? name : `${name}.gguf`);
  }

  private defaultName(): string {
    const first = this.kiln.app?.state.model?.files[0] ?? 'model.gguf';
    return `${first.replace(/\.gguf$/i, '').replace(/-\d{5}-of-\d{5}$/, '')}-edited.gguf`;
  }

  override render() {
    const app = this.kiln.app;
    const s = app?.state;
    const m = s?.model;
    if (!s || !m || m.format !== 'gguf') return nothing;
    if (this.shownFor !== m) {
      if (this.shownFor !== null) {
        this.edits = [];
        this.key = this.value = '';
        this.error = null;
      }
      this.shownFor = m;
      this.name = this.defaultName();
    }
    const exists = this.current(this.key.trim()) !== undefined;
    const mine = s.result?.plan.target === METADATA_EDIT_TARGET && s.outcome === 'done';
    return html`
      <details data-testid="meta-edit">
        <summary>Edit metadata and save a copy</summary>
        <p class="muted">Set a key (new or existing) with its type, or remove one. The copy has the same tensors, byte for byte; this file is not changed.</p>
        <div class="form">
          <label
            >Key
            <input data-testid="meta-edit-key" list="meta-keys" autocomplete="off" .value=${this.key} @input=${(e: Event) => this.onKey((e.target as HTMLInputElement).value)} placeholder="general.description" />
          </label>
          <datalist id="meta-keys">${m.metadata.map(([k]) => html`<option value=${k}></option>`)}</datalist>
          <label
            >Type
            <select data-testid="meta-edit-type" @change=${(e: Event) => (this.type = (e.target as HTMLSelectElement).value as EditType)}>
              ${EDIT_TYPES.map((t) => html`<option value=${t} ?selected=${t === this.type}>${t}</option>`)}
            </select>
          </label>
          <label
            >Value
            <input data-testid="meta-edit-value" .value=${this.value} aria-invalid=${this.error ? 'true' : 'false'} aria-describedby="meta-edit-error" @input=${(e: Event) => ((this.value = (e.target as HTMLInputElement).value), (this.error = null))} @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && this.setKey()} />
          </label>
        </div>
        <div class="row">
          <button data-testid="meta-edit-set" @click=${() => this.setKey()}>${exists ? 'Change key' : 'Add key'}</button>
          <button data-testid="meta-edit-remove" ?disabled=${!exists} @click=${() => this.removeKey()}>Remove key</button>
        </div>
        <p class="error" id="meta-edit-error" data-testid="meta-edit-error" role="alert">${this.error ?? nothing}</p>
        ${this.edits.length > 0
          ? html`<ul class="edits" data-testid="meta-edit-list" aria-label="Edits to save">
              ${this.edits.map(
                (e) =>
                  html`<li data-testid="meta-edit-item">
                    ${e.op === 'set' ? html`${this.current(e.key) !== undefined && m.metadata.some(([k]) => k === e.key) ? 'change' : 'add'} <code>${e.key}</code> = ${e.value.type} ${formatMeta(e.value)}` : html`remove <code>${e.key}</code>`}
                    <button data-testid="meta-edit-undo" aria-label="Undo the edit of ${e.key}" @click=${() => (this.edits = this.edits.filter((x) => x !== e))}>Undo</button>
                  </li>`,
              )}
            </ul>`
          : nothing}
        <div class="row">
          <label
            >Save as
            <input data-testid="meta-edit-name" .value=${this.name} @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)} />
          </label>
          <button class="primary" data-testid="meta-edit-save" ?disabled=${this.edits.length === 0 || s.converting || s.opening} @click=${() => this.save()}>Save edited copy (${this.edits.length} edit${this.edits.length === 1 ? '' : 's'})</button>
        </div>
        ${mine && s.outputs.length > 0
          ? html`<p data-testid="meta-edit-done" role="status">Saved and verified: ${s.outputs.map((o) => html`<a href=${o.url} download=${o.name}>${o.name}</a> (${formatBytes(o.size)}) `)} — also under Convert.</p>`
          : nothing}
      </details>
    `;
  }
}

customElements.define('kiln-meta-editor', KilnMetaEditor);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-meta-editor': KilnMetaEditor;
  }
}
