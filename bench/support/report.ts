import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Prints a markdown table and keeps the raw rows in bench/out/<name>.json. */
export function report(name: string, title: string, rows: Record<string, string | number>[]): void {
  const cols = Object.keys(rows[0] ?? {});
  const lines = [`\n### ${title}`, '', `| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${cols.map((c) => String(r[c])).join(' | ')} |`)];
  process.stdout.write(lines.join('\n') + '\n');
  const dir = join(import.meta.dirname, '..', 'out');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ title, when: new Date().toISOString(), rows }, null, 2));
}

export const mb = (bytes: number) => bytes / 1e6;
export const fmt = (x: number, d = 1) => x.toFixed(d);
