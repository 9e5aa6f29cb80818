/**
 * Protocol tests of the user agent against SIPp (a real SIP peer) on 127.0.0.1: calls as UAC and
 * UAS, digest challenge, CANCEL, re-INVITE, BYE from either side, 486, over UDP and TCP.
 * Each test starts one SIPp scenario (test/peers/sipp/*.xml) and asserts both sides: our
 * session's states and SIP codes, and SIPp's own verdict that its scenario completed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SessionState, UserAgent, type InviteSession, type SessionStateChange } from '@sip-endpoint/signaling';
import { SimpleSdh } from './support/simple-sdh';
import { freePort, hasProgram, startSipp, waitForTcpPort, waitForUdpPort, type SippRun } from './support/peers';

if (!hasProgram('/usr/bin/sipp')) throw new Error('SIPp is missing: install the Debian package sip-tester (.ci/run does)');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function newUa(transport: 'udp' | 'tcp' = 'udp', options: { credentials?: { username: string; password: string } } = {}): Promise<{ ua: UserAgent; sdhs: SimpleSdh[]; trace: string[] }> {
  const sdhs: SimpleSdh[] = [];
  const trace: string[] = [];
  const ua = await UserAgent.create({
    aor: 'sip:alice@127.0.0.1',
    transport,
    credentials: options.credentials,
    stack: { listen: [{ protocol: transport, host: '127.0.0.1', port: 0 }], timers: { t1Ms: 100, t2Ms: 400 } },
    createSessionDescriptionHandler: () => {
      const s = new SimpleSdh();
      sdhs.push(s);
      return s;
    },
  });
  ua.stack.onDidLogMessage((m) => trace.push(`${m.direction} ${m.message.startLine()}`));
  cleanups.push(() => ua.dispose());
  return { ua, sdhs, trace };
}

function sipp(o: Parameters<typeof startSipp>[0]): SippRun {
  const run = startSipp(o);
  cleanups.push(() => run.stop());
  return run;
}

function waitForState(session: InviteSession, state: SessionState, timeoutMs = 8000): Promise<SessionStateChange> {
  return new Promise((resolve, reject) => {
    if (session.state === state) return resolve({ session, previous: state, state });
    const t = setTimeout(() => reject(new Error(`session did not reach ${state} (is ${session.state})`)), timeoutMs);
    const sub = session.onDidChangeState((e) => {
      if (e.state !== state) return;
      clearTimeout(t);
      sub.dispose();
      resolve(e);
    });
  });
}

async function expectSippOk(run: SippRun): Promise<void> {
  const r = await run.result;
  if (!r.ok) throw new Error(`SIPp scenario failed (exit ${r.code}):\n${r.errors}\n${r.output.slice(-6000)}`);
}

async function uasScenario(scenario: string, transport: 'udp' | 'tcp' = 'udp'): Promise<{ run: SippRun; port: number }> {
  const port = await freePort();
  const run = sipp({ scenario, port, transport: transport === 'tcp' ? 't1' : 'u1' });
  if (transport === 'tcp') await waitForTcpPort(port);
  else await waitForUdpPort(port);
  return { run, port };
}

describe('UAC against SIPp (SIPp answers)', () => {
  it('calls, is answered with 180 then 200 + SDP, ACKs, and hangs up with BYE', async () => {
    const { run, port } = await uasScenario('uas-answer.xml');
    const { ua, sdhs, trace } = await newUa();
    const s = ua.invite(`sip:bob@127.0.0.1:${port}`);
    const states: string[] = [s.state];
    s.onDidChangeState((e) => states.push(e.state));
    await waitForState(s, SessionState.Established);
    expect(sdhs[0]!.seen.map((x) => x.kind)).toEqual(['answer']);
    expect(sdhs[0]!.seen[0]!.sdp).toContain('m=audio');
    await s.bye();
    expect(s.ended).toMatchObject({ cause: 'local-bye', statusCode: 200 });
    expect(states).toEqual(['inviting', 'early', 'established', 'terminating', 'terminated']);
    expect(trace.filter((l) => l.startsWith('out')).map((l) => l.split(' ')[1])).toEqual(['INVITE', 'ACK', 'BYE']);
    await expectSippOk(run);
  });

  it('sees the callee hang up (BYE from the called side)', async () => {
    const { run, port } = await uasScenario('uas-answer-then-bye.xml');
    const { ua } = await newUa();
    const s = ua.invite(`sip:bob@127.0.0.1:${port}`);
    await waitForState(s, SessionState.Established);
    const end = await waitForState(s, SessionState.Terminated);
    expect(end.cause).toBe('remote-bye');
    await expectSippOk(run);
  });

  it('answers a 401 digest challenge (qop=auth) and is let through', async () => {
    const { run, port } = await uasScenario('uas-challenge.xml');
    const { ua, trace } = await newUa('udp', { credentials: { username: 'alice', password: 'secret' } });
    const s = ua.invite(`sip:bob@127.0.0.1:${port}`);
    await waitForState(s, SessionState.Established);
    expect(trace.filter((l) => l === 'in SIP/2.0 401 Unauthorized')).toHaveLength(1);
    expect(trace.filter((l) => l.startsWith('out INVITE'))).toHaveLength(2);
    await s.bye();
    await expectSippOk(run);
  });

  it('fails cleanly with wrong credentials (SIPp answers 403)', async () => {
    const { run, port } = await uasScenario('uas-challenge.xml');
    const { ua } = await newUa('udp', { credentials: { username: 'alice', password: 'wrong' } });
    const s = ua.invite(`sip:bob@127.0.0.1:${port}`);
    const end = await waitForState(s, SessionState.Terminated);
    expect(end).toMatchObject({ cause: 'rejected-by-remote', statusCode: 403 });
    await run.result;
  });

  it('cancels while the callee rings: CANCEL, 487, session ends as cancelled', async () => {
    const { run, port } = await uasScenario('uas-ring-cancel.xml');
    const { ua, trace } = await newUa();
    const s = ua.invite(`sip:bob@127.0.0.1:${port}`);
    await waitForState(s, SessionState.Early);
    s.cancel();
    const end = await waitForState(s, SessionState.Terminated);
    expect(end).toMatchObject({ cause: 'cancelled', statusCode: 487 });
    expect(trace).toContain('in SIP/2.0 487 Request Terminated');
    await expectSippOk(run);
  });

  it('reports a busy callee (486) as rejected-by-remote', async () => {
    const { run, port } = await uasScenario('uas-busy.xml');
    const { ua } = await newUa();
    const s = ua.invite(`sip:bob@127.0.0.1:${port}`);
    const end = await waitForState(s, SessionState.Terminated);
    expect(end).toMatchObject({ cause: 'rejected-by-remote', statusCode: 486 });
    await expectSippOk(run);
  });

  it('puts the call on hold with a re-INVITE and then hangs up', async () => {
    const { run, port } = await uasScenario('uas-reinvite.xml');
    const { ua, sdhs, trace } = await newUa();
    const s = ua.invite(`sip:bob@127.0.0.1:${port}`);
    await waitForState(s, SessionState.Established);
    await s.hold();
    expect(s.localHold).toBe(true);
    expect(trace.filter((l) => l.startsWith('out INVITE'))).toHaveLength(2);
    expect(sdhs[0]!.seen).toHaveLength(2);
    await s.bye();
    await expectSippOk(run);
  });

  it('calls over TCP', async () => {
    const { run, port } = await uasScenario('uas-answer.xml', 'tcp');
    const { ua } = await newUa('tcp');
    const s = ua.invite(`sip:bob@127.0.0.1:${port};transport=tcp`);
    await waitForState(s, SessionState.Established);
    await s.bye();
    expect(s.ended?.statusCode).toBe(200);
    expect(ua.stack.transport.connectionCount).toBe(1);
    await expectSippOk(run);
  });
});

describe('UAS against SIPp (SIPp calls us)', () => {
  async function callUs(scenario: string, onInvite: (s: InviteSession) => void, transport: 'udp' | 'tcp' = 'udp') {
    const { ua, trace, sdhs } = await newUa(transport);
    const sessions: InviteSession[] = [];
    (ua as unknown as { options: { delegate: unknown } }).options.delegate = {
      onInvite: (s: InviteSession) => {
        sessions.push(s);
        onInvite(s);
      },
    };
    const lp = ua.stack.listeningPoints[0]!;
    const run = sipp({ scenario, port: await freePort(), remote: `127.0.0.1:${lp.port}`, service: 'alice', transport: transport === 'tcp' ? 't1' : 'u1' });
    return { ua, trace, sdhs, sessions, run };
  }

  it('answers a call; the caller hangs up', async () => {
    const { run, sessions, trace, sdhs } = await callUs('uac-call.xml', (s) => {
      s.progress(180);
      void s.accept();
    });
    await expectSippOk(run);
    const s = sessions[0]!;
    await waitForState(s, SessionState.Terminated);
    expect(s.ended?.cause).toBe('remote-bye');
    expect(trace.filter((l) => l.startsWith('out SIP/2.0')).map((l) => l.split(' ')[2])).toEqual(['180', '200', '200']);
    expect(sdhs[0]!.seen[0]).toMatchObject({ kind: 'offer' });
  });

  it('answers a call and hangs up itself', async () => {
    const { run, sessions } = await callUs('uac-callee-byes.xml', (s) => {
      void s.accept().then(() => setTimeout(() => void s.bye(), 100));
    });
    await expectSippOk(run);
    const s = sessions[0]!;
    await waitForState(s, SessionState.Terminated);
    expect(s.ended).toMatchObject({ cause: 'local-bye', statusCode: 200 });
  });

  it('rings, and the caller cancels: 487 and remote-cancelled', async () => {
    const { run, sessions, trace } = await callUs('uac-cancel.xml', (s) => s.progress(180));
    await expectSippOk(run);
    const s = sessions[0]!;
    expect(s.state).toBe(SessionState.Terminated);
    expect(s.ended).toMatchObject({ cause: 'remote-cancelled', statusCode: 487 });
    expect(trace).toContain('out SIP/2.0 487 Request Terminated');
  });

  it('accepts a hold re-INVITE from the caller and reports the remote hold', async () => {
    let held = false;
    const { run, sessions } = await callUs('uac-reinvite.xml', (s) => {
      s.onDidChangeHold((h) => (held = h.remoteHold));
      void s.accept();
    });
    await expectSippOk(run);
    expect(held).toBe(true);
    expect(sessions[0]!.ended?.cause).toBe('remote-bye');
  });

  it('answers a re-INVITE without SDP with an offer and takes the answer from the ACK (3pcc retrieve)', async () => {
    const { run, sessions, sdhs, trace } = await callUs('uac-reinvite-nosdp.xml', (s) => void s.accept());
    await expectSippOk(run);
    const s = sessions[0]!;
    expect(s.ended?.cause).toBe('remote-bye');
    // The INVITE's offer was answered; then our own offer in the 200 got its answer in the ACK.
    expect(sdhs[0]!.seen.map((x) => x.kind)).toEqual(['offer', 'answer']);
    expect(sdhs[0]!.seen[1]!.sdp).toContain('m=audio');
    expect(trace.filter((l) => l === 'out SIP/2.0 200 OK')).toHaveLength(3);
  });

  it('answers a call over TCP on the connection SIPp opened', async () => {
    const { run, sessions, ua } = await callUs('uac-call.xml', (s) => void s.accept(), 'tcp');
    await expectSippOk(run);
    expect(sessions[0]!.ended?.cause).toBe('remote-bye');
    expect(ua.stack.transport.openConnections.every((c) => c.direction === 'inbound')).toBe(true);
  });
});
