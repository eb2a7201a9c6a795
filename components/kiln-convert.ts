import { LitElement, css, html } from 'lit';
import { formatBytes, formatSeconds } from '../src/app/format';
import type { OutputFormat } from '../src/pipeline/plan';
import type { EnginePreference } from '../src/pipeline/protocol';
import { KilnWatch } from './kiln-context';
import './kiln-quantize-options';

/**
 * The conversion: output format and type, what each tensor will become, the run with progress and
 * cancel, and the finished files to download.
 */
export class KilnConvert extends LitElement {
  static override styles = css`
    :host {
      display: block;
      background: #fff;
      border: 1px solid #e3dad0;
      border-radius: 10px;
      padding: 1rem;
    }
    h2 {
      font-size: 1.05rem;
      margin: 0 0 0.6rem;
    }
    .row {
      display: flex;
      flex-wrap: wrap;
      gap: 0.6rem;
      align-items: center;
      margin-bottom: 0.6rem;
    }
    select,
    button {
      font: inherit;
      padding: 0.3rem 0.5rem;
      border-radius: 6px;
      border: 1px solid #8c7b6b;
      background: #fff;
      max-width: 100%;
    }
    button.primary {
      background: #b5541c;
      color: #fff;
      border-color: #8f3f12;
      cursor: pointer;
    }
    button:disabled {
      opacity: 0.5;
      cursor: default;
    }
    progress {
      width: 100%;
    }
    .progress-text,
    .muted {
      color: #6b5d50;
      font-size: 0.85rem;
      font-variant-numeric: tabular-nums;
    }
    ul {
      padding-left: 1.2rem;
      margin: 0.4rem 0;
    }
    a {
      color: #8f3f12;
      font-weight: 600;
    }
    details {
      margin-top: 0.4rem;
    }
    table {
      border-collapse: collapse;
      font-size: 0.8rem;
      width: 100%;
    }
    td {
      padding: 0.1rem 0.4rem;
      border-bottom: 1px solid #f0e9e2;
      word-break: break-all;
    }
  `;

  private readonly kiln = new KilnWatch(this);

  override render() {
    const app = this.kiln.app;
    if (!app?.state.model) return null;
    const s = app.state;
    const targets = app.targets();
    const p = s.progress;
    return html`
      <h2>Convert</h2>
      <div class="row">
        <label>
          Format
          <select data-testid="target-format" .value=${s.format} ?disabled=${s.converting} @change=${(e: Event) => void app.setFormat((e.target as HTMLSelectElement).value as OutputFormat)}>
            <option value="gguf" ?selected=${s.format === 'gguf'}>GGUF</option>
            <option value="safetensors" ?selected=${s.format === 'safetensors'}>safetensors</option>
          </select>
        </label>
        <label>
          Type
          <select data-testid="target-type" ?disabled=${s.converting} @change=${(e: Event) => void app.setTarget((e.target as HTMLSelectElement).value)}>
            ${targets.map((t) => html`<option value=${t.value} ?selected=${t.value === s.target}>${t.label}</option>`)}
          </select>
        </label>
        <label>
          Run on
          <select data-testid="engine-select" ?disabled=${s.converting} @change=${(e: Event) => app.setEnginePreference((e.target as HTMLSelectElement).value as EnginePreference)}>
            <option value="auto" ?selected=${s.enginePreference === 'auto'}>auto${s.engine ? ` (${s.engine.gpu && !s.engine.fallbackAdapter ? 'GPU' : 'CPU'})` : ''}</option>
            <option value="gpu" ?selected=${s.enginePreference === 'gpu'} ?disabled=${s.engine !== null && !s.engine.gpu}>GPU (WebGPU)</option>
            <option value="cpu" ?selected=${s.enginePreference === 'cpu'}>CPU${s.engine ? ` (${s.engine.cpuThreads} threads)` : ''}</option>
          </select>
        </label>
      </div>
      <kiln-quantize-options></kiln-quantize-options>
      ${s.plan
        ? html`<div class="muted" data-testid="plan">
              ${s.plan.files.map((f) => html`<div>${f.name}: ${formatBytes(f.size)}</div>`)}
              ${s.plan.warnings.length ? html`<div>${s.plan.warnings.length} note(s): ${s.plan.warnings.slice(0, 3).join('; ')}</div>` : null}
            </div>
            <details>
              <summary class="muted">Tensor types (${s.plan.tensors.length})</summary>
              <table>
                ${s.plan.tensors.map((t) => html`<tr><td>${t.name}</td><td>${t.from} → ${t.to}</td></tr>`)}
              </table>
            </details>`
        : null}
      <div class="row">
        <button class="primary" data-testid="convert" ?disabled=${s.converting || s.planning || !s.plan} @click=${() => void app.convert()} title="Convert in the browser's storage, then download">Convert</button>
        ${app.canSaveToDisk()
          ? html`<button data-testid="convert-save" ?disabled=${s.converting || s.planning || !s.plan} @click=${() => void app.convertAndSave()} title="Choose where to save, then write there as the data comes out">Convert and save to…</button>`
          : null}
        ${s.converting ? html`<button data-testid="cancel" @click=${() => app.cancel()}>Cancel</button>` : null}
      </div>
      ${s.converting || p
        ? html`<progress data-testid="progress" max=${p?.bytesInTotal || 1} value=${s.converting ? p?.bytesIn ?? 0 : p?.bytesInTotal ?? 1}></progress>
            <div class="progress-text" data-testid="progress-text">
              ${p
                ? html`${formatBytes(p.bytesIn)} of ${formatBytes(p.bytesInTotal)} · ${p.tensorsDone}/${p.tensorsTotal} tensors · ${p.mbPerSec.toFixed(1)} MB/s ·
                  ETA ${formatSeconds(p.etaSeconds)} · ${p.engine}`
                : 'starting…'}
            </div>`
        : null}
      ${s.saved.length > 0
        ? html`<div data-testid="saved">
            <p class="muted">Done in ${formatSeconds(s.result?.seconds ?? null)} on ${s.result?.engine}; ${s.result?.verified ? 'output re-read and verified' : ''}.</p>
            <p>Saved ${s.saved.join(', ')}.</p>
          </div>`
        : null}
      ${s.outputs.length > 0
        ? html`<div data-testid="outputs">
            <p class="muted">Done in ${formatSeconds(s.result?.seconds ?? null)} on ${s.result?.engine}; ${s.result?.verified ? 'output re-read and verified' : ''}.</p>
            <ul>
              ${s.outputs.map((o) => html`<li><a data-testid="download" href=${o.url} download=${o.name}>${o.name}</a> (${formatBytes(o.size)})</li>`)}
            </ul>
          </div>`
        : null}
    `;
  }
}

customElements.define('kiln-convert', KilnConvert);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-convert': KilnConvert;
  }
}
