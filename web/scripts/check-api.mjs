// Fails when src/api/schema.d.ts is not what `npm run gen:api` makes from shared/api/openapi.json,
// so the console's types never drift from the API it calls.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const spec = new URL('../../shared/api/openapi.json', import.meta.url);
const schemaFile = fileURLToPath(new URL('../src/api/schema.d.ts', import.meta.url));
const ast = await openapiTS(spec);
const fresh = astToString(ast);
const checkedIn = readFileSync(schemaFile, 'utf8');
const norm = (s) => s.replace(/\r\n/g, '\n').replace(/^\/\*\*[\s\S]*?\*\/\n*/, '').trim();
if (norm(fresh) !== norm(checkedIn)) {
  console.error('web/src/api/schema.d.ts is stale: run `npm --prefix web run gen:api` and commit it.');
  process.exit(1);
}
console.log('schema.d.ts matches shared/api/openapi.json');
