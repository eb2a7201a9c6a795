import { mkdir, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openModel } from '../formats/open';
import { readSentencePiece } from '../formats/hf/sentencepiece';
import { NodeFileSource } from '../io/node/file-source';
import { NodeDirSinkFactory } from '../io/node/file-sink';
import type { TransformEngine } from '../pipeline/engine';
import { CancelledError, executePlan, type ProgressInfo } from '../pipeline/executor';
import { planHfExport } from '../pipeline/hf-export-plan';
import { verifyOutput, VerifyError } from '../pipeline/verify';
import type { CliIo } from './command';
import { expandPaths } from './files';
import { handleInterrupts } from './interrupt';
import { cliEngine } from './node-pool';
import { checkOutputDir, checkOutputFile, identifyInputs } from './output-target';
import { OutputFileError } from '../io/node/fs-errors';

/**
 * `convert model.gguf -o folder/ --format hf --type F32|F16|BF16`: a GGUF written back as a Hugging
 * Face folder. The weights stream through the executor like any conversion; config and tokenizer
 * files are planned before anything is written. Every file goes to a temporary name, the weights
 * are verified there, the small files are read back, and only then is everything renamed into place.
 */

export interface HfExportArgs {
  readonly inputs: readonly string[];
  readonly output: string;
  readonly type: string;
  readonly maxShardBytes: number | undefined;
  readonly verify: boolean;
  readonly quiet: boolean;
  readonly threads: number | undefined;
  readonly bar: (p: ProgressInfo) => string;
}

export async function runHfExport(args: HfExportArgs, io: CliIo): Promise<number> {
  const out = await checkOutputDir(args.output);
  const files = await expandPaths(args.inputs);
  const inputs = await identifyInputs(files);
  const sources: NodeFileSource[] = [];
  const ac = new AbortController();
  let sinks: NodeDirSinkFactory | null = null;
  let made = false;
  const uninstall = handleInterrupts(ac, io, () => sinks?.discardSync());
  const tty = process.stderr.isTTY === true && !args.quiet;
  let engine: TransformEngine | null = null;
  try {
    for (const f of files) sources.push(await NodeFileSource.open(f));
    const model = await openModel(sources);
    const plan = await planHfExport(model, { type: args.type, ...(args.maxShardBytes !== undefined ? { maxShardBytes: args.maxShardBytes } : {}) });
    for (const w of plan.warnings) io.err(`warning: ${w}\n`);
    const names = [...plan.weights.files.map((f) => f.name), ...plan.files.map((f) => f.name)];
    for (const n of names) await checkOutputFile(join(out.path, n), join(args.output, n), inputs);
    if (out.exists) await refuseStaleWeights(out.path, args.output, names);
    if (!out.exists) {
      await mkdir(out.path);
      made = true;
    }
    sinks = new NodeDirSinkFactory(out.path, { displayOf: (n) => join(args.output, n), deferCommit: true });
    engine = cliEngine(args.threads);
    let lastLine = 0;
    const res = await executePlan(plan.weights, engine, sinks, {
      signal: ac.signal,
      onProgress: (p) => {
        if (tty) io.err(`\r${args.bar(p)}\x1b[K`);
        else if (!args.quiet && p.seconds - lastLine >= 10) {
          lastLine = p.seconds;
          io.err(args.bar(p) + '\n');
        }
      },
    });
    if (tty) io.err('\n');
    for (const f of plan.files) {
      const sink = await sinks.create(f.name, f.bytes.length);
      await sink.write(f.bytes);
      await sink.close();
    }
    if (args.verify) {
      if (!args.quiet) io.err('verifying the written output\n');
      await verifyOutput(plan.weights, res, sinks, { signal: ac.signal });
      await verifySmallFiles(plan.files, sinks);
    }
    if (ac.signal.aborted) throw new CancelledError();
    await sinks.commit();
    if (!args.quiet) {
      io.err(`${plan.summary}: ${(plan.weights.inputBytes / 1e6).toFixed(1)} MB -> ${(plan.weights.outputBytes / 1e6).toFixed(1)} MB in ${res.seconds.toFixed(1)} s${args.verify ? ', verified' : ''}\n`);
    }
    for (const n of names) io.out(`${join(args.output, n)}\n`);
    return 0;
  } catch (e) {
    await sinks?.discard();
    if (made) await rmdir(out.path).catch(() => undefined); // only if empty: never someone else's files
    throw ac.signal.aborted ? new CancelledError() : e;
  } finally {
    if (tty) io.err('\r\x1b[K');
    uninstall();
    engine?.dispose();
    await sinks?.closeReopened();
    for (const s of sources) await s.close().catch(() => undefined);
  }
}

/**
 * Weight files of another save left in the folder would be read with the new ones by anything that
 * takes model*.safetensors (llama.cpp's converter, Kiln itself). save_pretrained deletes them; Kiln
 * deletes nothing it did not write, so it refuses and names them.
 */
async function refuseStaleWeights(dir: string, display: string, names: readonly string[]): Promise<void> {
  const mine = new Set(names);
  const stale = (await readdir(dir)).filter((n) => /^model.*\.safetensors(\.index\.json)?$/.test(n) && !mine.has(n));
  if (stale.length > 0) {
    throw new OutputFileError(display, `it holds weights of another save (${stale.join(', ')}), which would be read together with the new ones; remove them or choose another folder`);
  }
}

/** The small files read back from their temporary names: same bytes; JSON parses; tokenizer.model parses. */
async function verifySmallFiles(files: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>, sinks: NodeDirSinkFactory): Promise<void> {
  try {
    for (const f of files) {
      const src = await sinks.reopen(f.name);
      const back = await src.read(0, src.size);
      if (back.length !== f.bytes.length || back.some((b, i) => b !== f.bytes[i])) throw new VerifyError(`${f.name} reads back different from what was written`);
      if (f.name.endsWith('.json')) JSON.parse(new TextDecoder().decode(back));
      if (f.name === 'tokenizer.model') await readSentencePiece(src);
    }
  } finally {
    await sinks.closeReopened();
  }
}
