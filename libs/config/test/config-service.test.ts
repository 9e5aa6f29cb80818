import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DisposableStore, ensureNoDisposablesAreLeakedInTestSuite, SinkLogger, type LogRecord } from '@sip-endpoint/base';
import { ConfigurationService, createConfig, loadConfigFile, parseXmlConfig, type ConfigurationChangeEvent } from '@sip-endpoint/config';
import { configErrorOf, example, fixture, read } from './helpers';

describe('ConfigurationService', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  let store: DisposableStore;
  let svc: ConfigurationService;
  let events: ConfigurationChangeEvent[];
  beforeEach(async () => {
    store = new DisposableStore();
    svc = store.add(new ConfigurationService(await loadConfigFile(example('SipEndpoint.config'))));
    events = [];
    svc.onDidChangeConfiguration((e) => events.push(e), undefined, store);
  });
  afterEach(() => store.dispose());

  describe('get', () => {
    it('reads Basic keys as attr:N, with transport as an alias of protocol', () => {
      expect(svc.get('user:0')).toBe('5001');
      expect(svc.get('server:1')).toBe('sip.site-b.example.com:5070');
      expect(svc.get('protocol:0')).toBe('UDP');
      expect(svc.get('transport:1')).toBe('TCP');
      expect(svc.get('user.1')).toBe('5001');
    });

    it('reads Genesys keys with . and : interchangeable', () => {
      expect(svc.get('proxies.proxy0.nat.ice_enabled')).toBe('1');
      expect(svc.get('proxies:proxy0:nat:ice_enabled')).toBe('1');
      expect(svc.get('proxies.proxy1:nat.ice_enabled')).toBe('0');
      expect(svc.get('policy.session.auto_answer')).toBe('0');
      expect(svc.get('proxies.proxy1.mailbox.server')).toBe('vm.site-b.example.com');
      expect(svc.get('proxies.proxy0.reg_timeout')).toBe('1800');
    });

    it('reads codecs under every spelling, lists joined with a comma', () => {
      expect(svc.get('codecs.opus/48000/2')).toBe('10');
      expect(svc.get('policy.codecs.opus/48000/2')).toBe('10');
      expect(svc.get('codecs:PCMU/8000:priority')).toBe('8');
      expect(svc.get('codecs.G729/8000')).toBe('0');
      expect(svc.get('policy.device.headset_name')).toBe('Plantronics.*,Jabra.*');
      expect(svc.get('sip.timers.t1Ms')).toBe('500');
    });

    it('reads a missing key as an empty string', () => {
      expect(svc.get('user:7')).toBe('');
      expect(svc.get('policy.session.no_such_setting')).toBe('');
      expect(svc.get('')).toBe('');
      expect(svc.get('proxies.proxy9.reg_timeout')).toBe('');
    });

    it('lists every key', () => {
      const keys = svc.keys();
      expect(keys).toContain('user:1');
      expect(keys).toContain('proxies.proxy1.nat.turn_relay_type');
      expect(keys).toContain('logging.file.level');
      expect(new Set(keys).size).toBe(keys.length);
    });
  });

  describe('set', () => {
    it('changes a live setting and says so', () => {
      svc.set('policy:session:auto_answer', '1');
      expect(svc.get('policy.session.auto_answer')).toBe('1');
      expect(svc.config.policy.session.auto_answer).toBe(true);
      expect(events).toHaveLength(1);
      expect(events[0]?.keys).toEqual(['policy.session.auto_answer']);
      expect(events[0]?.applies).toEqual(['live']);
      expect(events[0]?.affects('policy.session')).toBe(true);
      expect(events[0]?.affects('policy:session:auto_answer')).toBe(true);
      expect(events[0]?.affects('proxies')).toBe(false);
      expect(events[0]?.config.policy.session.auto_answer).toBe(true);
    });

    it('reports reregister and restart changes', () => {
      svc.set('proxies.proxy1.nat.ice_enabled', true);
      expect(events[0]).toMatchObject({ keys: ['proxies.proxy1.nat.ice_enabled'], applies: ['reregister'] });
      svc.set('transport:0', 'tls');
      expect(svc.get('protocol:0')).toBe('TLS');
      expect(events[1]).toMatchObject({ keys: ['protocol:0'], applies: ['reregister'] });
      expect(events[1]?.affects('protocol')).toBe(true);
      svc.update({ 'system.security.tls_enabled': '1', 'policy.session.auto_answer': '1' });
      expect(events[2]?.keys).toEqual(['policy.session.auto_answer', 'system.security.tls_enabled']);
      expect(events[2]?.applies).toEqual(['live', 'restart']);
      expect(events[2]?.changes).toEqual([
        { key: 'policy.session.auto_answer', applies: 'live' },
        { key: 'system.security.tls_enabled', applies: 'restart' },
      ]);
    });

    it('fires nothing when the value does not change', () => {
      svc.set('user:0', '5001');
      svc.set('policy.session.auto_answer', false);
      expect(events).toEqual([]);
    });

    it('validates and changes nothing on error', async () => {
      const before = svc.toJson();
      for (const [key, value] of [
        ['proxies.proxy0.nat.stun_server_port', '70000'],
        ['policy.session.auto_answer', 'maybe'],
        ['codecs.G722/16000', '10'],
        ['server:0', ''],
        ['policy.session.dtmf_method', 'smoke'],
        ['policy.session.no_such_setting', '1'],
        ['user:5', '6001'],
        ['policy.session.vad_level', true],
      ] as const) {
        const e = await configErrorOf(() => svc.set(key, value));
        // A duplicate priority is reported on the codec that comes later in the table.
        expect(e.keyPath, key).toBe(key === 'codecs.G722/16000' ? 'codecs.opus/48000/2' : key);
        expect(e.issues, key).toHaveLength(1);
      }
      expect(svc.toJson()).toBe(before);
      expect(events).toEqual([]);
    });

    it('validates several changes together (adding a line needs user and server)', async () => {
      const e = await configErrorOf(() => svc.set('user:2', '5003'));
      expect(e.keyPath).toBe('server:2');
      expect(svc.get('user:2')).toBe('');
      svc.update({ 'user:2': '5003', 'server:2': 'sip.site-c.example.com', 'transport:2': 'udp' });
      expect(svc.config.connectivity).toHaveLength(3);
      expect(svc.config.proxies).toHaveLength(3);
      expect(svc.get('proxies.proxy2.reg_timeout')).toBe('1800');
      expect(events[0]?.keys).toEqual(expect.arrayContaining(['user:2', 'server:2', 'protocol:2', 'proxies.proxy2.reg_timeout']));
    });

    it('sets lists from text or arrays, and codecs to 0 to disable them', () => {
      svc.set('policy.device.audio_out_device', 'Headset.*, Speakers.*');
      expect(svc.config.policy.device.audio_out_device).toEqual(['Headset.*', 'Speakers.*']);
      svc.set('sip.dns.servers', ['10.0.0.1', '10.0.0.2:5353']);
      expect(svc.get('sip.dns.servers')).toBe('10.0.0.1,10.0.0.2:5353');
      svc.set('policy.codecs.opus/48000/2', '');
      expect(svc.get('codecs.opus/48000/2')).toBe('0');
      svc.set('codecs.G722/16000', 10);
      expect(svc.config.codecs['G722/16000']).toBe(10);
    });

    it('updates an unknown setting that came from the file (applies: restart)', async () => {
      const s = store.add(new ConfigurationService(parseXmlConfig(read(fixture('unknown.config')))));
      const seen: ConfigurationChangeEvent[] = [];
      s.onDidChangeConfiguration((e) => seen.push(e), undefined, store);
      {
        expect(s.get('vendor:acme:color')).toBe('blue & green');
        expect(s.get('label:0')).toBe('site-a');
        s.set('vendor.acme.color', 'red');
        expect(s.get('vendor.acme.color')).toBe('red');
        expect(seen[0]).toMatchObject({ keys: ['vendor.acme.color'], applies: ['restart'] });
        expect(s.toXml()).toContain('<setting name="color" value="red"/>');
      }
    });

    it('replace() reports every difference', () => {
      const next = createConfig({ connectivity: [{ user: '5001', server: 'sip.site-a.example.com:5060' }] });
      svc.replace(next);
      expect(events).toHaveLength(1);
      expect(events[0]?.keys).toEqual(expect.arrayContaining(['user:1', 'server:1', 'proxies.proxy1.reg_timeout', 'codecs.opus/48000/2']));
      expect(events[0]?.applies).toEqual(['live', 'reregister', 'restart']);
      expect(svc.get('user:1')).toBe('');
    });

    it('logs changes without values', () => {
      const records: LogRecord[] = [];
      const s = new ConfigurationService(createConfig({ connectivity: [{ user: '1', server: 'h' }] }), { logger: new SinkLogger((r) => records.push(r), 'info') });
      try {
        s.set('proxies.proxy0.password', 'hunter2');
        expect(records).toHaveLength(1);
        expect(records[0]?.fields).toMatchObject({ component: 'config', keys: ['proxies.proxy0.password'], applies: ['reregister'] });
        expect(JSON.stringify(records)).not.toContain('hunter2');
      } finally {
        s.dispose();
      }
    });

    it('refuses changes after dispose', async () => {
      const s = new ConfigurationService(createConfig({}));
      s.dispose();
      const e = await configErrorOf(() => s.set('policy.session.auto_answer', '1'));
      expect(e.message).toMatch(/disposed/);
    });
  });
});
