#!/usr/bin/env node
// The CLI is bundled by `npm run build:cli` (run by `npm install` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const bundle = new URL('../dist-cli/tensor-kiln.mjs', import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  process.stderr.write('tensor-kiln: the CLI is not built yet; run `npm run build:cli` in the package folder.\n');
  process.exit(2);
}
const { main } = await import(bundle.href);
process.exitCode = await main(process.argv.slice(2));
