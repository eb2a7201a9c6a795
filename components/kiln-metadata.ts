import { LitElement, css, html, nothing } from 'lit';
import '@lit-labs/virtualizer';
import { flow } from '@lit-labs/virtualizer/layouts/flow.js';
import type { MetaArray, MetaValue } from '../src/formats/model';
import { formatCount, formatMeta, metaTypeLabel } from '../src/app/format';
import { renderChatTemplate, SAMPLE_CONVERSATION } from '../src/app/chat-template';
import { KilnWatch } from './kiln-context';
import { card, controls } from './kiln-styles';
import './kiln-meta-editor';

const ARRAY_INLINE = 8;

function itemText(x: MetaArray['value'][number]): string {
  return typeof x === 'object' ? `[${formatCount(x.value.length)} items]` : typeof x === 'string' ? JSON.stringify(x) : String(x);
}

/** A key with break opportunities after its dots only: keys never wrap inside a word. */
function keyParts(k: string) {
  const parts = k.split('.');
  return parts.map((p, i) => (i < parts.length - 1 ? html`${p}.<wbr />` : p));
}

/**
 * The model's metadata: searchable by key and value (array items too), long arrays collapsed with
 * their counts and expandable into a virtualized list, and the chat template shown as text and
 * rendered for a sample conversation.
 */
export class KilnMetadata extends LitElement {
  static override styles = [
    card,
    controls,
    css`
      .tools {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: end;
        margin-bottom: 0.5rem;
      }
      .tools label {
        display: flex;
        flex-direction: column;
        font-size: 0.85rem;
        gap: 0.15rem;
      }
      input[type='search'] {
        width: 18rem;
      }
      table {
        border-collapse: collapse;
        width: 100%;
      }
      th,
      td {
        text-align: left;
        padding: 0.25rem 0.5rem;
        border-bottom: 1px solid var(--kiln-border);
        vertical-align: top;
      }
      th {
        font-size: 0.85rem;
        background: var(--kiln-surface-2);
      }
      td.key {
        font-family: var(--kiln-mono);
        font-size: 0.85rem;
        word-break: keep-all;
        overflow-wrap: normal;
        hyphens: none;
        min-width: 12rem;
        width: 30%;
      }
      td.type {
        white-space: nowrap;
        font-size: 0.8rem;
        color: var(--kiln-muted);
      }
      td.value {
        font-family: var(--kiln-mono);
        font-size: 0.8rem;
        overflow-wrap: anywhere;
      }
      .items {
        display: block;
        height: 14rem;
        border: 1px solid var(--kiln-border);
        border-radius: 6px;
        margin-top: 0.3rem;
      }
      .item {
        display: flex;
        gap: 0.8rem;
        width: 100%;
        padding: 0 0.4rem;
        box-sizing: border-box;
        height: 22px;
        align-items: center;
        white-space: nowrap;
      }
      .item .i {
        color: var(--kiln-muted);
        min-width: 4rem;
        text-align: right;
      }
      .chat {
        display: grid;
        grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
        gap: 1rem;
      }
      @media (max-width: 900px) {
        .chat {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      pre {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        font-family: var(--kiln-mono);
        font-size: 0.8rem;
        background: var(--kiln-surface-2);
        border-radius: 6px;
        padding: 0.6rem;
        max-height: 22rem;
        overflow: auto;
        margin: 0.3rem 0 0;
      }
      h3 {
        font-size: 0.95rem;
        margin: 1rem 0 0.3rem;
      }
    `,
  ];

  private readonly kiln = new KilnWatch(this);
  private query = '';
  private expanded = new Set<string>();
  private shownFor: unknown = null;
  private chatCache: { source: string; out: ReturnType<typeof renderChatTemplate> } | null = null;

  private chat(source: string, meta: ReadonlyMap<string, MetaValue>) {
    if (this.chatCache?.source !== source) this.chatCache = { source, out: renderChatTemplate(source, meta) };
    return this.chatCache;
  }

  private toggle(key: string): void {
    if (this.expanded.has(key)) this.expanded.delete(key);
    else this.expanded.add(key);
    this.requestUpdate();
  }

  private renderValue(key: string, v: MetaValue, q: string) {
    if (v.type !== 'array') return formatMeta(v);
    const n = v.value.length;
    const matching = q && !key.toLowerCase().includes(q) ? v.value.map((x, i) => [i, x] as const).filter(([, x]) => itemText(x).toLowerCase().includes(q)) : null;
    if (n <= ARRAY_INLINE && !matching) return formatMeta(v);
    const open = this.expanded.has(key);
    const shown = matching ?? v.value.map((x, i) => [i, x] as const);
    const id = `items-${key.replace(/[^\w-]/g, '_')}`;
    return html`<div>
      ${formatCount(n)} items${matching ? html`, <b>${formatCount(matching.length)} matching</b>` : nothing}: ${v.value.slice(0, 4).map(itemText).join(', ')}, …
      <button class="link" data-testid="meta-expand" aria-expanded=${open ? 'true' : 'false'} aria-controls=${id} @click=${() => this.toggle(key)}>
        ${open ? 'Hide items' : matching ? `Show ${formatCount(matching.length)} matching` : `Show all ${formatCount(n)}`}
      </button>
      ${open
        ? html`<lit-virtualizer id=${id} class="items" scroller .layout=${flow()} tabindex="0" role="list" aria-label="${key}: ${formatCount(shown.length)} items" data-testid="meta-items" .items=${shown} .renderItem=${([i, x]: readonly [number, MetaArray['value'][number]]) => html`<div class="item" role="listitem"><span class="i">${i}</span><span>${itemText(x)}</span></div>`}></lit-virtualizer>`
        : nothing}
    </div>`;
  }

  override render() {
    const m = this.kiln.app?.state.model;
    if (!m) return null;
    if (this.shownFor !== m) {
      // another model: its keys differ, so the search and the expanded arrays start afresh
      if (this.shownFor !== null) {
        this.query = '';
        this.expanded.clear();
      }
      this.shownFor = m;
    }
    const q = this.query.trim().toLowerCase();
    const meta = new Map(m.metadata);
    const rows = m.metadata.filter(([k, v]) => {
      if (!q || k.toLowerCase().includes(q)) return true;
      if (v.type === 'array') return v.value.some((x) => itemText(x).toLowerCase().includes(q));
      return formatMeta(v).toLowerCase().includes(q);
    });
    const template = meta.get('tokenizer.chat_template');
    const chat = template?.type === 'string' ? this.chat(template.value, meta) : null;
    return html`
      <section aria-labelledby="meta-title" data-testid="metadata-section">
        <h2 id="meta-title">Metadata <span class="muted">(${rows.length === m.metadata.length ? formatCount(rows.length) : `${formatCount(rows.length)} of ${formatCount(m.metadata.length)}`})</span></h2>
        <kiln-meta-editor></kiln-meta-editor>
        ${m.metadata.length === 0
          ? html`<p class="muted">This file carries no metadata.</p>`
          : html`<div class="tools">
                <label>
                  Search keys and values
                  <input type="search" data-testid="meta-search" .value=${this.query} @input=${(e: Event) => ((this.query = (e.target as HTMLInputElement).value), this.requestUpdate())} />
                </label>
              </div>
              <table data-testid="metadata">
                <thead>
                  <tr><th scope="col">Key</th><th scope="col">Type</th><th scope="col">Value</th></tr>
                </thead>
                <tbody>
                  ${rows.map(([k, v]) => html`<tr data-testid="meta-row"><td class="key">${keyParts(k)}</td><td class="type">${metaTypeLabel(v)}</td><td class="value">${this.renderValue(k, v, q)}</td></tr>`)}
                </tbody>
              </table>`}
        ${chat
          ? html`<h3>Chat template</h3>
              <div class="chat" data-testid="chat-template">
                <div>
                  <div class="muted">Template (Jinja)</div>
                  <pre tabindex="0" aria-label="Chat template source">${chat.source}</pre>
                </div>
                <div>
                  <div class="muted">Rendered for a ${SAMPLE_CONVERSATION.length}-message sample conversation</div>
                  ${'text' in chat.out
                    ? html`<pre tabindex="0" data-testid="chat-rendered" aria-label="Rendered sample conversation">${chat.out.text}</pre>`
                    : html`<div class="problem" data-testid="chat-error"><p><strong>This template could not be rendered by Kiln’s Jinja interpreter.</strong></p><details><summary>Technical details</summary><pre>${chat.out.error}</pre></details></div>`}
                </div>
              </div>`
          : nothing}
      </section>
    `;
  }
}

customElements.define('kiln-metadata', KilnMetadata);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-metadata': KilnMetadata;
  }
}
