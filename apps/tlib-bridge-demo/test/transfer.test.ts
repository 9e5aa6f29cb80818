/**
 * Transfers, caller identity and refusals through the simulated SIP Server (its B2BUA), with
 * three real headless endpoints: a blind and an attended 1pcc REFER (RFC 3515 / RFC 3891) with
 * sipfrag progress, the caller's identity on the callee's leg, busy / decline / unknown DN as
 * the same SIP status and T-Lib EventDestinationBusy / EventError, and TSingleStepTransfer done
 * by a REFER the server sends to the transferred party. Media is checked at the relay and at
 * the endpoints' RTP counters.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { SessionState, type Session } from '@sip-endpoint/endpoint';
import { startAgent, type HeadlessAgent } from '../src/agents';
import { startSimulatedSipServer, type CallEvent, type SimulatedSipServer, type SipTrace } from '../src/simulator/index';
import { sleep, until } from './support';

describe('transfers and refusals through the simulated SIP Server', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let sim: SimulatedSipServer | undefined;
  const agents: HeadlessAgent[] = [];
  let events: CallEvent[] = [];
  let traces: SipTrace[] = [];

  beforeEach(async () => {
    events = [];
    traces = [];
    sim = await startSimulatedSipServer();
    sim.onDidEmitCallEvent((e) => events.push(e));
    sim.onDidTraceSip((t) => traces.push(t));
    for (const dn of ['1001', '1002', '1003']) agents.push(await startAgent(dn, { registrar: sim.registrarAddress, domain: sim.domain, password: 'pw' }));
  });

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.shutdown()));
    sim?.dispose();
    sim = undefined;
  });

  const agent = (dn: string): HeadlessAgent => agents.find((a) => a.dn === dn)!;
  const uri = (dn: string): string => `sip:${dn}@${sim!.domain}`;
  const nextSession = (dn: string): Promise<Session> =>
    new Promise((resolve) => {
      const sub = agent(dn).endpoint.onDidAddSession(({ session }) => {
        sub.dispose();
        resolve(session);
      });
    });
  const live = (dn: string): Session[] => agent(dn).history.filter((s) => s.state !== SessionState.Disconnected);
  const received = (s: Session): number => s.statistics()?.raw.packetsReceived ?? 0;
  const named = (name: string, dn: string): CallEvent[] => events.filter((e) => e.event === name && e.thisDN === dn);

  /** 1001 calls 1002 through the server; 1002 answers. Returns both sessions and the ConnID. */
  const connect = async (): Promise<{ out: Session; inc: Session; connId: string }> => {
    const incoming = nextSession('1002');
    const out = agent('1001').endpoint.dial(uri('1002'));
    const inc = await incoming;
    await until(() => inc.state === SessionState.Alerting, 8000, '1002 alerting');
    await inc.answer();
    await until(() => out.state === SessionState.Connected, 8000, '1001 connected');
    await until(() => sim!.calls()[0]?.parties.every((p) => p.state === 'Established') === true, 5000, 'parties established');
    return { out, inc, connId: sim!.calls()[0]!.connId };
  };

  it("shows the caller's identity on the B2BUA's outgoing leg (From and P-Asserted-Identity)", async () => {
    const { out, inc } = await connect();
    // The callee's session names the real caller, not the server.
    expect(inc.remote).toBe(`sip:1001@${sim!.domain}`);
    expect(inc.remote).not.toContain('sipserver');
    expect(out.remote).toBe(uri('1002'));
    const invite = traces.find((t) => t.direction === 'out' && t.dn === '1002' && t.summary.startsWith('INVITE'));
    expect(invite?.callId).toBe(inc.id);
    expect(inc.invite.request?.headers.get('P-Asserted-Identity')).toBe(`"1001" <sip:1001@${sim!.domain}>`);
    await out.hangup();
    await until(() => inc.state === SessionState.Disconnected, 8000, 'BYE reached 1002');
  });

  it('blind transfer: 1002 REFERs 1001 to 1003 through the server; sipfrag 100/180/200; 1001 talks to 1003 through the relay', async () => {
    const { out, inc, connId } = await connect();
    const atTarget = nextSession('1003');
    const atTransferee = nextSession('1001');
    const progress: number[] = [];
    inc.invite.onDidReceiveReferProgress((p) => progress.push(p.statusCode));
    const transferred = inc.transfer(uri('1003'));
    const ringing = await atTarget;
    await until(() => ringing.state === SessionState.Alerting, 8000, '1003 alerting');
    // The target sees the party being transferred, not the referrer nor the server.
    expect(ringing.remote).toBe(`sip:1001@${sim!.domain}`);
    await until(() => named('EventRinging', '1003').length === 1, 5000, 'EventRinging 1003');
    expect(named('EventRinging', '1003')[0]).toMatchObject({ connId, otherDN: '1001' });
    await ringing.answer();
    const final = await transferred;
    expect(final.statusCode).toBe(200);
    expect(progress).toEqual([100, 180, 200]);
    // The referrer ends its leg after the success NOTIFY (RFC 5589 §6.1), as the sample desktop does.
    await inc.hangup();
    // The transferee followed the server's REFER: a new leg to 1003; its old leg got BYE.
    const followed = await atTransferee;
    await until(() => followed.state === SessionState.Connected, 8000, '1001 connected to 1003');
    expect(followed.remote).toContain('sip:1003@');
    await until(() => out.state === SessionState.Disconnected, 8000, "1001's old leg ended");
    expect(live('1001')).toEqual([followed]);
    expect(live('1002')).toEqual([]);
    // T-Lib: one call, same ConnID, 1001 and 1003, CallState Transferred.
    await until(() => named('EventReleased', '1002').length === 1, 5000, 'EventReleased 1002');
    expect(named('EventPartyChanged', '1001')[0]).toMatchObject({ connId, otherDN: '1003', callState: 'Transferred' });
    expect(named('EventEstablished', '1003')[0]).toMatchObject({ connId, otherDN: '1001' });
    expect(events.filter((e) => e.event === 'EventPartyDeleted')).toEqual([]);
    const calls = sim!.calls();
    expect(calls.map((c) => c.connId)).toEqual([connId]);
    expect(calls[0]!.parties.map((p) => `${p.dn}:${p.state}`).sort()).toEqual(['1001:Established', '1003:Established']);
    // Media: the relay pairs the two new legs; both endpoints receive.
    const before = sim!.relayedPackets(connId);
    const [r1, r3] = [received(followed), received(ringing)];
    await sleep(800);
    expect(sim!.relayedPackets(connId) - before).toBeGreaterThan(40);
    expect(received(followed) - r1).toBeGreaterThan(20);
    expect(received(ringing) - r3).toBeGreaterThan(20);
    await followed.hangup();
    await until(() => ringing.state === SessionState.Disconnected, 8000, 'BYE reached 1003');
    await until(() => sim!.calls().length === 0, 5000, 'call gone');
  });

  it('attended transfer: 1002 consults 1003 and REFERs 1001 with Replaces; both its legs end; 1001 and 1003 talk', async () => {
    const { out, inc, connId } = await connect();
    const atTarget = nextSession('1003');
    const consultation = await inc.consult(uri('1003'));
    const consulted = await atTarget;
    await until(() => consulted.state === SessionState.Alerting, 8000, '1003 alerting');
    expect(consulted.remote).toBe(`sip:1002@${sim!.domain}`);
    await consulted.answer();
    await until(() => consultation.state === SessionState.Connected, 8000, 'consultation connected');
    await until(() => out.held, 5000, '1001 hears the hold');
    const consultConnId = sim!.calls().find((c) => c.connId !== connId)!.connId;
    const replacedAtTarget = nextSession('1003');
    const followedAt1001 = nextSession('1001');
    const final = await inc.completeTransfer();
    expect(final.statusCode).toBe(200);
    // 1003's consultation dialog is replaced (RFC 3891) by a leg that names 1001.
    const replacing = await replacedAtTarget;
    const followed = await followedAt1001;
    await until(() => replacing.state === SessionState.Connected && followed.state === SessionState.Connected, 8000, 'new legs connected');
    expect(replacing.remote).toBe(`sip:1001@${sim!.domain}`);
    expect(followed.remote).toContain('sip:1003@');
    await until(() => consulted.state === SessionState.Disconnected && out.state === SessionState.Disconnected, 8000, 'old legs ended');
    await until(() => inc.state === SessionState.Disconnected && consultation.state === SessionState.Disconnected, 8000, "1002's two legs ended");
    expect(live('1002')).toEqual([]);
    expect(live('1001')).toEqual([followed]);
    expect(live('1003')).toEqual([replacing]);
    expect(followed.held).toBe(false);
    // T-Lib: the consultation merged into the main call.
    expect(named('EventPartyChanged', '1003')[0]).toMatchObject({ connId, previousConnId: consultConnId, otherDN: '1001', callState: 'Transferred' });
    expect(named('EventPartyChanged', '1001')[0]).toMatchObject({ connId, otherDN: '1003' });
    await until(() => named('EventReleased', '1002').length === 2, 5000, 'EventReleased x2 for 1002');
    expect(named('EventReleased', '1002').map((e) => e.connId).sort()).toEqual([connId, consultConnId].sort());
    await until(() => sim!.calls().length === 1, 5000, 'one call left');
    expect(sim!.calls()[0]!.parties.map((p) => p.dn).sort()).toEqual(['1001', '1003']);
    const before = sim!.relayedPackets(connId);
    const [r1, r3] = [received(followed), received(replacing)];
    await sleep(800);
    expect(sim!.relayedPackets(connId) - before).toBeGreaterThan(40);
    expect(received(followed) - r1).toBeGreaterThan(20);
    expect(received(replacing) - r3).toBeGreaterThan(20);
    await replacing.hangup();
    await until(() => followed.state === SessionState.Disconnected, 8000, 'BYE reached 1001');
    await until(() => sim!.calls().length === 0, 5000, 'calls gone');
  });

  it('a blind transfer to a busy target fails with 486 in the sipfrag; the call goes on', async () => {
    const { out, inc, connId } = await connect();
    const atTarget = nextSession('1003');
    const transferred = inc.transfer(uri('1003'));
    const ringing = await atTarget;
    await until(() => ringing.state === SessionState.Alerting, 8000, '1003 alerting');
    ringing.reject(486);
    const final = await transferred;
    expect(final.statusCode).toBe(486);
    await sleep(300);
    expect(inc.state).toBe(SessionState.Connected);
    expect(out.state).toBe(SessionState.Connected);
    expect(sim!.calls().map((c) => c.parties.map((p) => p.dn).sort())).toEqual([['1001', '1002']]);
    const before = sim!.relayedPackets(connId);
    await sleep(600);
    expect(sim!.relayedPackets(connId) - before).toBeGreaterThan(20);
    // An unknown target: 404 by sipfrag, EventError to the referrer.
    expect((await inc.transfer(uri('1999'))).statusCode).toBe(404);
    expect(named('EventError', '1002')[0]).toMatchObject({ otherDN: '1999', errorCode: 'INVALID_ARGUMENT' });
    await out.hangup();
    await until(() => sim!.calls().length === 0, 5000, 'call gone');
  });

  it.each([
    [486, 'EventDestinationBusy'],
    [603, 'EventDestinationBusy'],
    [404, 'EventError'],
  ] as const)('a callee refusing with %i: the caller gets the same status and %s', async (code, event) => {
    const incoming = nextSession('1002');
    const out = agent('1001').endpoint.dial(uri('1002'));
    const inc = await incoming;
    await until(() => inc.state === SessionState.Alerting, 8000, '1002 alerting');
    inc.reject(code);
    await until(() => out.state === SessionState.Disconnected, 8000, 'caller refused');
    expect(out.endCause).toMatchObject({ code, by: 'remote' });
    await until(() => named(event, '1001').length === 1, 5000, event);
    const e = named(event, '1001')[0]!;
    expect(e.otherDN).toBe('1002');
    if (event === 'EventDestinationBusy') expect(e).toMatchObject({ callState: 'Busy', cause: String(code) });
    else expect(e).toMatchObject({ errorCode: 'SIP_REQUEST_FAILED' });
    expect(e.errorMessage ?? String(code)).toContain(String(code));
    await until(() => sim!.calls().length === 0, 5000, 'call gone');
  });

  it('a call to an unregistered DN: 404 to the caller and EventError', async () => {
    const out = agent('1001').endpoint.dial(uri('1999'));
    await until(() => out.state === SessionState.Disconnected, 8000, 'rejected');
    expect(out.endCause).toMatchObject({ code: 404 });
    expect(named('EventError', '1001')[0]).toMatchObject({ otherDN: '1999', errorCode: 'INVALID_ARGUMENT' });
    expect(sim!.calls()).toEqual([]);
  });

  it('TSingleStepTransfer sends a REFER to the party being transferred; the agent gets BYE; 1001 talks to 1003', async () => {
    const connId = await sim!.makeCall('1001', '1002');
    await until(() => named('EventRinging', '1002').length === 1, 8000, 'EventRinging 1002');
    await sim!.answerCall('1002', connId);
    await until(() => named('EventEstablished', '1001').length === 1, 8000, 'EventEstablished 1001');
    const agentLeg = live('1002')[0]!;
    const oldLeg = live('1001')[0]!;
    const atTarget = nextSession('1003');
    const followedAt1001 = nextSession('1001');
    await sim!.singleStepTransfer('1002', connId, '1003', { referenceId: 9 });
    // genesys-compat §1: the server sent the REFER itself, to 1001.
    const refer = traces.find((t) => t.direction === 'out' && t.summary.startsWith('REFER'));
    expect(refer?.dn).toBe('1001');
    expect(refer?.callId).toBe(oldLeg.id);
    expect(named('EventReleased', '1002')[0]).toMatchObject({ connId, referenceId: 9 });
    expect(named('EventRinging', '1003')[0]).toMatchObject({ connId, otherDN: '1001', referenceId: 9 });
    await until(() => agentLeg.state === SessionState.Disconnected, 8000, 'BYE reached 1002');
    const ringing = await atTarget;
    expect(ringing.remote).toBe(`sip:1001@${sim!.domain}`);
    await sim!.answerCall('1003', connId);
    const followed = await followedAt1001;
    await until(() => followed.state === SessionState.Connected && ringing.state === SessionState.Connected, 8000, 'connected');
    await until(() => named('EventPartyChanged', '1001').length === 1, 5000, 'EventPartyChanged 1001');
    expect(named('EventPartyChanged', '1001')[0]).toMatchObject({ connId, otherDN: '1003', callState: 'Transferred', referenceId: 9 });
    await until(() => oldLeg.state === SessionState.Disconnected, 8000, "1001's old leg ended");
    expect(live('1001')).toEqual([followed]);
    const before = sim!.relayedPackets(connId);
    await sleep(800);
    expect(sim!.relayedPackets(connId) - before).toBeGreaterThan(40);
    await sim!.releaseCall('1003', connId);
    await until(() => followed.state === SessionState.Disconnected, 8000, '1001 released');
    await until(() => sim!.calls().length === 0, 5000, 'call gone');
  });
});
