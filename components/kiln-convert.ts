import { LitElement, css, html, nothing } from 'lit';
import { formatBytes, formatSeconds } from '../src/app/format';
import type { AppController } from '../src/app/app-controller';
import type { OutputFormat } from '../src/pipeline/plan';
import type { EnginePreference } from '../src/pipeline/protocol';
import { KilnWatch } from './kiln-context';
import { renderProblem } from './kiln-problem';
import { card, controls } from './kiln-styles';
import './kiln-quantize-options';
import './kiln-imatrix';

type Phase = 'prepare' | 'convert' | 'write' | 'verify';
const PHASES: readonly (readonly [Phase, string])[] = [
  ['prepare', 'Preparing'],
  ['convert', 'Reading and converting'],
  ['write', 'Writing'],
  ['verify', 'Verifying'],
];

/**
 * The conversion: output format and type (grouped as people choose, with the size and bits per
 * weight this model would have), what each tensor will become, the run with its phases and cancel,
 * and what came out (sizes before and after, speed) with the files to download.
 */
export class KilnConvert extends LitElement {
  static override styles = [
    card,
    controls,
    css`
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem 1rem;
        align-items: end;
        margin-bottom: 0.6rem;
      }
      .row label {
        display: flex;
        flex-direction: column;
        gap: 0.15rem;
        font-size: 0.85rem;
        min-width: 0;
        max-width: 100%;
      }
      select {
        max-width: 100%;
      }
      .type-note {
        margin: 0 0 0.6rem;
        font-size: 0.9rem;
      }
      .plan {
        font-size: 0.85rem;
      }
      .plan code {
        font-family: var(--kiln-mono);
        overflow-wrap: anywhere;
      }
      details {
        margin: 0.4rem 0;
      }
      summary {
        cursor: pointer;
      }
      table {
        border-collapse: collapse;
        font-size: 0.8rem;
        width: 100%;
      }
      td {
        padding: 0.1rem 0.4rem;
        border-bottom: 1px solid var(--kiln-border);
        overflow-wrap: anywhere;
      }
      .tensor-types {
        max-height: 16rem;
        overflow: auto;
      }
      ol.phases {
        display: flex;
        flex-wrap: wrap;
        gap: 0.2rem 1rem;
        list-style: none;
        padding: 0;
        margin: 0.4rem 0;
        font-size: 0.85rem;
        color: var(--kiln-muted);
      }
      ol.phases li[aria-current='step'] {
        color: var(--kiln-text);
        font-weight: 700;
      }
      ol.phases li.done::before {
        content: '✓ ';
        color: var(--kiln-ok);
      }
      progress {
        width: 100%;
        height: 0.9rem;
        appearance: none;
        border: 1px solid var(--kiln-border);
        border-radius: 6px;
        overflow: hidden;
        background: var(--kiln-surface-2);
      }
      progress::-webkit-progress-bar {
        background: var(--kiln-surface-2);
      }
      progress::-webkit-progress-value {
        background: var(--kiln-bar);
        transition: width 0.2s;
      }
      progress.stopped::-webkit-progress-value {
        background: var(--kiln-muted);
      }
      .progress-text {
        color: var(--kiln-muted);
        font-size: 0.85rem;
        font-variant-numeric: tabular-nums;
      }
      dl.result {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(120px, 1fr));
        gap: 0.4rem 1rem;
        margin: 0.6rem 0;
      }
      dl.result dt {
        font-size: 0.8rem;
        color: var(--kiln-muted);
      }
      dl.result dd {
        margin: 0;
        font-weight: 600;
        font-variant-numeric: tabular-nums;
      }
      .done {
        border: 1px solid var(--kiln-ok);
        background: var(--kiln-ok-bg);
        border-radius: 8px;
        padding: 0.5rem 0.8rem;
        margin-top: 0.6rem;
      }
      ul {
        padding-left: 1.2rem;
        margin: 0.4rem 0;
      }
      a {
        font-weight: 600;
      }
    `,
  ];

  private readonly kiln = new KilnWatch(this);

  /**
   * The selects show the state's choice: an option's `selected` attribute stops counting once the
   * user has picked, and the option list itself changes with the format.
   */
  protected override updated(): void {
    const s = this.kiln.app?.state;
    if (!s) return;
    const set = (id: string, v: string) => {
      const el = this.renderRoot.querySelector<HTMLSelectElement>(`[data-testid="${id}"]`);
      if (el && el.value !== v) el.value = v;
    };
    set('target-format', s.format);
    set('target-type', s.target);
    set('engine-select', s.enginePreference);
  }

  private conversionCache: { plan: unknown; rows: [string, string[]][] } | null = null;

  /** The plan's tensors grouped by conversion (F32 → Q4_K ...), largest group first. */
  private conversions(): [string, string[]][] {
    const plan = this.kiln.app!.state.plan!;
    if (this.conversionCache?.plan !== plan) {
      const m = new Map<string, string[]>();
      for (const t of plan.tensors) {
        const k = t.from === t.to ? `${t.from} (kept)` : `${t.from} → ${t.to}`;
        const l = m.get(k);
        if (l) l.push(t.name);
        else m.set(k, [t.name]);
      }
      this.conversionCache = { plan, rows: [...m].sort((a, b) => b[1].length - a[1].length) };
    }
    return this.conversionCache.rows;
  }

  private typeSelect(app: AppController) {
    const s = app.state;
    const params = s.facts?.parameters ?? 0;
    const est = (v: string) => {
      const e = s.estimates.get(v);
      if (e && e.outputBytes === null) return ' · not possible for this model';
      if (!e || e.outputBytes === null || params === 0) return '';
      return ` · ${formatBytes(e.outputBytes)} · ${((e.outputBytes * 8) / params).toFixed(2)} bpw`;
    };
    return html`<select data-testid="target-type" aria-describedby="type-note" ?disabled=${s.converting} @change=${(e: Event) => void app.setTarget((e.target as HTMLSelectElement).value)}>
      ${app.targetGroups().map(
        (g) => html`<optgroup label=${g.label}>
          ${g.choices.map((c) => html`<option value=${c.value} ?selected=${c.value === s.target} ?disabled=${c.disabled}>${c.value}${c.disabled ? '' : est(c.value)} — ${c.note}</option>`)}
        </optgroup>`,
      )}
    </select>`;
  }

  private typeNote(app: AppController) {
    const s = app.state;
    const e = s.estimates.get(s.target);
    const params = s.facts?.parameters ?? 0;
    const choice = app.targetGroups().flatMap((g) => g.choices).find((c) => c.value === s.target);
    const size =
      e?.outputBytes != null && params > 0
        ? html`<b>${formatBytes(e.outputBytes)}</b> (${((e.outputBytes * 8) / params).toFixed(2)} bits per weight)`
        : e && e.outputBytes === null
          ? html`<b data-testid="type-refused">not possible for this model</b>`
          : html`size being worked out…`;
    return html`<p class="type-note" id="type-note" data-testid="type-note">${s.target} for this model: ${size}${choice ? html`; ${choice.note}` : nothing}. ${s.facts ? html`Now ${formatBytes(s.facts.fileBytes)}.` : nothing}</p>`;
  }

  private phase(): Phase | null {
    const s = this.kiln.app!.state;
    const p = s.progress;
    if (!s.converting) return null;
    if (!p || p.phase === 'preparing') return 'prepare';
    if (p.phase === 'verifying') return 'verify';
    if (p.bytesIn >= p.bytesInTotal && p.tensorsDone >= p.tensorsTotal) return 'write';
    return 'convert';
  }

  private renderProgress(app: AppController) {
    const s = app.state;
    const p = s.progress;
    if (!s.converting && !p && s.outcome === null) return nothing;
    const phase = this.phase();
    const at = phase ? PHASES.findIndex(([k]) => k === phase) : -1;
    const stopped = s.outcome === 'cancelled' || s.outcome === 'failed';
    // the bar shows how far the run got: full only when it finished
    const value = s.outcome === 'done' ? (p?.bytesInTotal ?? 1) : (p?.bytesIn ?? 0);
    const preparingGpu = p?.phase === 'preparing';
    const text = stopped
      ? `Stopped after ${formatBytes(p?.bytesIn ?? 0)} of ${formatBytes(p?.bytesInTotal ?? 0)} · ${p?.tensorsDone ?? 0}/${p?.tensorsTotal ?? 0} tensors`
      : preparingGpu
        ? `Preparing GPU kernels before the first chunk · ${p.engine}`
        : p
        ? `${formatBytes(p.bytesIn)} of ${formatBytes(p.bytesInTotal)} · ${p.tensorsDone}/${p.tensorsTotal} tensors · ${p.mbPerSec.toFixed(1)} MB/s · ETA ${formatSeconds(p.etaSeconds)} · ${p.engine}`
        : 'Preparing the engine (GPU kernels or CPU workers)…';
    return html`
      ${s.converting
        ? html`<ol class="phases" data-testid="phases" aria-label="Steps">
            ${PHASES.map(([k, label], i) => html`<li class=${i < at ? 'done' : ''} aria-current=${i === at ? 'step' : 'false'} data-phase=${k}>${k === 'prepare' && preparingGpu ? 'Preparing GPU kernels' : label}</li>`)}
          </ol>`
        : nothing}
      ${s.converting && (!p || preparingGpu)
        ? html`<progress data-testid="progress" aria-label="Conversion progress"></progress>`
        : html`<progress data-testid="progress" class=${stopped ? 'stopped' : ''} aria-label="Conversion progress" max=${p?.bytesInTotal || 1} value=${value}></progress>`}
      <div class="progress-text" data-testid="progress-text" role="status">${text}</div>
    `;
  }

  private renderResult(app: AppController) {
    const s = app.state;
    const r = s.result;
    if (!r || s.outcome !== 'done') return nothing;
    const after = s.outputs.length > 0 ? s.outputs.reduce((a, o) => a + o.size, 0) : r.plan.files.reduce((a, f) => a + f.size, 0);
    const before = s.facts?.fileBytes ?? 0;
    const params = s.facts?.parameters ?? 0;
    const mbps = r.seconds > 0 ? (s.facts?.tensorBytes ?? 0) / 1e6 / r.seconds : null;
    return html`<dl class="result" data-testid="result">
      <div><dt>Before</dt><dd>${formatBytes(before)}</dd></div>
      <div><dt>After</dt><dd data-testid="result-after">${formatBytes(after)}${before > 0 ? html` <span class="muted">(${((after / before) * 100).toFixed(0)} %)</span>` : nothing}</dd></div>
      <div><dt>Bits per weight</dt><dd>${params > 0 ? ((after * 8) / params).toFixed(2) : '—'}</dd></div>
      <div><dt>Time</dt><dd>${formatSeconds(r.seconds)}</dd></div>
      <div><dt>Speed</dt><dd>${mbps === null ? '—' : `${mbps.toFixed(1)} MB/s`}</dd></div>
    </dl>`;
  }

  override render() {
    const app = this.kiln.app;
    if (!app?.state.model) return null;
    const s = app.state;
    const problem = s.problem;
    const doneLine = html`<p class="muted" data-testid="done-line">Done in ${formatSeconds(s.result?.seconds ?? null)} on ${s.result?.engine}; ${s.result?.verified ? 'output re-read and verified' : ''}.</p>`;
    return html`
      <section aria-labelledby="convert-title">
        <h2 id="convert-title">Convert</h2>
        <div class="row">
          <label>
            Output format
            <select data-testid="target-format" ?disabled=${s.converting} @change=${(e: Event) => void app.setFormat((e.target as HTMLSelectElement).value as OutputFormat)}>
              <option value="gguf" ?selected=${s.format === 'gguf'}>GGUF</option>
              <option value="safetensors" ?selected=${s.format === 'safetensors'}>safetensors</option>
            </select>
          </label>
          <label>
            Type
            ${this.typeSelect(app)}
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
        ${this.typeNote(app)}
        ${problem?.place === 'plan' ? renderProblem(problem, app) : nothing}
        <kiln-imatrix></kiln-imatrix>
        <kiln-quantize-options></kiln-quantize-options>
        ${s.plan
          ? html`<div class="plan" data-testid="plan">
                ${s.plan.files.map((f) => html`<div>Will write <code>${f.name}</code>: ${formatBytes(f.size)}</div>`)}
                ${s.plan.warnings.length ? html`<div class="muted">${s.plan.warnings.length} note(s): ${s.plan.warnings.slice(0, 3).join('; ')}</div>` : null}
              </div>
              <details data-testid="plan-types">
                <summary class="muted">What each tensor becomes (${s.plan.tensors.length})</summary>
                <div class="tensor-types">
                  <table>
                    ${this.conversions().map(([pair, names]) => html`<tr><td>${pair}</td><td>${names.length} tensor${names.length === 1 ? '' : 's'}</td><td class="muted">${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}</td></tr>`)}
                  </table>
                </div>
              </details>`
          : null}
        <div class="row">
          <button class="primary" data-testid="convert" ?disabled=${s.converting || s.planning || !s.plan} @click=${() => void app.convert()} title="Convert in the browser's storage, then download">Convert</button>
          ${app.canSaveToDisk()
            ? html`<button data-testid="convert-save" ?disabled=${s.converting || s.planning || !s.plan} @click=${() => void app.convertAndSave()} title="Choose where to save, then write there as the data comes out">Convert and save to…</button>`
            : null}
          ${s.converting ? html`<button data-testid="cancel" @click=${() => app.cancel()}>Cancel</button>` : null}
        </div>
        ${problem?.place === 'convert' ? renderProblem(problem, app) : nothing}
        ${this.renderProgress(app)}
        ${s.notice ? html`<div class="notice" role="status" data-testid="cancelled">${s.notice}</div>` : nothing}
        ${s.saved.length > 0
          ? html`<div class="done" data-testid="saved">
              ${doneLine}
              ${this.renderResult(app)}
              <p>Saved ${s.saved.join(', ')}.</p>
            </div>`
          : null}
        ${s.outputs.length > 0
          ? html`<div class="done" data-testid="outputs">
              ${doneLine}
              ${this.renderResult(app)}
              <ul>
                ${s.outputs.map((o) => html`<li><a data-testid="download" href=${o.url} download=${o.name}>Download ${o.name}</a> (${formatBytes(o.size)})</li>`)}
              </ul>
            </div>`
          : null}
      </section>
    `;
  }
}

customElements.define('kiln-convert', KilnConvert);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-convert': KilnConvert;
  }
}
