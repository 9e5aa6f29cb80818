/**
 * Steps of the single-call 3pcc rows (genesys-compat §1): what Agent Alice's endpoint answered to
 * the SIP Server's NOTIFY, CANCEL, BYE and SUBSCRIBE, the re-INVITEs it sent on its own, and the
 * late ACK of TMakeCall with RFC3725=1. The SIP Server is SIPp (see sipserver.steps.ts); the
 * messages are the ones the agent's SIP stack logged.
 */
import assert from 'node:assert/strict';
import { Then } from '@cucumber/cucumber';
import type { SipMessage } from '@sip-endpoint/signaling';
import { sleep } from '../support/peers';
import type { CallWorld } from '../support/world';

const isResponse = (m: SipMessage): boolean => m.startLine().startsWith('SIP/2.0');
const statusOf = (m: SipMessage): number => Number(m.startLine().split(' ')[1]);
const methodOf = (m: SipMessage): string => (isResponse(m) ? (m.headers.get('CSeq') ?? '').split(' ')[1] ?? '' : m.startLine().split(' ')[0] ?? '');

function sent(world: CallWorld): readonly SipMessage[] {
  if (!world.host) throw new Error('the SIP Server has not reached Alice');
  return world.host.sent;
}

function received(world: CallWorld): readonly SipMessage[] {
  if (!world.host) throw new Error('the SIP Server has not reached Alice');
  return world.host.received;
}

/** Our responses as `code METHOD`, in the order sent (first of each, retransmissions dropped). */
function answers(world: CallWorld): string[] {
  const out: string[] = [];
  for (const m of sent(world).filter(isResponse)) {
    const s = `${statusOf(m)} ${m.headers.get('CSeq') ?? ''}`;
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

/** Re-INVITEs (and other requests) the agent's endpoint sent on its own. */
const ourInvites = (world: CallWorld): SipMessage[] => sent(world).filter((m) => !isResponse(m) && methodOf(m) === 'INVITE');

Then("Alice's endpoint accepted the SIP Server's NOTIFY {string} with 200", function (this: CallWorld, event: string) {
  const notify = received(this).find((m) => !isResponse(m) && methodOf(m) === 'NOTIFY' && (m.headers.get('Event') ?? '').split(';')[0]?.trim() === event);
  assert.ok(notify, `the SIP Server sent no NOTIFY Event: ${event}`);
  // genesys-compat §1: no SUBSCRIBE, no body: the subscription is implied by our Allow-Events.
  assert.equal(notify.body.length, 0, 'the NOTIFY had a body');
  const cseq = notify.headers.get('CSeq');
  assert.ok(
    sent(this).some((m) => isResponse(m) && statusOf(m) === 200 && m.headers.get('CSeq') === cseq),
    `no 200 to the NOTIFY (${cseq}); Alice answered: ${answers(this).join(', ')}`,
  );
});

Then(/^Alice (?:held|retrieved) the call herself with a re-INVITE offering (sendonly|sendrecv)$/, function (this: CallWorld, direction: string) {
  const invites = ourInvites(this);
  assert.equal(invites.length, 1, `Alice sent ${invites.length} INVITEs`);
  assert.match(invites[0]?.body.toString() ?? '', new RegExp(`a=${direction}`));
});

Then("Alice's re-INVITE advertises {string}", function (this: CallWorld, header: string) {
  const [name = '', value = ''] = header.split(/:\s*/, 2);
  const invite = ourInvites(this)[0];
  assert.ok(invite, 'Alice sent no re-INVITE');
  assert.deepEqual(invite.headers.getAll(name), [value]);
});

Then("Alice's endpoint answered the SIP Server's {word} with {int}", function (this: CallWorld, method: string, code: number) {
  const got = answers(this);
  assert.ok(
    got.some((a) => {
      const [status, , m] = a.split(' ');
      return Number(status) === code && m === method;
    }),
    `no ${code} to ${method}; Alice answered: ${got.join(', ')}`,
  );
});

Then('Alice answered the call with her media before accepting the NOTIFY', function (this: CallWorld) {
  const got = answers(this);
  const invite = got.findIndex((a) => /^200 \d+ INVITE$/.test(a));
  const notify = got.findIndex((a) => /^200 \d+ NOTIFY$/.test(a));
  assert.ok(invite >= 0 && notify >= 0, `Alice answered: ${got.join(', ')}`);
  // genesys-compat §1 (TAnswerCall): "200 OK with SDP, then 200 to the NOTIFY".
  assert.ok(invite < notify, `Alice answered: ${got.join(', ')}`);
  const ok = sent(this).find((m) => isResponse(m) && statusOf(m) === 200 && /INVITE/.test(m.headers.get('CSeq') ?? ''));
  assert.match(ok?.body.toString() ?? '', /m=audio \d+ RTP\/AVP/, 'the 200 to the INVITE carries no SDP answer');
});

Then('Alice sent audio to the SIP Server after the answer', async function (this: CallWorld) {
  const s = this.agentCall(0);
  // The call lasts a moment after the ACK; the counters survive the end of the call.
  await sleep(100);
  const packets = s.session.statistics()?.raw.packetsSent ?? 0;
  assert.ok(packets >= 5, `Alice sent only ${packets} RTP packets`);
});

Then("Alice's endpoint repeated its 200 with her media offer until the late ACK came", function (this: CallWorld) {
  const oks = sent(this).filter((m) => isResponse(m) && statusOf(m) === 200 && m.headers.get('CSeq') === '1 INVITE');
  // RFC 3261 §13.3.1.4: the 2xx is retransmitted until the ACK arrives (2 s later here).
  assert.ok(oks.length > 1, `the 200 was sent ${oks.length} time(s)`);
  assert.match(oks[0]?.body.toString() ?? '', /m=audio \d+ RTP\/AVP/);
  const invite = received(this).find((m) => !isResponse(m) && methodOf(m) === 'INVITE');
  assert.equal(invite?.body.length, 0, 'the SIP Server sent SDP in its INVITE');
  // RFC 3264 with a delayed offer: ours in the 200, the far party's answer in the ACK.
  assert.equal(this.agentCall(0).media.at(0)?.role, 'offerer');
});

Then("Alice's endpoint refused the SUBSCRIBE with {int}, listing {string}", function (this: CallWorld, code: number, events: string) {
  const r = sent(this).find((m) => isResponse(m) && methodOf(m) === 'SUBSCRIBE');
  assert.ok(r, 'no answer to the SUBSCRIBE');
  assert.equal(statusOf(r), code);
  assert.deepEqual(r.headers.getAll('Allow-Events'), [events]);
  assert.equal(this.host?.sessions.length, 0, 'the SUBSCRIBE created a call');
});
