/**
 * Steps of the two-call 3pcc rows (genesys-compat §1): TInitiateTransfer / TInitiateConference
 * (the SIP Server holds Alice's call, then calls her for a consultation: two SIPp runs at once),
 * TCompleteTransfer (BYE on both legs) and TCompleteConference (the held leg re-INVITEd towards a
 * conference bridge, the consultation ended). The bridge is a UDP socket of this process on the
 * port the SIPp scenario announces, so the step counts the RTP that really reached it.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { Then, When } from '@cucumber/cucumber';
import { sleep, withTimeout, type HostSession } from '../support/peers';
import type { CallWorld } from '../support/world';

/** The first leg's SIPp scenario of each T-Lib request that opens a consultation. */
const HELD_LEG: Readonly<Record<string, string>> = {
  TInitiateTransfer: 'genesys-consult-held-leg',
  TInitiateConference: 'genesys-tcompleteconference-held-leg',
};

/** Where genesys-tcompleteconference-held-leg.xml puts the conference bridge (its re-INVITE's SDP). */
const BRIDGE_PORT = 31000;

/** RTP packets that reached the bridge port, while the scenario listens there. */
const bridges = new WeakMap<CallWorld, { packets: number }>();

const REMOTE_BYE = { code: 200, reason: 'remote-bye', by: 'remote' };

const sentPackets = (s: HostSession): number => s.session.statistics()?.raw.packetsSent ?? 0;

async function listenAsBridge(world: CallWorld): Promise<void> {
  const counter = { packets: 0 };
  const socket: Socket = createSocket('udp4');
  socket.on('message', (b) => {
    // RFC 3550 §5.1: version 2 in the first two bits.
    if (b.length >= 12 && b[0]! >> 6 === 2) counter.packets++;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (e) => reject(new Error(`the conference bridge port ${BRIDGE_PORT} is taken: ${e.message}`)));
    socket.bind(BRIDGE_PORT, '127.0.0.1', () => resolve());
  });
  bridges.set(world, counter);
  world.cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
}

When(/^the SIP Server puts Alice's call on hold and calls her for a consultation \((TInitiateTransfer|TInitiateConference)\)$/, async function (this: CallWorld, request: string) {
  const leg = HELD_LEG[request];
  assert.ok(leg, request);
  if (request === 'TInitiateConference') await listenAsBridge(this);
  const h = await this.agentHost();
  await this.playSipServer(leg);
  await h.waitFor(() => h.sessions[0]?.held === true, 'the first call held');
  await this.playSipServer('genesys-consult-leg');
  await h.waitFor(() => h.sessions[1]?.state === 'Connected', 'the consultation connected');
});

Then("Alice has two calls: the first on hold, the consultation connected", function (this: CallWorld) {
  const [first, consult] = [this.agentCall(0), this.agentCall(1)];
  assert.notEqual(first.session.id, consult.session.id, 'the consultation is a new call (Call-ID)');
  assert.deepEqual({ state: first.state, held: first.held }, { state: 'Connected', held: true });
  assert.deepEqual({ state: consult.state, held: consult.held }, { state: 'Connected', held: false });
});

Then('Alice sends audio on the consultation, not on the held call', async function (this: CallWorld) {
  const [first, consult] = [this.agentCall(0), this.agentCall(1)];
  // The consultation lasts about a second in the SIP Server's script: one short window.
  const before = [sentPackets(first), sentPackets(consult)];
  await sleep(300);
  const held = sentPackets(first) - (before[0] ?? 0);
  const talking = sentPackets(consult) - (before[1] ?? 0);
  assert.ok(talking >= 5, `Alice sent ${talking} RTP packets on the consultation in 300 ms`);
  assert.ok(held < 3, `Alice sent ${held} RTP packets on the held call in 300 ms`);
});

When("the SIP Server completes the transfer \\(TCompleteTransfer: BYE on both of Alice's calls)", async function (this: CallWorld) {
  for (const run of this.sippRuns) {
    const r = await withTimeout(run.result, 22_000, 'the SIP Server flow');
    assert.ok(r.ok, `the SIP Server's flow failed (exit ${r.code}):\n${r.errors}\n${r.output.slice(-4000)}`);
  }
});

Then("both of Alice's calls were ended by the SIP Server", function (this: CallWorld) {
  const all = this.host?.sessions ?? [];
  assert.equal(all.length, 2);
  for (const s of all) {
    assert.equal(s.state, 'Disconnected');
    assert.deepEqual(s.session.endCause, REMOTE_BYE);
  }
});

When('the SIP Server completes the conference \\(TCompleteConference)', async function (this: CallWorld) {
  const consultLeg = this.sippRuns[1];
  assert.ok(consultLeg, 'no consultation ran');
  const r = await withTimeout(consultLeg.result, 22_000, "the SIP Server's consultation");
  assert.ok(r.ok, `the consultation's flow failed (exit ${r.code}):\n${r.errors}\n${r.output.slice(-4000)}`);
  const h = await this.agentHost();
  const first = this.agentCall(0);
  // The held leg's re-INVITE towards the bridge comes 3 s after the hold.
  await h.waitFor(() => !first.held && first.media.at(-1)?.remote === `127.0.0.1:${BRIDGE_PORT}`, 'the first call re-INVITEd to the bridge');
});

Then("Alice's consultation was ended by the SIP Server", function (this: CallWorld) {
  const consult = this.agentCall(1);
  assert.equal(consult.state, 'Disconnected');
  assert.deepEqual(consult.session.endCause, REMOTE_BYE);
});

Then("Alice's first call is connected to the conference bridge, no longer on hold", function (this: CallWorld) {
  const first = this.agentCall(0);
  assert.deepEqual({ state: first.state, held: first.held }, { state: 'Connected', held: false });
  assert.deepEqual(first.media.at(-1), { remote: `127.0.0.1:${BRIDGE_PORT}`, origin: 'confbridge 3', role: 'answerer' });
});

Then('the conference bridge receives audio from Alice', async function (this: CallWorld) {
  const counter = bridges.get(this);
  assert.ok(counter, 'nobody listened as the bridge');
  const before = counter.packets;
  await sleep(400);
  const got = counter.packets - before;
  assert.ok(got >= 10, `the bridge received ${got} RTP packets from Alice in 400 ms`);
});

Then('Alice has one call left', function (this: CallWorld) {
  const live = (this.host?.sessions ?? []).filter((s) => s.state !== 'Disconnected');
  assert.equal(live.length, 1);
  assert.equal(live[0], this.agentCall(0));
});

When('Alice hangs up the conference call', async function (this: CallWorld) {
  await this.agentCall(0).session.hangup();
});

Then("the SIP Server's flows complete, and Alice's conference call ended by herself", async function (this: CallWorld) {
  for (const run of this.sippRuns) {
    const r = await withTimeout(run.result, 22_000, 'the SIP Server flow');
    assert.ok(r.ok, `the SIP Server's flow failed (exit ${r.code}):\n${r.errors}\n${r.output.slice(-4000)}`);
  }
  assert.deepEqual(this.agentCall(0).session.endCause, { code: 200, reason: 'local-bye', by: 'local' });
});
