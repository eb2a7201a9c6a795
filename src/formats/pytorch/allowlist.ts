/**
 * The globals a checkpoint may name, after torch/_weights_only_unpickler.py (_get_allowed_globals,
 * _tensor_rebuild_functions): collections.OrderedDict / Counter, torch.Size, torch.device,
 * torch.nn.parameter.Parameter, torch.Tensor and the legacy tensor classes, every dtype, the storage
 * classes, the quantization schemes, torch.serialization._get_layout, the torch._utils._rebuild_*
 * functions, torch._tensor._rebuild_from_type_v2, and _codecs.encode / builtins.bytearray / set /
 * complex (what protocol-2 pickles use for bytes, sets and complex numbers).
 *
 * Every allowed name maps to an inert TorchGlobal; calling one (REDUCE) is interpreted in
 * torch-policy.ts, never executed. Any other name, and any dotted (getattr-chain) name, is refused.
 */
import { allDtypeNames, dtypeByName, STORAGE_CLASS_NAMES, storageClassDtype, tensorClassDtype } from './dtypes';
import { TorchGlobal, type GlobalKind, type RebuildFn } from './torch-values';

const REBUILD_FNS: readonly RebuildFn[] = [
  '_rebuild_tensor',
  '_rebuild_tensor_v2',
  '_rebuild_tensor_v3',
  '_rebuild_parameter',
  '_rebuild_parameter_with_state',
  '_rebuild_qtensor',
  '_rebuild_sparse_tensor',
  '_rebuild_sparse_csr_tensor',
  '_rebuild_meta_tensor_no_storage',
  '_rebuild_wrapper_subclass',
  '_rebuild_device_tensor_from_numpy',
  '_rebuild_device_tensor_from_cpu_tensor',
  '_rebuild_nested_tensor',
];

const QSCHEMES = ['per_tensor_affine', 'per_tensor_symmetric', 'per_channel_affine', 'per_channel_symmetric', 'per_channel_affine_float_qparams'];

/** Python 2 module names that pickle's fix_imports maps, and torch's own renames (torch.load's load_module_mapping). */
const MODULE_RENAMES: Record<string, string> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  'torch.tensor': 'torch._tensor',
};

const ALLOWED = new Map<string, TorchGlobal>();

function allow(path: string, what: GlobalKind): void {
  ALLOWED.set(path, new TorchGlobal(path, what));
}

allow('collections.OrderedDict', { kind: 'class', cls: 'OrderedDict' });
allow('collections.Counter', { kind: 'class', cls: 'Counter' });
allow('torch.Size', { kind: 'class', cls: 'Size' });
allow('torch.device', { kind: 'class', cls: 'device' });
allow('torch.Tensor', { kind: 'class', cls: 'Tensor' });
allow('torch._tensor.Tensor', { kind: 'class', cls: 'Tensor' });
allow('torch.nn.parameter.Parameter', { kind: 'class', cls: 'Parameter' });
allow('builtins.set', { kind: 'class', cls: 'set' });
allow('builtins.bytearray', { kind: 'class', cls: 'bytearray' });
allow('builtins.complex', { kind: 'class', cls: 'complex' });
allow('_codecs.encode', { kind: 'function', fn: 'encode' });
allow('torch.serialization._get_layout', { kind: 'function', fn: 'get_layout' });
for (const fn of REBUILD_FNS) allow(`torch._utils.${fn}`, { kind: 'rebuild', fn });
allow('torch._tensor._rebuild_from_type_v2', { kind: 'rebuild', fn: '_rebuild_from_type_v2' });
for (const q of QSCHEMES) allow(`torch.${q}`, { kind: 'qscheme', name: q });
for (const name of allDtypeNames()) allow(`torch.${name}`, { kind: 'dtype', dtype: dtypeByName(name)! });
// torch.load maps any "*Storage" name to its dtype whatever the module (legacy CUDA checkpoints name torch.cuda.*).
for (const cls of STORAGE_CLASS_NAMES) {
  const dtype = storageClassDtype(cls)!;
  allow(`torch.${cls}`, { kind: 'storage', dtype });
  allow(`torch.cuda.${cls}`, { kind: 'storage', dtype });
  const tensorCls = cls.replace(/Storage$/, 'Tensor');
  if (tensorClassDtype(tensorCls)) {
    allow(`torch.${tensorCls}`, { kind: 'tensorClass', dtype });
    allow(`torch.cuda.${tensorCls}`, { kind: 'tensorClass', dtype });
  }
}
allow('torch.UntypedStorage', { kind: 'storage', dtype: null });
allow('torch.storage.UntypedStorage', { kind: 'storage', dtype: null });
allow('torch.storage._UntypedStorage', { kind: 'storage', dtype: null });

/**
 * The inert stand-in for `module.name`, or null when the name is not allowed. A dotted `name`
 * (protocol 4's qualified names, resolved by getattr chains) is never allowed.
 */
export function allowedGlobal(module: string, name: string): TorchGlobal | null {
  if (name.includes('.') || name.length === 0) return null;
  const mod = MODULE_RENAMES[module] ?? module;
  return ALLOWED.get(`${mod}.${name}`) ?? null;
}

/**
 * Python 2 module names CPython's unpickler renames (_compat_pickle.IMPORT_MAPPING, the entries an
 * attacker would reach for), so an error can say what a name would really have resolved to.
 */
const PY2_MODULES: Record<string, string> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  commands: 'subprocess',
  cPickle: 'pickle',
  thread: '_thread',
  urllib2: 'urllib.request',
  httplib: 'http.client',
  SocketServer: 'socketserver',
  StringIO: 'io',
  cStringIO: 'io',
  exceptions: 'builtins',
};

/** `module.name` as written, plus what Python 3 would resolve it to when that differs. */
export function describeGlobal(module: string, name: string): string {
  const py3 = PY2_MODULES[module];
  return py3 === undefined ? `"${module}.${name}"` : `"${module}.${name}" (Python 3: ${py3}.${name})`;
}

export function allowedGlobalCount(): number {
  return ALLOWED.size;
}
