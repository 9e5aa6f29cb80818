import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '@sip-endpoint/base';
import { createConfig, detectFormat, loadConfigFile, parseJsonConfig, parseXmlConfig, DEFAULT_CODEC_PRIORITIES } from '@sip-endpoint/config';
import { configErrorOf, example, fixture, read } from './helpers';

describe('two-site example (XML and JSON)', () => {
  it('loads both lines with their proxies, NAT and mailbox sections', async () => {
    const { config, warnings, unknown } = await loadConfigFile(example('SipEndpoint.config'));
    expect(warnings).toEqual([]);
    expect(unknown).toEqual([]);
    expect(config.connectivity).toEqual([
      { user: '5001', server: 'sip.site-a.example.com:5060', protocol: 'UDP' },
      { user: '5001', server: 'sip.site-b.example.com:5070', protocol: 'TCP' },
    ]);
    expect(config.proxies).toHaveLength(2);
    expect(config.proxies[0]?.nat).toMatchObject({ ice_enabled: true, stun_server: 'stun.site-a.example.com', turn_password: 'turn-secret', turn_relay_type: 0 });
    expect(config.proxies[1]?.nat).toMatchObject({ ice_enabled: false, stun_server_port: 3479, turn_relay_type: 1, turn_server: '' });
    expect(config.proxies[0]?.mailbox).toEqual({ user: '9001', server: 'vm.site-a.example.com', transport: 'udp', timeout: 1800, password: '' });
    expect(config.proxies[1]?.mailbox.transport).toBe('tcp');
    expect(config.proxies[1]?.reg_timeout).toBe(3600);
    expect(config.policy.device.headset_name).toEqual(['Plantronics.*', 'Jabra.*']);
    expect(config.policy.endpoint.rtp_port_min).toBe(8000);
    expect(config.codecs['opus/48000/2']).toBe(10);
    expect(config.codecs['G729/8000']).toBe(0);
    expect(config.sip.timers).toEqual({ t1Ms: 500, t2Ms: 4000, t4Ms: 5000 });
    expect(config.sip.dns.servers).toEqual(['127.0.0.1:53']);
    expect(config.logging.file).toEqual({ enabled: true, path: 'sip-endpoint.log', level: 'debug' });
    expect(config.system.security.use_srtp).toBe('optional');
  });

  it('the JSON example describes the same setup', async () => {
    const xml = await loadConfigFile(example('SipEndpoint.config'));
    const json = await loadConfigFile(example('endpoint.config.json'));
    expect(json.config).toEqual(xml.config);
    expect(json.warnings).toEqual([]);
  });

  it('returns a deeply frozen configuration', async () => {
    const { config } = await loadConfigFile(example('SipEndpoint.config'));
    expect(Object.isFrozen(config.proxies[0]?.nat)).toBe(true);
  });
});

describe('standalone config', () => {
  it('reads an empty reg_timeout as 0 (no REGISTER) and decodes text case-insensitively', () => {
    const { config, codecsLocation } = parseXmlConfig(read(fixture('standalone.config')), { file: 'standalone.config' });
    expect(config.proxies).toHaveLength(1);
    expect(config.proxies[0]?.reg_timeout).toBe(0);
    expect(config.proxies[0]?.reg_interval).toBe(30);
    expect(config.connectivity[0]?.protocol).toBe('UDP');
    expect(config.policy.session.auto_answer).toBe(true);
    expect(config.policy.session.dtmf_method).toBe('Info');
    expect(codecsLocation).toBe('policy');
  });

  it('reads a non-numeric reg_timeout as 0 as well', () => {
    const text = read(fixture('standalone.config')).replace('name="reg_timeout" value=""', 'name="reg_timeout" value="none"');
    expect(parseXmlConfig(text).config.proxies[0]?.reg_timeout).toBe(0);
  });
});

describe('codecs', () => {
  const wrap = (genesys: string) =>
    `<SipEndpoint><Basic><Connectivity user="1" server="h"/></Basic><Genesys><settings>${genesys}</settings></Genesys></SipEndpoint>`;

  it('accepts codecs as a section of policy', () => {
    const p = parseXmlConfig(read(fixture('standalone.config')));
    expect(p.config.codecs['PCMA/8000']).toBe(5);
    expect(p.config.codecs['G722/16000']).toBe(6);
    expect(p.config.codecs['PCMU/8000']).toBe(0);
  });

  it('accepts codecs as a domain, with settings or with per-codec priority sections', () => {
    const a = parseXmlConfig(wrap('<domain name="codecs"><setting name="PCMU/8000" value="4"/></domain>'));
    const b = parseXmlConfig(wrap('<domain name="codecs"><section name="PCMU/8000"><setting name="priority" value="4"/></section></domain>'));
    expect(a.config.codecs['PCMU/8000']).toBe(4);
    expect(b.config.codecs).toEqual(a.config.codecs);
    expect(a.codecsLocation).toBe('domain');
  });

  it('rejects the same codec given both as a domain and under policy', async () => {
    const e = await configErrorOf(() =>
      parseXmlConfig(
        wrap('<domain name="codecs"><setting name="PCMU/8000" value="4"/></domain><domain name="policy"><section name="codecs"><setting name="PCMU/8000" value="5"/></section></domain>'),
      ),
    );
    expect(e.issues).toHaveLength(1);
    expect(e.keyPath).toBe('codecs.PCMU/8000');
    expect(e.issues[0]?.message).toMatch(/given twice \(first at line 1\)/);
  });

  it('uses the default codec set only when no codec is named', () => {
    expect(parseXmlConfig(wrap('')).config.codecs).toMatchObject(DEFAULT_CODEC_PRIORITIES);
    const named = parseXmlConfig(wrap('<domain name="codecs"><setting name="G722/16000" value="3"/></domain>')).config.codecs;
    expect(named['PCMU/8000']).toBe(0);
    expect(named['G722/16000']).toBe(3);
  });

  it('reports duplicate priorities with the key and position of the second codec', async () => {
    const e = await configErrorOf(() => loadConfigFile(fixture('duplicate-codecs.config')));
    expect(e.issues).toEqual([
      { keyPath: 'codecs.PCMA/8000', message: 'priority 5 is already used by PCMU/8000', file: fixture('duplicate-codecs.config'), line: 10, column: 35 },
    ]);
  });

  it('accepts policy.codecs in JSON too', () => {
    const p = createConfig({ connectivity: [{ user: '1', server: 'h' }], policy: { codecs: { 'pcmu/8000': 7 } } } as Record<string, unknown>);
    expect(p.config.codecs['PCMU/8000']).toBe(7);
  });
});

describe('unknown settings', () => {
  it('are kept with their position and reported as warnings', async () => {
    const path = fixture('unknown.config');
    const p = await loadConfigFile(path);
    expect(p.unknown.map((u) => [u.key, u.value, u.line])).toEqual([
      ['label:0', 'site-a', 4],
      ['policy.endpoint.future_flag', 'on', 10],
      ['codecs.speex/8000', '2', 17],
      ['vendor.acme.color', 'blue & green', 21],
      ['vendor.acme.tags', 'a', 22],
    ]);
    expect(p.warnings.filter((w) => w.message === 'unknown setting (kept)').map((w) => w.keyPath)).toEqual(p.unknown.map((u) => u.key));
    expect(p.warnings.every((w) => w.file === path && typeof w.line === 'number' && typeof w.column === 'number')).toBe(true);
    const ignored = p.warnings.find((w) => w.message.includes('<Bogus>'));
    expect(ignored).toMatchObject({ line: 25, column: 7 });
    expect(p.config.connectivity[0]).toEqual({ user: '5001', server: '[2001:db8::1]:5061', protocol: 'TLS' });
    expect(p.config.codecs['PCMU/8000']).toBe(4);
  });

  it('are kept from JSON at any depth', () => {
    const text = '{"connectivity":[{"user":"1","server":"h","label":"x"}],"policy":{"session":{"auto_answer":true,"beep":3}},"vendor":{"acme":{"on":true}}}';
    const p = parseJsonConfig(text, { file: 'a.json' });
    // Columns are 1-based and point at the value.
    expect(p.unknown.map((u) => [u.key, u.value, u.line, u.column])).toEqual([
      ['label:0', 'x', 1, text.indexOf('"x"') + 1],
      ['policy.session.beep', 3, 1, text.indexOf(':3') + 2],
      ['vendor.acme.on', true, 1, text.indexOf('true}}}') + 1],
    ]);
    expect(p.unknown.every((u) => u.file === 'a.json')).toBe(true);
    expect(p.config.policy.session.auto_answer).toBe(true);
  });
});

describe('loaders', () => {
  it('detects the format from the content, then the extension', () => {
    expect(detectFormat('\n  <SipEndpoint/>', 'x.json')).toBe('xml');
    expect(detectFormat('{ }', 'SipEndpoint.config')).toBe('json');
    expect(detectFormat('', 'a.json')).toBe('json');
    expect(detectFormat('', 'SipEndpoint.config')).toBe('xml');
  });

  it('creates a configuration from a plain object with defaults filled in', () => {
    const p = createConfig({ connectivity: [{ user: '5001', server: 'pbx.example.com' }], proxies: { proxy0: { reg_timeout: 0 } } } as Record<string, unknown>);
    expect(p.config.connectivity[0]?.protocol).toBe('UDP');
    expect(p.config.proxies[0]?.reg_timeout).toBe(0);
    expect(p.config.proxies[0]?.nat.stun_server_port).toBe(3478);
    expect(p.config.sip.timers.t1Ms).toBe(500);
    expect(p.config.policy.session.sip_code_when_headset_na).toBe(480);
  });

  it('accepts an empty configuration (no line yet)', () => {
    const p = createConfig({});
    expect(p.config.connectivity).toEqual([]);
    expect(p.config.proxies).toEqual([]);
  });

  it('rejects a missing file with a ConfigError naming it', async () => {
    const e = await configErrorOf(() => loadConfigFile(fixture('no-such.config')));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.code).toBe(ErrorCode.ConfigInvalid);
    expect(e.file).toBe(fixture('no-such.config'));
    expect(e.message).toMatch(/cannot read the file/);
  });

  it('rejects a root element other than SipEndpoint', async () => {
    const e = await configErrorOf(() => parseXmlConfig('<Config/>', { file: 'c.xml' }));
    expect(e.issues[0]).toMatchObject({ message: 'the root element must be <SipEndpoint>, not <Config>', file: 'c.xml', line: 1, column: 1 });
  });
});
