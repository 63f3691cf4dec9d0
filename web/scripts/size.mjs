// Sums the gzip sizes of the built JavaScript (dist/assets/*.js) and fails over the budget.
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUDGET = 500 * 1024;
const dir = fileURLToPath(new URL('../dist/assets/', import.meta.url));
let files;
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.js'));
} catch {
  console.error('no dist/assets: run `npm run build` first');
  process.exit(1);
}
let total = 0;
const rows = files.map((f) => {
  const gz = gzipSync(readFileSync(join(dir, f)), { level: 9 }).length;
  total += gz;
  return [f, gz];
});
rows.sort((a, b) => b[1] - a[1]);
for (const [f, gz] of rows) console.log(`${(gz / 1024).toFixed(1).padStart(8)} kB  ${f}`);
console.log(`${(total / 1024).toFixed(1).padStart(8)} kB  total JavaScript, gzipped (${files.length} files; budget ${BUDGET / 1024} kB)`);
if (total > BUDGET) {
  console.error('over the bundle budget');
  process.exit(1);
}
