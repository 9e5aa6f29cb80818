/**
 * The demo (README's first command): everything on 127.0.0.1, no external server.
 *
 *   1. A registrar/redirect server (our SipStack + Registrar) for the domain `demo.local`,
 *      with digest authentication.
 *   2. Two user agents, alice (UDP) and bob (TCP), register through a digest challenge.
 *   3. Alice calls sip:bob@demo.local: the registrar redirects (302) to bob's contact, bob
 *      rings and answers, the SDP offer/answer picks a codec, alice sends DTMF by INFO, puts bob
 *      on hold and back, and hangs up; both unregister.
 *
 * Every SIP message is printed as it goes out or comes in (start line and the headers that
 * matter; `--full` prints whole messages).
 */
import { SinkLogger, consoleSink } from '@sip-endpoint/base';
import {
  RegistrationState,
  Registrar,
  SdpOfferAnswerHandler,
  SessionState,
  SipStack,
  UserAgent,
  type InviteSession,
  type SipMessage,
} from '@sip-endpoint/signaling';

const full = process.argv.includes('--full');
const verbose = process.argv.includes('--verbose');
const logger = verbose ? new SinkLogger(consoleSink, 'debug') : undefined;
const PASSWORDS: Record<string, string> = { alice: 'alice-secret', bob: 'bob-secret' };
const colors = { registrar: '\x1b[35m', alice: '\x1b[36m', bob: '\x1b[33m', reset: '\x1b[0m' };
const tty = process.stdout.isTTY;

function show(who: keyof typeof colors, direction: 'in' | 'out', m: SipMessage, remote: string, protocol: string): void {
  const arrow = direction === 'out' ? '->' : '<-';
  const c = tty ? colors[who] : '';
  const r = tty ? colors.reset : '';
  if (full) {
    console.log(`${c}${who.padEnd(9)} ${arrow} ${protocol.toUpperCase()} ${remote}${r}\n${m.toString().trimEnd().replace(/^/gm, '    ')}\n`);
    return;
  }
  const extra: string[] = [];
  const cseq = m.headers.get('CSeq');
  if (cseq) extra.push(`CSeq: ${cseq}`);
  for (const h of ['Contact', 'WWW-Authenticate', 'Authorization', 'Content-Type', 'Event']) {
    const v = m.headers.get(h);
    if (v) extra.push(`${h}: ${v.length > 70 ? `${v.slice(0, 67)}...` : v}`);
  }
  console.log(`${c}${who.padEnd(9)} ${arrow} ${protocol.toUpperCase()} ${remote.padEnd(16)} ${m.startLine()}${r}${extra.length ? `\n${' '.repeat(14)}${extra.join(' | ')}` : ''}`);
}

function step(text: string): void {
  console.log(`\n== ${text}`);
}

function reached(s: InviteSession, state: SessionState, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (s.state === state) return resolve();
    const t = setTimeout(() => reject(new Error(`call did not reach ${state} (it is ${s.state})`)), timeoutMs);
    const sub = s.onDidChangeState((e) => {
      if (e.state === state) {
        clearTimeout(t);
        sub.dispose();
        resolve();
      } else if (e.state === SessionState.Terminated) {
        clearTimeout(t);
        sub.dispose();
        reject(new Error(`call ended: ${e.cause} ${e.statusCode ?? ''} ${e.reason ?? ''}`));
      }
    });
  });
}

function audioOn(port: number) {
  return () =>
    new SdpOfferAnswerHandler({
      address: '127.0.0.1',
      ports: { audio: port },
      audio: { codecs: [{ name: 'PCMU', clockRate: 8000 }, { name: 'PCMA', clockRate: 8000 }, { name: 'G722', clockRate: 8000 }], telephoneEvent: true, ptime: 20 },
    });
}

async function main(): Promise<void> {
  step('starting a registrar for demo.local on 127.0.0.1 (UDP and TCP)');
  const registrarStack = await SipStack.create({
    listen: [
      { protocol: 'udp', host: '127.0.0.1', port: 0 },
      { protocol: 'tcp', host: '127.0.0.1', port: 0 },
    ],
    logger,
    userAgent: 'sip-endpoint-demo-registrar',
  });
  registrarStack.onDidLogMessage((e) => show('registrar', e.direction, e.message, e.remote, e.protocol));
  const registrar = new Registrar(registrarStack, { domain: 'demo.local', credentials: (user) => (PASSWORDS[user] ? { username: user, password: PASSWORDS[user] } : undefined) });
  const udpPort = registrarStack.listeningPoints[0]!.port;
  const tcpPort = registrarStack.listeningPoints[1]!.port;
  console.log(`registrar: udp 127.0.0.1:${udpPort}, tcp 127.0.0.1:${tcpPort}`);

  const ringing: InviteSession[] = [];
  const alice = await UserAgent.create({
    aor: 'sip:alice@demo.local',
    displayName: 'Alice',
    credentials: { username: 'alice', password: PASSWORDS['alice']! },
    stack: {
      listen: [
        { protocol: 'udp', host: '127.0.0.1', port: 0 },
        { protocol: 'tcp', host: '127.0.0.1', port: 0 },
      ],
      logger,
    },
    createSessionDescriptionHandler: audioOn(40_000),
  });
  const bob = await UserAgent.create({
    aor: 'sip:bob@demo.local',
    displayName: 'Bob',
    transport: 'tcp',
    credentials: { username: 'bob', password: PASSWORDS['bob']! },
    stack: { listen: [{ protocol: 'tcp', host: '127.0.0.1', port: 0 }], logger },
    createSessionDescriptionHandler: audioOn(40_010),
    delegate: {
      onInvite: (s) => {
        ringing.push(s);
        s.progress(180);
        setTimeout(() => void s.accept().catch((e) => console.error('accept failed:', e)), 300);
      },
    },
  });
  alice.stack.onDidLogMessage((e) => show('alice', e.direction, e.message, e.remote, e.protocol));
  bob.stack.onDidLogMessage((e) => show('bob', e.direction, e.message, e.remote, e.protocol));

  try {
    step('alice (UDP and TCP) and bob (TCP only) register with digest authentication');
    const registrarOf = new Map([
      [alice, `sip:127.0.0.1:${udpPort}`],
      [bob, `sip:127.0.0.1:${tcpPort};transport=tcp`],
    ]);
    for (const [ua, outboundProxy] of registrarOf) {
      // REGISTER sip:demo.local, sent to the registrar's address (demo.local is not in DNS).
      const reg = ua.createRegistration({ expires: 300, registrar: 'sip:demo.local', outboundProxy });
      await new Promise<void>((resolve, reject) => {
        const sub = reg.onDidChangeState((e) => {
          if (e.state === RegistrationState.Registered) {
            sub.dispose();
            console.log(`   ${ua.aor.user} registered for ${e.expires} s`);
            resolve();
          } else if (e.state === RegistrationState.RetryWait) {
            sub.dispose();
            reject(new Error(`${ua.aor.user} could not register: ${e.reason}`));
          }
        });
        reg.register();
      });
    }
    console.log(`   bindings of bob: ${registrar.bindings('sip:bob@demo.local').map((b) => `<${b.contact.uri.kind === 'sip' ? `${b.contact.uri.host}:${b.contact.uri.port}` : ''}>`).join(', ')}`);

    step(`alice calls bob at the registrar (sip:bob@127.0.0.1:${udpPort}): 302 to bob's contact, bob rings, then answers`);
    const call = alice.invite(`sip:bob@127.0.0.1:${udpPort}`);
    await reached(call, SessionState.Established);
    const incoming = ringing[0]!;
    await reached(incoming, SessionState.Established);
    const sdh = (call as unknown as { sdh: SdpOfferAnswerHandler }).sdh;
    const audio = sdh.lastResult?.audio;
    console.log(`   call established; codec ${audio?.codecs[0]?.name}/${audio?.codecs[0]?.clockRate}, alice sends RTP to ${audio?.remoteAddress}:${audio?.remotePort}, telephone-event pt ${audio?.telephoneEvent?.payloadType}`);

    step('alice sends DTMF 5 by SIP INFO (application/dtmf-relay)');
    const dtmf = new Promise<string>((resolve) => incoming.onDidReceiveInfo((e) => resolve(e.body.trim().replace(/\r?\n/g, ', '))));
    const infoRes = await call.info('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n');
    console.log(`   INFO answered ${infoRes.status}; bob got: ${await dtmf}`);

    step('alice puts bob on hold, then takes him back');
    await call.hold();
    console.log(`   alice localHold=${call.localHold}; bob sees remoteHold=${incoming.remoteHold}`);
    await call.unhold();
    console.log(`   alice localHold=${call.localHold}; bob sees remoteHold=${incoming.remoteHold}`);

    step('alice hangs up');
    await call.bye();
    await reached(incoming, SessionState.Terminated);
    console.log(`   alice: ${call.ended?.cause} (${call.ended?.statusCode}); bob: ${incoming.ended?.cause}`);

    step('both unregister');
    await alice.shutdown();
    await bob.shutdown();
    console.log(`   bindings left for bob: ${registrar.bindings('sip:bob@demo.local').length}`);
    console.log('\ndemo finished: REGISTER with digest, redirect, INVITE/180/200/ACK, INFO, hold re-INVITEs, BYE.');
  } finally {
    alice.dispose();
    bob.dispose();
    registrar.dispose();
    registrarStack.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
