import { basename, dirname } from 'node:path';
import { openModel } from '../formats/open';
import { NodeFileSource } from '../io/node/file-source';
import { NodeDirSinkFactory } from '../io/node/file-sink';
import type { TransformEngine } from '../pipeline/engine';
import { cliEngine } from './node-pool';
import { CancelledError, executePlan, type ProgressInfo } from '../pipeline/executor';
import type { OutputFormat } from '../pipeline/plan';
import { planConversion } from '../pipeline/planner';
import { verifyOutput } from '../pipeline/verify';
import { UsageError, type CliIo, type Command } from './command';
import { expandPaths, hubOptionsFromEnv, isRemoteInput } from './files';
import { openRemoteModel } from '../api/remote';
import { handleInterrupts } from './interrupt';
import { checkOutputFile, checkOutputFolder, identifyInputs } from './output-target';
import { outputNames, warnExtension } from './output-names';
import { OptionError, parseQuantizeOptions, type QuantizeOptionsText } from '../pipeline/quantize-options';
import { loadImatrix, withImatrix, type ImatrixChoice } from '../pipeline/imatrix-options';
import { describeImatrixCoverage, imatrixCoverage } from '../pipeline/imatrix-summary';
import { runHfExport } from './convert-hf';

const USAGE = [
  'usage: tensor-kiln convert <input|dir>... -o <output> --type <TYPE|PRESET> [options]',
  '',
  'Converts any model Kiln reads to GGUF or safetensors, streaming (the model never has to fit',
  'in memory), on the CPU. GGUF to GGUF with a preset gives the file llama-quantize would write.',
  'Inputs may be URLs (one per part) or hf://owner/repo[@revision][:file|:QUANT] on the Hugging',
  'Face Hub, read by HTTP ranges and never stored whole (HF_TOKEN opens gated repos).',
  '',
  '  -o, --output PATH          the output file, written exactly as given (a name that does not end',
  '                             in .gguf / .safetensors gets a warning); it appears only once it is',
  '                             complete and verified, and replaces a file of that name then. With',
  '                             --keep-split / --split-max-size, PATH without .gguf is the prefix of',
  '                             the parts, written beside it: <prefix>-00001-of-0000N.gguf.',
  '                             A directory, or one of the inputs, is refused.',
  '  -t, --type TYPE|PRESET     F32, F16, BF16, Q8_0, ... or a llama-quantize preset (Q4_K_M, ...)',
  '  --format gguf|safetensors|hf  default: from the output name (.safetensors), else gguf; hf writes a',
  '                             GGUF back as a Hugging Face folder (-o names the folder; --type F32, F16',
  '                             or BF16; --split-max-size sets the shard size, default 5G)',
  '',
  "llama-quantize's options (GGUF output):",
  '  --pure                     every quantizable tensor gets the preset\'s base type',
  '  --output-tensor-type T     type of output.weight',
  '  --token-embedding-type T   type of token_embd.weight',
  '  --tensor-type PATTERN=T    type of tensors whose name matches PATTERN (regex); repeatable',
  '  --leave-output-tensor      do not quantize output.weight',
  '  --allow-requantize         decode quantized tensors and quantize them again',
  '  --override-kv KEY=TYPE:V   set a metadata key (TYPE: int, float, bool, str); repeatable',
  '  --imatrix FILE             importance matrix (llama-imatrix .gguf or legacy .dat) to quantize with',
  '  --include-weights NAME     use only the imatrix entries whose name contains NAME; repeatable',
  '  --exclude-weights NAME     leave out the imatrix entries whose name contains NAME; repeatable',
  '  --prune-layers L0,L1,...   leave out these blocks and renumber the others (llama-quantize --prune-layers)',
  '  --keep-split               one output part per input part',
  '  --split-max-size N[M|G]    split the output into parts of at most N bytes (also safetensors shards)',
  '',
  '  --skip-unconvertible       leave out tensors the output cannot hold (unknown types, U8/BOOL in GGUF)',
  '',
  '  --threads N                CPU threads (default: one per core)',
  '  --no-verify                skip re-reading the output after writing',
  '  --quiet                    no progress bar',
].join('\n');

interface Args {
  inputs: string[];
  output: string;
  type: string;
  format: OutputFormat | 'hf';
  options: QuantizeOptionsText;
  verify: boolean;
  quiet: boolean;
  threads: number | undefined;
  imatrix: string | null;
  includeWeights: string[];
  excludeWeights: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const inputs: string[] = [];
  let output: string | null = null;
  let type: string | null = null;
  let format: OutputFormat | 'hf' | null = null;
  const o: { -readonly [K in keyof QuantizeOptionsText]: QuantizeOptionsText[K] } & { tensorTypes: string[]; overrideKv: string[] } = { tensorTypes: [], overrideKv: [] };
  let verify = true;
  let quiet = false;
  let threads: number | undefined;
  let imatrix: string | null = null;
  const includeWeights: string[] = [];
  const excludeWeights: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`convert: ${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '-o':
      case '--output':
        output = value();
        break;
      case '-t':
      case '--type':
        type = value();
        break;
      case '--format': {
        const f = value();
        if (f !== 'gguf' && f !== 'safetensors' && f !== 'hf') throw new UsageError(`convert: --format must be gguf, safetensors or hf, not '${f}'`);
        format = f;
        break;
      }
      case '--pure':
        o.pure = true;
        break;
      case '--output-tensor-type':
        o.outputTensorType = value();
        break;
      case '--token-embedding-type':
        o.tokenEmbeddingType = value();
        break;
      case '--tensor-type':
        o.tensorTypes.push(value());
        break;
      case '--leave-output-tensor':
        o.leaveOutputTensor = true;
        break;
      case '--allow-requantize':
        o.allowRequantize = true;
        break;
      case '--imatrix':
        imatrix = value();
        break;
      case '--include-weights':
        includeWeights.push(value());
        break;
      case '--exclude-weights':
        excludeWeights.push(value());
        break;
      case '--prune-layers':
        o.pruneLayers = value();
        break;
      case '--override-kv':
        o.overrideKv.push(value());
        break;
      case '--keep-split':
        o.keepSplit = true;
        break;
      case '--split-max-size':
        o.splitMaxSize = value();
        break;
      case '--skip-unconvertible':
        o.skipUnconvertible = true;
        break;
      case '--no-verify':
        verify = false;
        break;
      case '--quiet':
        quiet = true;
        break;
      case '--threads': {
        const v = value();
        threads = Number(v);
        if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new UsageError(`convert: --threads takes a number from 1 to 256, not '${v}'`);
        break;
      }
      default:
        if (arg.startsWith('-')) throw new UsageError(`convert: unknown option '${arg}'`);
        inputs.push(arg);
    }
  }
  if (inputs.length === 0) throw new UsageError('convert: no input files given');
  if (output === null) throw new UsageError('convert: no output given (-o PATH)');
  if (type === null) throw new UsageError('convert: no target given (--type TYPE|PRESET)');
  try {
    parseQuantizeOptions(o); // reject bad options before any file is opened
  } catch (e) {
    if (e instanceof OptionError) throw new UsageError(`convert: ${e.message}`);
    throw e;
  }
  if (includeWeights.length > 0 && excludeWeights.length > 0) throw new UsageError('convert: --include-weights and --exclude-weights cannot be used together');
  format ??= /\.safetensors$/i.test(output) ? 'safetensors' : 'gguf';
  return { inputs, output, type, format, options: o, verify, quiet, threads, imatrix, includeWeights, excludeWeights };
}

function bar(p: ProgressInfo): string {
  const frac = p.bytesInTotal > 0 ? p.bytesIn / p.bytesInTotal : 1;
  const width = 24;
  const full = Math.round(frac * width);
  const eta = p.etaSeconds === null ? '' : ` ETA ${Math.ceil(p.etaSeconds)} s`;
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}% ${(p.bytesIn / 1e6).toFixed(0)}/${(p.bytesInTotal / 1e6).toFixed(0)} MB ${p.mbPerSec.toFixed(0)} MB/s${eta} ${p.tensorsDone}/${p.tensorsTotal} tensors`;
}

export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert or quantize a model to GGUF or safetensors',
  usage: USAGE,
  async run(argv: readonly string[], io: CliIo): Promise<number> {
    const args = parseArgs(argv);
    if (args.format === 'hf') {
      const maxShardBytes = parseQuantizeOptions({ splitMaxSize: args.options.splitMaxSize }).maxPartBytes;
      return runHfExport({ inputs: args.inputs, output: args.output, type: args.type, maxShardBytes, verify: args.verify, quiet: args.quiet, threads: args.threads, bar }, io);
    }
    const format = args.format;
    const split = args.options.keepSplit === true || args.options.splitMaxSize !== undefined;
    // everything about the output that can be checked is checked before any input is read
    const outPath = await checkOutputFolder(args.output);
    // URLs and hf:// repos are read by HTTP ranges through the public API; nothing local to check
    const remote = args.inputs.every(isRemoteInput);
    const files = remote ? [] : await expandPaths(args.inputs);
    const inputs = await identifyInputs(files);
    if (!split) await checkOutputFile(outPath, args.output, inputs);
    const sources: NodeFileSource[] = [];
    const ac = new AbortController();
    let sinks: NodeDirSinkFactory | null = null;
    const uninstall = handleInterrupts(ac, io, () => sinks?.discardSync());
    const tty = process.stderr.isTTY === true && !args.quiet;
    let engine: TransformEngine | null = null;
    try {
      // llama-quantize reads the imatrix before the model
      let im: ImatrixChoice | null = null;
      if (args.imatrix !== null) {
        const src = await NodeFileSource.open(args.imatrix);
        try {
          im = await loadImatrix(src, args.imatrix, args.includeWeights, args.excludeWeights);
        } finally {
          await src.close().catch(() => undefined);
        }
      }
      for (const f of files) sources.push(await NodeFileSource.open(f));
      const model = remote ? (await openRemoteModel(args.inputs.map((i) => i.replace(/^hf:\/\//i, '')), hubOptionsFromEnv(ac.signal))).view : await openModel(sources);
      const plan = planConversion(model, { format, target: args.type, baseName: basename(outPath), ...withImatrix(parseQuantizeOptions(args.options), im) });
      for (const w of plan.warnings) io.err(`warning: ${w}\n`);
      if (im !== null && !args.quiet) for (const line of describeImatrixCoverage(imatrixCoverage(im, plan.tensors))) io.err(`imatrix: ${line}\n`);
      const out = outputNames(plan.files, args.output, outPath, split);
      for (const f of plan.files) await checkOutputFile(out.pathOf(f.name), out.displayOf(f.name), inputs);
      if (!split) warnExtension(args.output, plan.format, io);
      sinks = new NodeDirSinkFactory(dirname(outPath), { ...out, deferCommit: true });
      let lastLine = 0;
      engine = cliEngine(args.threads);
      const res = await executePlan(plan, engine, sinks, {
        signal: ac.signal,
        onProgress: (p) => {
          if (tty) io.err(`\r${bar(p)}\x1b[K`);
          else if (!args.quiet && p.seconds - lastLine >= 10) {
            lastLine = p.seconds;
            io.err(bar(p) + '\n');
          }
        },
      });
      if (tty) io.err('\n');
      // verified under the temporary names, so a bad output never replaces anything
      if (args.verify) {
        if (!args.quiet) io.err('verifying the written output\n');
        await verifyOutput(plan, res, sinks, { signal: ac.signal });
      }
      if (ac.signal.aborted) throw new CancelledError();
      await sinks.commit();
      const mbps = plan.inputBytes / 1e6 / Math.max(res.seconds, 1e-9);
      if (!args.quiet) {
        io.err(`${plan.target}: ${plan.tensors.length} tensors, ${(plan.inputBytes / 1e6).toFixed(1)} MB -> ${(plan.outputBytes / 1e6).toFixed(1)} MB in ${res.seconds.toFixed(1)} s (${mbps.toFixed(0)} MB/s)${args.verify ? ', verified' : ''}\n`);
      }
      for (const f of plan.files) io.out(`${out.pathOf(f.name)}\n`);
      return 0;
    } catch (e) {
      await sinks?.discard();
      throw ac.signal.aborted ? new CancelledError() : e;
    } finally {
      if (tty) io.err('\r\x1b[K');
      uninstall();
      engine?.dispose();
      await sinks?.closeReopened();
      for (const s of sources) await s.close().catch(() => undefined);
    }
  },
};
