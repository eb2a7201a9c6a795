import { createContext } from '@lit/context';
import type { TensorStats } from '../codecs/stats';
import type { TensorValues } from '../pipeline/values-job';
import type { ProgressInfo } from '../pipeline/executor';
import type { OutputFormat } from '../pipeline/plan';
import type { CompareHistograms, ConvertRequest, ConvertResult, EngineInfo, EnginePreference, ModelSummary, PlanEstimate, PlanSummary } from '../pipeline/protocol';
import { opfsFile } from '../io/opfs-sink';
import type { SaveTarget } from '../io/handle-sink';
import { parseQuantizeOptions, type QuantizeOptionsText } from '../pipeline/quantize-options';
import type { KvUpdate } from '../pipeline/presets-plan';
import type { TensorHeatmap } from '../pipeline/heatmap-job';
import { explain, isCancelled, type Problem, type ProblemPlace } from './errors';
import { KilnClient } from './kiln-client';
import { modelFacts, type ModelFacts } from './model-facts';
import { makeSampleModel } from './sample-model';
import { targetGroups, targetValues } from './type-picker';

export interface OutputLink {
  readonly name: string;
  readonly size: number;
  readonly url: string;
}

export interface TargetOption {
  readonly value: string;
  readonly label: string;
}

/** How the last run ended, for the progress bar and the result lines. */
export type RunOutcome = 'done' | 'cancelled' | 'failed' | null;

export type OptionKey = keyof QuantizeOptionsText;

export interface AppState {
  readonly engine: EngineInfo | null;
  readonly opening: boolean;
  readonly model: ModelSummary | null;
  readonly facts: ModelFacts | null;
  readonly selected: number | null;
  readonly format: OutputFormat;
  readonly target: string;
  readonly enginePreference: EnginePreference;
  /** llama-quantize's options and the split size, as typed in the form. */
  readonly options: QuantizeOptionsText;
  /** Why a typed option field is invalid, by field. */
  readonly optionErrors: Readonly<Partial<Record<OptionKey, string>>>;
  readonly plan: PlanSummary | null;
  /** Output size per target for the open model (the type picker's numbers). */
  readonly estimates: ReadonlyMap<string, PlanEstimate>;
  /** A plan for the current choices is being computed; `plan` may still be the previous one. */
  readonly planning: boolean;
  readonly converting: boolean;
  readonly progress: ProgressInfo | null;
  readonly outcome: RunOutcome;
  readonly result: ConvertResult | null;
  readonly outputs: readonly OutputLink[];
  /** Names of files written where the user chose (Save to disk). */
  readonly saved: readonly string[];
  /** What went wrong, in words, and where (open, plan, convert). */
  readonly problem: Problem | null;
  /** A neutral message (the user's own cancel). */
  readonly notice: string | null;
  /** The importance matrix picked beside the model (llama-quantize --imatrix), or null. */
  readonly imatrix: File | null;
  /** --include-weights / --exclude-weights: entry name parts, as typed (one at most of the two in use). */
  readonly imatrixFilter: ImatrixFilter;
}

export interface ImatrixFilter {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/** Name parts typed one per line or comma-separated; blanks dropped. */
export function filterNames(text: string): string[] {
  return text.split(/[\n,]/).map((s) => s.trim()).filter((s) => s !== '');
}

export const controllerContext = createContext<AppController>(Symbol('kiln-controller'));

/** Type names as output files carry them at the end of their names. */
const TYPE_SUFFIX = /-(F32|F16|BF16|COPY|Q\d(_\w+)?|IQ\d(_\w+)?|TQ\d_\d|MXFP4(_MOE)?)(-pure)?$/i;

function isFloatModel(m: ModelSummary): boolean {
  return m.tensors.every((t) => t.type === null || ['F32', 'F16', 'BF16', 'F64', 'I8', 'I16', 'I32', 'I64', 'U8', 'BOOL'].includes(t.type));
}

/**
 * The app's state and the user's intents. Elements read `state` and call methods; every change
 * fires a `change` event. Work happens in the worker through KilnClient.
 */
export class AppController extends EventTarget {
  state: AppState = {
    engine: null,
    opening: false,
    model: null,
    facts: null,
    selected: null,
    format: 'gguf',
    target: 'Q4_K_M',
    enginePreference: 'auto',
    options: {},
    optionErrors: {},
    plan: null,
    estimates: new Map(),
    planning: false,
    converting: false,
    progress: null,
    outcome: null,
    result: null,
    outputs: [],
    saved: [],
    problem: null,
    notice: null,
    imatrix: null,
    imatrixFilter: { include: [], exclude: [] },
  };
  private cancelRun: (() => void) | null = null;
  /** Counts plan requests so that only the newest one's answer is shown and run. */
  private planSeq = 0;
  private estimateSeq = 0;

  constructor(private readonly client = new KilnClient()) {
    super();
    void client.engine().then((engine) => this.set({ engine }));
  }

  private set(patch: Partial<AppState>): void {
    this.state = { ...this.state, ...patch };
    this.dispatchEvent(new Event('change'));
  }

  private fail(e: unknown, place: ProblemPlace, files: readonly string[] = this.state.model?.files ?? []): void {
    this.set({ problem: explain(e, place, files), opening: false, converting: false });
  }

  /** Types offered for the chosen output format, in picker order. */
  targets(format: OutputFormat = this.state.format): TargetOption[] {
    return targetValues(format, this.pickerOptions()).map((v) => ({ value: v, label: v }));
  }

  targetGroups(format: OutputFormat = this.state.format) {
    return targetGroups(format, this.pickerOptions());
  }

  /** With an imatrix picked, the types that need one are offered. */
  private pickerOptions(): { readonly imatrix: boolean } {
    return { imatrix: this.state.imatrix !== null };
  }

  /**
   * Picks (or, with null, drops) the importance matrix to quantize with; it is read in the worker
   * with the next plan, and a damaged one shows as that plan's problem. Dropping it moves a target
   * that needs one back to the default.
   */
  async setImatrix(file: File | null): Promise<void> {
    const values = targetValues(this.state.format, { imatrix: file !== null });
    const target = values.includes(this.state.target) ? this.state.target : (values[0] ?? this.state.target);
    this.set({ imatrix: file, target });
    await Promise.all([this.refreshPlan(), this.refreshEstimates()]);
  }

  /** llama-quantize's --include-weights / --exclude-weights on the picked imatrix's entries. */
  async setImatrixFilter(filter: ImatrixFilter): Promise<void> {
    this.set({ imatrixFilter: filter });
    await Promise.all([this.refreshPlan(), this.refreshEstimates()]);
  }

  async openFiles(files: readonly File[]): Promise<void> {
    if (files.length === 0) return;
    await this.openWith(
      async () => ({ model: await this.client.open(files), fileBytes: files.reduce((a, f) => a + f.size, 0) }),
      files.map((f) => f.name),
    );
  }

  /** A Hub repository (owner/repo[@revision][:file|:QUANT]) or a URL, streamed by HTTP ranges in the worker. */
  async openRemote(source: string, token?: string): Promise<void> {
    const s = source.trim();
    if (s === '') return;
    await this.openWith(async () => {
      const model = await this.client.openRemote(s, token?.trim() || undefined);
      return { model, fileBytes: model.fileBytes };
    }, [s]);
  }

  private async openWith(load: () => Promise<{ model: ModelSummary; fileBytes: number }>, names: readonly string[]): Promise<void> {
    // the running conversion reads the open model; the open controls say so while it runs
    if (this.state.converting) return;
    this.set({ opening: true, problem: null, notice: null });
    let model: ModelSummary;
    let fileBytes: number;
    try {
      ({ model, fileBytes } = await load());
    } catch (e) {
      // the worker keeps the model that was open; so does the page
      this.fail(e, 'open', names);
      return;
    }
    this.revokeOutputs();
    this.planSeq++; // a plan still coming for the previous model is dropped
    const format = this.state.format;
    const values = targetValues(format);
    // Q4_K_M for float models llama.cpp can load (a preset needs general.architecture); else F16
    const preset = format === 'gguf' && isFloatModel(model) && model.metadata.some(([k]) => k === 'general.architecture') && values.includes('Q4_K_M');
    const target = preset ? 'Q4_K_M' : 'F16';
    this.set({
      model,
      facts: modelFacts(model, fileBytes),
      opening: false,
      selected: null,
      target,
      plan: null,
      estimates: new Map(),
      planning: false,
      result: null,
      outputs: [],
      saved: [],
      progress: null,
      outcome: null,
    });
    await Promise.all([this.refreshPlan(), this.refreshEstimates()]);
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

  heatmap(index: number): Promise<TensorHeatmap> {
    return this.client.heatmap(index);
  }

  /** A quantized tensor's first decoded values (the first rows' first blocks). */
  values(index: number): Promise<TensorValues> {
    return this.client.values(index);
  }

  /** Before/after histograms of a tensor the last run converted (its output kept in the browser). */
  compare(tensor: string, bins = 128): Promise<CompareHistograms> {
    return this.client.compare(tensor, bins);
  }

  async setFormat(format: OutputFormat): Promise<void> {
    const values = targetValues(format);
    const target = values.includes(this.state.target) ? this.state.target : format === 'safetensors' ? 'F16' : (values[0] ?? 'F16');
    this.set({ format, target, estimates: new Map() });
    await Promise.all([this.refreshPlan(), this.refreshEstimates()]);
  }

  async setTarget(target: string): Promise<void> {
    this.set({ target });
    await this.refreshPlan();
  }

  setEnginePreference(enginePreference: EnginePreference): void {
    this.set({ enginePreference });
  }

  async setOptions(patch: Partial<QuantizeOptionsText>): Promise<void> {
    const options = { ...this.state.options, ...patch };
    this.set({ options, optionErrors: validateOptions(options) });
    await Promise.all([this.refreshPlan(), this.refreshEstimates()]);
  }

  /** The base name of the output: the input's stem and the target, never the input's own name. */
  outputBaseName(target = this.state.target): string {
    const model = this.state.model!;
    const stem = (model.files[0] ?? 'model').replace(/(-\d{5}-of-\d{5})?\.(gguf|safetensors|bin|pth|pt|ckpt|onnx|index|json)$/i, '').replace(TYPE_SUFFIX, '');
    const pure = this.state.format === 'gguf' && this.state.options.pure ? '-pure' : '';
    let base = `${stem}-${target}${pure}`;
    const ext = this.state.format === 'gguf' ? '.gguf' : '.safetensors';
    const inputs = new Set(model.files.map((f) => f.toLowerCase()));
    if (inputs.has((base + ext).toLowerCase()) || [...inputs].some((f) => f.startsWith(base.toLowerCase() + '-0'))) base += '-requantized';
    return base;
  }

  private request(target = this.state.target): ConvertRequest {
    const o = this.state.options;
    // llama-quantize's options apply to GGUF output only; the split size and leaving out what
    // cannot be converted to both formats
    const options: QuantizeOptionsText = this.state.format === 'gguf' ? o : { splitMaxSize: o.splitMaxSize, skipUnconvertible: o.skipUnconvertible };
    const im = this.state.format === 'gguf' ? this.state.imatrix : null;
    const { include, exclude } = this.state.imatrixFilter;
    const imatrix = im ? { file: im, name: im.name, ...(include.length > 0 ? { includeWeights: include } : {}), ...(exclude.length > 0 ? { excludeWeights: exclude } : {}) } : null;
    return { format: this.state.format, target, baseName: this.outputBaseName(target), options, engine: this.state.enginePreference, ...(imatrix ? { imatrix } : {}) };
  }

  private async refreshPlan(): Promise<void> {
    if (!this.state.model) return;
    // answers may arrive out of order when choices change quickly; a stale one would save under
    // the wrong name or show the wrong tensor types
    const seq = ++this.planSeq;
    this.set({ planning: true });
    try {
      const plan = await this.client.plan(this.request());
      if (seq === this.planSeq) this.set({ plan, planning: false, problem: this.state.problem?.place === 'plan' ? null : this.state.problem });
    } catch (e) {
      if (seq !== this.planSeq) return;
      this.set({ plan: null, planning: false });
      this.fail(e, 'plan');
    }
  }

  /** Sizes for every target; refusals the user can lift in place (requantizing, leaving tensors out) are lifted here so the sizes still show. */
  private async refreshEstimates(): Promise<void> {
    if (!this.state.model) return;
    const seq = ++this.estimateSeq;
    const base = this.request();
    const req: ConvertRequest = { ...base, options: { ...base.options, allowRequantize: true, skipUnconvertible: true } };
    try {
      const list = await this.client.planAll(req, targetValues(this.state.format, this.pickerOptions()));
      if (seq === this.estimateSeq) this.set({ estimates: new Map(list.map((e) => [e.target, e])) });
    } catch {
      // sizes are a help, not a requirement: the picker shows the names alone
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
      this.fail(e, 'convert');
      return;
    }
    await this.run(save);
  }

  /**
   * Saves a copy of the open GGUF with its metadata edited (keys set with their types, or removed);
   * the tensors are copied unchanged, streamed and verified like any run, and offered for download.
   */
  async saveMetadataEdits(edits: readonly KvUpdate[], baseName: string): Promise<void> {
    await this.run(undefined, { ...this.request(), baseName, metadataEdits: edits });
  }

  private async run(save: SaveTarget | undefined, request?: ConvertRequest): Promise<void> {
    if (!this.state.model || this.state.planning || this.state.converting) return;
    this.revokeOutputs();
    this.set({ converting: true, problem: null, notice: null, progress: null, outcome: null, result: null, outputs: [], saved: [] });
    const run = this.client.convert(request ?? this.request(), (progress) => this.set({ progress }), save);
    this.cancelRun = run.cancel;
    try {
      const result = await run.done;
      if (result.opfsDir === null) {
        this.set({ converting: false, outcome: 'done', result, saved: result.plan.files.map((f) => (save?.kind === 'file' ? save.handle.name : f.name)) });
        return;
      }
      const dir = result.opfsDir;
      const outputs = await Promise.all(
        result.plan.files.map(async (f) => {
          const file = await opfsFile(dir, f.name);
          return { name: f.name, size: file.size, url: URL.createObjectURL(file) };
        }),
      );
      this.set({ converting: false, outcome: 'done', result, outputs });
    } catch (e) {
      if (isCancelled(e)) this.set({ converting: false, outcome: 'cancelled', notice: 'Cancelled, nothing was written.' });
      else {
        this.set({ outcome: 'failed' });
        this.fail(e, 'convert');
      }
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

/** Each typed field parsed alone, so the message lands beside the field that caused it. */
export function validateOptions(o: QuantizeOptionsText): Partial<Record<OptionKey, string>> {
  const errors: Partial<Record<OptionKey, string>> = {};
  const keys: OptionKey[] = ['outputTensorType', 'tokenEmbeddingType', 'tensorTypes', 'overrideKv', 'splitMaxSize', 'pruneLayers'];
  for (const k of keys) {
    if (o[k] === undefined) continue;
    try {
      parseQuantizeOptions({ [k]: o[k] });
    } catch (e) {
      errors[k] = e instanceof Error ? e.message : String(e);
    }
  }
  if (!errors.splitMaxSize && o.keepSplit && o.splitMaxSize && o.splitMaxSize.trim() !== '') errors.splitMaxSize = 'a size limit and “one output part per input part” exclude each other: clear one';
  return errors;
}
