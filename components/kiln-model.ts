import { LitElement, css, html, svg } from 'lit';
import { formatBytes, formatCount } from '../src/app/format';
import { formatParams } from '../src/app/model-facts';
import { KilnWatch } from './kiln-context';
import { card, controls } from './kiln-styles';

/** Colours of the type-mix bar, in order of bytes. */
const MIX = ['#b5541c', '#3f7cac', '#6a994e', '#8e5ea2', '#d4a017', '#c44536', '#4d908e', '#9c6644'];

/**
 * The open model at a glance, the same for every format: architecture, parameters, size, bits per
 * weight, quantization, the type mix, layers, context, vocabulary; format internals in "details".
 */
export class KilnModel extends LitElement {
  static override styles = [
    card,
    controls,
    css`
      h2 {
        overflow-wrap: anywhere;
      }
      dl.facts {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
        gap: 0.6rem 1rem;
        margin: 0.4rem 0 0.8rem;
      }
      dl.facts div {
        min-width: 0;
      }
      dt {
        color: var(--kiln-muted);
        font-size: 0.8rem;
      }
      dd {
        margin: 0;
        font-size: 1.1rem;
        font-weight: 600;
        font-variant-numeric: tabular-nums;
        overflow-wrap: anywhere;
      }
      .unknown {
        color: var(--kiln-muted);
        font-weight: 400;
      }
      .bar {
        display: block;
        width: 100%;
        height: 12px;
        border-radius: 6px;
        overflow: hidden;
        border: 1px solid var(--kiln-border);
        box-sizing: border-box;
      }
      ul.legend {
        list-style: none;
        display: flex;
        flex-wrap: wrap;
        gap: 0.2rem 0.9rem;
        padding: 0;
        margin: 0.35rem 0 0;
        font-size: 0.85rem;
      }
      .swatch {
        display: inline-block;
        width: 0.7rem;
        height: 0.7rem;
        margin-right: 0.3rem;
        vertical-align: -0.05rem;
      }
      details {
        margin-top: 0.8rem;
      }
      summary {
        cursor: pointer;
      }
      table {
        border-collapse: collapse;
        font-size: 0.85rem;
        margin-top: 0.3rem;
      }
      th {
        text-align: left;
        font-weight: 400;
        color: var(--kiln-muted);
        padding: 0.1rem 1rem 0.1rem 0;
      }
      td {
        font-family: var(--kiln-mono);
        overflow-wrap: anywhere;
      }
    `,
  ];

  private readonly kiln = new KilnWatch(this);

  override render() {
    const s = this.kiln.app?.state;
    const m = s?.model;
    const f = s?.facts;
    if (!m || !f) return null;
    const unknown = (v: string | number | null, show: (x: never) => string = String as never) =>
      v === null ? html`<span class="unknown">unknown</span>` : show(v as never);
    return html`
      <section aria-labelledby="model-title" data-testid="summary">
        <h2 id="model-title">${f.name ?? m.files.join(', ')}</h2>
        <dl class="facts" data-testid="model-facts">
          <div><dt>Architecture</dt><dd data-testid="fact-architecture">${unknown(f.architecture)}</dd></div>
          <div><dt>Parameters</dt><dd data-testid="fact-parameters" title=${formatCount(f.parameters)}>${formatParams(f.parameters)}</dd></div>
          <div><dt>File size</dt><dd data-testid="fact-size">${formatBytes(f.fileBytes)}</dd></div>
          <div><dt>Bits per weight</dt><dd data-testid="fact-bpw">${f.bitsPerWeight === null ? unknown(null) : f.bitsPerWeight.toFixed(2)}</dd></div>
          <div><dt>Quantization</dt><dd data-testid="fact-quant">${unknown(f.quantName)}</dd></div>
          <div><dt>Layers</dt><dd data-testid="fact-layers">${unknown(f.layers)}</dd></div>
          <div><dt>Context length</dt><dd data-testid="fact-context">${f.contextLength === null ? unknown(null) : formatCount(f.contextLength)}</dd></div>
          <div><dt>Vocabulary</dt><dd data-testid="fact-vocab">${f.vocabSize === null ? unknown(null) : formatCount(f.vocabSize)}${f.tokenizer ? html` <span class="unknown">(${f.tokenizer})</span>` : null}</dd></div>
          <div><dt>Format</dt><dd>${m.format}</dd></div>
        </dl>
        <div class="muted" id="mix-label">Tensor types by size</div>
        <svg class="bar" viewBox="0 0 1000 12" preserveAspectRatio="none" role="img" aria-labelledby="mix-label" aria-describedby="mix-legend" data-testid="type-mix">
          ${(() => {
            let x = 0;
            return f.typeMix.map((t, i) => {
              const w = Math.max(t.share * 1000, 2);
              const r = svg`<rect x=${x} y="0" width=${w} height="12" fill=${MIX[i % MIX.length]!}><title>${t.type}: ${(t.share * 100).toFixed(1)} %</title></rect>`;
              x += t.share * 1000;
              return r;
            });
          })()}
        </svg>
        <ul class="legend" id="mix-legend">
          ${f.typeMix.slice(0, 8).map((t, i) => html`<li><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" rx="2" fill=${MIX[i % MIX.length]!}></rect></svg>${t.type} ${(t.share * 100).toFixed(t.share < 0.1 ? 1 : 0)} % <span class="muted">(${formatCount(t.count)})</span></li>`)}
          ${f.typeMix.length > 8 ? html`<li class="muted">and ${f.typeMix.length - 8} more</li>` : null}
        </ul>
        <details data-testid="format-details">
          <summary>Details: files and ${m.format} internals</summary>
          <table>
            <tr><th scope="row">Files</th><td>${m.files.join(', ')}</td></tr>
            <tr><th scope="row">Tensors</th><td>${formatCount(m.tensors.length)}</td></tr>
            <tr><th scope="row">Tensor data</th><td>${formatBytes(m.totalBytes)}</td></tr>
            ${m.details.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}
          </table>
        </details>
      </section>
    `;
  }
}

customElements.define('kiln-model', KilnModel);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-model': KilnModel;
  }
}
