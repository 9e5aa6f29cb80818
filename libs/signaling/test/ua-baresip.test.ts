/**
 * Protocol tests against baresip (a real SIP user agent, Debian's baresip-core) on 127.0.0.1:
 * a call in each direction, signaling only (baresip plays a silent WAV, no sound card).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SessionState, UserAgent, type InviteSession } from '@sip-endpoint/signaling';
import { SimpleSdh } from './support/simple-sdh';
import { freePort, hasProgram, startBaresip, type BaresipProcess } from './support/peers';

if (!hasProgram('/usr/bin/baresip')) throw new Error('baresip is missing: install the Debian package baresip-core (.ci/run does)');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function baresip(autoAnswer: boolean): Promise<{ b: BaresipProcess; port: number }> {
  const port = await freePort();
  const b = await startBaresip({ port, account: `<sip:bob@127.0.0.1:${port}>;regint=0`, ctrlPort: await freePort(), autoAnswer });
  cleanups.push(() => b.stop());
  return { b, port };
}

async function ua(onInvite?: (s: InviteSession) => void): Promise<UserAgent> {
  const u = await UserAgent.create({
    aor: 'sip:alice@127.0.0.1',
    stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }] },
    createSessionDescriptionHandler: () => new SimpleSdh(),
    delegate: onInvite ? { onInvite } : {},
  });
  cleanups.push(() => u.dispose());
  return u;
}

function reach(s: InviteSession, state: SessionState, timeoutMs = 8000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (s.state === state) return resolve();
    const t = setTimeout(() => reject(new Error(`session did not reach ${state} (is ${s.state})`)), timeoutMs);
    const sub = s.onDidChangeState((e) => {
      if (e.state !== state) return;
      clearTimeout(t);
      sub.dispose();
      resolve();
    });
  });
}

describe('calls with baresip', () => {
  it('we call baresip, it answers, we hang up', async () => {
    const { b, port } = await baresip(true);
    const alice = await ua();
    const s = alice.invite(`sip:bob@127.0.0.1:${port}`);
    await reach(s, SessionState.Established);
    await b.waitForEvent('CALL_ESTABLISHED');
    await s.bye();
    expect(s.ended).toMatchObject({ cause: 'local-bye', statusCode: 200 });
    const closed = await b.waitForEvent('CALL_CLOSED');
    expect(String(closed['param'])).toMatch(/Connection reset by peer|Terminated|bye/i);
  });

  it('baresip calls us, we answer, baresip hangs up', async () => {
    const { b } = await baresip(false);
    const sessions: InviteSession[] = [];
    const alice = await ua((s) => {
      sessions.push(s);
      s.progress(180);
      void s.accept();
    });
    const port = alice.stack.listeningPoints[0]!.port;
    const r = await b.command('dial', `sip:alice@127.0.0.1:${port}`);
    expect(r.ok).toBe(true);
    await b.waitForEvent('CALL_ESTABLISHED');
    const s = sessions[0]!;
    await reach(s, SessionState.Established);
    await b.command('hangup');
    await reach(s, SessionState.Terminated);
    expect(s.ended?.cause).toBe('remote-bye');
  });
});
