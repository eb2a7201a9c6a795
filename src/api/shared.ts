/**
 * What both entry points export: the environment-neutral part of the public API (no DOM, no
 * Node built-ins, no WebGPU). src/index.ts (browser) and src/node.ts (Node) add their openers.
 */
export { KilnModel, KilnApiError, type ReadAs, type ReadTensorOptions, type ReadResult, type RowLayout } from './model';
export { planModelConversion, convertModel, type PlanOptions, type ConvertOptions, type ConvertResult } from './convert';
export { openRemoteModel, type RemoteModel } from './remote';
export { HttpSource, type HttpSourceOptions } from '../io/http-source';
export {
  HttpSourceError,
  HttpStatusError,
  RangeNotSupportedError,
  RemoteFileChangedError,
  ContentRangeError,
  HttpNetworkError,
  HttpAbortedError,
} from '../io/http-errors';
export { HubError, parseHubRef, listHubFiles, openHubFiles, hubResolveUrl, DEFAULT_HUB_URL, type HubOptions, type HubRef, type HubFile, type HubListing, type HubSelection, type HubModelKind, type HubModelFiles } from '../io/hub';
export { MemorySource, SliceSource, type ByteSource } from '../io/byte-source';
export { MemorySink, MemorySinkFactory, type ByteSink, type SinkFactory } from '../io/byte-sink';
export { openModel as openModelView, detectFile, type Detection, type FileKind } from '../formats/open';
export { FormatError, UnsupportedError, type FormatErrorWhere } from '../formats/errors';
export type { ModelView, TensorInfo, Metadata, MetaValue, MetaArray, FormatName, ScalarType } from '../formats/model';
export { TYPES, TYPE_NAMES, type TypeName, type TypeInfo } from '../codecs/catalogue';
export { CancelledError, ConversionError, InvalidDataError, type ProgressInfo, type RunResult } from '../pipeline/executor';
export { PlanError, UnconvertibleTensorsError, type ConversionPlan, type OutputFormat, type OutputFile, type PlannedOutputTensor } from '../pipeline/plan';
export { VerifyError } from '../pipeline/verify';
export { OptionError, type QuantizeOptionsText } from '../pipeline/quantize-options';
export type { TransformEngine } from '../pipeline/engine';
export type { TensorQuality } from '../codecs/quality';
