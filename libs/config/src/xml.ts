/**
 * The Genesys-style `SipEndpoint.config` XML format:
 *
 * ```xml
 * <SipEndpoint>
 *   <Basic><Connectivity user="5001" server="sip.example.com:5060" protocol="UDP"/></Basic>
 *   <Genesys><settings>
 *     <domain name="policy"><section name="session"><setting name="auto_answer" value="1"/></section></domain>
 *     <domain name="proxies"><section name="proxy0"><section name="nat">...</section></section></domain>
 *   </settings></Genesys>
 * </SipEndpoint>
 * ```
 *
 * Parsed with saxes, which reports line and column; every problem of a file is collected and
 * reported together in one {@link ConfigError}.
 */
import { ConfigError, type ConfigIssue } from '@sip-endpoint/base';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { canonicalKey, keyToPath } from './keys';
import { ConfigAssembler, encodeText, flattenConfig, type ParsedConfig, type SourcePosition } from './model';

/** Options of {@link parseXmlConfig}. */
export interface ParseOptions {
  /** The file name put in errors and warnings. */
  file?: string;
}

/** Options of the serializers. */
export interface SerializeOptions {
  /** Write settings that have their default value too (default `true`: the file says everything). */
  includeDefaults?: boolean;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function positionOf(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
}

type FrameKind = 'root' | 'basic' | 'genesys' | 'settings' | 'domain' | 'section' | 'leaf' | 'ignored';

interface Frame {
  kind: FrameKind;
  /** Domain and section names from `settings` down. */
  path: string[];
}

/**
 * Parses the text of a `SipEndpoint.config` file.
 *
 * @returns the validated configuration, unknown settings and warnings.
 * @throws ConfigError listing every problem (malformed XML, wrong types, out-of-range values,
 *   duplicate codec priorities, missing `server`, ...), each with file, line, column and key path.
 */
export function parseXmlConfig(text: string, options: ParseOptions = {}): ParsedConfig {
  const file = options.file;
  const asm = new ConfigAssembler(file);
  const starts = lineStarts(text);
  const parser = new SaxesParser({ position: true, xmlns: false });
  const xmlErrors: ConfigIssue[] = [];
  const stack: Frame[] = [];
  let sawRoot = false;
  let lines = 0;

  parser.on('error', (e) => {
    const message = e.message.replace(/^(?:[^:]*:)?\d+:\d+: /, '');
    const issue: ConfigIssue = { keyPath: '', message: `malformed XML: ${message}`, line: parser.line, column: parser.column, ...(file !== undefined ? { file } : {}) };
    if (!xmlErrors.some((x) => x.line === issue.line && x.column === issue.column)) xmlErrors.push(issue);
  });

  parser.on('opentag', (tag: SaxesTagPlain) => {
    const tagStart = text.lastIndexOf(`<${tag.name}`, Math.max(0, parser.position - 1));
    const pos: SourcePosition = positionOf(starts, Math.max(0, tagStart));
    const tagText = text.slice(Math.max(0, tagStart), parser.position);
    const attrPos = (name: string): SourcePosition => {
      const m = new RegExp(`\\s${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=\\s*["']`).exec(tagText);
      return m ? positionOf(starts, tagStart + m.index + 1) : pos;
    };
    const attr = (name: string): string | undefined => tag.attributes[name];
    const parent = stack[stack.length - 1];
    const push = (kind: FrameKind, path: string[] = parent?.path ?? []) => stack.push({ kind, path });
    const named = (what: string): string | undefined => {
      const n = attr('name');
      if (n === undefined || n.trim() === '') {
        asm.error([...(parent?.path ?? [])].join('.'), `<${what}> needs a non-empty name attribute`, pos);
        return undefined;
      }
      return n.trim();
    };

    if (!parent) {
      sawRoot = true;
      if (tag.name !== 'SipEndpoint') asm.error('', `the root element must be <SipEndpoint>, not <${tag.name}>`, pos);
      return push('root', []);
    }
    switch (parent.kind) {
      case 'root':
        if (tag.name === 'Basic') return push('basic');
        if (tag.name === 'Genesys') return push('genesys');
        break;
      case 'basic':
        if (tag.name === 'Connectivity') {
          const index = lines++;
          asm.touch(['connectivity', index], `connectivity:${index}`, pos);
          for (const [name, value] of Object.entries(tag.attributes)) asm.setText(canonicalKey(`${name}:${index}`), value, attrPos(name));
          return push('leaf');
        }
        break;
      case 'genesys':
        if (tag.name === 'settings') return push('settings', []);
        break;
      case 'settings':
      case 'domain':
      case 'section': {
        if (tag.name === 'domain' && parent.kind === 'settings') {
          const n = named('domain');
          return n === undefined ? push('ignored') : push('domain', [n]);
        }
        if (tag.name === 'section' && parent.kind !== 'settings') {
          const n = named('section');
          if (n === undefined) return push('ignored');
          if (parent.path[0] === 'policy' && parent.path.length === 1 && n === 'codecs') asm.codecsLocation = 'policy';
          return push('section', [...parent.path, n]);
        }
        if (tag.name === 'setting') {
          const n = named('setting');
          if (n === undefined) return push('ignored');
          const key = canonicalKey([...parent.path, n].join('.'));
          const value = attr('value');
          if (value === undefined) asm.error(key, 'setting has no value attribute', pos);
          else asm.setText(key, value, attrPos('value'));
          return push('leaf');
        }
        break;
      }
      default:
        break;
    }
    if (parent.kind !== 'ignored') asm.warn(parent.path.join('.'), `unexpected element <${tag.name}> ignored`, pos);
    return push('ignored');
  });

  parser.on('closetag', () => {
    stack.pop();
  });

  try {
    parser.write(text).close();
  } catch (e) {
    // saxes throws only when no error handler is set; keep whatever it says just in case.
    xmlErrors.push({ keyPath: '', message: `malformed XML: ${(e as Error).message}`, ...(file !== undefined ? { file } : {}) });
  }
  if (xmlErrors.length > 0) throw new ConfigError(xmlErrors);
  if (!sawRoot) throw new ConfigError({ keyPath: '', message: 'no <SipEndpoint> root element', ...(file !== undefined ? { file } : {}), line: 1, column: 1 });
  return asm.finish();
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

interface XmlNode {
  settings: [string, string][];
  children: Map<string, XmlNode>;
}

const newNode = (): XmlNode => ({ settings: [], children: new Map() });

function isDefault(meta: { defaultValue: unknown }, value: unknown): boolean {
  return JSON.stringify(meta.defaultValue) === JSON.stringify(value);
}

/**
 * Writes a configuration in the `SipEndpoint.config` XML format. Unknown settings are written back
 * where they were found (unknown `Connectivity` attributes included), so a round trip keeps them.
 */
export function toXml(parsed: ParsedConfig, options: SerializeOptions = {}): string {
  const includeDefaults = options.includeDefaults ?? true;
  const lines: Record<string, string>[] = parsed.config.connectivity.map(() => ({}));
  const tree = newNode();
  const insert = (segs: string[], value: string) => {
    let node = tree;
    for (const s of segs.slice(0, -1)) {
      let next = node.children.get(s);
      if (!next) node.children.set(s, (next = newNode()));
      node = next;
    }
    node.settings.push([segs[segs.length - 1] ?? '', value]);
  };
  const place = (key: string, values: string[]) => {
    const basic = /^([^.:]+):(\d+)$/.exec(key);
    if (basic) {
      const line = lines[Number(basic[2])];
      if (line && values[0] !== undefined) line[basic[1] ?? ''] = values[0];
      return;
    }
    let segs = key.split('.');
    if (segs[0] === 'codecs' && parsed.codecsLocation === 'policy') segs = ['policy', ...segs];
    for (const v of values) insert(segs, v);
  };
  for (const [key, { meta, value }] of flattenConfig(parsed.config)) {
    const path = keyToPath(key);
    const required = meta.defaultValue === undefined;
    if (!includeDefaults && !required && isDefault(meta, value)) continue;
    if (meta.kind === 'list') place(key, (value as string[]).map(String));
    else if (path[0] === 'codecs' && value === 0 && !includeDefaults) continue;
    else place(key, [encodeText(meta, value)]);
  }
  for (const u of parsed.unknown) place(u.key, Array.isArray(u.value) ? u.value.map((v) => String(v ?? '')) : [String(u.value ?? '')]);

  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', '<SipEndpoint>', '  <Basic>'];
  for (const line of lines) {
    const attrs = Object.entries(line)
      .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
      .join('');
    out.push(`    <Connectivity${attrs}/>`);
  }
  out.push('  </Basic>', '  <Genesys>', '    <settings>');
  const write = (node: XmlNode, depth: number) => {
    const pad = '  '.repeat(depth + 3);
    for (const [name, value] of node.settings) out.push(`${pad}<setting name="${escapeXml(name)}" value="${escapeXml(value)}"/>`);
    for (const [name, child] of node.children) {
      const el = depth === 0 ? 'domain' : 'section';
      out.push(`${pad}<${el} name="${escapeXml(name)}">`);
      write(child, depth + 1);
      out.push(`${pad}</${el}>`);
    }
  };
  write(tree, 0);
  out.push('    </settings>', '  </Genesys>', '</SipEndpoint>', '');
  return out.join('\n');
}
