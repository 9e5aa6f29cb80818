import { resolve } from 'node:path';
import { jsonSchema, renderConfigReference } from '../src/index';

/** The files generated from the settings table, with their expected content. */
export function generatedFiles(libRoot: string): { path: string; content: string }[] {
  return [
    { path: resolve(libRoot, '../../docs/config-reference.md'), content: renderConfigReference() },
    { path: resolve(libRoot, 'endpoint.config.schema.json'), content: `${JSON.stringify(jsonSchema(), null, 2)}\n` },
  ];
}
