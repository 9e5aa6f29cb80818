/**
 * Steps of failover.feature: geo-redundancy (genesys-compat §4) with two Kamailio sites on
 * 127.0.0.1 (realm test.local, password secret) and dnsmasq publishing them as SRV records of
 * `test.local` (priority 10: the primary, 20: the secondary). SIP timer T1 is 50 ms (Timer F
 * 3.2 s) and registrations last 4 s, retried every second, so a dead site shows within seconds.
 */
import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import { SinkLogger } from '@sip-endpoint/base';
import { ConnectionState, EndpointStatus, SessionState, type Connection } from '@sip-endpoint/endpoint';
import { freePort, hasProgram, sleep, startDnsmasq, startKamailioSite, until } from '../support/peers';
import { settle, TONE_OF, type CallWorld } from '../support/world';

/** Fast SIP timers: Timer F (64 x T1) is 3.2 s. */
const FAST = { timers: { t1Ms: 50, t2Ms: 400 } };
/** Registrations of 4 s, retried every second after a failure. */
const PROXY = { reg_timeout: 4, reg_interval: 1, password: 'secret' };

/** Per scenario: each actor's lines, in order, with the site each one points at and what it saw. */
interface Line {
  readonly site: string | undefined;
  readonly connection: Connection;
  /** `127.0.0.1:port` of every registrar that answered a REGISTER with 200, in order. */
  readonly registrars: string[];
  /** Every state after the line started. */
  readonly states: string[];
}
const linesOf = new WeakMap<CallWorld, Map<string, Line[]>>();

function lines(world: CallWorld, name: string): Line[] {
  const l = linesOf.get(world)?.get(name);
  if (!l?.length) throw new Error(`${name} has no registered line`);
  return l;
}

function lineAt(world: CallWorld, name: string, site: string): Line {
  const l = lines(world, name).find((x) => x.site === site);
  if (!l) throw new Error(`${name} has no line at the ${site} site`);
  return l;
}

function sitePort(world: CallWorld, site: string): number {
  const s = world.sites.get(site);
  if (!s) throw new Error(`no ${site} site (add the Given step)`);
  return s.port;
}

async function startSite(world: CallWorld, name: string, port?: number): Promise<void> {
  if (!hasProgram('/usr/sbin/kamailio')) throw new Error('kamailio is missing: apt-get install -y kamailio');
  const s = await startKamailioSite(port ?? (await freePort()));
  world.sites.set(name, s);
  world.cleanups.push(() => s.stop());
}

/** Starts `name` with one line per server (`site` names it for the later steps), registering. */
async function signIn(world: CallWorld, name: string, user: number, servers: { server: string; site: string | undefined }[], sip: Record<string, unknown>): Promise<void> {
  // The first transitions happen inside createEndpoint: read them from the log (as registration.steps.ts).
  const states: string[] = [];
  world.lineStates.set(name, states);
  const logger = new SinkLogger((r) => {
    if (r.message === 'connection state') states.push(String(r.fields['to']));
  }, 'info');
  world.numbers.set(name, String(user));
  const p = await world.start(name, {
    config: {
      connectivity: servers.map((s) => ({ user: String(user), server: s.server, protocol: 'UDP' })),
      proxies: servers.map(() => PROXY),
      sip,
    },
    options: { domain: 'test.local', logger },
  });
  const all: Line[] = p.endpoint.connections.map((connection, i) => {
    const line: Line = { site: servers[i]?.site, connection, registrars: [], states: [] };
    connection.userAgent?.stack.onDidLogMessage(({ direction, message, remote }) => {
      if (direction === 'in' && message.startLine().startsWith('SIP/2.0 200') && message.cseq.method === 'REGISTER') line.registrars.push(remote);
    });
    connection.onDidChangeState((e) => line.states.push(e.state));
    return line;
  });
  const byActor = linesOf.get(world) ?? new Map<string, Line[]>();
  byActor.set(name, all);
  linesOf.set(world, byActor);
}

Given('the registrar has a primary and a secondary site', async function (this: CallWorld) {
  await startSite(this, 'primary');
  await startSite(this, 'secondary');
});

Given('DNS publishes both sites for "test.local", the primary first', async function (this: CallWorld) {
  const dns = await startDnsmasq({
    localDomains: ['test.local'],
    // RFC 2782: the lower priority is tried first.
    srv: [`_sip._udp.test.local,primary.test.local,${sitePort(this, 'primary')},10,0`, `_sip._udp.test.local,secondary.test.local,${sitePort(this, 'secondary')},20,0`],
    hosts: ['primary.test.local,127.0.0.1', 'secondary.test.local,127.0.0.1'],
  });
  this.dns = dns;
  this.cleanups.push(() => dns.stop());
});

When('{actor} signs in to "test.local" as {int}', async function (this: CallWorld, name: string, user: number) {
  assert.ok(this.dns, 'no DNS server (add the Given step)');
  await signIn(this, name, user, [{ server: 'test.local', site: undefined }], { ...FAST, dns: { servers: [this.dns.server] } });
});

When('{actor} signs in at the {word} site as {int}', async function (this: CallWorld, name: string, site: string, user: number) {
  await signIn(this, name, user, [{ server: `127.0.0.1:${sitePort(this, site)}`, site }], FAST);
  const conn = this.actor(name).endpoint.connections[0];
  await until(() => conn?.state === ConnectionState.Ready, 10_000, `${name}'s line Ready at the ${site} site`);
});

Given('{actor} has a line at each site as {int}', async function (this: CallWorld, name: string, user: number) {
  const sites = ['primary', 'secondary'];
  await signIn(this, name, user, sites.map((site) => ({ server: `127.0.0.1:${sitePort(this, site)}`, site })), FAST);
  await until(() => lines(this, name).every((l) => l.connection.state === ConnectionState.Ready), 10_000, `${name}'s lines Ready`);
});

Then("{actor}'s line is Ready at the {word} site", async function (this: CallWorld, name: string, site: string) {
  const [line] = lines(this, name);
  assert.ok(line);
  const at = `127.0.0.1:${sitePort(this, site)}`;
  // After a failover the refresh goes to the next site (RFC 3263 §4.3): wait for its 200.
  await until(() => line.connection.state === ConnectionState.Ready && line.registrars.at(-1) === at, 15_000, `${name}'s line Ready at the ${site} site (registrars: ${line.registrars.join(', ')})`);
  assert.equal(this.actor(name).endpoint.status, EndpointStatus.Active);
});

Then("{actor}'s line never left Ready", function (this: CallWorld, name: string) {
  const [line] = lines(this, name);
  // The failing refresh moved to the secondary within one request: no Failed, no Registering.
  assert.deepEqual(line?.states.filter((s) => s !== ConnectionState.Ready), [], `${name}'s line went ${line?.states.join(' -> ')}`);
});

When('the {word} site stops', async function (this: CallWorld, site: string) {
  const s = this.sites.get(site);
  assert.ok(s, `no ${site} site`);
  await s.stop();
});

When('both sites stop', async function (this: CallWorld) {
  await Promise.all([...this.sites.values()].map((s) => s.stop()));
});

When('the {word} site comes back', async function (this: CallWorld, site: string) {
  // Same port as before: the DNS records still point there.
  await startSite(this, site, sitePort(this, site));
});

Then(/^(Alice|Bob|Carol)'s line(?: at the (\w+) site)? is Failed, its error text saying the registrar did not answer$/, async function (this: CallWorld, name: string, site: string | undefined) {
  const line = site ? lineAt(this, name, site) : lines(this, name)[0];
  assert.ok(line);
  const conn = line.connection;
  // Every target times out (Timer F, 3.2 s each): the line is Failed with the reason as its text.
  await until(() => conn.state === ConnectionState.Failed, 15_000, `${name}'s line Failed (went ${line.states.join(' -> ')})`);
  assert.match(conn.lastError ?? '', /408|503|timeout/i, `error text: ${conn.lastError}`);
});

Then(/^(Alice|Bob|Carol)'s line(?: at the (\w+) site)? keeps trying to register again$/, async function (this: CallWorld, name: string, site: string | undefined) {
  const line = site ? lineAt(this, name, site) : lines(this, name)[0];
  assert.ok(line);
  const failedAt = line.states.lastIndexOf(ConnectionState.Failed);
  assert.ok(failedAt >= 0, `${name}'s line has not failed`);
  // reg_interval 1 s: Registering again soon after the failure.
  await until(() => line.states.slice(failedAt).includes(ConnectionState.Registering), 5000, `${name}'s line to retry (went ${line.states.join(' -> ')})`);
});

Then("{actor}'s line at the {word} site is still Ready", function (this: CallWorld, name: string, site: string) {
  const line = lineAt(this, name, site);
  assert.equal(line.connection.state, ConnectionState.Ready);
  assert.deepEqual(line.states.filter((s) => s !== ConnectionState.Ready), [], `the line went ${line.states.join(' -> ')}`);
  assert.equal(this.actor(name).endpoint.status, EndpointStatus.Active);
});

When('{actor} dials {string} on her line at the {word} site', function (this: CallWorld, name: string, number: string, site: string) {
  const callee = [...this.numbers].find(([, n]) => n === number)?.[0];
  if (callee) this.calls.delete(callee);
  const index = lines(this, name).findIndex((l) => l.site === site);
  assert.ok(index >= 0, `${name} has no line at the ${site} site`);
  const call = this.actor(name).endpoint.dial(number, { connection: index });
  assert.equal(call.connection.id, lineAt(this, name, site).connection.id);
});

Then('the call between {actor} and {actor} still carries audio both ways', async function (this: CallWorld, a: string, b: string) {
  const ca = this.call(a);
  const cb = this.call(b);
  await settle(ca, SessionState.Connected, 1000);
  await settle(cb, SessionState.Connected, 1000);
  const before = ca.statistics()?.raw;
  await sleep(600);
  const after = ca.statistics()?.raw;
  const sent = (after?.packetsSent ?? 0) - (before?.packetsSent ?? 0);
  const got = (after?.packetsReceived ?? 0) - (before?.packetsReceived ?? 0);
  // 20 ms packets: about 30 in 600 ms each way.
  assert.ok(sent >= 20 && got >= 20, `${a} sent ${sent} and received ${got} RTP packets in 600 ms`);
  for (const [listener, speaker] of [
    [a, b],
    [b, a],
  ] as const) {
    const h = await this.heard(listener);
    assert.equal(h.freq, TONE_OF[speaker], `${listener} hears ${h.freq} Hz, not ${speaker}'s tone`);
  }
});
