/**
 * 3pcc behaviour of the user agent (genesys-compat §1) against SIPp: in-dialog NOTIFYs without
 * subscription (`Event: talk`, `Event: hold`) reach `session.onDidReceiveNotify` and get 200;
 * INVITE / 180 / 200 carry `Allow-Events: talk, hold, refer, conference`; an out-of-dialog
 * SUBSCRIBE for `talk` is refused with 489. Also OPTIONS (RFC 3261 §11) both ways: SIPp pings
 * our UA, our UAs ping each other, and Allow / Accept / Supported are checked.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { SessionState, UserAgent, type InviteSession, type SipMessage } from '@sip-endpoint/signaling';
import { SimpleSdh } from './support/simple-sdh';
import { freePort, hasProgram, startSipp, waitForUdpPort, type SippRun } from './support/peers';

if (!hasProgram('/usr/bin/sipp')) throw new Error('SIPp is missing: install the Debian package sip-tester (.ci/run does)');

ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function newUa(user: string, onInvite?: (s: InviteSession) => void): Promise<{ ua: UserAgent; sent: SipMessage[]; received: SipMessage[] }> {
  const sent: SipMessage[] = [];
  const received: SipMessage[] = [];
  const ua = await UserAgent.create({
    aor: `sip:${user}@127.0.0.1`,
    stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers: { t1Ms: 100, t2Ms: 400 } },
    createSessionDescriptionHandler: () => new SimpleSdh(),
    delegate: onInvite ? { onInvite } : undefined,
  });
  ua.stack.onDidLogMessage((m) => (m.direction === 'out' ? sent : received).push(m.message));
  cleanups.push(() => ua.dispose());
  return { ua, sent, received };
}

function sipp(scenario: string, uaPort: number, service = 'alice'): SippRun {
  const run = startSipp({ scenario, port: 0, remote: `127.0.0.1:${uaPort}`, service });
  cleanups.push(() => run.stop());
  return run;
}

async function expectSippOk(run: SippRun): Promise<void> {
  const r = await run.result;
  if (!r.ok) throw new Error(`SIPp scenario failed (exit ${r.code}):\n${r.errors}\n${r.output.slice(-6000)}`);
}

describe('3pcc NOTIFYs from a SIP Server (SIPp)', () => {
  it('fires onDidReceiveNotify for Event: talk and Event: hold, answers 200, advertises Allow-Events', async () => {
    const sessions: InviteSession[] = [];
    const events: string[] = [];
    const { ua, sent } = await newUa('alice', (s) => {
      sessions.push(s);
      s.onDidReceiveNotify((e) => events.push(e.event));
      s.progress(180);
      void s.accept();
    });
    const run = sipp('uac-3pcc-notify.xml', ua.stack.listeningPoints[0]!.port);
    await expectSippOk(run);
    expect(events).toEqual(['talk', 'hold']);
    const s = sessions[0]!;
    expect(s.state).toBe(SessionState.Terminated);
    expect(s.ended?.cause).toBe('remote-bye');
    const responses = sent.filter((m) => m.startLine().startsWith('SIP/2.0'));
    // 180, 200 (INVITE), 200 (NOTIFY talk), 200 (NOTIFY hold), 200 (BYE)
    expect(responses.map((m) => `${m.startLine().split(' ')[1]} ${m.headers.get('CSeq')}`)).toEqual(['180 1 INVITE', '200 1 INVITE', '200 2 NOTIFY', '200 3 NOTIFY', '200 4 BYE']);
    for (const r of responses.slice(0, 2)) expect(r.headers.get('Allow-Events')).toBe('talk, hold, refer, conference');
  });

  it('refuses an out-of-dialog SUBSCRIBE for talk with 489 and Allow-Events', async () => {
    const { ua, sent } = await newUa('alice');
    const run = sipp('uac-subscribe-talk.xml', ua.stack.listeningPoints[0]!.port);
    await expectSippOk(run);
    const res = sent.find((m) => m.startLine().startsWith('SIP/2.0 489'));
    expect(res?.headers.get('Allow-Events')).toBe('talk, hold, refer, conference');
    expect(ua.activeSessions).toHaveLength(0);
  });

  it('sends Allow-Events on its own INVITE', async () => {
    const { ua: bob } = await newUa('bob', (s) => void s.accept());
    const { ua: alice, sent } = await newUa('alice');
    const s = alice.invite(`sip:bob@127.0.0.1:${bob.stack.listeningPoints[0]!.port}`);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`not established: ${s.state}`)), 5000);
      s.onDidChangeState((e) => e.state === SessionState.Established && (clearTimeout(t), resolve()));
    });
    const invite = sent.find((m) => m.startLine().startsWith('INVITE'));
    expect(invite?.headers.get('Allow-Events')).toBe('talk, hold, refer, conference');
    await s.bye();
    expect(s.ended).toMatchObject({ cause: 'local-bye', statusCode: 200 });
  });
});

describe('OPTIONS (RFC 3261 §11)', () => {
  it('answers SIPp\'s OPTIONS with Allow, Accept, Supported and Allow-Events', async () => {
    const { ua, sent } = await newUa('alice');
    const run = sipp('uac-options.xml', ua.stack.listeningPoints[0]!.port);
    await expectSippOk(run);
    const res = sent.find((m) => m.startLine() === 'SIP/2.0 200 OK');
    expect(res?.headers.get('Allow')).toContain('INVITE');
    expect(res?.headers.get('Accept')).toBe('application/sdp');
    expect(res?.headers.get('Supported')).toContain('replaces');
  });

  it('pings another of our UAs and reads its capabilities', async () => {
    const { ua: bob } = await newUa('bob');
    const { ua: alice } = await newUa('alice');
    const res = await alice.sendOptions(`sip:bob@127.0.0.1:${bob.stack.listeningPoints[0]!.port}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Allow')?.split(/\s*,\s*/)).toEqual(expect.arrayContaining(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'REFER', 'NOTIFY']));
    expect(res.headers.get('Accept')).toBe('application/sdp');
    expect(res.headers.get('Supported')?.split(/\s*,\s*/)).toEqual(expect.arrayContaining(['replaces', 'norefersub']));
    expect(res.headers.get('Allow-Events')).toBe('talk, hold, refer, conference');
  });

  it('pings SIPp (a UAS scenario answering OPTIONS) and gets its 200', async () => {
    const port = await freePort();
    const run = startSipp({ scenario: 'uas-options.xml', port });
    cleanups.push(() => run.stop());
    await waitForUdpPort(port);
    const { ua, received } = await newUa('alice');
    const res = await ua.sendOptions(`sip:sipp@127.0.0.1:${port}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Allow')).toBe('INVITE, ACK, BYE, CANCEL, OPTIONS');
    expect(res.headers.get('Accept')).toBe('application/sdp');
    expect(received).toHaveLength(1);
    await expectSippOk(run);
  });
});
