import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@sip-endpoint/base';

const here = dirname(fileURLToPath(import.meta.url));

/** Absolute path of a test fixture. */
export const fixture = (name: string): string => resolve(here, 'fixtures', name);
/** Absolute path of a file under libs/config/examples. */
export const example = (name: string): string => resolve(here, '..', 'examples', name);
/** Text of a file. */
export const read = (path: string): string => readFileSync(path, 'utf8');

/** Runs `fn`, expects a ConfigError, and returns it. */
export async function configErrorOf(fn: () => unknown): Promise<ConfigError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}
