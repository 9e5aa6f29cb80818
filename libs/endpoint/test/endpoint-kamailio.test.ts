/**
 * Registration against Kamailio (registrar + proxy with digest, password "secret", realm
 * test.local) on 127.0.0.1: Registering -> Ready, a wrong password -> Failed, a call between two
 * registered endpoints through the proxy, and unregistering on shutdown.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SinkLogger, ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { freePort, hasProgram, startKamailio, type PeerProcess } from '../../signaling/test/support/peers';
import { ConnectionState, EndpointStatus, SessionState } from '../src/index';
import { dominant, nextSession, party, reach, sleep, until, type Party } from './support/endpoints';

describe('endpoint: registration with Kamailio', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let kamailio: PeerProcess | undefined;
  let port = 0;
  const parties: Party[] = [];

  beforeAll(async () => {
    if (!hasProgram('/usr/sbin/kamailio')) throw new Error('kamailio is missing: apt-get install -y kamailio');
    port = await freePort();
    kamailio = await startKamailio(port);
  }, 20_000);
  afterAll(async () => {
    await kamailio?.stop();
  });
  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
  });

  const registered = async (user: string, hz: number, password = 'secret'): Promise<{ p: Party; states: string[] }> => {
    const states: string[] = [];
    // The first transitions happen inside createEndpoint: read them from the log.
    const logger = new SinkLogger((r) => {
      if (r.message === 'connection state') states.push(String(r.fields['to']));
    }, 'info');
    const p = await party(
      user,
      hz,
      { connectivity: [{ user, server: `127.0.0.1:${port}`, protocol: 'UDP' }], proxies: [{ reg_timeout: 60, reg_interval: 30, password }] },
      { domain: 'test.local', logger },
    );
    parties.push(p);
    return { p, states };
  };

  it('Registering -> Ready with digest; the endpoint goes Active; shutdown unregisters (Unregistering -> ShuttingDown -> Disabled)', async () => {
    const { p, states } = await registered('5001', 1000);
    const conn = p.endpoint.connections[0]!;
    expect(conn.registers).toBe(true);
    await until(() => conn.state === ConnectionState.Ready, 10_000, 'Ready');
    expect(p.endpoint.status).toBe(EndpointStatus.Active);
    expect(states).toEqual([ConnectionState.Registering, ConnectionState.Ready]);
    parties.splice(parties.indexOf(p), 1);
    await p.endpoint.shutdown();
    expect(states.slice(-3)).toEqual([ConnectionState.Unregistering, ConnectionState.ShuttingDown, ConnectionState.Disabled]);
    expect(p.endpoint.status).toBe(EndpointStatus.Inactive);
  });

  it('a wrong password: Failed with the error text', async () => {
    const { p } = await registered('5002', 1000, 'wrong');
    const conn = p.endpoint.connections[0]!;
    await until(() => conn.state === ConnectionState.Failed, 10_000, 'Failed');
    expect(conn.lastError).toMatch(/40[13]/);
    expect(p.endpoint.status).toBe(EndpointStatus.Inactive);
  });

  it('two registered endpoints call each other by number through Kamailio, with audio', async () => {
    const a = (await registered('6001', 1000)).p;
    const b = (await registered('6002', 500)).p;
    await until(() => a.endpoint.status === EndpointStatus.Active && b.endpoint.status === EndpointStatus.Active, 10_000, 'both Ready');
    const incoming = nextSession(b.endpoint);
    const out = a.endpoint.dial('6002');
    const inc = await incoming;
    await inc.answer();
    await reach(out, SessionState.Connected);
    await sleep(400);
    b.sinks[0]!.pull();
    await sleep(500);
    expect(dominant(b.sinks[0]!.pull(), [500, 1000, 1500]).freq).toBe(1000);
    await out.hangup();
    await reach(inc, SessionState.Disconnected);
  });
});
