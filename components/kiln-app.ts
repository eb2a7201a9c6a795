import { LitElement, css, html } from 'lit';
import { ContextProvider } from '@lit/context';
import { AppController, controllerContext, type AppState } from '../src/app/app-controller';
import { controls, themeTokens } from './kiln-styles';
import './kiln-open';
import './kiln-open-remote';
import './kiln-model';
import './kiln-metadata';
import './kiln-tensor-table';
import './kiln-tensor-detail';
import './kiln-convert';
import './kiln-quality';

/** One sentence on what will run a conversion, consistent with the "Run on" choice. */
export function engineSentence(s: AppState): string {
  const e = s.engine;
  if (!e) return 'Checking this browser for a GPU…';
  const cpu = `${e.cpuThreads} CPU thread${e.cpuThreads === 1 ? '' : 's'}`;
  if (!e.gpu) return `Conversions run on ${cpu}: this browser offers no WebGPU GPU${e.note ? ` (${e.note})` : ''}.`;
  if (s.enginePreference === 'cpu') return `Conversions run on ${cpu}, as chosen under “Run on”.`;
  const name = e.label.replace(/^GPU \((.*)\)$/, '$1');
  const gpu = `the GPU (${name}), with the CPU threads for any type it has no kernel for`;
  if (s.enginePreference === 'gpu') return `Conversions run on ${gpu}${e.fallbackAdapter ? '; it is a software GPU, slower than the CPU threads' : ''}.`;
  if (e.fallbackAdapter) return `Conversions run on ${cpu}: the only GPU here (${name}) is a software one, slower than the CPU.`;
  return `Conversions run on ${gpu}.`;
}

/**
 * The root: provides the AppController to every element below it, sets the theme (light, or dark
 * from prefers-color-scheme) and lays out the panels: summary and conversion, the tensor table
 * with its detail panel kept in view, the metadata.
 * @csspart main - the content column
 */
export class KilnApp extends LitElement {
  static override styles = [
    themeTokens,
    controls,
    css`
      :host {
        display: block;
        font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif;
        color: var(--kiln-text);
        background: var(--kiln-bg);
        min-height: 100vh;
      }
      header {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 0.3rem 1rem;
        padding: 0.7rem 1.5rem;
        background: var(--kiln-header-bg);
        color: var(--kiln-header-text);
      }
      h1 {
        font-size: 1.2rem;
        margin: 0;
        letter-spacing: 0.02em;
      }
      .engine,
      .privacy {
        font-size: 0.85rem;
      }
      .privacy {
        margin-left: auto;
      }
      main {
        display: grid;
        gap: 1rem;
        padding: 1rem 1.5rem 3rem;
        max-width: 1500px;
        margin: 0 auto;
      }
      .top,
      .tensors {
        display: grid;
        grid-template-columns: minmax(0, 3fr) minmax(340px, 2fr);
        gap: 1rem;
        align-items: start;
      }
      aside {
        position: sticky;
        top: 0.5rem;
        max-height: calc(100vh - 1rem);
        overflow: auto;
        border-radius: 10px;
      }
      @media (max-width: 900px) {
        main {
          padding: 0.8rem 0.8rem 3rem;
        }
        .top,
        .tensors {
          grid-template-columns: minmax(0, 1fr);
        }
        /* narrow screens: the detail is a sheet at the bottom of the viewport, always in view */
        aside {
          top: auto;
          bottom: 0;
          max-height: 55vh;
          box-shadow: 0 -6px 18px rgba(0, 0, 0, 0.25);
          z-index: 2;
        }
        aside.empty {
          display: none;
        }
      }
    `,
  ];

  private readonly controller = new AppController();
  private readonly provider = new ContextProvider(this, { context: controllerContext, initialValue: this.controller });
  private readonly onChange = () => this.requestUpdate();

  override connectedCallback(): void {
    super.connectedCallback();
    void this.provider;
    this.controller.addEventListener('change', this.onChange);
  }

  override disconnectedCallback(): void {
    this.controller.removeEventListener('change', this.onChange);
    super.disconnectedCallback();
  }

  override render() {
    const s = this.controller.state;
    return html`
      <header>
        <h1>Tensor Kiln</h1>
        <span class="engine" data-testid="engine">${engineSentence(s)}</span>
        <span class="privacy">Everything runs on this machine. Nothing is uploaded.</span>
      </header>
      <main part="main">
        <kiln-open></kiln-open>
        <kiln-open-remote></kiln-open-remote>
        ${s.model
          ? html`<div class="top">
                <kiln-model></kiln-model>
                <kiln-convert></kiln-convert>
              </div>
              ${s.outcome === 'done' && (s.result?.quality?.length ?? 0) > 0 ? html`<kiln-quality></kiln-quality>` : null}
              <div class="tensors">
                <kiln-tensor-table></kiln-tensor-table>
                <aside class=${s.selected === null ? 'empty' : ''} aria-label="Tensor detail">
                  <kiln-tensor-detail></kiln-tensor-detail>
                </aside>
              </div>
              <kiln-metadata></kiln-metadata>`
          : null}
      </main>
    `;
  }
}

customElements.define('kiln-app', KilnApp);
declare global {
  interface HTMLElementTagNameMap {
    'kiln-app': KilnApp;
  }
}
