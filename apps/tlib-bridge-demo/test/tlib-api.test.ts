/**
 * The T-Lib WebSocket API of the simulated SIP Server against three real headless endpoints
 * (createEndpoint + Genesys provider, registered with digest): the scripted call flow with the
 * event order of genesys-compat §5 and the endpoints' session states checked at every step,
 * RTP counted through the relay, 1pcc calls through the B2BUA, single-step transfer, and
 * bad requests answered with EventError.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { SessionState } from '@sip-endpoint/endpoint';
import { startTlibDemo, type TlibDemo } from '../src/launcher';
import { runScriptedDemo } from '../src/script';
import { TlibClient } from '../src/tlib/client';
import type { TlibMessage } from '../src/tlib/protocol';
import { liveStates, sessionOf, sleep, until } from './support';

describe('T-Lib WebSocket API', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let demo: TlibDemo | undefined;
  let client: TlibClient | undefined;

  const start = async (): Promise<{ demo: TlibDemo; client: TlibClient }> => {
    demo = await startTlibDemo({ statsIntervalMs: 200 });
    client = await TlibClient.connect(demo.tlibUrl);
    return { demo, client };
  };

  afterEach(async () => {
    client?.close();
    client = undefined;
    await demo?.dispose();
    demo = undefined;
  });

  const ev = (c: TlibClient, name: TlibMessage['event'], dn: string, connId?: string): TlibMessage[] =>
    c.events.filter((e) => e.event === name && 'thisDN' in e && e.thisDN === dn && (!connId || ('connId' in e && e.connId === connId)));

  it('runs the scripted flow: events in the §5 order, endpoint states at each step, RTP through the relay', async () => {
    const { demo, client } = await start();
    const checks: string[] = [];
    let main = '';
    const onStep = async (title: string): Promise<void> => {
      // The state the previous step left the endpoints in (the events came only after the SIP responses).
      if (title.startsWith('1002 holds')) {
        main = (client.events.find((e) => e.event === 'EventDialing') as { connId: string }).connId;
        await until(() => sessionOf(demo, '1001', main)?.state === SessionState.Connected && sessionOf(demo, '1002', main)?.state === SessionState.Connected, 8000, 'both Connected');
        const before = demo.simulator.relayedPackets(main);
        await sleep(600);
        expect(demo.simulator.relayedPackets(main)).toBeGreaterThan(before + 20);
        checks.push('connected');
      } else if (title.startsWith('1002 retrieves')) {
        await until(() => sessionOf(demo, '1002', main)?.held === true, 8000, '1002 held');
        expect(sessionOf(demo, '1001', main)?.held).toBe(false);
        checks.push('held');
      } else if (title.startsWith('1002 consults')) {
        await until(() => sessionOf(demo, '1002', main)?.held === false, 8000, '1002 retrieved');
        checks.push('retrieved');
      } else if (title.startsWith('1002 completes the transfer')) {
        // genesys-compat §1: two sessions at the consulting agent, one held, one connected.
        await until(() => liveStates(demo, '1002').join() === 'Connected,Connected/held', 8000, '1002 held + consult');
        expect(liveStates(demo, '1003')).toEqual(['Connected']);
        checks.push('consulting');
      } else if (title.startsWith('1003 consults 1002')) {
        // TCompleteTransfer: both legs of 1002 ended; 1001 and 1003 talk through the relay.
        await until(() => liveStates(demo, '1002').length === 0, 8000, '1002 released');
        expect(liveStates(demo, '1001')).toEqual(['Connected']);
        expect(liveStates(demo, '1003')).toEqual(['Connected']);
        const a = demo.agents.find((x) => x.dn === '1001')!.live[0]!;
        const before = demo.simulator.relayedPackets(main);
        await sleep(600);
        expect(demo.simulator.relayedPackets(main)).toBeGreaterThan(before + 20);
        expect(a.held).toBe(false);
        checks.push('transferred');
      } else if (title.startsWith('1001 sends DTMF')) {
        // TCompleteConference: one session per agent, none held, three legs on one relay group.
        for (const dn of ['1001', '1002', '1003']) await until(() => liveStates(demo, dn).join() === 'Connected', 8000, `${dn} in the conference`);
        expect(demo.simulator.calls().find((c) => c.connId === main)?.parties.map((p) => p.dn).sort()).toEqual(['1001', '1002', '1003']);
        checks.push('conference');
      }
    };
    const { steps, connIds } = await runScriptedDemo(client, { onStep, talkMs: 300 });
    expect(checks).toEqual(['connected', 'held', 'retrieved', 'consulting', 'transferred', 'conference']);

    // Event order per genesys-compat §5, per step.
    const names = (title: string): string[] => steps.find((s) => s.title.startsWith(title))!.events.map((e) => `${e.event}:${'thisDN' in e ? e.thisDN : ''}`);
    expect(names('1001 calls 1002')).toEqual(['EventDialing:1001', 'EventRinging:1002']);
    expect(names('1002 holds')).toEqual(['EventHeld:1002']);
    expect(names('1002 consults 1003')).toEqual(['EventHeld:1002', 'EventDialing:1002', 'EventRinging:1003']);
    const complete = names('1002 completes the transfer');
    expect(complete.slice(0, 2)).toEqual(['EventReleased:1002', 'EventReleased:1002']);
    expect(complete.slice(2).sort()).toEqual(['EventPartyChanged:1001', 'EventPartyChanged:1003']);
    expect(names('1003 completes the conference').slice(0, 3)).toEqual(['EventReleased:1003', 'EventRetrieved:1003', 'EventPartyChanged:1002']);

    // Over the whole call, each DN's events come in a legal order and carry ConnID/ThisDN/OtherDN/CallState.
    const order1001 = ev(client, 'EventDialing', '1001').concat(ev(client, 'EventEstablished', '1001')).map((e) => client.events.indexOf(e));
    expect(order1001[0]).toBeLessThan(order1001[1]!);
    const ringing = ev(client, 'EventRinging', '1002', main)[0]!;
    const established = ev(client, 'EventEstablished', '1002', main)[0]!;
    expect(client.events.indexOf(ringing)).toBeLessThan(client.events.indexOf(established));
    for (const e of client.events.filter((x) => x.event !== 'EventRegistered' && x.event !== 'EventRtpStats')) {
      expect(e).toMatchObject({ connId: expect.stringMatching(/^[0-9A-F]{16}$/), thisDN: expect.stringMatching(/^100[123]$/), callState: expect.any(String) });
    }
    expect(ev(client, 'EventEstablished', '1002', main)[0]).toMatchObject({ otherDN: '1001', referenceId: expect.any(Number) });
    expect(ev(client, 'EventPartyChanged', '1003', main)[0]).toMatchObject({ previousConnId: connIds.consult, otherDN: '1001' });
    // The request's referenceId comes back on the events it caused directly.
    const hold = steps.find((s) => s.title.startsWith('1002 holds'))!;
    expect(hold.events[0]).toMatchObject({ referenceId: hold.referenceId });

    // RTP: the server pushed growing relay counters for the main call.
    const stats = client.events.filter((e) => e.event === 'EventRtpStats' && e.connId === main).map((e) => (e as { relayedPackets: number }).relayedPackets);
    expect(stats.length).toBeGreaterThan(3);
    expect(stats.at(-1)!).toBeGreaterThan(stats[0]!);
    expect(demo.simulator.relayedPackets(main)).toBeGreaterThan(150);

    // Everything ended at the endpoints too.
    for (const dn of ['1001', '1002', '1003']) await until(() => liveStates(demo, dn).length === 0, 8000, `${dn} idle`);
    expect(demo.simulator.calls()).toEqual([]);
  });

  it('answers bad requests with EventError and a clear text', async () => {
    const { demo, client } = await start();
    const errors = (): TlibMessage[] => client.events.filter((e) => e.event === 'EventError');
    const nextError = async (n: number): Promise<{ errorCode: string; errorMessage: string; referenceId?: number }> => {
      await until(() => errors().length >= n, 5000, `EventError #${n}`);
      return errors()[n - 1] as never;
    };
    client.sendRaw('not json');
    expect(await nextError(1)).toMatchObject({ errorCode: 'BAD_REQUEST', errorMessage: 'the message is not JSON' });
    client.send({ request: 'TFlyToTheMoon' as never, thisDN: '1001' });
    expect((await nextError(2)).errorMessage).toMatch(/unknown request "TFlyToTheMoon"; expected one of TRegisterAddress, TMakeCall/);
    client.send({ request: 'TMakeCall', thisDN: '1001' });
    expect(await nextError(3)).toMatchObject({ errorCode: 'BAD_REQUEST', errorMessage: 'TMakeCall needs otherDN' });
    const ref = client.send({ request: 'TMakeCall', thisDN: '1001', otherDN: '1002' });
    expect(await nextError(4)).toMatchObject({ errorCode: 'INVALID_STATE', referenceId: ref, errorMessage: expect.stringContaining('send TRegisterAddress first') });
    client.send({ request: 'TRegisterAddress', thisDN: '1001' });
    await client.waitFor((e) => e.event === 'EventRegistered');
    client.send({ request: 'TMakeCall', thisDN: '1001', otherDN: '1999' });
    expect(await nextError(5)).toMatchObject({ errorCode: 'INVALID_ARGUMENT', errorMessage: 'DN 1999 is not registered at the SIP Server' });
    client.send({ request: 'THoldCall', thisDN: '1001', connId: '0000000000000000' });
    expect(await nextError(6)).toMatchObject({ errorCode: 'INVALID_ARGUMENT', errorMessage: 'no call with ConnID 0000000000000000' });
    client.send({ request: 'TSendDTMF', thisDN: '1001', connId: 'X', dtmfDigits: '12' });
    expect((await nextError(7)).errorCode).toBe('INVALID_ARGUMENT');
    // A request the call's state does not allow: TAnswerCall from the caller (it is not Ringing).
    client.send({ request: 'TRegisterAddress', thisDN: '1002' });
    client.send({ request: 'TMakeCall', thisDN: '1001', otherDN: '1002' });
    const dialing = (await client.waitFor((e) => e.event === 'EventDialing')) as { connId: string };
    client.send({ request: 'TAnswerCall', thisDN: '1001', connId: dialing.connId });
    expect(await nextError(8)).toMatchObject({ errorCode: 'INVALID_STATE', errorMessage: `TAnswerCall: 1001 is Established on ${dialing.connId}, not Ringing` });
    await client.waitFor((e) => e.event === 'EventRinging' && 'thisDN' in e && e.thisDN === '1002', 8000, 'EventRinging for 1002');
    client.send({ request: 'TReleaseCall', thisDN: '1001', connId: dialing.connId });
    await client.waitFor((e) => e.event === 'EventReleased' && 'thisDN' in e && e.thisDN === '1001');
    // The callee was ringing when the call went away: its leg was cancelled (EventAbandoned).
    await client.waitFor((e) => e.event === 'EventAbandoned' && 'thisDN' in e && e.thisDN === '1002', 8000, 'EventAbandoned for 1002');
    await until(() => demo.simulator.calls().length === 0, 8000, 'call gone');
    expect(ev(client, 'EventReleased', '1001', dialing.connId)).toHaveLength(1);
    await until(() => liveStates(demo, '1002').length === 0, 8000, '1002 idle');
  });

  it('bridges a 1pcc call between two thick clients; hold and BYE pass through; T-Lib sees it', async () => {
    const { demo, client } = await start();
    for (const dn of ['1001', '1002']) client.send({ request: 'TRegisterAddress', thisDN: dn });
    const [a, b] = [demo.agents[0]!, demo.agents[1]!];
    const incoming = new Promise<import('@sip-endpoint/endpoint').Session>((resolve) => {
      const sub = b.endpoint.onDidAddSession(({ session }) => {
        sub.dispose();
        resolve(session);
      });
    });
    const out = a.endpoint.dial(`sip:1002@${demo.simulator.domain}`);
    const inc = await incoming;
    await until(() => inc.state === SessionState.Alerting, 8000, '1002 alerting');
    await client.waitFor((e) => e.event === 'EventRinging' && 'thisDN' in e && e.thisDN === '1002');
    await inc.answer();
    await until(() => out.state === SessionState.Connected, 8000, '1001 connected');
    const est = (await client.waitFor((e) => e.event === 'EventEstablished' && 'thisDN' in e && e.thisDN === '1001')) as { connId: string };
    expect(ev(client, 'EventDialing', '1001', est.connId)).toHaveLength(1);
    const before = demo.simulator.relayedPackets(est.connId);
    await sleep(600);
    expect(demo.simulator.relayedPackets(est.connId)).toBeGreaterThan(before + 20);
    // 1pcc hold by 1001 reaches 1002 as a hold re-INVITE; T-Lib reports EventHeld for 1001.
    await out.hold();
    await until(() => inc.held, 8000, '1002 sees the hold');
    await client.waitFor((e) => e.event === 'EventHeld' && 'thisDN' in e && e.thisDN === '1001');
    await out.retrieve();
    await until(() => !inc.held, 8000, '1002 sees the retrieve');
    await out.hangup();
    await until(() => inc.state === SessionState.Disconnected, 8000, '1002 disconnected');
    await client.waitFor((e) => e.event === 'EventReleased' && 'thisDN' in e && e.thisDN === '1002');
    expect(ev(client, 'EventReleased', '1001', est.connId)).toHaveLength(1);
  });

  it('TSingleStepTransfer: the transferring agent gets BYE, the target rings and answers, the caller sees EventPartyChanged', async () => {
    const { demo, client } = await start();
    for (const dn of ['1001', '1002', '1003']) client.send({ request: 'TRegisterAddress', thisDN: dn });
    client.send({ request: 'TMakeCall', thisDN: '1001', otherDN: '1002' });
    const ring = (await client.waitFor((e) => e.event === 'EventRinging')) as { connId: string };
    client.send({ request: 'TAnswerCall', thisDN: '1002', connId: ring.connId });
    await client.waitFor((e) => e.event === 'EventEstablished' && 'thisDN' in e && e.thisDN === '1001');
    client.send({ request: 'TSingleStepTransfer', thisDN: '1002', connId: ring.connId, otherDN: '1003' });
    await client.waitFor((e) => e.event === 'EventReleased' && 'thisDN' in e && e.thisDN === '1002');
    await client.waitFor((e) => e.event === 'EventRinging' && 'thisDN' in e && e.thisDN === '1003');
    await until(() => liveStates(demo, '1003').join() === 'Alerting', 8000, '1003 alerting');
    expect(liveStates(demo, '1002')).toEqual([]);
    client.send({ request: 'TAnswerCall', thisDN: '1003', connId: ring.connId });
    const changed = await client.waitFor((e) => e.event === 'EventPartyChanged' && 'thisDN' in e && e.thisDN === '1001');
    expect(changed).toMatchObject({ connId: ring.connId, otherDN: '1003', callState: 'Transferred' });
    await until(() => liveStates(demo, '1003').join() === 'Connected', 8000, '1003 connected');
    const before = demo.simulator.relayedPackets(ring.connId);
    await sleep(600);
    expect(demo.simulator.relayedPackets(ring.connId)).toBeGreaterThan(before + 20);
    client.send({ request: 'TReleaseCall', thisDN: '1003', connId: ring.connId });
    await client.waitFor((e) => e.event === 'EventReleased' && 'thisDN' in e && e.thisDN === '1001');
    await until(() => liveStates(demo, '1001').length === 0, 8000, '1001 idle');
  });
});
