import { LitElement, css, html } from 'lit';
import { ContextProvider } from '@lit/context';
import { AppController, controllerContext } from '../src/app/app-controller';
import './kiln-open';
import './kiln-model';
import './kiln-tensor-detail';
import './kiln-convert';

/**
 * The root: provides the AppController to every element below it and lays out the panels.
 * @csspart main - the content column
 */
export class KilnApp extends LitElement {
  static override styles = css`
    :host {
      display: block;
      font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif;
      color: #1d1b19;
      background: #faf8f5;
      min-height: 100vh;
    }
    header {
      display: flex;
      align-items: baseline;
      gap: 1rem;
      padding: 0.8rem 1.5rem;
      background: #2b211c;
      color: #f7efe6;
    }
    h1 {
      font-size: 1.2rem;
      margin: 0;
      letter-spacing: 0.02em;
    }
    .engine {
      font-size: 0.85rem;
      opacity: 0.85;
    }
    .privacy {
      margin-left: auto;
      font-size: 0.85rem;
      opacity: 0.85;
    }
    main {
      display: grid;
      gap: 1rem;
      padding: 1rem 1.5rem 3rem;
      max-width: 1400px;
      margin: 0 auto;
    }
    .columns {
      display: grid;
      grid-template-columns: minmax(0, 3fr) minmax(320px, 2fr);
      gap: 1rem;
      align-items: start;
    }
    @media (max-width: 900px) {
      .columns {
        grid-template-columns: 1fr;
      }
    }
    .error {
      border: 1px solid #c0392b;
      background: #fdecea;
      color: #7b241c;
      padding: 0.6rem 0.8rem;
      border-radius: 6px;
      white-space: pre-wrap;
    }
  `;

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
    const engine = s.engine
      ? s.engine.gpu
        ? `Engine: ${s.engine.label}${s.engine.fallbackAdapter ? ` — a software adapter: conversions run on ${s.engine.cpuThreads} CPU threads unless you pick GPU` : ''}`
        : `Engine: ${s.engine.label}${s.engine.note ? ` — no WebGPU (${s.engine.note})` : ''}`
      : 'Engine: starting…';
    return html`
      <header>
        <h1>Tensor Kiln</h1>
        <span class="engine" data-testid="engine">${engine}</span>
        <span class="privacy">Everything runs on this machine. Nothing is uploaded.</span>
      </header>
      <main part="main">
        <kiln-open></kiln-open>
        ${s.error ? html`<div class="error" role="alert" data-testid="error">${s.error}</div>` : null}
        ${s.model
          ? html`<div class="columns">
              <kiln-model></kiln-model>
              <div>
                <kiln-convert></kiln-convert>
                <kiln-tensor-detail></kiln-tensor-detail>
              </div>
            </div>`
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
