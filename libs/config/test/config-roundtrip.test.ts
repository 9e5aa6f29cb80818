import { describe, expect, it } from 'vitest';
import { createConfig, loadConfigFile, parseJsonConfig, parseXmlConfig, toJson, toXml, type ParsedConfig } from '@sip-endpoint/config';
import { example, fixture, read } from './helpers';

const strip = (p: ParsedConfig) => p.unknown.map(({ key, value }) => ({ key, value }));

describe('round trips keep every setting, unknown ones included', () => {
  it('XML -> XML', async () => {
    const first = await loadConfigFile(example('SipEndpoint.config'));
    const again = parseXmlConfig(toXml(first));
    expect(again.config).toEqual(first.config);
    expect(again.warnings).toEqual([]);
  });

  it('XML with unknown settings -> XML -> XML is stable', () => {
    const first = parseXmlConfig(read(fixture('unknown.config')));
    const xml = toXml(first);
    expect(xml).toContain('<Connectivity user="5001" server="[2001:db8::1]:5061" protocol="TLS" label="site-a"/>');
    expect(xml).toContain('<setting name="color" value="blue &amp; green"/>');
    const second = parseXmlConfig(xml);
    expect(second.config).toEqual(first.config);
    expect(strip(second)).toEqual(strip(first));
    expect(toXml(second)).toBe(xml);
  });

  it('XML -> JSON -> XML keeps unknown settings and the codecs location', () => {
    const first = parseXmlConfig(read(fixture('unknown.config')));
    const json = toJson(first);
    const viaJson = parseJsonConfig(json);
    expect(viaJson.config).toEqual(first.config);
    expect(strip(viaJson)).toEqual(expect.arrayContaining(strip(first)));
    expect(strip(viaJson)).toHaveLength(strip(first).length);
    const parsedJson = JSON.parse(json) as { vendor: { acme: { color: string } }; connectivity: { label: string }[]; codecs: Record<string, string> };
    expect(parsedJson.vendor.acme.color).toBe('blue & green');
    expect(parsedJson.connectivity[0]?.label).toBe('site-a');
    expect(parsedJson.codecs['speex/8000']).toBe('2');
    const back = parseXmlConfig(toXml(viaJson));
    expect(back.config).toEqual(first.config);
    expect(strip(back)).toEqual(expect.arrayContaining(strip(first)));
  });

  it('an unknown list survives JSON -> XML -> JSON', () => {
    const first = parseJsonConfig('{"vendor":{"acme":{"tags":["a","b"],"n":5}}}');
    const xml = toXml(first);
    expect(xml.match(/<setting name="tags" value="[ab]"\/>/g)).toHaveLength(2);
    const back = parseXmlConfig(xml);
    expect(strip(back)).toEqual([
      { key: 'vendor.acme.tags', value: ['a', 'b'] },
      { key: 'vendor.acme.n', value: '5' },
    ]);
    expect(JSON.parse(toJson(back)).vendor).toEqual({ acme: { tags: ['a', 'b'], n: '5' } });
  });

  it('codecs under policy are written back under policy', () => {
    const first = parseXmlConfig(read(fixture('standalone.config')));
    const xml = toXml(first);
    expect(xml).toMatch(/<domain name="policy">[\s\S]*<section name="codecs">[\s\S]*<setting name="PCMA\/8000" value="5"\/>/);
    expect(xml).not.toContain('<domain name="codecs">');
    const again = parseXmlConfig(xml);
    expect(again.config).toEqual(first.config);
    expect(again.codecsLocation).toBe('policy');
  });

  it('JSON -> JSON, and JSON without defaults', async () => {
    const first = await loadConfigFile(example('endpoint.config.json'));
    expect(parseJsonConfig(toJson(first)).config).toEqual(first.config);
    const compact = toJson(first, { includeDefaults: false });
    expect(compact.length).toBeLessThan(toJson(first).length);
    expect(compact).not.toContain('"t1Ms"');
    expect(parseJsonConfig(compact).config).toEqual(first.config);
  });

  it('XML without defaults keeps the configuration', async () => {
    const first = await loadConfigFile(example('SipEndpoint.config'));
    const compact = toXml(first, { includeDefaults: false });
    expect(compact).not.toContain('name="t1Ms"');
    expect(compact).not.toContain('name="G729/8000"');
    expect(parseXmlConfig(compact).config).toEqual(first.config);
  });

  it('a standalone line keeps reg_timeout 0 through XML', () => {
    const p = createConfig({ connectivity: [{ user: '1', server: 'h' }], proxies: [{ reg_timeout: 0 }] });
    expect(toXml(p)).toContain('<setting name="reg_timeout" value="0"/>');
    expect(parseXmlConfig(toXml(p)).config.proxies[0]?.reg_timeout).toBe(0);
  });

  it('XML escapes special characters in values', () => {
    const p = createConfig({ connectivity: [{ user: '1', server: 'h' }], proxies: [{ display_name: `A "quoted" <name> & 'co'` }] });
    const xml = toXml(p);
    expect(xml).toContain('value="A &quot;quoted&quot; &lt;name&gt; &amp; &apos;co&apos;"');
    expect(parseXmlConfig(xml).config.proxies[0]?.display_name).toBe(`A "quoted" <name> & 'co'`);
  });
});
