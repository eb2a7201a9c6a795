import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import '@lit-labs/virtualizer';
import { flow } from '@lit-labs/virtualizer/layouts/flow.js';
import { formatBytes, formatCount, formatShape } from '../src/app/format';
import { formatParams } from '../src/app/model-facts';
import { tableItems, typesIn, type SortKey, type TableItem, type TableQuery } from '../src/app/tensor-table';
import { KilnWatch } from './kiln-context';
import { card, controls } from './kiln-styles';

/** Above this many rows only the visible ones are in the DOM (@lit-labs/virtualizer). */
const VIRTUAL_FROM = 300;
const ROW_H = 30;

const COLUMNS: readonly (readonly [SortKey, string])[] = [
  ['name', 'Name'],
  ['type', 'Type'],
  ['shape', 'Shape'],
  ['params', 'Parameters'],
  ['size', 'Size'],
];

/**
 * Every tensor of the open model: sort by any column, filter by name (substring or glob) and type,
 * group by block. Rows are reachable by keyboard (arrow keys, Home/End; Enter opens the detail).
 * Large models render through @lit-labs/virtualizer, so 50k rows scroll like 50.
 */
export class KilnTensorTable extends LitElement {
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
      .tools label.check {
        flex-direction: row;
        align-items: center;
        gap: 0.35rem;
      }
      .tools input[type='search'] {
        width: 16rem;
      }
      .hint {
        font-size: 0.8rem;
        color: var(--kiln-muted);
      }
      .grid {
        border: 1px solid var(--kiln-border);
        border-radius: 8px;
        font-variant-numeric: tabular-nums;
      }
      .row {
        display: grid;
        grid-template-columns: minmax(10rem, 1fr) 6.5rem 9rem 6rem 6rem;
        align-items: center;
        height: ${ROW_H}px;
        box-sizing: border-box;
        border-bottom: 1px solid var(--kiln-border);
        width: 100%;
      }
      .row > * {
        padding: 0 0.5rem;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .head {
        background: var(--kiln-surface-2);
        font-size: 0.85rem;
        height: auto;
        min-height: ${ROW_H}px;
      }
      .head button {
        border: none;
        background: none;
        padding: 0.2rem 0;
        font-weight: 600;
        width: 100%;
        text-align: left;
      }
      .num {
        text-align: right;
      }
      .head .num button {
        text-align: right;
      }
      .body {
        max-height: min(60vh, 34rem);
        overflow: auto;
        display: block;
      }
      lit-virtualizer.body {
        height: min(60vh, 34rem);
      }
      .tensor {
        cursor: pointer;
        font-size: 0.88rem;
      }
      .tensor:hover {
        background: var(--kiln-hover);
      }
      .tensor[aria-selected='true'] {
        background: var(--kiln-accent-soft);
        box-shadow: inset 3px 0 0 var(--kiln-accent);
      }
      .tensor:focus-visible {
        outline-offset: -3px;
      }
      .name {
        font-family: var(--kiln-mono);
        font-size: 0.82rem;
      }
      .unknown {
        color: var(--kiln-danger);
      }
      .group {
        background: var(--kiln-surface-2);
        font-weight: 600;
        font-size: 0.85rem;
      }
      .group > * {
        grid-column: 1 / -1;
      }
      @media (max-width: 700px) {
        .row {
          grid-template-columns: minmax(8rem, 1fr) 5.5rem 0 5rem 5rem;
        }
        .shape {
          visibility: hidden;
        }
      }
    `,
  ];

  private readonly kiln = new KilnWatch(this);
  private query: TableQuery = { text: '', type: '', sort: 'index', descending: false, group: false };
  /** Position (in the shown list) of the row that holds the keyboard focus. */
  private active = 0;
  private cache: { tensors: unknown; query: TableQuery; items: TableItem[] } | null = null;
  private typeCache: { tensors: unknown; types: string[] } | null = null;

  private items(): TableItem[] {
    const m = this.kiln.app?.state.model;
    if (!m) return [];
    // another model: its names and types differ, so the name and type filters start empty
    if (this.cache && this.cache.tensors !== m.tensors) this.query = { ...this.query, text: '', type: '' };
    if (this.cache && this.cache.tensors === m.tensors && this.cache.query === this.query) return this.cache.items;
    const items = tableItems(m.tensors, this.query);
    this.cache = { tensors: m.tensors, query: this.query, items };
    return items;
  }

  private setQuery(patch: Partial<TableQuery>): void {
    this.query = { ...this.query, ...patch };
    this.active = 0;
    this.requestUpdate();
  }

  private _onSort(key: SortKey): void {
    if (this.query.sort === key) this.setQuery({ descending: !this.query.descending });
    else this.setQuery({ sort: key, descending: key === 'params' || key === 'size' });
  }

  private open(pos: number): void {
    const item = this.items()[pos];
    if (item?.kind === 'row') this.kiln.app?.select(item.index);
  }

  private _onKey(e: KeyboardEvent): void {
    const n = this.items().length;
    if (n === 0) return;
    const page = Math.max(1, Math.floor((this.body?.clientHeight ?? ROW_H * 10) / ROW_H) - 1);
    let next = this.active;
    switch (e.key) {
      case 'ArrowDown': next = Math.min(n - 1, this.active + 1); break;
      case 'ArrowUp': next = Math.max(0, this.active - 1); break;
      case 'PageDown': next = Math.min(n - 1, this.active + page); break;
      case 'PageUp': next = Math.max(0, this.active - page); break;
      case 'Home': next = 0; break;
      case 'End': next = n - 1; break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.open(this.active);
        return;
      default:
        return;
    }
    e.preventDefault();
    void this.focusRow(next);
  }

  private get body(): HTMLElement | null {
    return this.renderRoot.querySelector('.body');
  }

  /** Scrolls the row at `pos` into view (rendering it when virtualized) and focuses it. */
  private async focusRow(pos: number): Promise<void> {
    this.active = pos;
    const body = this.body;
    if (body) {
      const top = pos * ROW_H;
      if (top < body.scrollTop) body.scrollTop = top;
      else if (top + ROW_H > body.scrollTop + body.clientHeight) body.scrollTop = top + ROW_H - body.clientHeight;
    }
    this.requestUpdate();
    for (let i = 0; i < 6; i++) {
      await this.updateComplete;
      const el = this.renderRoot.querySelector<HTMLElement>(`[data-pos="${pos}"]`);
      if (el) {
        el.focus({ preventScroll: true });
        return;
      }
      await new Promise((r) => requestAnimationFrame(r));
    }
  }

  private renderItem(item: TableItem, pos: number, selected: number | null): TemplateResult {
    if (item.kind === 'group') {
      return html`<div class="row group" role="row" data-testid="tensor-group-row" data-pos=${pos} tabindex=${pos === this.active ? 0 : -1}>
        <div role="gridcell" aria-colspan="5">${item.block} · ${formatCount(item.count)} tensors · ${formatParams(item.params)} parameters · ${formatBytes(item.bytes)}</div>
      </div>`;
    }
    const t = item.t;
    return html`<div
      class="row tensor"
      role="row"
      data-testid="tensor-row"
      data-pos=${pos}
      tabindex=${pos === this.active ? 0 : -1}
      aria-selected=${selected === item.index ? 'true' : 'false'}
      @click=${() => {
        this.active = pos;
        this.kiln.app?.select(item.index);
      }}
    >
      <div role="gridcell" class="name" title=${t.name}>${t.name}</div>
      <div role="gridcell" class=${t.type === null ? 'unknown' : ''} title=${t.type === null ? `${t.typeLabel}: Kiln cannot decode this type` : t.typeLabel}>${t.typeLabel}</div>
      <div role="gridcell" class="shape">${formatShape(t.shape)}</div>
      <div role="gridcell" class="num" title=${formatCount(item.params)}>${formatParams(item.params)}</div>
      <div role="gridcell" class="num">${formatBytes(t.nbytes)}</div>
    </div>`;
  }

  override render() {
    const app = this.kiln.app;
    const m = app?.state.model;
    if (!app || !m) return null;
    const items = this.items();
    const rows = items.reduce((a, i) => a + (i.kind === 'row' ? 1 : 0), 0);
    const selected = app.state.selected;
    const q = this.query;
    if (this.active >= items.length) this.active = 0;
    if (this.typeCache?.tensors !== m.tensors) this.typeCache = { tensors: m.tensors, types: typesIn(m.tensors) };
    const types = this.typeCache.types;
    const head = html`<div class="row head" role="row">
      ${COLUMNS.map(
        ([key, label]) => html`<div role="columnheader" class=${key === 'params' || key === 'size' ? 'num' : key} aria-sort=${q.sort === key ? (q.descending ? 'descending' : 'ascending') : 'none'}>
          <button data-testid=${'sort-' + key} @click=${() => this._onSort(key)}>${label}${q.sort === key ? (q.descending ? ' ▼' : ' ▲') : ''}</button>
        </div>`,
      )}
    </div>`;
    const renderer = (item: TableItem, pos: number) => this.renderItem(item, pos, selected);
    return html`
      <section aria-labelledby="tensors-title">
        <h2 id="tensors-title">Tensors <span class="muted" data-testid="tensor-count">(${rows === m.tensors.length ? formatCount(rows) : `${formatCount(rows)} of ${formatCount(m.tensors.length)}`})</span></h2>
        <div class="tools">
          <label>
            Filter by name
            <input type="search" data-testid="tensor-filter" aria-describedby="filter-hint" .value=${q.text} @input=${(e: Event) => this.setQuery({ text: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            Type
            <select data-testid="tensor-type-filter" @change=${(e: Event) => this.setQuery({ type: (e.target as HTMLSelectElement).value })}>
              <option value="" ?selected=${q.type === ''}>All types</option>
              ${types.map((t) => html`<option value=${t} ?selected=${q.type === t}>${t}</option>`)}
            </select>
          </label>
          <label class="check"><input type="checkbox" data-testid="tensor-group" .checked=${q.group} @change=${(e: Event) => this.setQuery({ group: (e.target as HTMLInputElement).checked })} /> Group by block</label>
          ${q.sort !== 'index' ? html`<button data-testid="sort-reset" @click=${() => this.setQuery({ sort: 'index', descending: false })}>File order</button>` : nothing}
        </div>
        <div class="hint" id="filter-hint">A part of the name, or a pattern with * and ?, e.g. blk.*.attn_q*. Arrow keys move between rows; Enter shows a tensor’s values.</div>
        <div class="grid" role="grid" aria-labelledby="tensors-title" aria-rowcount=${items.length + 1} data-testid="tensor-table" @keydown=${this._onKey}>
          <div role="rowgroup">${head}</div>
          ${items.length === 0
            ? html`<div role="rowgroup"><div class="row" role="row"><div role="gridcell" aria-colspan="5" class="muted">No tensor matches the filter.</div></div></div>`
            : items.length < VIRTUAL_FROM
              ? html`<div class="body" role="rowgroup">${items.map(renderer)}</div>`
              : html`<lit-virtualizer class="body" role="rowgroup" scroller .layout=${flow()} .items=${items} .renderItem=${renderer}></lit-virtualizer>`}
        </div>
      </section>
    `;
  }
}

customElements.define('kiln-tensor-table', KilnTensorTable);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-tensor-table': KilnTensorTable;
  }
}
