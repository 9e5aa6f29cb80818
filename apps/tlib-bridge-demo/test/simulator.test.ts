/**
 * The simulated SIP Server on its own, as the sample desktop embeds it: digest-challenged
 * REGISTER (wrong password refused), UDP and TCP on one port, 1pcc calls between two thick
 * clients routed by DN with media through the relay, DTMF INFO passed through, BYE on both legs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { ConnectionState, SessionState, type Session } from '@sip-endpoint/endpoint';
import { startAgent, type HeadlessAgent } from '../src/agents';
import { startSimulatedSipServer, type SimulatedSipServer } from '../src/simulator/index';
import { sleep, until } from './support';

describe('simulated SIP Server', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let sim: SimulatedSipServer | undefined;
  const agents: HeadlessAgent[] = [];

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.shutdown()));
    sim?.dispose();
    sim = undefined;
  });

  const agent = async (dn: string, password: string, protocol: 'UDP' | 'TCP' = 'UDP'): Promise<HeadlessAgent> => {
    const a = await startAgent(dn, { registrar: sim!.registrarAddress, domain: sim!.domain, password, protocol });
    agents.push(a);
    return a;
  };

  it('challenges REGISTER: the right password registers (onDidRegister), a wrong one fails', async () => {
    sim = await startSimulatedSipServer({ users: { '1001': 'good', '1002': 'good' } });
    expect(sim.registrarAddress).toBe(`127.0.0.1:${sim.sipPort}`);
    const registered: string[] = [];
    sim.onDidRegister((e) => registered.push(`${e.dn}:${e.registered}`));
    await agent('1001', 'good');
    expect(registered).toContain('1001:true');
    expect(sim.contactOf('1001')).toMatch(/^sip:1001@127\.0\.0\.1:\d+/);
    await expect(startAgent('1002', { registrar: sim.registrarAddress, domain: sim.domain, password: 'bad', timeoutMs: 3000 })).rejects.toThrow(/did not register/);
    expect(sim.contactOf('1002')).toBeUndefined();
    expect(registered.some((r) => r.startsWith('1002'))).toBe(false);
  });

  it('routes a 1pcc call from a TCP line to a UDP line through the relay; DTMF INFO and BYE pass through', async () => {
    sim = await startSimulatedSipServer({ users: { '1001': 'pw', '1002': 'pw' } });
    const a = await agent('1001', 'pw', 'TCP');
    const b = await agent('1002', 'pw');
    expect(a.endpoint.connections[0]?.state).toBe(ConnectionState.Ready);
    const incoming = new Promise<Session>((resolve) => {
      const sub = b.endpoint.onDidAddSession(({ session }) => {
        sub.dispose();
        resolve(session);
      });
    });
    const out = a.endpoint.dial(`sip:1002@${sim.domain}`);
    const inc = await incoming;
    await until(() => inc.state === SessionState.Alerting, 8000, 'alerting');
    expect(out.state).toBe(SessionState.InProgress);
    await inc.answer();
    await until(() => out.state === SessionState.Connected, 8000, 'connected');
    // The server's caller party is Established once the ACK for its 200 arrived.
    await until(() => sim!.calls()[0]?.parties.every((p) => p.state === 'Established') === true, 5000, 'parties established');
    const call = sim.calls()[0]!;
    expect(call.parties.map((p) => `${p.dn}:${p.state}`)).toEqual(['1001:Established', '1002:Established']);
    expect(call.parties[0]!.callId).toBe(out.id);
    expect(call.parties[1]!.callId).toBe(inc.id);
    const before = sim.relayedPackets(call.connId);
    await sleep(800);
    // Both directions (about 50 packets/s each with 20 ms frames) go through the relay.
    expect(sim.relayedPackets(call.connId) - before).toBeGreaterThan(40);
    const digits: string[] = [];
    inc.onDidReceiveDtmf((d) => digits.push(`${d.digit}/${d.method}`));
    await out.sendDtmf('5', { method: 'Info' });
    await until(() => digits.length === 1, 5000, 'DTMF at 1002');
    expect(digits).toEqual(['5/info']);
    await out.hangup();
    await until(() => inc.state === SessionState.Disconnected, 8000, 'BYE reached 1002');
    await until(() => sim!.calls().length === 0, 5000, 'call gone');
  });

  it('refuses a call to an unknown DN with 404', async () => {
    sim = await startSimulatedSipServer();
    const a = await agent('1001', 'any');
    const out = a.endpoint.dial(`sip:1999@${sim.domain}`);
    await until(() => out.state === SessionState.Disconnected, 8000, 'rejected');
    expect(out.endCause).toMatchObject({ code: 404 });
  });
});
