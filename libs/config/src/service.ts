import { ConfigError, Disposable, Emitter, nullLogger, type ConfigIssue, type Event, type Logger } from '@sip-endpoint/base';
import { canonicalKey, keyToPath, settingAt } from './keys';
import { decodeText, encodeText, flattenConfig, setAtPath, validateRaw, type ParsedConfig, type SettingValue, type UnknownSetting } from './model';
import type { ApplyMode, EndpointConfig } from './schema';
import { toJson } from './json';
import { toXml, type SerializeOptions } from './xml';

const APPLY_ORDER: readonly ApplyMode[] = ['live', 'reregister', 'restart'];

/** One changed setting. */
export interface ConfigurationChange {
  /** Canonical runtime key. */
  readonly key: string;
  /** When the change takes effect (`restart` for settings the schema does not know). */
  readonly applies: ApplyMode;
}

/** Payload of {@link ConfigurationService.onDidChangeConfiguration}. */
export interface ConfigurationChangeEvent {
  /** Canonical keys of every changed setting, in table order. */
  readonly keys: readonly string[];
  /** The distinct apply modes of the changes, in the order live, reregister, restart. */
  readonly applies: readonly ApplyMode[];
  /** Each change with its apply mode. */
  readonly changes: readonly ConfigurationChange[];
  /** The configuration after the change. */
  readonly config: EndpointConfig;
  /** Whether `key` (any spelling) or any key below the prefix `key` changed. */
  affects(key: string): boolean;
}

/** Options of {@link ConfigurationService}. */
export interface ConfigurationServiceOptions {
  /** Where changes are logged (values of secret settings are never logged). */
  logger?: Logger;
}

/**
 * The configuration of a running endpoint: read and change settings by their Genesys runtime keys
 * (`user:0`, `proxies.proxy0.nat.ice_enabled`; `.` and `:` interchangeable), get told what
 * changed, write the configuration back as XML or JSON.
 *
 * A change is validated as a whole before anything is changed: {@link ConfigurationService.set}
 * either applies and fires {@link ConfigurationService.onDidChangeConfiguration} once, or throws
 * a {@link ConfigError} and leaves everything as it was.
 */
export class ConfigurationService extends Disposable {
  private current: ParsedConfig;
  private flat: Map<string, string>;
  private readonly logger: Logger;
  private readonly changeEmitter = this._register(new Emitter<ConfigurationChangeEvent>());

  /**
   * Fires synchronously after every successful {@link set}, {@link update} or {@link replace}
   * that changed at least one setting, with the changed keys and when they apply.
   */
  readonly onDidChangeConfiguration: Event<ConfigurationChangeEvent> = this.changeEmitter.event;

  /** @param initial a configuration from one of the loaders (or {@link createConfig}). */
  constructor(initial: ParsedConfig, options: ConfigurationServiceOptions = {}) {
    super();
    this.current = initial;
    this.flat = flatText(initial);
    this.logger = (options.logger ?? nullLogger).child({ component: 'config' });
  }

  /** The typed configuration now (deeply frozen; replaced, never mutated, on change). */
  get config(): EndpointConfig {
    return this.current.config;
  }

  /** The whole parsed configuration now (typed config, unknown settings, warnings). */
  get parsed(): ParsedConfig {
    return this.current;
  }

  /** Settings the schema does not know, kept from the source. */
  get unknown(): readonly UnknownSetting[] {
    return this.current.unknown;
  }

  /** Warnings from loading (unknown settings kept, elements ignored), with file and line. */
  get warnings(): readonly ConfigIssue[] {
    return this.current.warnings;
  }

  /** Every key that has a value now (canonical spelling), unknown settings included. */
  keys(): string[] {
    return [...this.flat.keys()];
  }

  /**
   * The value of a setting as text, the way the Genesys SDK's `getConfigSetting` returns it
   * (booleans `0`/`1`, list items joined with `,`). A missing key reads as an empty string.
   */
  get(key: string): string {
    return this.flat.get(canonicalKey(key)) ?? '';
  }

  /**
   * Changes one setting. Text is decoded as in the XML file (`'1'`, `'1800'`); other values must
   * have the setting's type. Fires {@link onDidChangeConfiguration} when the value changed.
   *
   * @throws ConfigError (nothing changed) when the key is unknown or the value is invalid.
   */
  set(key: string, value: SettingValue): void {
    this.update({ [key]: value });
  }

  /**
   * Changes several settings at once, validated together (e.g. adding a `Connectivity` line with
   * its `user` and `server`). Fires one event for all of them.
   *
   * @throws ConfigError listing every problem; nothing is changed then.
   */
  update(changes: Readonly<Record<string, SettingValue>>): void {
    if (this.isDisposed) throw new ConfigError({ keyPath: '', message: 'the configuration service is disposed' });
    const raw = structuredClone(this.current.config) as unknown as Record<string, unknown>;
    const unknown = [...this.current.unknown];
    const issues: ConfigIssue[] = [];
    for (const [rawKey, value] of Object.entries(changes)) {
      const key = canonicalKey(rawKey);
      const meta = settingAt(key);
      if (!meta) {
        const i = unknown.findIndex((u) => u.key === key);
        if (i < 0) {
          issues.push({ keyPath: key, message: 'unknown setting' });
          continue;
        }
        unknown[i] = { ...unknown[i], key, value: Array.isArray(value) ? [...(value as string[])] : (value as string | number | boolean) };
        continue;
      }
      const path = keyToPath(key);
      if (path[0] === 'connectivity') {
        const lines = (raw['connectivity'] as unknown[]).length;
        if ((path[1] as number) > lines) {
          issues.push({ keyPath: key, message: `there is no Connectivity line ${path[1]} (lines: ${lines})` });
          continue;
        }
      }
      let typed: unknown = value;
      if (typeof value === 'string') {
        const d = decodeText(meta, value);
        if (!d.ok) {
          issues.push({ keyPath: key, message: d.message });
          continue;
        }
        typed = d.value;
      }
      setAtPath(raw, path, typed);
    }
    const conn = raw['connectivity'] as unknown[];
    const proxies = raw['proxies'] as unknown[];
    for (let i = 0; i < conn.length; i++) conn[i] ??= {};
    for (let i = 0; i < Math.max(conn.length, proxies.length); i++) proxies[i] ??= {};
    const result = validateRaw(raw, () => undefined);
    issues.push(...result.issues);
    if (issues.length > 0 || !result.config) throw new ConfigError(issues);
    this.commit({ ...this.current, config: result.config, unknown: Object.freeze(unknown) });
  }

  /**
   * Replaces the whole configuration (e.g. after the file was edited and loaded again) and fires
   * {@link onDidChangeConfiguration} for every setting that differs.
   */
  replace(next: ParsedConfig): void {
    this.commit(next);
  }

  private commit(next: ParsedConfig): void {
    const before = this.flat;
    const after = flatText(next);
    this.current = next;
    this.flat = after;
    const changes: ConfigurationChange[] = [];
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      if (before.get(key) === after.get(key)) continue;
      changes.push({ key, applies: settingAt(key)?.applies ?? 'restart' });
    }
    if (changes.length === 0) return;
    const keys = changes.map((c) => c.key);
    const applies = APPLY_ORDER.filter((m) => changes.some((c) => c.applies === m));
    this.logger.info('configuration changed', { keys, applies });
    const config = next.config;
    this.changeEmitter.fire({
      keys,
      applies,
      changes,
      config,
      affects: (k: string) => {
        const c = canonicalKey(k);
        return keys.some((x) => x === c || x.startsWith(`${c}.`) || (/^[^.:]+$/.test(c) && x.startsWith(`${c}:`)));
      },
    });
  }

  /** The configuration now in the `SipEndpoint.config` XML format (unknown settings kept). */
  toXml(options?: SerializeOptions): string {
    return toXml(this.current, options);
  }

  /** The configuration now as JSON (unknown settings kept). */
  toJson(options?: SerializeOptions): string {
    return toJson(this.current, options);
  }
}

function flatText(parsed: ParsedConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, { meta, value }] of flattenConfig(parsed.config)) out.set(key, encodeText(meta, value));
  for (const u of parsed.unknown) out.set(u.key, Array.isArray(u.value) ? u.value.map((v) => String(v ?? '')).join(',') : String(u.value ?? ''));
  return out;
}
