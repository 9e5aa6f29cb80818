/**
 * Steps where SIPp plays the Genesys SIP Server (third-party call control): the SIPp scenarios of
 * libs/endpoint/test/peers/sipp/genesys-*.xml drive Agent Alice's endpoint (the endpoint tests'
 * GenesysHost: our endpoint with the built-in Genesys provider, recording states and SIP messages).
 */
import assert from 'node:assert/strict';
import { Given, Then, When } from '@cucumber/cucumber';
import type { SipMessage } from '@sip-endpoint/signaling';
import { sleep, withTimeout, type GenesysHost, type HostSession } from '../support/peers';
import type { CallWorld } from '../support/world';

/** T-Lib request (or call marker) -> the SIPp scenario that plays the SIP Server's side of it. */
const FLOWS: Readonly<Record<string, string>> = {
  THoldCall: 'genesys-tholdcall',
  TRetrieveCall: 'genesys-tretrievecall',
  'Call-Info: answer-after=0': 'genesys-tmakecall-callinfo',
  'Alert-Info: info=alert-autoanswer': 'genesys-tmakecall-alertinfo',
  'Answer-Mode: Auto': 'genesys-tmakecall-answermode',
  'Call-Info: answer-after=1': 'genesys-answer-after',
  'no auto-answer marker': 'genesys-plain-call',
  'Answer-Mode: Auto, cancelled after a second': 'genesys-autoanswer-blocked',
  'THoldCall by NOTIFY': 'genesys-tholdcall-notify',
  'TRetrieveCall by NOTIFY': 'genesys-tretrievecall-notify',
  TAnswerCall: 'genesys-tanswercall',
  'TReleaseCall by BYE': 'genesys-treleasecall-bye',
  'TReleaseCall by CANCEL': 'genesys-treleasecall-cancel',
  TSingleStepTransfer: 'genesys-tsinglesteptransfer',
  'Call-Info: answer-after=0, without SDP, acknowledged 2 seconds later': 'genesys-tmakecall-late-ack',
  'SUBSCRIBE for talk': 'signaling:uac-subscribe-talk',
};

async function host(world: CallWorld): Promise<GenesysHost> {
  return world.agentHost();
}

function agentCall(world: CallWorld): HostSession {
  return world.agentCall(0);
}

async function runFlow(world: CallWorld, key: string, timeoutSec = 20): Promise<void> {
  const name = FLOWS[key];
  if (!name) throw new Error(`no SIP Server flow for "${key}" (known: ${Object.keys(FLOWS).join(', ')})`);
  await world.playSipServer(name, timeoutSec);
}

const isResponse = (m: SipMessage): boolean => m.startLine().startsWith('SIP/2.0');
const statusOf = (m: SipMessage): number => Number(m.startLine().split(' ')[1]);

Given("Agent Alice's endpoint answers to the SIP Server", function (this: CallWorld) {
  this.setup('Alice');
});

Given("Alice's policy answers every call automatically", function (this: CallWorld) {
  const s = this.setup('Alice');
  s.config = { ...s.config, policy: { session: { auto_answer: true } } };
});

Given("Alice's policy requires a headset", function (this: CallWorld) {
  const s = this.setup('Alice');
  s.config = { ...s.config, policy: { device: { use_headset: true } } };
});

Given("Alice's policy rejects calls with code {int} when her headset is missing", function (this: CallWorld, code: number) {
  const s = this.setup('Alice');
  s.config = { ...s.config, policy: { device: { use_headset: true }, session: { reject_session_when_headset_na: true, sip_code_when_headset_na: code } } };
});

Given('her headset is plugged in', function (this: CallWorld) {
  this.headsetPresent = true;
});

Given('no headset is plugged in', function (this: CallWorld) {
  // The built-in provider reads the machine's devices; this machine has none.
  this.headsetPresent = false;
});

When('the SIP Server runs its {string} flow', async function (this: CallWorld, flow: string) {
  await runFlow(this, flow);
});

When('the SIP Server places a call marked {string}', async function (this: CallWorld, marker: string) {
  await runFlow(this, marker);
});

When('the SIP Server places a call marked {string} and gives up after {int} seconds', async function (this: CallWorld, marker: string, seconds: number) {
  await runFlow(this, marker, seconds);
});

Then("Alice's call is on hold while still connected", async function (this: CallWorld) {
  const h = await host(this);
  await h.waitFor(() => h.sessions[0]?.held === true, 'held');
  assert.equal(agentCall(this).state, 'Connected');
});

Then("Alice's call comes off hold while still connected", async function (this: CallWorld) {
  const h = await host(this);
  await h.waitFor(() => h.sessions[0]?.held === false, 'retrieved');
  assert.equal(agentCall(this).state, 'Connected');
});

const sentPackets = (s: HostSession): number => s.session.statistics()?.raw.packetsSent ?? 0;

Then('Alice sends audio again after the retrieve', async function (this: CallWorld) {
  const s = agentCall(this);
  await sleep(100);
  const before = sentPackets(s);
  await sleep(400);
  assert.ok(sentPackets(s) - before > 5, `Alice sent only ${sentPackets(s) - before} RTP packets in 400 ms after the retrieve`);
});

Then("the SIP Server's flow completes", async function (this: CallWorld) {
  assert.ok(this.sipp, 'no SIP Server flow ran');
  const r = await withTimeout(this.sipp.result, 22_000, 'the SIP Server flow');
  assert.ok(r.ok, `the SIP Server's flow failed (exit ${r.code}):\n${r.errors}\n${r.output.slice(-4000)}`);
});

Then("the SIP Server's flow does not complete, as no answer came", async function (this: CallWorld) {
  assert.ok(this.sipp, 'no SIP Server flow ran');
  const r = await withTimeout(this.sipp.result, 22_000, 'the SIP Server flow');
  assert.equal(r.ok, false, 'SIPp saw the 200 OK it waited for');
});

Then(/^Alice's call went through: (.+)$/, function (this: CallWorld, list: string) {
  const seen = agentCall(this).timeline.map((t) => `${t.state}${t.held ? ' on hold' : ''}`);
  assert.deepEqual(seen, list.split(',').map((x) => x.trim()));
});

Then("Alice's call was ended by the SIP Server", function (this: CallWorld) {
  assert.deepEqual(agentCall(this).session.endCause, { code: 200, reason: 'remote-bye', by: 'remote' });
});

Then(/^Alice's call was ended by the SIP Server with SIP code (\d+)$/, function (this: CallWorld, code: string) {
  const cause = agentCall(this).session.endCause;
  assert.equal(cause?.code, Number(code), JSON.stringify(cause));
  assert.equal(cause?.by, 'remote', JSON.stringify(cause));
});

Then("Alice's answer to the retrieve offered fresh media \\(sendrecv) and took the answer from the ACK", function (this: CallWorld) {
  const ok = this.host?.sent.find((m) => isResponse(m) && statusOf(m) === 200 && m.headers.get('CSeq') === '3 INVITE');
  assert.match(ok?.body.toString() ?? '', /a=sendrecv/);
  const last = agentCall(this).media.at(-1);
  // RFC 3264 with a delayed offer: our offer in the 200, the SIP Server's answer in the ACK.
  assert.equal(last?.role, 'offerer');
  assert.doesNotMatch(last?.remote ?? '', /^0\.0\.0\.0/);
});

Then("Alice's endpoint answered without her doing anything", async function (this: CallWorld) {
  const h = await host(this);
  await h.waitFor(() => h.sessions[0]?.state === 'Connected' || h.sessions[0]?.state === 'Disconnected', 'auto-answer');
  assert.deepEqual(
    agentCall(this).timeline.map((t) => t.state).slice(0, 2),
    ['Alerting', 'Connected'],
  );
});

Then('Alice rang for between {int} and {int} ms before answering', function (this: CallWorld, min: number, max: number) {
  const s = agentCall(this);
  const rang = (s.reachedAt.Connected ?? 0) - (s.reachedAt.Alerting ?? 0);
  assert.ok(rang >= min && rang <= max, `rang ${rang} ms`);
});

Then("Alice's endpoint sent audio to the far party the SIP Server announced", function (this: CallWorld) {
  const s = agentCall(this);
  // The media re-INVITE (RFC3725=2) carried the far party's SDP: 127.0.0.1:30000 in the scenario.
  assert.equal(s.media.at(-1)?.remote, '127.0.0.1:30000');
  assert.ok(sentPackets(s) > 10, `Alice sent only ${sentPackets(s)} RTP packets`);
});

Then("Alice's 180 and 200 advertise {string}", function (this: CallWorld, header: string) {
  const [name = '', value = ''] = header.split(/:\s*/, 2);
  const rs = (this.host?.sent ?? []).filter((m) => isResponse(m) && [180, 200].includes(statusOf(m)) && /INVITE/.test(m.headers.get('CSeq') ?? ''));
  assert.ok(rs.length >= 2, 'no 180/200 to the INVITE');
  for (const m of rs) assert.deepEqual(m.headers.getAll(name), [value]);
});

Then("Alice's phone only rings", function (this: CallWorld) {
  const s = agentCall(this);
  assert.equal(s.timeline[0]?.state, 'Alerting');
  assert.ok(!s.timeline.some((t) => t.state === 'Connected'), 'the call was answered');
  const ok = this.host?.sent.some((m) => isResponse(m) && statusOf(m) === 200 && m.headers.get('CSeq') === '1 INVITE');
  assert.equal(ok, false, 'a 200 OK was sent to the INVITE');
});

Then("Alice's endpoint rejected the call with SIP code {int}", function (this: CallWorld, code: number) {
  const s = agentCall(this);
  assert.equal(s.state, 'Disconnected');
  assert.equal(s.session.endCause?.code, code, JSON.stringify(s.session.endCause));
  assert.equal(s.session.endCause?.by, 'local');
  assert.ok(this.host?.sent.some((m) => isResponse(m) && statusOf(m) === code && m.headers.get('CSeq') === '1 INVITE'), `no ${code} to the INVITE`);
});
