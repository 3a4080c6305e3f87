// Writes dist/fmi.schema.json, the published JSON Schema of fmi.json (export "./fmi.schema.json").
// Runs after `tsc -p tsconfig.build.json`: it imports the compiled schema so the published file is
// generated from exactly the code that validates configurations at run time.
import { readFile, writeFile } from 'node:fs/promises';

const packageRoot = new URL('../', import.meta.url);
const builtModule = new URL('dist/config/json-schema.js', packageRoot);

let buildConfigJsonSchema;
try {
  ({ buildConfigJsonSchema } = await import(builtModule.href));
} catch (error) {
  console.error(`write-schema: cannot import ${builtModule.pathname} — run "tsc -p tsconfig.build.json" first`);
  throw error;
}

const { version } = JSON.parse(await readFile(new URL('package.json', packageRoot), 'utf8'));
const schema = buildConfigJsonSchema(version);
const target = new URL('dist/fmi.schema.json', packageRoot);
await writeFile(target, `${JSON.stringify(schema, null, 2)}\n`);
console.log(`write-schema: wrote ${target.pathname}`);
