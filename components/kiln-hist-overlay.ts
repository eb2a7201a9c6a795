import { LitElement, css, html, svg, nothing } from 'lit';
import { niceTicks, tickLabel } from '../src/app/histogram';
import { formatCount, formatNumber } from '../src/app/format';
import type { CompareHistograms } from '../src/pipeline/protocol';

const W = 560;
const H = 190;
const PAD = { l: 50, r: 10, t: 8, b: 26 };

/**
 * One tensor's values before (filled bars) and after (a step line) a conversion, binned alike, so
 * a quantizer's levels show against the input's distribution. Counts linear or logarithmic.
 */
export class KilnHistOverlay extends LitElement {
  static override properties = {
    data: { attribute: false },
    log: { state: true },
    hover: { state: true },
  };
  declare data: CompareHistograms | null;
  declare log: boolean;
  declare hover: number | null;

  static override styles = css`
    :host {
      display: block;
      margin-top: 0.6rem;
    }
    svg {
      width: 100%;
      height: auto;
      display: block;
    }
    .bg {
      fill: var(--kiln-surface-2);
    }
    rect.before {
      fill: var(--kiln-bar-2);
      opacity: 0.75;
    }
    path.after {
      fill: none;
      stroke: var(--kiln-bar);
      stroke-width: 1.5;
    }
    rect.hit {
      fill: transparent;
    }
    rect.hit.on {
      fill: var(--kiln-focus);
      opacity: 0.15;
    }
    line.axis,
    line.tick {
      stroke: var(--kiln-muted);
    }
    line.zero {
      stroke: var(--kiln-text);
      stroke-dasharray: 4 3;
    }
    text {
      fill: var(--kiln-muted);
      font-size: 11px;
    }
    .legend {
      display: flex;
      gap: 1rem;
      align-items: center;
      flex-wrap: wrap;
      font-size: 0.85rem;
    }
    .swatch {
      display: inline-block;
      width: 0.9rem;
      height: 0.6rem;
      margin-right: 0.3rem;
      vertical-align: middle;
    }
    .sw-before {
      background: var(--kiln-bar-2);
    }
    .sw-after {
      border-top: 2px solid var(--kiln-bar);
      height: 0;
    }
    .readout {
      min-height: 1.4em;
      font-size: 0.85rem;
      font-variant-numeric: tabular-nums;
    }
    .muted {
      color: var(--kiln-muted);
    }
    code {
      font-family: var(--kiln-mono);
      overflow-wrap: anywhere;
    }
  `;

  constructor() {
    super();
    this.data = null;
    this.log = true;
    this.hover = null;
  }

  override render() {
    const d = this.data;
    if (!d) return nothing;
    const n = d.before.length;
    const tr = (c: number) => (this.log ? Math.log10(1 + c) : c);
    const maxCount = Math.max(1, ...d.before, ...d.after);
    const top = tr(maxCount);
    const pw = W - PAD.l - PAD.r;
    const ph = H - PAD.t - PAD.b;
    const span = d.hi - d.lo || 1;
    const xOf = (v: number) => PAD.l + ((v - d.lo) / span) * pw;
    const yOf = (c: number) => PAD.t + ph - (tr(c) / top) * ph;
    const bw = pw / n;
    let path = `M ${PAD.l} ${PAD.t + ph}`;
    d.after.forEach((c, i) => (path += ` V ${yOf(c)} H ${PAD.l + (i + 1) * bw}`));
    path += ` V ${PAD.t + ph}`;
    const xt = niceTicks(d.lo, d.hi, 5);
    const yt = this.log ? [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8].filter((c) => c <= maxCount) : niceTicks(0, maxCount, 3).filter((c) => Number.isInteger(c));
    const binW = span / n;
    const h = this.hover;
    return html`
      <div class="legend">
        <strong><code>${d.name}</code></strong>
        <span><span class="swatch sw-before"></span>before</span>
        <span><span class="swatch sw-after"></span>after</span>
        <label><input type="checkbox" data-testid="overlay-log" .checked=${this.log} @change=${(e: Event) => (this.log = (e.target as HTMLInputElement).checked)} /> log counts</label>
      </div>
      <svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Histograms of ${d.name} before and after, ${n} bins from ${formatNumber(d.lo)} to ${formatNumber(d.hi)}" @mouseleave=${() => (this.hover = null)}>
        <rect class="bg" x=${PAD.l} y=${PAD.t} width=${pw} height=${ph}></rect>
        ${d.before.map((c, i) => (c > 0 ? svg`<rect class="before" x=${PAD.l + i * bw} y=${yOf(c)} width=${Math.max(bw, 0.5)} height=${PAD.t + ph - yOf(c)}></rect>` : nothing))}
        <path class="after" data-testid="overlay-after" d=${path}></path>
        ${d.lo < 0 && d.hi > 0 ? svg`<line class="zero" x1=${xOf(0)} x2=${xOf(0)} y1=${PAD.t} y2=${PAD.t + ph}></line>` : nothing}
        <line class="axis" x1=${PAD.l} x2=${PAD.l + pw} y1=${PAD.t + ph} y2=${PAD.t + ph}></line>
        <line class="axis" x1=${PAD.l} x2=${PAD.l} y1=${PAD.t} y2=${PAD.t + ph}></line>
        ${xt.map((v) => svg`<line class="tick" x1=${xOf(v)} x2=${xOf(v)} y1=${PAD.t + ph} y2=${PAD.t + ph + 4}></line><text x=${xOf(v)} y=${H - 8} text-anchor="middle">${tickLabel(v)}</text>`)}
        ${yt.map((c) => svg`<line class="tick" x1=${PAD.l - 4} x2=${PAD.l} y1=${yOf(c)} y2=${yOf(c)}></line><text x=${PAD.l - 6} y=${yOf(c) + 4} text-anchor="end">${c >= 1e4 ? c.toExponential(0) : c}</text>`)}
        ${d.before.map((_, i) => svg`<rect class="hit ${h === i ? 'on' : ''}" x=${PAD.l + i * bw} y=${PAD.t} width=${bw} height=${ph} @mouseenter=${() => (this.hover = i)}></rect>`)}
      </svg>
      <div class="readout" aria-live="polite" data-testid="overlay-readout">
        ${h === null
          ? html`<span class="muted">${n} bins of ${formatNumber(binW)}; point at the plot for a bin's counts.</span>`
          : html`[${formatNumber(d.lo + h * binW)}, ${formatNumber(d.lo + (h + 1) * binW)}${h === n - 1 ? ']' : ')'}: ${formatCount(d.before[h]!)} before, ${formatCount(d.after[h]!)} after`}
      </div>
    `;
  }
}

customElements.define('kiln-hist-overlay', KilnHistOverlay);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-hist-overlay': KilnHistOverlay;
  }
}
