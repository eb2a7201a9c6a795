/**
 * The inert stand-ins the torch pickle policy hands out: named globals, storage references,
 * tensors (geometry only, no data) and opaque values. Nothing here reads a byte of storage.
 */
import { PyObject, type PyValue } from '../pickle/values';
import type { TorchDtype } from './dtypes';

export type GlobalKind =
  | { readonly kind: 'class'; readonly cls: 'OrderedDict' | 'Counter' | 'Size' | 'Tensor' | 'Parameter' | 'device' | 'set' | 'bytearray' | 'complex' }
  | { readonly kind: 'tensorClass'; readonly dtype: TorchDtype }
  | { readonly kind: 'dtype'; readonly dtype: TorchDtype }
  /** dtype null: torch.UntypedStorage, counted in bytes. */
  | { readonly kind: 'storage'; readonly dtype: TorchDtype | null }
  | { readonly kind: 'function'; readonly fn: 'encode' | 'get_layout' }
  | { readonly kind: 'rebuild'; readonly fn: RebuildFn }
  | { readonly kind: 'qscheme'; readonly name: string };

export type RebuildFn =
  | '_rebuild_tensor'
  | '_rebuild_tensor_v2'
  | '_rebuild_tensor_v3'
  | '_rebuild_parameter'
  | '_rebuild_parameter_with_state'
  | '_rebuild_qtensor'
  | '_rebuild_sparse_tensor'
  | '_rebuild_sparse_csr_tensor'
  | '_rebuild_meta_tensor_no_storage'
  | '_rebuild_wrapper_subclass'
  | '_rebuild_device_tensor_from_numpy'
  | '_rebuild_device_tensor_from_cpu_tensor'
  | '_rebuild_nested_tensor'
  | '_rebuild_from_type_v2';

/** An allowed global, by its full dotted path. */
export class TorchGlobal extends PyObject {
  constructor(
    readonly pyType: string,
    readonly what: GlobalKind,
  ) {
    super();
  }
}

/** A storage named by a persistent id. `numel` counts elements of `dtype` (bytes when untyped). */
export class StorageRef extends PyObject {
  readonly pyType = 'torch storage';
  constructor(
    readonly key: string,
    readonly dtype: TorchDtype,
    readonly untyped: boolean,
    readonly numel: number,
    readonly location: string,
    /** Legacy format only: this storage is a window of `key` starting `viewOffset` elements in. */
    readonly viewOffset = 0,
  ) {
    super();
  }
}

export interface QuantInfo {
  readonly scheme: string;
  readonly detail: string;
}

/** A tensor's geometry over a storage. `storage` null: a meta tensor or wrapper without data. */
export class TensorValue extends PyObject {
  readonly pyType = 'torch.Tensor';
  constructor(
    readonly storage: StorageRef | null,
    readonly dtype: TorchDtype,
    /** In elements of `dtype`, from the start of the storage. */
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    readonly quant: QuantInfo | null = null,
  ) {
    super();
  }
}

/** Something allowed but not a tensor or a container (torch.device, complex, sparse layouts...). */
export class OpaqueValue extends PyObject {
  constructor(
    readonly pyType: string,
    readonly label: string,
    /** Named parts that may hold tensors (a sparse tensor's indices and values). */
    readonly children: ReadonlyArray<readonly [string, PyValue]> = [],
  ) {
    super();
  }
}

/**
 * A reference the old tar format resolves only after its tensors and storages members are read:
 * its persistent ids are keys into those tables.
 */
export class DeferredRef extends PyObject {
  readonly pyType = 'persistent reference';
  constructor(
    readonly key: string,
    readonly at: number,
  ) {
    super();
  }
}
