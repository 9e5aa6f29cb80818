import { readFile } from 'node:fs/promises';
import { ConfigError } from '@sip-endpoint/base';
import { parseJsonConfig } from './json';
import type { ParsedConfig } from './model';
import { parseXmlConfig } from './xml';

/** Which format a configuration text is in: its first non-blank character decides, then the extension. */
export function detectFormat(text: string, path = ''): 'xml' | 'json' {
  const first = /\S/.exec(text.replace(/^\uFEFF/, ''))?.[0];
  if (first === '<') return 'xml';
  if (first === '{' || first === '[') return 'json';
  return /\.json$/i.test(path) ? 'json' : 'xml';
}

/**
 * Reads a configuration file, XML (`SipEndpoint.config`) or JSON (`*.json`), detected from its
 * content. The promise resolves with the validated configuration.
 *
 * @throws ConfigError (the promise rejects) when the file cannot be read or is invalid; the error
 *   lists every problem of the file with line, column and key path.
 */
export async function loadConfigFile(path: string): Promise<ParsedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError({ keyPath: '', message: `cannot read the file: ${(e as Error).message}`, file: path }, { cause: e });
  }
  const body = text.replace(/^\uFEFF/, '');
  return detectFormat(body, path) === 'json' ? parseJsonConfig(body, { file: path }) : parseXmlConfig(body, { file: path });
}
