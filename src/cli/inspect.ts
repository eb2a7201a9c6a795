import { openModel } from '../node';
import { renderJsonPieces, renderText } from './render';
import { UsageError, type CliIo, type Command } from './command';
import { hubOptionsFromEnv } from './files';
import { isImatrixGguf, looksLikeDatImatrix, readImatrixFile, renderImatrixJson, renderImatrixText } from './inspect-imatrix';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show the format, metadata and tensors of a model',
  usage: [
    'usage: tensor-kiln inspect <file|dir|url|owner/repo>... [--json]',
    '',
    'Opens the files of one model (a GGUF or all parts of a split GGUF; safetensors with its',
    'shards and index; a directory stands for its files) and prints its format, container',
    'details, metadata and every tensor: name, type, shape (row-major, outermost first) and size.',
    'An importance matrix (llama-imatrix .gguf or legacy .dat) is shown as one: its dataset,',
    'chunks and every entry.',
    'A URL, or a Hugging Face repository (hf://owner/repo[@revision][:file|:QUANT]), is read by',
    'HTTP ranges: only the headers are fetched. HF_TOKEN in the environment opens gated repos.',
    '',
    '  --json   one JSON document on stdout, metadata arrays in full; u64/i64 values as strings',
  ].join('\n'),
  async run(args: readonly string[], io: CliIo): Promise<number> {
    let json = false;
    const paths: string[] = [];
    for (const a of args) {
      if (a === '--json') json = true;
      else if (a.startsWith('-')) throw new UsageError(`inspect: unknown option '${a}'`);
      else paths.push(a);
    }
    if (paths.length === 0) throw new UsageError('inspect: no files given');
    if (paths.length === 1 && looksLikeDatImatrix(paths[0]!)) {
      const im = await readImatrixFile(paths[0]!);
      io.out(json ? renderImatrixJson(im) : renderImatrixText(im));
      return 0;
    }
    const opened = await openModel(paths, hubOptionsFromEnv());
    try {
      const model = opened.view;
      if (paths.length === 1 && isImatrixGguf(model)) {
        const im = await readImatrixFile(paths[0]!);
        io.out(json ? renderImatrixJson(im) : renderImatrixText(im));
        return 0;
      }
      if (!json) io.out(renderText(model));
      else {
        for (const piece of renderJsonPieces(model)) {
          io.out(piece);
          await io.drain?.();
        }
      }
      return 0;
    } finally {
      await opened.close();
    }
  },
};
