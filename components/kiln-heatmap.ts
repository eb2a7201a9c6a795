import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import type { TensorHeatmap } from '../src/pipeline/heatmap-job';
import { formatCount, formatNumber } from '../src/app/format';

/** Colour stops from low to high magnitude (dark violet -> orange -> pale yellow), readable in both themes. */
const STOPS: readonly [number, number, number][] = [
  [20, 11, 52],
  [101, 21, 110],
  [188, 55, 84],
  [243, 120, 25],
  [252, 255, 164],
];

/** CSS pixels the map is drawn at, at most, in height. */
const DISPLAY_HEIGHT = 320;

function colour(t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i]!;
  const b = STOPS[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/**
 * A 2-D tensor's magnitude heat-map: one pixel per grid cell (mean |x| of its block of rows and
 * columns, colour ∝ √(mean / largest mean) so small structure stays visible), scaled up without
 * smoothing; pointing at it reads out the cell's rows, columns, mean and max |x|.
 */
export class KilnHeatmap extends LitElement {
  static override properties = {
    data: { attribute: false },
    hover: { state: true },
  };
  declare data: TensorHeatmap | null;
  declare hover: number | null;

  static override styles = css`
    :host {
      display: block;
      margin-top: 0.6rem;
    }
    canvas {
      display: block;
      max-width: 100%;
      height: auto;
      image-rendering: pixelated;
      border: 1px solid var(--kiln-border);
    }
    .legend {
      display: flex;
      gap: 0.5rem;
      align-items: center;
      font-size: 0.8rem;
      color: var(--kiln-muted);
      margin-top: 0.3rem;
      font-variant-numeric: tabular-nums;
    }
    .ramp {
      width: 8rem;
      height: 0.6rem;
      background: linear-gradient(to right, rgb(20, 11, 52), rgb(101, 21, 110), rgb(188, 55, 84), rgb(243, 120, 25), rgb(252, 255, 164));
    }
    .readout {
      min-height: 1.4em;
      font-size: 0.85rem;
      font-variant-numeric: tabular-nums;
    }
  `;

  constructor() {
    super();
    this.data = null;
    this.hover = null;
  }

  private edges(i: number, n: number, parts: number): [number, number] {
    return [Math.floor((i * n) / parts), Math.floor(((i + 1) * n) / parts)];
  }

  private onMove(e: MouseEvent): void {
    const d = this.data;
    const c = e.currentTarget as HTMLCanvasElement;
    if (!d) return;
    const r = c.getBoundingClientRect();
    const gx = Math.floor(((e.clientX - r.left) / r.width) * d.gridCols);
    const gy = Math.floor(((e.clientY - r.top) / r.height) * d.gridRows);
    this.hover = gx >= 0 && gy >= 0 && gx < d.gridCols && gy < d.gridRows ? gy * d.gridCols + gx : null;
  }

  protected override updated(changed: PropertyValues): void {
    if (!changed.has('data') || !this.data) return;
    const d = this.data;
    const canvas = this.renderRoot.querySelector('canvas');
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    // at most DISPLAY_HEIGHT tall, the grid's aspect kept (set through the CSSOM: the CSP refuses style attributes)
    canvas.style.width = `${Math.round((DISPLAY_HEIGHT * d.gridCols) / d.gridRows)}px`;
    const top = Math.max(...d.mean) || 1;
    const img = ctx.createImageData(d.gridCols, d.gridRows);
    for (let i = 0; i < d.mean.length; i++) {
      const [r, g, b] = colour(Math.sqrt(d.mean[i]! / top));
      img.data[i * 4] = r;
      img.data[i * 4 + 1] = g;
      img.data[i * 4 + 2] = b;
      img.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  override render() {
    const d = this.data;
    if (!d) return nothing;
    const top = Math.max(...d.mean);
    const h = this.hover;
    const rowsPer = d.rows / d.gridRows;
    const colsPer = d.cols / d.gridCols;
    let readout;
    if (h === null) {
      readout = html`${d.gridRows} × ${d.gridCols} cells of about ${formatCount(Math.round(rowsPer))} × ${formatCount(Math.round(colsPer))} values (computed on the ${d.engine === 'gpu' ? 'GPU' : 'CPU'}); point at it for a cell.`;
    } else {
      const [r0, r1] = this.edges(Math.floor(h / d.gridCols), d.rows, d.gridRows);
      const [c0, c1] = this.edges(h % d.gridCols, d.cols, d.gridCols);
      readout = html`rows ${r0}–${r1 - 1}, columns ${c0}–${c1 - 1}: mean |x| ${formatNumber(d.mean[h]!)}, max |x| ${formatNumber(d.max[h]!)}`;
    }
    return html`
      <canvas
        data-testid="heatmap"
        width=${d.gridCols}
        height=${d.gridRows}
        role="img"
        aria-label="Magnitude heat-map: ${d.rows} rows by ${d.cols} columns in ${d.gridRows} by ${d.gridCols} cells, mean |x| up to ${formatNumber(top)}"
        @mousemove=${(e: MouseEvent) => this.onMove(e)}
        @mouseleave=${() => (this.hover = null)}
      ></canvas>
      <div class="legend"><span>0</span><span class="ramp" aria-hidden="true"></span><span>${formatNumber(top)} mean |x| (√ scale)</span>${d.skipped > 0 ? html`<span>· ${formatCount(d.skipped)} NaN/Inf left out</span>` : nothing}</div>
      <div class="readout" data-testid="heatmap-readout" aria-live="polite">${readout}</div>
    `;
  }
}

customElements.define('kiln-heatmap', KilnHeatmap);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-heatmap': KilnHeatmap;
  }
}
