/**
 * Turns what the pipeline threw into words for people: what happened, what to do, and the
 * technical detail (class, message with its offsets and tensor names) kept for a disclosure.
 */

/** Where the problem arose, so the page shows it beside the control that caused it. */
export type ProblemPlace = 'open' | 'plan' | 'convert';

/** A fix the page can offer in place (a button that sets the option). */
export type ProblemFix = 'allowRequantize' | 'skipUnconvertible';

export interface Problem {
  readonly place: ProblemPlace;
  /** One plain sentence: what happened. */
  readonly what: string;
  /** What the person can do about it. */
  readonly advice: string;
  /** "Name: message" as the pipeline said it. */
  readonly detail: string;
  readonly fix?: ProblemFix;
}

function nameOf(e: unknown): string {
  return e instanceof Error ? e.name : 'Error';
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isCancelled(e: unknown): boolean {
  return nameOf(e) === 'CancelledError';
}

export function explain(e: unknown, place: ProblemPlace, files: readonly string[] = []): Problem {
  const name = nameOf(e);
  const msg = messageOf(e);
  const detail = `${name}: ${msg}`;
  const p = (what: string, advice: string, fix?: ProblemFix): Problem => ({ place, what, advice, detail, ...(fix ? { fix } : {}) });

  if (/--allow-requantize/.test(msg) || /requantiz/i.test(msg)) {
    return p(
      'This model is already quantized, so making it smaller means quantizing it again (requantizing).',
      'Requantizing works, but loses more quality than quantizing the original float weights would; use the F16/F32 original if you have it, or allow requantizing.',
      'allowRequantize',
    );
  }
  if (/--skip-unconvertible|cannot be converted to/.test(msg)) {
    return p('Some tensors have a type the chosen output format cannot hold (listed under details).', 'Leave those tensors out, or choose the other output format.', 'skipUnconvertible');
  }
  if (/importance matrix/i.test(msg)) {
    return p('This type needs an importance matrix, which Kiln cannot make yet.', 'Choose another type, such as Q4_K_M or IQ4_XS.');
  }
  if (name === 'OptionError') {
    return p('One of the options is not valid.', 'Correct the field marked in Options.');
  }
  if (name === 'FormatError' || name === 'UnsupportedError' || name === 'PickleTruncatedError') {
    const file = files.find((f) => msg.includes(f));
    const which = file ? `"${file}"` : files.length === 1 ? `"${files[0]}"` : 'The file';
    // a version number no writer ever used means the bytes are not a model, not a newer format
    const version = /version (\d+)/.exec(msg);
    const unsupported = name === 'UnsupportedError' && !(version && Number(version[1]) > 100);
    return p(
      unsupported ? `${which} uses a feature of its format that Kiln does not read.` : `${which} could not be read as a model: it is damaged, cut short or not a model file.`,
      unsupported
        ? 'Convert it to safetensors or GGUF with the tool that wrote it, then open that.'
        : 'Check that the download finished and that you picked the model file itself (GGUF, safetensors, PyTorch, TensorFlow or ONNX); for split or sharded models open all parts together.',
    );
  }
  if (name === 'StorageFullError' || /QuotaExceeded/.test(name)) {
    return p('There is not enough space for the output in the browser’s storage.', 'Free disk space, or use “Convert and save to…” to write straight to a file you choose.');
  }
  if (name === 'InvalidDataError') {
    return p('A tensor holds values llama.cpp refuses (NaN or infinity), so the output would not load.', 'Fix the source model, or pick a float output type, which keeps the values as they are.');
  }
  if (name === 'StallError') {
    return p('The conversion stopped making progress.', 'Try again; if it stalls again, choose CPU under “Run on”.');
  }
  if (name === 'VerifyError') {
    return p('The written file did not match what was converted, so it was removed.', 'Try again; if it fails again, report the details below.');
  }
  if (name === 'PlanError' || name === 'QuantizePlanError' || name === 'UnconvertibleTensorsError') {
    const tensor = tensorNamed(msg);
    const key = /key not found in model: (\S+)/.exec(msg)?.[1];
    const why = tensor ? ` The tensor “${tensor}” stopped it${shapeReason(msg)}.` : key ? ` The model lacks the metadata key “${key}”, which this type needs.` : '';
    return p(`Kiln cannot make this output from this model with these choices.${why}`, tensor ? 'Pick another type or output format, or leave that tensor as it is with a per-tensor type in Options.' : 'Pick another type or output format.');
  }
  if (name === 'WorkerError') {
    return p('The page’s worker stopped unexpectedly.', 'Reload the page and try again.');
  }
  if (place === 'open') return p('The model could not be opened.', 'Check that all of its files are selected, then try again.');
  return p('Something went wrong.', 'Try again; if it happens again, report the details below.');
}

/** The tensor a plan refusal names ('name', "name", (tensor name: ...) or a bare x.weight). */
export function tensorNamed(msg: string): string | null {
  const hit = /tensor ['"“]([^'"”]+)['"”]/.exec(msg) ?? /\(tensor ([^\s:)]+)/.exec(msg) ?? /\btensor ([\w.-]+\.(?:weight|bias))\b/.exec(msg) ?? /\b((?:[\w-]+\.)+(?:weight|bias))\b/.exec(msg);
  return hit ? hit[1]! : null;
}

/** A short reason from the message, when it is about a row length ("rows of 3 values are not whole 32-value blocks"). */
function shapeReason(msg: string): string {
  const m = /ncols (\d+) not divisible by (\d+)/.exec(msg);
  return m ? `: its rows of ${m[1]} values are not whole blocks of ${m[2]}` : '';
}
