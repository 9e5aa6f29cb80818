import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { jsonSchema, renderConfigReference } from '../src/index';

/** A generated file and the content it must have. */
export interface GeneratedFile {
  path: string;
  content: string;
}

/** The files generated from the settings table, with their expected content. */
export function generatedFiles(libRoot: string): GeneratedFile[] {
  return [
    { path: resolve(libRoot, '../../docs/config-reference.md'), content: renderConfigReference() },
    { path: resolve(libRoot, 'endpoint.config.schema.json'), content: `${JSON.stringify(jsonSchema(), null, 2)}\n` },
  ];
}

/** The files whose content on disk differs from what they must be (missing files included). */
export function staleFiles(files: readonly GeneratedFile[]): GeneratedFile[] {
  return files.filter((f) => {
    try {
      return readFileSync(f.path, 'utf8') !== f.content;
    } catch {
      return true;
    }
  });
}
