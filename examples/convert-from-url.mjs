// Converts a model straight from a URL or the Hugging Face Hub, using only the public package
// API. The input is read by HTTP ranges (never stored whole); the output is written and verified
// before it appears under its name.
//
//   node examples/convert-from-url.mjs <url | owner/repo[@rev][:QUANT]> <output.gguf> [TYPE|PRESET]
//   HF_TOKEN=hf_... node examples/convert-from-url.mjs meta-llama/Llama-3.2-1B out.gguf Q4_K_M
import { convertToFile, openModel } from 'tensor-kiln';

const [input, output, target = 'Q4_K_M'] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node examples/convert-from-url.mjs <url | owner/repo> <output.gguf> [TYPE|PRESET]');
  process.exit(2);
}
const ac = new AbortController();
process.once('SIGINT', () => ac.abort());

const model = await openModel(input, { token: process.env.HF_TOKEN, signal: ac.signal });
console.error(`${model.format}: ${model.tensors.length} tensors`);
let last = 0;
const { plan, run } = await convertToFile(model, output, {
  target,
  signal: ac.signal,
  onProgress: (p) => {
    if (p.seconds - last < 1) return;
    last = p.seconds;
    console.error(`${((100 * p.bytesIn) / p.bytesInTotal).toFixed(0)}% ${p.mbPerSec.toFixed(0)} MB/s`);
  },
});
const requests = model.sources.reduce((a, s) => a + (s.requests ?? 0), 0);
console.error(`${plan.target}: ${(plan.outputBytes / 1e6).toFixed(1)} MB in ${run.seconds.toFixed(1)} s, ${requests} HTTP requests`);
console.log(output);
