import { createContext } from '@lit/context';
import type { TensorStats } from '../codecs/stats';
import type { ProgressInfo } from '../pipeline/executor';
import type { OutputFormat } from '../pipeline/plan';
import type { ConvertRequest, ConvertResult, EngineInfo, EnginePreference, ModelSummary, PlanSummary } from '../pipeline/protocol';
import { presetStatuses } from '../pipeline/presets-probe';
import { isAlias } from '../pipeline/presets';
import { opfsFile } from '../io/opfs-sink';
import type { SaveTarget } from '../io/handle-sink';
import type { QuantizeOptionsText } from '../pipeline/quantize-options';
import { KilnClient } from './kiln-client';
import { makeSampleModel } from './sample-model';

export interface OutputLink {
  readonly name: string;
  readonly size: number;
  readonly url: string;
}

export interface TargetOption {
  readonly value: string;
  readonly label: string;
}

export interface AppState {
  readonly engine: EngineInfo | null;
  readonly opening: boolean;
  readonly model: ModelSummary | null;
  readonly selected: number | null;
  readonly format: OutputFormat;
  readonly target: string;
  readonly enginePreference: EnginePreference;
  /** llama-quantize's options and the split size, as typed in the form. */
  readonly options: QuantizeOptionsText;
  readonly plan: PlanSummary | null;
  /** A plan for the current choices is being computed; `plan` may still be the previous one. */
  readonly planning: boolean;
  readonly converting: boolean;
  readonly progress: ProgressInfo | null;
  readonly result: ConvertResult | null;
  readonly outputs: readonly OutputLink[];
  /** Names of files written where the user chose (Save to disk). */
  readonly saved: readonly string[];
  readonly error: string | null;
}

export const controllerContext = createContext<AppController>(Symbol('kiln-controller'));

const SAFETENSORS_TARGETS: TargetOption[] = ['F32', 'F16', 'BF16'].map((t) => ({ value: t, label: t }));

/**
 * The app's state and the user's intents. Elements read `state` and call methods; every change
 * fires a `change` event. Work happens in the worker through KilnClient.
 */
export class AppController extends EventTarget {
  state: AppState = {
    engine: null,
    opening: false,
    model: null,
    selected: null,
    format: 'gguf',
    target: 'F16',
    enginePreference: 'auto',
    options: {},
    plan: null,
    planning: false,
    converting: false,
    progress: null,
    result: null,
    outputs: [],
    saved: [],
    error: null,
  };
  private cancelRun: (() => void) | null = null;
  /** Counts plan requests so that only the newest one's answer is shown and run. */
  private planSeq = 0;

  constructor(private readonly client = new KilnClient()) {
    super();
    void client.engine().then((engine) => this.set({ engine }));
  }

  private set(patch: Partial<AppState>): void {
    this.state = { ...this.state, ...patch };
    this.dispatchEvent(new Event('change'));
  }

  private fail(e: unknown): void {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    this.set({ error: msg, opening: false, converting: false });
  }

  /** Types offered for the chosen output format; presets only where Kiln encodes every type they use. */
  targets(format: OutputFormat = this.state.format): TargetOption[] {
    if (format === 'safetensors') return SAFETENSORS_TARGETS;
    return presetStatuses()
      .filter((p) => p.usable && !isAlias(p))
      .map((p) => ({ value: p.name, label: `${p.name}${p.description.trim() ? ' — ' + p.description.trim() : ''}` }));
  }

  async openFiles(files: readonly File[]): Promise<void> {
    if (files.length === 0) return;
    // the running conversion reads the open model; the open controls say so while it runs
    if (this.state.converting) return;
    this.revokeOutputs();
    this.planSeq++; // a plan still coming for the previous model is dropped
    this.set({ opening: true, error: null, model: null, selected: null, plan: null, planning: false, result: null, outputs: [], progress: null });
    try {
      const model = await this.client.open(files);
      this.set({ model, opening: false });
      await this.refreshPlan();
    } catch (e) {
      this.fail(e);
    }
  }

  async openSample(): Promise<void> {
    await this.openFiles([await makeSampleModel()]);
  }

  select(index: number | null): void {
    this.set({ selected: index });
  }

  stats(index: number): Promise<TensorStats> {
    return this.client.stats(index);
  }

  async setFormat(format: OutputFormat): Promise<void> {
    const options = this.targets(format);
    const target = options.some((o) => o.value === this.state.target) ? this.state.target : (options.find((o) => o.value === 'F16') ?? options[0]!).value;
    this.set({ format, target });
    await this.refreshPlan();
  }

  async setTarget(target: string): Promise<void> {
    this.set({ target });
    await this.refreshPlan();
  }

  setEnginePreference(enginePreference: EnginePreference): void {
    this.set({ enginePreference });
  }

  async setOptions(patch: Partial<QuantizeOptionsText>): Promise<void> {
    this.set({ options: { ...this.state.options, ...patch } });
    await this.refreshPlan();
  }

  private request(): ConvertRequest {
    const model = this.state.model!;
    const stem = (model.files[0] ?? 'model').replace(/(-\d{5}-of-\d{5})?\.(gguf|safetensors|bin|pth|pt|ckpt|onnx|index)$/i, '').replace(/-(F32|F16|BF16)$/i, '');
    const o = this.state.options;
    // llama-quantize's options apply to GGUF output only; the split size and leaving out what
    // cannot be converted to both formats
    const options: QuantizeOptionsText = this.state.format === 'gguf' ? o : { splitMaxSize: o.splitMaxSize, skipUnconvertible: o.skipUnconvertible };
    const pure = this.state.format === 'gguf' && o.pure ? '-pure' : '';
    return { format: this.state.format, target: this.state.target, baseName: `${stem}-${this.state.target}${pure}`, options, engine: this.state.enginePreference };
  }

  private async refreshPlan(): Promise<void> {
    if (!this.state.model) return;
    // answers may arrive out of order when choices change quickly; a stale one would save under
    // the wrong name or show the wrong tensor types
    const seq = ++this.planSeq;
    this.set({ planning: true });
    try {
      const plan = await this.client.plan(this.request());
      if (seq === this.planSeq) this.set({ plan, planning: false, error: null });
    } catch (e) {
      if (seq !== this.planSeq) return;
      this.set({ plan: null, planning: false });
      this.fail(e);
    }
  }


  /** Whether the browser can write where the user chooses (File System Access API). */
  canSaveToDisk(): boolean {
    return typeof (globalThis as { showSaveFilePicker?: unknown }).showSaveFilePicker === 'function';
  }

  async convert(): Promise<void> {
    await this.run(undefined);
  }

  /**
   * Asks where to save (a file for one output, a folder for several), then converts straight into
   * it. Must be called from the click itself: the pickers need the user's gesture.
   */
  async convertAndSave(): Promise<void> {
    const plan = this.state.plan;
    if (!plan || this.state.planning || this.state.converting) return;
    const w = globalThis as unknown as {
      showSaveFilePicker(o: { suggestedName: string }): Promise<FileSystemFileHandle>;
      showDirectoryPicker(o: { mode: 'readwrite' }): Promise<FileSystemDirectoryHandle>;
    };
    let save: SaveTarget;
    try {
      save = plan.files.length === 1 ? { kind: 'file', handle: await w.showSaveFilePicker({ suggestedName: plan.files[0]!.name }) } : { kind: 'directory', handle: await w.showDirectoryPicker({ mode: 'readwrite' }) };
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') return; // the user closed the picker
      this.fail(e);
      return;
    }
    await this.run(save);
  }

  private async run(save: SaveTarget | undefined): Promise<void> {
    if (!this.state.model || this.state.planning || this.state.converting) return;
    this.revokeOutputs();
    this.set({ converting: true, error: null, progress: null, result: null, outputs: [], saved: [] });
    const run = this.client.convert(this.request(), (progress) => this.set({ progress }), save);
    this.cancelRun = run.cancel;
    try {
      const result = await run.done;
      if (result.opfsDir === null) {
        this.set({ converting: false, result, saved: result.plan.files.map((f) => (save?.kind === 'file' ? save.handle.name : f.name)) });
        return;
      }
      const dir = result.opfsDir;
      const outputs = await Promise.all(
        result.plan.files.map(async (f) => {
          const file = await opfsFile(dir, f.name);
          return { name: f.name, size: file.size, url: URL.createObjectURL(file) };
        }),
      );
      this.set({ converting: false, result, outputs });
    } catch (e) {
      this.fail(e);
    } finally {
      this.cancelRun = null;
    }
  }

  cancel(): void {
    this.cancelRun?.();
  }

  private revokeOutputs(): void {
    for (const o of this.state.outputs) URL.revokeObjectURL(o.url);
  }
}
