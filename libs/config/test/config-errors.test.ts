import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '@sip-endpoint/base';
import { createConfig, loadConfigFile, parseJsonConfig, parseXmlConfig } from '@sip-endpoint/config';
import { configErrorOf, fixture, read } from './helpers';

describe('each kind of error names file, line, column and key path', () => {
  it('malformed XML', async () => {
    const e = await configErrorOf(() => loadConfigFile(fixture('malformed.config')));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.code).toBe(ErrorCode.ConfigInvalid);
    expect(e.issues[0]).toMatchObject({ keyPath: '', file: fixture('malformed.config'), line: 5 });
    expect(e.issues[0]?.message).toMatch(/^malformed XML: /);
    expect(e.issues[0]?.column).toBeGreaterThan(0);
    expect(e.message).toContain(`${fixture('malformed.config')}:5:`);
  });

  it('collects several XML well-formedness errors at once', async () => {
    const e = await configErrorOf(() => parseXmlConfig('<SipEndpoint>\n<Basic a=1>\n</Basic>\n</Wrong>\n', { file: 'x' }));
    expect(e.issues.length).toBeGreaterThanOrEqual(2);
    expect(new Set(e.issues.map((i) => i.line)).size).toBeGreaterThanOrEqual(2);
  });

  it('a wrong type', async () => {
    const e = await configErrorOf(() => loadConfigFile(fixture('wrong-type.config')));
    expect(e.issues).toEqual([
      { keyPath: 'policy.session.auto_answer', message: "'maybe' is not a boolean (0 or 1)", file: fixture('wrong-type.config'), line: 10, column: 39 },
    ]);
  });

  it('an out-of-range port', async () => {
    const e = await configErrorOf(() => loadConfigFile(fixture('port-range.config')));
    expect(e.issues).toEqual([
      { keyPath: 'proxies.proxy0.nat.stun_server_port', message: '70000 is out of range 0..65535', file: fixture('port-range.config'), line: 11, column: 46 },
    ]);
  });

  it('a missing server points at its Connectivity line', async () => {
    const e = await configErrorOf(() => loadConfigFile(fixture('missing-server.config')));
    expect(e.issues).toEqual([{ keyPath: 'server:1', message: 'server is required', file: fixture('missing-server.config'), line: 5, column: 5 }]);
  });

  it('a setting without a value, a section without a name', async () => {
    const xml = `<SipEndpoint><Basic><Connectivity user="1" server="h"/></Basic><Genesys><settings>
<domain name="policy"><section><setting name="x" value="1"/></section><section name="session"><setting name="auto_answer"/></section></domain>
</settings></Genesys></SipEndpoint>`;
    const e = await configErrorOf(() => parseXmlConfig(xml, { file: 'f' }));
    expect(e.issues.map((i) => [i.keyPath, i.message, i.line])).toEqual([
      ['policy', '<section> needs a non-empty name attribute', 2],
      ['policy.session.auto_answer', 'setting has no value attribute', 2],
    ]);
  });

  it('a non-list setting given twice', async () => {
    const xml = `<SipEndpoint><Basic><Connectivity user="1" server="h" protocol="UDP" transport="TCP"/></Basic></SipEndpoint>`;
    const e = await configErrorOf(() => parseXmlConfig(xml));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatchObject({ keyPath: 'protocol:0', message: 'is given twice (first at line 1)' });
  });
});

describe('all errors of a file are reported together, in file order', () => {
  it('XML', async () => {
    const file = fixture('many-errors.config');
    const e = await configErrorOf(() => loadConfigFile(file));
    expect(e.issues.map((i) => [i.keyPath, i.line, i.column, i.message])).toEqual([
      ['server:0', 4, 5, 'server is required'],
      ['server:1', 5, 31, 'port 99999 is out of range 1..65535'],
      ['protocol:1', 5, 62, "'SCTP' is not one of UDP, TCP, TLS"],
      ['policy.endpoint.sip_port_min', 11, 40, "'abc' is not an integer"],
      ['policy.endpoint.rtp_port_max', 12, 40, '65536 is out of range 0..65535'],
      ['codecs.opus/48000/2', 16, 38, '200 is out of range 0..127'],
      ['codecs.G722/16000', 18, 36, 'priority 3 is already used by PCMU/8000'],
    ]);
    expect(e.issues.every((i) => i.file === file)).toBe(true);
    expect(e.message).toMatch(/^7 configuration errors:/);
  });

  it('JSON, with positions of the values', async () => {
    const file = fixture('errors.json');
    const e = await configErrorOf(() => loadConfigFile(file));
    expect(e.issues.map((i) => [i.keyPath, i.line, i.message])).toEqual([
      ['server:1', 4, 'server is required'],
      ['user:1', 4, 'expected string, got 5002'],
      ['policy.session.auto_answer', 7, "expected boolean, got 'yes please'"],
      ['policy.endpoint.rtp_port_min', 8, '-1 is out of range 0..65535'],
      ['codecs.PCMA/8000', 10, 'priority 8 is already used by PCMU/8000'],
    ]);
    const text = read(file);
    const line8 = text.split('\n')[7] ?? '';
    expect(e.issues[3]?.column).toBe(line8.indexOf('-1') + 1);
  });

  it('cross-field checks: port ranges and T1 <= T2', async () => {
    const e = await configErrorOf(() =>
      createConfig({ policy: { endpoint: { sip_port_min: 6000, rtp_port_min: 20000, rtp_port_max: 10000 } }, sip: { timers: { t1Ms: 5000 } } }),
    );
    expect(e.issues.map((i) => i.keyPath)).toEqual(['policy.endpoint.sip_port_min', 'policy.endpoint.rtp_port_min', 'sip.timers.t1Ms']);
    expect(e.issues[0]?.message).toBe('sip_port_min (6000) is greater than sip_port_max (5080)');
  });
});

describe('JSON syntax and shape', () => {
  it('malformed JSON names line and column', async () => {
    const file = fixture('malformed.json');
    const e = await configErrorOf(() => loadConfigFile(file));
    expect(e.issues).toEqual([{ keyPath: '', message: 'malformed JSON: expected a property name in double quotes', file, line: 6, column: 39 }]);
  });

  it('a section of the wrong shape', async () => {
    const e = await configErrorOf(() => parseJsonConfig('{"policy": {"session": 5}, "connectivity": {"user": "1"}}'));
    expect(e.issues.map((i) => [i.keyPath, i.message])).toEqual([
      ['policy.session', 'expected an object, got 5'],
      ['connectivity', 'expected a list'],
    ]);
  });

  it('a configuration that is not an object', async () => {
    const e = await configErrorOf(() => parseJsonConfig('[1, 2]', { file: 'a.json' }));
    expect(e.issues[0]).toMatchObject({ keyPath: '', message: 'a configuration must be an object, got an array', file: 'a.json', line: 1, column: 1 });
  });

  it('a list setting with an empty item, a server that is not host[:port]', async () => {
    const e = await configErrorOf(() => createConfig({ connectivity: [{ user: '1', server: 'a b' }], policy: { device: { headset_name: ['Jabra', ''] } } }));
    expect(e.issues.map((i) => [i.keyPath, i.message])).toEqual([
      ['server:0', "'a b' is not host[:port]"],
      ['policy.device.headset_name.1', 'must not be empty'],
    ]);
  });
});
