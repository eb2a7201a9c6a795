import { LitElement, css, html, svg, nothing } from 'lit';
import { binCountFor, niceTicks, rebin, tickLabel } from '../src/app/histogram';
import { formatCount, formatNumber } from '../src/app/format';

const W = 520;
const H = 170;
const PAD = { l: 46, r: 10, t: 8, b: 26 };

/**
 * A histogram of a tensor's values as SVG: bins merged to suit the element count, value-axis ticks
 * at round numbers, a zero mark, count axis linear or logarithmic, and the hovered bin's range and
 * count beside the plot.
 * @csspart plot - the svg
 */
export class KilnHistogram extends LitElement {
  static override properties = {
    bins: { attribute: false },
    lo: { type: Number },
    hi: { type: Number },
    log: { type: Boolean },
    count: { type: Number },
    hover: { state: true },
  };
  declare bins: Uint32Array | readonly number[];
  declare lo: number;
  declare hi: number;
  declare log: boolean;
  /** Elements binned (decides the bin count). */
  declare count: number;
  declare hover: number | null;

  static override styles = css`
    :host {
      display: block;
    }
    svg {
      width: 100%;
      height: auto;
      display: block;
    }
    .bg {
      fill: var(--kiln-surface-2);
    }
    rect.bar {
      fill: var(--kiln-bar);
    }
    rect.bar.on {
      fill: var(--kiln-focus);
    }
    rect.hit {
      fill: transparent;
    }
    line.axis,
    line.tick {
      stroke: var(--kiln-muted);
      stroke-width: 1;
    }
    line.zero {
      stroke: var(--kiln-text);
      stroke-width: 1.5;
      stroke-dasharray: 4 3;
    }
    text {
      fill: var(--kiln-muted);
      font-size: 11px;
      font-variant-numeric: tabular-nums;
    }
    .muted {
      color: var(--kiln-muted);
    }
    .readout {
      min-height: 1.4em;
      font-size: 0.85rem;
      font-variant-numeric: tabular-nums;
    }
  `;

  constructor() {
    super();
    this.bins = [];
    this.lo = 0;
    this.hi = 0;
    this.log = false;
    this.count = 0;
    this.hover = null;
  }

  override render() {
    if (this.bins.length === 0 || !Number.isFinite(this.lo) || !Number.isFinite(this.hi)) return html`<p class="readout">No finite values to plot.</p>`;
    const k = binCountFor(this.count || this.bins.length * 16, this.bins.length);
    const counts = rebin(this.bins, k);
    const n = counts.length;
    const tr = (c: number) => (this.log ? Math.log10(1 + c) : c);
    const maxCount = Math.max(1, ...counts);
    const top = tr(maxCount);
    const pw = W - PAD.l - PAD.r;
    const ph = H - PAD.t - PAD.b;
    const span = this.hi - this.lo || 1;
    const xOf = (v: number) => PAD.l + ((v - this.lo) / span) * pw;
    const yOf = (c: number) => PAD.t + ph - (tr(c) / top) * ph;
    const bw = pw / n;
    const xt = niceTicks(this.lo, this.hi, 5);
    const yt = this.log ? [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8].filter((c) => c <= maxCount) : niceTicks(0, maxCount, 3).filter((c) => Number.isInteger(c));
    const binW = span / n;
    const h = this.hover;
    return html`
      <svg part="plot" viewBox="0 0 ${W} ${H}" data-testid="histogram" role="img" aria-label="Histogram of ${formatCount(this.count)} values from ${formatNumber(this.lo)} to ${formatNumber(this.hi)}, ${n} bins, ${this.log ? 'logarithmic' : 'linear'} counts" @mouseleave=${() => (this.hover = null)}>
        <rect class="bg" x=${PAD.l} y=${PAD.t} width=${pw} height=${ph}></rect>
        ${counts.map((c, i) => {
          const y = yOf(c);
          return svg`<rect class="bar ${h === i ? 'on' : ''}" x=${PAD.l + i * bw} y=${y} width=${Math.max(bw - (n > 64 ? 0 : 1), 0.5)} height=${PAD.t + ph - y}></rect>`;
        })}
        ${this.lo < 0 && this.hi > 0 ? svg`<line class="zero" data-testid="zero-mark" x1=${xOf(0)} x2=${xOf(0)} y1=${PAD.t} y2=${PAD.t + ph}></line>` : nothing}
        <line class="axis" x1=${PAD.l} x2=${PAD.l + pw} y1=${PAD.t + ph} y2=${PAD.t + ph}></line>
        <line class="axis" x1=${PAD.l} x2=${PAD.l} y1=${PAD.t} y2=${PAD.t + ph}></line>
        ${xt.map((v) => svg`<line class="tick" x1=${xOf(v)} x2=${xOf(v)} y1=${PAD.t + ph} y2=${PAD.t + ph + 4}></line><text data-testid="x-tick" x=${xOf(v)} y=${H - 8} text-anchor="middle">${tickLabel(v)}</text>`)}
        ${yt.map((c) => svg`<line class="tick" x1=${PAD.l - 4} x2=${PAD.l} y1=${yOf(c)} y2=${yOf(c)}></line><text data-testid="y-tick" x=${PAD.l - 6} y=${yOf(c) + 4} text-anchor="end">${c >= 1e4 ? c.toExponential(0) : c}</text>`)}
        ${counts.map((_, i) => svg`<rect class="hit" data-testid="bin" x=${PAD.l + i * bw} y=${PAD.t} width=${bw} height=${ph} @mouseenter=${() => (this.hover = i)}></rect>`)}
      </svg>
      <div class="readout" data-testid="bin-readout" aria-live="polite">
        ${h === null
          ? html`<span class="muted">${n} bins of ${formatNumber(binW)}; point at a bar for its range and count.</span>`
          : html`[${formatNumber(this.lo + h * binW)}, ${formatNumber(this.lo + (h + 1) * binW)}${h === n - 1 ? ']' : ')'}: ${formatCount(counts[h]!)} values`}
      </div>
    `;
  }
}

customElements.define('kiln-histogram', KilnHistogram);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-histogram': KilnHistogram;
  }
}
