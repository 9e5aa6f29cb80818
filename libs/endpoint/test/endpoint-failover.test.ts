/**
 * Geo-redundancy (genesys-compat §4) with real peers on 127.0.0.1:
 * - one line whose server is a domain: dnsmasq serves SRV records for `test.local` (priority 10
 *   -> primary Kamailio, 20 -> secondary), the DNS server comes from `sip.dns.servers`; the line
 *   registers at the primary, the primary is stopped, the refresh times out there and goes to
 *   the secondary (RFC 3263 §4.3), where a call to the line then arrives; with both sites down the
 *   line goes Failed and retries every `reg_interval` until the secondary is back;
 * - two lines on two sites: site A dies while a call runs through site B; the line of site A
 *   goes Failed and keeps retrying, the call keeps its audio (packet counts still rising).
 * SIP timer T1 is 50 ms (Timer F = 3.2 s) and registrations last 4 s so failures show quickly.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { freePort, startDnsmasq, type DnsmasqServer } from './support/peers';
import { ConnectionState, EndpointStatus, SessionState, type Connection } from '../src/index';
import { dominant, nextSession, party, reach, sleep, until, type Party } from './support/endpoints';
import { requireKamailio, startKamailioSite, type KamailioSite } from './support/kamailio';

requireKamailio();

const TONES = [500, 1000, 1500];
const FAST = { timers: { t1Ms: 50, t2Ms: 400 } };

describe('endpoint: failover between Kamailio sites', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  const sites: KamailioSite[] = [];
  let dns: DnsmasqServer | undefined;
  afterEach(async () => {
    // Endpoints first (they unregister), then the peers.
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
    for (const s of sites.splice(0)) await s.stop();
    await dns?.stop();
    dns = undefined;
  }, 20_000);

  const site = async (): Promise<KamailioSite> => {
    const s = await startKamailioSite(await freePort());
    sites.push(s);
    return s;
  };
  const make = async (user: string, hz: number, config: Record<string, unknown>): Promise<Party> => {
    const p = await party(user, hz, config, { domain: 'test.local' });
    parties.push(p);
    return p;
  };
  /** A phone registered directly at `s` (no DNS). */
  const phoneAt = (user: string, hz: number, s: KamailioSite): Promise<Party> =>
    make(user, hz, { connectivity: [{ user, server: `127.0.0.1:${s.port}`, protocol: 'UDP' }], proxies: [{ reg_timeout: 60, password: 'secret' }], sip: FAST });
  /** Remote `ip:port` of every 200 to a REGISTER the line received, in order. */
  const registrarsOf = (conn: Connection): string[] => {
    const seen: string[] = [];
    conn.userAgent!.stack.onDidLogMessage(({ direction, message, remote }) => {
      if (direction === 'in' && message.startLine().startsWith('SIP/2.0 200') && message.cseq.method === 'REGISTER') seen.push(remote);
    });
    return seen;
  };

  it('SRV priority 10/20 (sip.dns.servers): Ready at the primary; primary stopped; the refresh fails over and the line is Ready at the secondary, reachable there', async () => {
    const primary = await site();
    const secondary = await site();
    dns = await startDnsmasq({
      localDomains: ['test.local'],
      srv: [`_sip._udp.test.local,primary.test.local,${primary.port},10,0`, `_sip._udp.test.local,secondary.test.local,${secondary.port},20,0`],
      hosts: ['primary.test.local,127.0.0.1', 'secondary.test.local,127.0.0.1'],
    });
    const agent = await make('7001', 1000, {
      connectivity: [{ user: '7001', server: 'test.local', protocol: 'UDP' }],
      proxies: [{ reg_timeout: 4, reg_interval: 1, password: 'secret' }],
      sip: { ...FAST, dns: { servers: [dns.server] } },
    });
    const conn = agent.endpoint.connections[0]!;
    const registrars = registrarsOf(conn);
    const states: string[] = [];
    conn.onDidChangeState((e) => states.push(e.state));
    await until(() => conn.state === ConnectionState.Ready, 10_000, 'Ready at the primary');
    expect(registrars.at(-1)).toBe(`127.0.0.1:${primary.port}`);
    expect(agent.endpoint.status).toBe(EndpointStatus.Active);

    await primary.stop();
    const stoppedAt = registrars.length;
    // The next refresh (1 s) times out at the primary after Timer F (3.2 s), then goes to the secondary.
    await until(() => registrars.slice(stoppedAt).includes(`127.0.0.1:${secondary.port}`), 12_000, 'a 200 to REGISTER from the secondary');
    await until(() => conn.state === ConnectionState.Ready, 5000, 'Ready at the secondary');
    expect(registrars.slice(stoppedAt).every((r) => r === `127.0.0.1:${secondary.port}`)).toBe(true);
    // The refresh itself failed over (RFC 3263 §4.3 within one request): the line never left Ready.
    expect(states).toEqual([ConnectionState.Ready]);

    // The binding is at the secondary: a call by number through it reaches the line.
    const caller = await phoneAt('7002', 500, secondary);
    await until(() => caller.endpoint.status === EndpointStatus.Active, 10_000, 'caller Ready');
    const incoming = nextSession(agent.endpoint);
    const out = caller.endpoint.dial('7001');
    const inc = await incoming;
    expect(inc.connection.id).toBe(conn.id);
    await inc.answer();
    await reach(out, SessionState.Connected);
    await sleep(300);
    caller.sinks[0]!.pull();
    await sleep(500);
    expect(dominant(caller.sinks[0]!.pull(), TONES).freq).toBe(1000);
    await out.hangup();
    await reach(inc, SessionState.Disconnected);
  }, 30_000);

  it('SRV with both sites down: Failed, retrying every reg_interval; the secondary comes back: Registering -> Ready there', async () => {
    const primary = await site();
    const secondary = await site();
    dns = await startDnsmasq({
      localDomains: ['test.local'],
      srv: [`_sip._udp.test.local,primary.test.local,${primary.port},10,0`, `_sip._udp.test.local,secondary.test.local,${secondary.port},20,0`],
      hosts: ['primary.test.local,127.0.0.1', 'secondary.test.local,127.0.0.1'],
    });
    const agent = await make('7003', 1000, {
      connectivity: [{ user: '7003', server: 'test.local', protocol: 'UDP' }],
      proxies: [{ reg_timeout: 4, reg_interval: 1, password: 'secret' }],
      sip: { ...FAST, dns: { servers: [dns.server] } },
    });
    const conn = agent.endpoint.connections[0]!;
    const registrars = registrarsOf(conn);
    const states: string[] = [];
    conn.onDidChangeState((e) => states.push(e.state));
    await until(() => conn.state === ConnectionState.Ready, 10_000, 'Ready at the primary');
    expect(registrars.at(-1)).toBe(`127.0.0.1:${primary.port}`);

    await Promise.all([primary.stop(), secondary.stop()]);
    sites.splice(0);
    // Both targets time out (2 x Timer F): the line is Failed, the endpoint Inactive.
    await until(() => conn.state === ConnectionState.Failed, 15_000, 'Failed');
    expect(agent.endpoint.status).toBe(EndpointStatus.Inactive);
    expect(conn.lastError).toMatch(/408|503|timeout/i);

    const back = await startKamailioSite(secondary.port);
    sites.push(back);
    const before = registrars.length;
    await until(() => conn.state === ConnectionState.Ready, 15_000, 'Ready at the secondary');
    expect(registrars.slice(before)).toContain(`127.0.0.1:${secondary.port}`);
    expect(agent.endpoint.status).toBe(EndpointStatus.Active);
    // Ready -> Failed -> (Registering -> Failed)* -> Registering -> Ready.
    expect(states[0]).toBe(ConnectionState.Ready);
    expect(states[1]).toBe(ConnectionState.Failed);
    expect(states.slice(-2)).toEqual([ConnectionState.Registering, ConnectionState.Ready]);
    expect(states.slice(1, -1).every((s) => s === ConnectionState.Failed || s === ConnectionState.Registering)).toBe(true);
  }, 30_000);

  it('two lines on two sites: site A dies during a call through site B; line A goes Failed (retrying), the call keeps its audio', async () => {
    const siteA = await site();
    const siteB = await site();
    const agent = await make('7101', 1000, {
      connectivity: [
        { user: '7101', server: `127.0.0.1:${siteA.port}`, protocol: 'UDP' },
        { user: '7101', server: `127.0.0.1:${siteB.port}`, protocol: 'UDP' },
      ],
      proxies: [
        { reg_timeout: 4, reg_interval: 1, password: 'secret' },
        { reg_timeout: 4, reg_interval: 1, password: 'secret' },
      ],
      sip: FAST,
    });
    const far = await phoneAt('7102', 500, siteB);
    const [lineA, lineB] = agent.endpoint.connections;
    await until(() => lineA!.state === ConnectionState.Ready && lineB!.state === ConnectionState.Ready && far.endpoint.status === EndpointStatus.Active, 10_000, 'both lines and the far phone Ready');

    const incoming = nextSession(far.endpoint);
    const call = agent.endpoint.dial('7102', { connection: 1 });
    expect(call.connection.id).toBe(lineB!.id);
    const inc = await incoming;
    await inc.answer();
    await reach(call, SessionState.Connected);
    await sleep(300);
    far.sinks[0]!.pull();
    agent.sinks[0]!.pull();
    await sleep(500);
    expect(dominant(far.sinks[0]!.pull(), TONES).freq).toBe(1000);
    expect(dominant(agent.sinks[0]!.pull(), TONES).freq).toBe(500);

    const lineAStates: string[] = [];
    lineA!.onDidChangeState((e) => lineAStates.push(e.state));
    const before = call.statistics()!.raw;
    await siteA.stop();
    await until(() => lineA!.state === ConnectionState.Failed, 12_000, 'line A Failed');
    expect(lineA!.lastError).toMatch(/408|503|timeout/i);
    // It keeps retrying every reg_interval: Registering again (and Failed again: site A stays down).
    await until(() => lineAStates.filter((s) => s === ConnectionState.Registering).length >= 1, 5000, 'line A retrying');
    expect(lineB!.state).toBe(ConnectionState.Ready);
    expect(agent.endpoint.status).toBe(EndpointStatus.Active);

    // The call through site B is untouched: still Connected, packets still flowing both ways, same tones.
    expect(call.state).toBe(SessionState.Connected);
    far.sinks[0]!.pull();
    agent.sinks[0]!.pull();
    await sleep(600);
    const after = call.statistics()!.raw;
    expect(after.packetsSent).toBeGreaterThan(before.packetsSent + 100);
    expect(after.packetsReceived).toBeGreaterThan(before.packetsReceived + 100);
    expect(dominant(far.sinks[0]!.pull(), TONES).freq).toBe(1000);
    expect(dominant(agent.sinks[0]!.pull(), TONES).freq).toBe(500);
    expect(inc.state).toBe(SessionState.Connected);

    await call.hangup();
    await reach(inc, SessionState.Disconnected);
    expect(inc.endCause).toMatchObject({ code: 200, by: 'remote' });
  }, 30_000);
});
