/**
 * @packageDocumentation
 * Typed configuration of the SIP endpoint SDK. Reads the Genesys-style `SipEndpoint.config` XML
 * file, JSON, or a plain object; validates everything at the edge with one `ConfigError` (from `@sip-endpoint/base`)
 * listing every problem; lets a running endpoint read and change settings by their Genesys
 * runtime keys ({@link ConfigurationService}); writes the configuration back as XML or JSON.
 */
export {
  endpointConfigSchema,
  KNOWN_CODECS,
  DEFAULT_CODEC_PRIORITIES,
  type EndpointConfig,
  type EndpointConfigInput,
  type ConnectivityConfig,
  type ProxyConfig,
  type CodecName,
  type ApplyMode,
  type SettingKind,
  type SettingMeta,
} from './schema';
export { canonicalKey, allSettings, type SettingDescriptor, type PathSegment } from './keys';
export { type ParsedConfig, type UnknownSetting, type UnknownValue, type SettingValue, type SourcePosition, type CodecsLocation } from './model';
export { parseXmlConfig, toXml, type ParseOptions, type SerializeOptions } from './xml';
export { parseJsonConfig, createConfig, toJson, toPlainObject } from './json';
export { loadConfigFile, detectFormat } from './load';
export { ConfigurationService, type ConfigurationChange, type ConfigurationChangeEvent, type ConfigurationServiceOptions } from './service';
export { jsonSchema, renderConfigReference } from './reference';
