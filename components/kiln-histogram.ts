import { LitElement, css, html, svg } from 'lit';

/**
 * A 256-bin histogram as SVG bars, linear or logarithmic counts.
 * @csspart plot - the svg
 */
export class KilnHistogram extends LitElement {
  static override properties = {
    bins: { attribute: false },
    lo: { type: Number },
    hi: { type: Number },
    log: { type: Boolean },
  };
  declare bins: Uint32Array | readonly number[];
  declare lo: number;
  declare hi: number;
  declare log: boolean;

  static override styles = css`
    :host {
      display: block;
    }
    svg {
      width: 100%;
      height: 140px;
      background: #fcfaf7;
      border: 1px solid #eee4da;
    }
    rect {
      fill: #b5541c;
    }
    .axis {
      display: flex;
      justify-content: space-between;
      font-size: 0.8rem;
      color: #6b5d50;
      font-variant-numeric: tabular-nums;
    }
  `;

  constructor() {
    super();
    this.bins = [];
    this.lo = 0;
    this.hi = 0;
    this.log = false;
  }

  override render() {
    const n = this.bins.length;
    if (n === 0) return null;
    const vals = Array.from(this.bins, (c) => (this.log ? Math.log10(1 + c) : c));
    const max = Math.max(1e-9, ...vals);
    const w = 512;
    const h = 140;
    const bw = w / n;
    return html`
      <svg part="plot" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" data-testid="histogram" role="img" aria-label="histogram of values">
        ${vals.map((v, i) => {
          const bh = (v / max) * (h - 2);
          return svg`<rect x=${i * bw} y=${h - bh} width=${Math.max(bw - 0.2, 0.5)} height=${bh}><title>${String(this.bins[i])}</title></rect>`;
        })}
      </svg>
      <div class="axis"><span>${this.lo.toPrecision(4)}</span><span>${this.hi.toPrecision(4)}</span></div>
    `;
  }
}

customElements.define('kiln-histogram', KilnHistogram);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-histogram': KilnHistogram;
  }
}
