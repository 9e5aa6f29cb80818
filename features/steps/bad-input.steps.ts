/**
 * Steps of bad-input.feature: raw UDP datagrams sent to the agent's line (malformed requests,
 * INVITEs whose offer cannot be accepted), and calls to unreachable destinations.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Given, Then, When } from '@cucumber/cucumber';
import { SessionState } from '@sip-endpoint/endpoint';
import { freePort, sleep, until } from '../support/peers';
import { rawSender, slice } from '../support/slice-b';
import { CallWorld, settle } from '../support/world';

/** Our raw sender's faults: which header to drop, or what to write as Content-Length. */
const FAULTS: Readonly<Record<string, { drop?: string; contentLength?: string; garbage?: true }>> = {
  'an INVITE without a Via header': { drop: 'Via' },
  'an INVITE without a CSeq header': { drop: 'CSeq' },
  'an INVITE without a Call-ID header': { drop: 'Call-ID' },
  'an INVITE whose Content-Length is beyond its body': { contentLength: '900' },
  'an INVITE whose Content-Length is not a number': { contentLength: 'x' },
  'bytes that are not SIP at all': { garbage: true },
};

/** An SDP offer of one audio codec (static payload type `pt`). */
function offer(pt: number, codec: string): string {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio 30000 RTP/AVP ${pt}`, `a=rtpmap:${pt} ${codec}`, ''].join('\r\n');
}

/** An INVITE from `sip:caller@127.0.0.1:<port>` to `target`, less `drop`, with `contentLength` if given. */
function invite(target: string, port: number, callId: string, body: string, o: { drop?: string; contentLength?: string } = {}): string {
  const headers: [string, string][] = [
    ['Via', `SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${callId}`],
    ['Max-Forwards', '70'],
    ['From', `<sip:caller@127.0.0.1:${port}>;tag=f${callId}`],
    ['To', `<${target}>`],
    ['Call-ID', callId],
    ['CSeq', '1 INVITE'],
    ['Contact', `<sip:caller@127.0.0.1:${port}>`],
    ['Content-Type', 'application/sdp'],
    ['Content-Length', o.contentLength ?? String(Buffer.byteLength(body))],
  ];
  return [`INVITE ${target} SIP/2.0`, ...headers.filter(([n]) => n !== o.drop).map(([n, v]) => `${n}: ${v}`), '', body].join('\r\n');
}

/** host:port of `name`'s line. */
function lineOf(world: CallWorld, name: string): { host: string; port: number } {
  const m = /@([\d.]+):(\d+)/.exec(world.actor(name).uri);
  if (!m) throw new Error(`cannot read the address of ${world.actor(name).uri}`);
  return { host: m[1] ?? '127.0.0.1', port: Number(m[2]) };
}

When(/^a faulty device sends Alice's line (.+)$/, async function (this: CallWorld, request: string) {
  const fault = FAULTS[request];
  if (!fault) throw new Error(`no such fault "${request}" (known: ${Object.keys(FAULTS).join('; ')})`);
  const alice = await this.ensure('Alice');
  const { socket, port } = await rawSender(this);
  const { host, port: to } = lineOf(this, 'Alice');
  const data = fault.garbage ? Buffer.from('\x00\x01 this is not SIP \xff\r\n\r\n', 'latin1') : invite(alice.uri, port, `bad${Date.now()}`, offer(0, 'PCMU/8000'), fault);
  socket.send(data, to, host);
});

Then('the faulty device gets {string}', async function (this: CallWorld, answer: string) {
  const replies = slice(this).rawReplies;
  await until(() => replies.length > 0, 3000, `an answer to the faulty device (${answer})`);
  assert.equal(replies[0]?.split('\r\n')[0], `SIP/2.0 ${answer}`);
});

Then('the faulty device gets no answer', async function (this: CallWorld) {
  await sleep(1000);
  assert.deepEqual(slice(this).rawReplies.map((r) => r.split('\r\n')[0]), []);
});

Then("{actor}'s phone did not ring", async function (this: CallWorld, name: string) {
  await sleep(200);
  assert.equal(this.history.get(name)?.length ?? 0, 0, `${name} got a call`);
  assert.equal(this.actor(name).endpoint.sessions.length, 0);
});

/** What the raw caller's INVITE carries as its offer. */
const OFFERS: Readonly<Record<string, string>> = {
  // G.729 has the static payload type 18 (RFC 3551); Alice's line has PCMU and PCMA only.
  'only the G729/8000 codec, which she lacks': offer(18, 'G729/8000'),
  'a session description that is not SDP': 'this is not a session description\r\n',
};

When(/^a caller's INVITE offers Alice (.+)$/, async function (this: CallWorld, what: string) {
  const body = OFFERS[what];
  if (body === undefined) throw new Error(`no such offer "${what}" (known: ${Object.keys(OFFERS).join('; ')})`);
  const alice = await this.ensure('Alice');
  const { socket, port } = await rawSender(this);
  const { host, port: to } = lineOf(this, 'Alice');
  socket.send(invite(alice.uri, port, `offer${Date.now()}`, body), to, host);
});

Then('the caller gets {string} without any ringing first', async function (this: CallWorld, answer: string) {
  const replies = slice(this).rawReplies;
  const lines = (): string[] => replies.map((r) => r.split('\r\n')[0] ?? '');
  const provisional = (l: string): boolean => /^SIP\/2\.0 1\d\d /.test(l);
  await until(() => lines().some((l) => !provisional(l)), 3000, `a final answer (${answer})`);
  assert.equal(lines().find((l) => !provisional(l)), `SIP/2.0 ${answer}`);
  // RFC 3261 §13.3.1: refused on arrival, so no 180 Ringing came before it (a 100 Trying may).
  assert.deepEqual(lines().filter((l) => provisional(l) && !l.startsWith('SIP/2.0 100 ')), [], 'the caller heard ringing');
  // RFC 3261 §17.1.1.3: the caller acknowledges the final response (ends its retransmissions).
  const res = replies.find((r) => r.startsWith(`SIP/2.0 ${answer}`)) ?? '';
  const header = (n: string): string => new RegExp(`^${n}:\\s*(.*)$`, 'mi').exec(res)?.[1]?.trim() ?? '';
  const { socket } = await rawSender(this);
  const { host, port } = lineOf(this, 'Alice');
  const uri = this.actor('Alice').uri;
  const ack = [`ACK ${uri} SIP/2.0`, `Via: ${header('Via')}`, 'Max-Forwards: 70', `From: ${header('From')}`, `To: ${header('To')}`, `Call-ID: ${header('Call-ID')}`, `CSeq: ${header('CSeq').split(' ')[0]} ACK`, 'Content-Length: 0', '', ''].join('\r\n');
  socket.send(ack, port, host);
});

Given("{actor}'s SIP timers are {int} ms \\(a request times out after {float} seconds)", function (this: CallWorld, name: string, t1: number, _timeout: number) {
  const s = this.setup(name);
  // RFC 3261 §17.1.1.2: Timer B (INVITE transaction timeout) = 64*T1.
  s.config = { ...s.config, sip: { timers: { t1Ms: t1, t2Ms: t1 * 4 } } };
});

When(/^(Alice|Bob) calls (a TCP port on this machine where nothing runs|a UDP port on this machine that never answers|a domain name that does not exist)$/, async function (this: CallWorld, name: string, where: string) {
  const p = await this.ensure(name);
  let target: string;
  if (where.startsWith('a TCP')) target = `sip:nobody@127.0.0.1:${await freePort()};transport=tcp`;
  else if (where.startsWith('a UDP')) {
    // A bound socket that reads and never answers (no ICMP port unreachable either).
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()));
    this.cleanups.push(() => void silent.close());
    target = `sip:nobody@127.0.0.1:${silent.address().port}`;
  } else target = 'sip:nobody@no-such-host.invalid';
  this.calls.delete(name);
  p.endpoint.dial(target);
  this.dialledAt.set(name, Date.now());
});

Then(
  /^(Alice|Bob)'s call ends within (\d+) seconds with SIP code (\d+) "([^"]+)", ended by (?:herself|himself)$/,
  async function (this: CallWorld, name: string, seconds: string, code: string, reason: string) {
    const call = await this.awaitCall(name);
    await settle(call, SessionState.Disconnected, Number(seconds) * 1000);
    assert.deepEqual(call.endCause, { code: Number(code), reason, by: 'local' });
  },
);
