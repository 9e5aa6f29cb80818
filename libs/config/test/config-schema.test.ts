import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allSettings, jsonSchema, KNOWN_CODECS, renderConfigReference } from '@sip-endpoint/config';
import { generatedFiles, staleFiles } from '../scripts/generated';

const libRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface JsonSchemaNode {
  type?: string;
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  required?: string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  description?: string;
  'x-secret'?: boolean;
}

describe('settings table', () => {
  it('covers every setting of the Genesys spec and the SDK settings', () => {
    const keys = allSettings().map((s) => s.key);
    for (const k of [
      'user:N',
      'server:N',
      'protocol:N',
      'policy.endpoint.public_address',
      'policy.endpoint.ip_versions',
      'policy.endpoint.signaling_qos',
      'policy.endpoint.audio_qos',
      'policy.endpoint.video_qos',
      'policy.endpoint.include_os_version_in_user_agent_header',
      'policy.endpoint.sip_port_min',
      'policy.endpoint.sip_port_max',
      'policy.endpoint.rtp_port_min',
      'policy.endpoint.rtp_port_max',
      'policy.endpoint.rtp_inactivity_timeout',
      'policy.endpoint.vq_report_publish',
      'policy.endpoint.vq_report_collector',
      'policy.session.agc_mode',
      'policy.session.dtx_mode',
      'policy.session.vad_level',
      'policy.session.reject_session_when_headset_na',
      'policy.session.sip_code_when_headset_na',
      'policy.session.auto_answer',
      'policy.session.auto_accept_video',
      'policy.session.dtmf_method',
      'policy.device.use_headset',
      'policy.device.headset_name',
      'policy.device.audio_in_device',
      'policy.device.audio_out_device',
      ...KNOWN_CODECS.map((c) => `codecs.${c}`),
      'proxies.proxyN.reg_timeout',
      'proxies.proxyN.reg_interval',
      'proxies.proxyN.reg_match_received_rport',
      'proxies.proxyN.password',
      'proxies.proxyN.display_name',
      'proxies.proxyN.mailbox.user',
      'proxies.proxyN.mailbox.server',
      'proxies.proxyN.mailbox.transport',
      'proxies.proxyN.mailbox.timeout',
      'proxies.proxyN.mailbox.password',
      'proxies.proxyN.nat.ice_enabled',
      'proxies.proxyN.nat.stun_server',
      'proxies.proxyN.nat.stun_server_port',
      'proxies.proxyN.nat.turn_server',
      'proxies.proxyN.nat.turn_server_port',
      'proxies.proxyN.nat.turn_user_name',
      'proxies.proxyN.nat.turn_password',
      'proxies.proxyN.nat.turn_relay_type',
      'system.diagnostics.enable_logging',
      'system.diagnostics.logger_type',
      'system.diagnostics.log_file',
      'system.diagnostics.log_level',
      'system.diagnostics.log_options_provider',
      'system.security.tls_enabled',
      'system.security.cert_file',
      'system.security.use_srtp',
      'sip.timers.t1Ms',
      'sip.timers.t2Ms',
      'sip.timers.t4Ms',
      'sip.transports.udp.port',
      'sip.transports.tls.enabled',
      'sip.tls.keyFile',
      'sip.dns.servers',
      'logging.level',
      'logging.file.path',
    ])
      expect(keys, k).toContain(k);
  });

  it('gives every setting a doc string, an apply mode and a default (except user and server)', () => {
    for (const s of allSettings()) {
      expect(s.meta.doc.length, s.key).toBeGreaterThan(5);
      expect(['live', 'reregister', 'restart'], s.key).toContain(s.meta.applies);
      if (s.key !== 'user:N' && s.key !== 'server:N') expect(s.meta.defaultValue, s.key).not.toBeUndefined();
    }
  });
});

describe('JSON Schema export', () => {
  const schema = jsonSchema() as unknown as JsonSchemaNode & { $schema: string };

  it('is a draft 2020-12 object schema with the sections of the config', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(['connectivity', 'policy', 'codecs', 'proxies', 'system', 'sip', 'logging', '$schema']));
  });

  it('carries types, ranges, defaults, enums and descriptions of the settings', () => {
    const conn = schema.properties?.['connectivity']?.items;
    expect(conn?.required).toEqual(['user', 'server']);
    expect(conn?.properties?.['protocol']?.enum).toEqual(['UDP', 'TCP', 'TLS']);
    const nat = schema.properties?.['proxies']?.items?.properties?.['nat']?.properties;
    expect(nat?.['stun_server_port']).toMatchObject({ type: 'integer', minimum: 0, maximum: 65535, default: 3478 });
    expect(nat?.['turn_password']?.['x-secret']).toBe(true);
    expect(nat?.['ice_enabled']?.description).toMatch(/ICE.*Applies: reregister\./);
    const t1 = schema.properties?.['sip']?.properties?.['timers']?.properties?.['t1Ms'];
    expect(t1).toMatchObject({ type: 'integer', default: 500 });
  });

  it('the checked-in endpoint.config.schema.json is the export', () => {
    const onDisk = JSON.parse(readFileSync(resolve(libRoot, 'endpoint.config.schema.json'), 'utf8')) as unknown;
    expect(onDisk).toEqual(jsonSchema());
  });
});

describe('docs/config-reference.md', () => {
  it('lists every setting with type, default and when it applies', () => {
    const md = renderConfigReference();
    for (const s of allSettings()) {
      const row = md.split('\n').find((l) => l.startsWith(`| \`${s.key}\` |`));
      expect(row, s.key).toBeDefined();
      expect(row, s.key).toContain(` ${s.meta.applies} `);
    }
    expect(md).toContain('| `proxies.proxyN.reg_timeout` | integer 0..2147483647 | `1800` | reregister |');
  });

  it('is current (the CI check passes)', () => {
    const onDisk = readFileSync(resolve(libRoot, '../../docs/config-reference.md'), 'utf8');
    expect(onDisk).toBe(renderConfigReference());
    const out = execFileSync(process.execPath, ['--conditions=@sip-endpoint/source', '--import', 'tsx', 'scripts/gen-docs.ts', '--check'], {
      cwd: libRoot,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out).toContain('current');
  });

  it('the check reports a stale or missing generated file', () => {
    const dir = mkdtempSync(resolve(tmpdir(), 'config-docs-'));
    try {
      const files = generatedFiles(libRoot).map((f, i) => ({ ...f, path: resolve(dir, `f${i}`) }));
      writeFileSync(files[0]!.path, files[0]!.content);
      expect(staleFiles(files).map((f) => f.path)).toEqual([files[1]!.path]);
      writeFileSync(files[1]!.path, files[1]!.content);
      expect(staleFiles(files)).toEqual([]);
      writeFileSync(files[0]!.path, `${files[0]!.content}edited by hand\n`);
      expect(staleFiles(files).map((f) => f.path)).toEqual([files[0]!.path]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
