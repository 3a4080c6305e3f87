import { z } from 'zod';
import { configSchema } from './schema.js';

/** Where the published schema can be fetched: the file inside the npm package, through unpkg. */
export function configSchemaId(version: string): string {
  return `https://unpkg.com/@fmi/core@${version}/dist/fmi.schema.json`;
}

/**
 * The JSON Schema (draft 2020-12) of an FMI-TS `fmi.json`, generated from `configSchema` so the
 * two cannot drift apart. `scripts/write-schema.mjs` writes it to `dist/fmi.schema.json` at build
 * time; an `fmi.json` points at it with `"$schema"` for editor completion and checks.
 *
 * It describes the FMI-TS format only. FMI's original format (`backends` + `model`) is accepted by
 * the loader but has no schema of its own here.
 */
export function buildConfigJsonSchema(version: string): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
  const { $schema, ...body } = generated;
  return {
    $schema,
    $id: configSchemaId(version),
    title: 'FMI configuration (fmi.json)',
    description:
      'Configuration of FMI, MPI-style messaging for serverless functions. Merged in this order, later winning: ' +
      'this file (path in FMI_CONFIG), FMI_* environment variables, programmatic options. Unknown keys are errors.',
    ...body,
  };
}
