import type { TypeName } from '../codecs/catalogue';
import type { TensorStats } from '../codecs/stats';
import type { TensorQuality } from '../codecs/quality';
import type { TensorHeatmap } from './heatmap-job';
import type { TensorValues } from './values-job';
import type { FormatName, MetaValue } from '../formats/model';
import type { ProgressInfo } from './executor';
import type { OutputFormat } from './plan';
import type { SaveTarget } from '../io/handle-sink';
import type { QuantizeOptionsText } from './quantize-options';
import type { KvUpdate } from './presets-plan';
import type { ImatrixCoverage } from './imatrix-summary';

/** Messages between the page and the pipeline worker (structured-clone friendly). */

export interface TensorSummary {
  readonly name: string;
  readonly type: TypeName | null;
  readonly typeLabel: string;
  readonly shape: readonly number[];
  readonly nbytes: number;
  readonly file: string;
  readonly fileOffset: number;
}

export interface ModelSummary {
  readonly format: FormatName;
  readonly files: readonly string[];
  readonly details: readonly (readonly [string, string])[];
  readonly metadata: readonly (readonly [string, MetaValue])[];
  readonly tensors: readonly TensorSummary[];
  readonly totalBytes: number;
}

export interface ConvertRequest {
  readonly format: OutputFormat;
  /** A type name (F16, Q8_0...) or a llama-quantize preset (Q4_K_M...). */
  readonly target: string;
  readonly baseName: string;
  /** Where conversions run: auto picks the GPU unless its adapter is a software fallback. */
  readonly engine?: EnginePreference;
  /** llama-quantize's options and the output split, as the user typed them. */
  readonly options?: QuantizeOptionsText;
  /** GGUF metadata edits: copy the open GGUF's tensors unchanged with these applied (target and options unused). */
  readonly metadataEdits?: readonly KvUpdate[];
  /** llama-quantize --imatrix (GGUF output): the file the user picked beside the model. */
  readonly imatrix?: ImatrixRequest;
}

/** An importance matrix to quantize with, and llama-quantize's filters on its entries. */
export interface ImatrixRequest {
  readonly file: Blob;
  /** As quantize.imatrix.file records it (the file's name). */
  readonly name: string;
  /** --include-weights / --exclude-weights (one of them at most). */
  readonly includeWeights?: readonly string[];
  readonly excludeWeights?: readonly string[];
}

export interface PlanSummary {
  readonly target: string;
  readonly format: OutputFormat;
  readonly files: readonly { readonly name: string; readonly size: number }[];
  readonly tensors: readonly { readonly name: string; readonly from: TypeName; readonly to: TypeName; readonly reason: string }[];
  readonly warnings: readonly string[];
  /** With an imatrix: what it holds and which quantized tensors get its weights. */
  readonly imatrix?: ImatrixCoverage;
}

export interface ConvertResult {
  readonly plan: PlanSummary;
  /** OPFS folder holding the files, or null when they were saved where the user chose. */
  readonly opfsDir: string | null;
  readonly seconds: number;
  readonly engine: string;
  readonly verified: boolean;
  /** Quantization error of every tensor whose type changed, measured during the run. */
  readonly quality?: readonly TensorQuality[];
}

/** One tensor's values before and after the run, binned alike (the same range and bin count). */
export interface CompareHistograms {
  readonly name: string;
  readonly lo: number;
  readonly hi: number;
  readonly before: readonly number[];
  readonly after: readonly number[];
}

/** What one target would give for the open model (the planner's sizes, no data read). */
export interface PlanEstimate {
  readonly target: string;
  /** Bytes of every output file together, or null when the plan refuses. */
  readonly outputBytes: number | null;
  readonly error: string | null;
}

export type EnginePreference = 'auto' | 'gpu' | 'cpu';

export interface EngineInfo {
  readonly gpu: boolean;
  readonly label: string;
  /** The adapter is a software renderer (SwiftShader): the CPU threads are faster. */
  readonly fallbackAdapter: boolean;
  readonly cpuThreads: number;
  /** Why there is no GPU, when there is none. */
  readonly note: string | null;
}

export type Request =
  | { readonly kind: 'open'; readonly id: number; readonly files: readonly File[] }
  /** A Hub repo (owner/repo[@rev][:file]) or URL, read by HTTP ranges; the token stays in the worker's memory for this model. */
  | { readonly kind: 'openRemote'; readonly id: number; readonly source: string; readonly token?: string }
  | { readonly kind: 'engine'; readonly id: number }
  | { readonly kind: 'stats'; readonly id: number; readonly tensor: number }
  | { readonly kind: 'plan'; readonly id: number; readonly request: ConvertRequest }
  | { readonly kind: 'convert'; readonly id: number; readonly request: ConvertRequest; readonly save?: SaveTarget }
  | { readonly kind: 'cancel'; readonly id: number; /** the convert request to stop */ readonly target: number }
  | { readonly kind: 'planAll'; readonly id: number; readonly request: ConvertRequest; readonly targets: readonly string[] }
  | { readonly kind: 'compare'; readonly id: number; readonly tensor: string; readonly bins: number }
  | { readonly kind: 'heatmap'; readonly id: number; readonly tensor: number }
  /** The first values of the first rows, decoded (the tensor detail's table). */
  | { readonly kind: 'values'; readonly id: number; readonly tensor: number };

export type Response =
  | { readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly error: { readonly name: string; readonly message: string } }
  | { readonly kind: 'progress'; readonly id: number; readonly progress: ProgressInfo };

export type ResultOf = {
  open: ModelSummary;
  openRemote: ModelSummary & { readonly fileBytes: number };
  engine: EngineInfo;
  stats: TensorStats;
  plan: PlanSummary;
  convert: ConvertResult;
  cancel: null;
  planAll: PlanEstimate[];
  compare: CompareHistograms;
  heatmap: TensorHeatmap;
  values: TensorValues;
};
