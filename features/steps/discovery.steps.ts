/**
 * Steps of discovery.feature: the line's first states (PerformingNetworkDiscovery while its stack
 * binds, then Registering/Ready) as the endpoint's log reports them from the very start, and
 * RFC 3263 NAPTR -> SRV -> A resolution of the line's server with dnsmasq publishing the records
 * and Kamailio sites (started by the failover steps' "the registrar has a primary and a
 * secondary site") as registrars.
 */
import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import { SinkLogger } from '@sip-endpoint/base';
import { ConnectionState } from '@sip-endpoint/endpoint';
import { startDnsmasq, until } from '../support/peers';
import type { CallWorld } from '../support/world';

/** Every SIP message each actor's line sent, by remote address, and every 200 to a REGISTER. */
interface Traffic {
  readonly sentTo: Set<string>;
  /** `protocol remote` of every 200 OK to a REGISTER. */
  readonly registeredAt: string[];
}
const traffic = new WeakMap<CallWorld, Map<string, Traffic>>();

/** A logger recording `from` of the first state change, then every `to`: the line's whole history. */
function historyLogger(world: CallWorld, name: string): SinkLogger {
  const states: string[] = [];
  world.lineStates.set(name, states);
  return new SinkLogger((r) => {
    if (r.message !== 'connection state') return;
    if (states.length === 0) states.push(String(r.fields['from']));
    states.push(String(r.fields['to']));
  }, 'info');
}

When("{actor}'s desktop starts her standalone line", async function (this: CallWorld, name: string) {
  await this.start(name, { options: { logger: historyLogger(this, name) } });
});

Then(/^(Alice|Bob|Carol)'s line went (\w+(?:, then \w+)*)$/, async function (this: CallWorld, name: string, list: string) {
  const want = list.split(', then ');
  const states = this.lineStates.get(name) ?? [];
  await until(() => states.length >= want.length, 10_000, `${name}'s line to go ${want.join(' -> ')} (saw ${states.join(' -> ')})`).catch(() => undefined);
  assert.deepEqual(states.slice(0, want.length), want, `${name}'s line went ${states.join(' -> ')}`);
  assert.equal(this.actor(name).endpoint.connections[0]?.state, want.at(-1));
});

function sitePort(world: CallWorld, site: string): number {
  const s = world.sites.get(site);
  if (!s) throw new Error(`no ${site} site (add the Given step)`);
  return s.port;
}

Given(
  'DNS publishes for "test.local": NAPTR records offering TCP to the secondary site first, then UDP to the primary site, and a plain UDP SRV record for the secondary site',
  async function (this: CallWorld) {
    const primary = sitePort(this, 'primary');
    const secondary = sitePort(this, 'secondary');
    const dns = await startDnsmasq({
      localDomains: ['test.local'],
      // RFC 3403 / RFC 3263 §4.1: order 10 before order 20; flag "s": the replacement is an SRV name.
      naptr: ['test.local,10,10,s,SIP+D2T,,_sip._tcp.secondary.test.local', 'test.local,20,10,s,SIP+D2U,,_sip._udp.primary.test.local'],
      srv: [
        `_sip._tcp.secondary.test.local,secondary.test.local,${secondary},10,0`,
        `_sip._udp.primary.test.local,primary.test.local,${primary},10,0`,
        // What a client that ignored NAPTR would find (RFC 3263 §4.1's SRV-only fallback).
        `_sip._udp.test.local,secondary.test.local,${secondary},10,0`,
      ],
      hosts: ['primary.test.local,127.0.0.1', 'secondary.test.local,127.0.0.1'],
    });
    this.dns = dns;
    this.cleanups.push(() => dns.stop());
  },
);

When('{actor} signs in over UDP to "test.local" as {int}', async function (this: CallWorld, name: string, user: number) {
  assert.ok(this.dns, 'no DNS server (add the Given step)');
  this.numbers.set(name, String(user));
  const p = await this.start(name, {
    config: {
      // The server is a bare domain (no port, no transport): RFC 3263 §4.1 starts with NAPTR.
      connectivity: [{ user: String(user), server: 'test.local', protocol: 'UDP' }],
      proxies: [{ reg_timeout: 60, reg_interval: 30, password: 'secret' }],
      sip: { dns: { servers: [this.dns.server] }, timers: { t1Ms: 50, t2Ms: 400 } },
    },
    options: { domain: 'test.local', logger: historyLogger(this, name) },
  });
  const t: Traffic = { sentTo: new Set(), registeredAt: [] };
  const byActor = traffic.get(this) ?? new Map<string, Traffic>();
  byActor.set(name, t);
  traffic.set(this, byActor);
  p.endpoint.connections[0]?.userAgent?.stack.onDidLogMessage(({ direction, message, remote, protocol }) => {
    if (direction === 'out') t.sentTo.add(remote);
    else if (message.startLine().startsWith('SIP/2.0 200') && message.cseq.method === 'REGISTER') t.registeredAt.push(`${String(protocol).toUpperCase()} ${remote}`);
  });
});

Then('{actor}\'s line registered over UDP at the primary site', async function (this: CallWorld, name: string) {
  const t = traffic.get(this)?.get(name);
  assert.ok(t, `${name} did not sign in through DNS`);
  const want = `UDP 127.0.0.1:${sitePort(this, 'primary')}`;
  await until(() => t.registeredAt.includes(want), 10_000, `${name}'s REGISTER answered 200 over UDP by the primary site (got: ${t.registeredAt.join(', ') || 'none'})`);
  assert.equal(this.actor(name).endpoint.connections[0]?.state, ConnectionState.Ready);
});

Then("{actor}'s line sent nothing to the secondary site", function (this: CallWorld, name: string) {
  const t = traffic.get(this)?.get(name);
  assert.ok(t);
  const secondary = `127.0.0.1:${sitePort(this, 'secondary')}`;
  assert.ok(!t.sentTo.has(secondary), `${name}'s line sent to the secondary site (${[...t.sentTo].join(', ')})`);
});
