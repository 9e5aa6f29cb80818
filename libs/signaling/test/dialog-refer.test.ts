import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DisposableStore, VirtualClock, ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { H, createResponse, parseMessage, type SipMessage, type SipRequest, type SipResponse } from '../src/message/index';
import {
  Dialog,
  DialogState,
  Notifier,
  NotifierState,
  SIPFRAG_CONTENT_TYPE,
  Subscription,
  SubscriptionState,
  formatSipfragStatus,
  parseSipfragStatus,
  referSubscriptionRequested,
  type SubscriptionNotifyEvent,
  type SubscriptionStateChange,
} from '../src/dialog/index';
import { ALICE_CONTACT, BOB_CONTACT, request } from './dialog-fixtures';

/** Through the wire: serialize and parse back, as the real stack would. */
function wire<T extends SipMessage>(m: T): T {
  return parseMessage(m.serialize()) as T;
}

describe('sipfrag bodies (RFC 3420, RFC 3515 §2.4.5)', () => {
  it('formats status lines', () => {
    expect(formatSipfragStatus(100, 'Trying')).toBe('SIP/2.0 100 Trying\r\n');
    expect(formatSipfragStatus(200, 'OK')).toBe('SIP/2.0 200 OK\r\n');
    expect(() => formatSipfragStatus(99, 'x')).toThrow(RangeError);
  });

  it('parses the status line of a fragment, with or without headers after it', () => {
    expect(parseSipfragStatus('SIP/2.0 100 Trying\r\n')).toEqual({ status: 100, reason: 'Trying' });
    expect(parseSipfragStatus(Buffer.from('SIP/2.0 603 Declined\r\nContent-Length: 0\r\n\r\n'))).toEqual({ status: 603, reason: 'Declined' });
    expect(parseSipfragStatus('SIP/2.0 180 Ringing')).toEqual({ status: 180, reason: 'Ringing' });
    expect(parseSipfragStatus('SIP/2.0 200')).toEqual({ status: 200, reason: '' });
    expect(parseSipfragStatus('INVITE sip:bob@example.com SIP/2.0\r\n')).toBeUndefined();
    expect(parseSipfragStatus('SIP/2.0 42 Nope\r\n')).toBeUndefined();
    expect(parseSipfragStatus('')).toBeUndefined();
  });
});

describe('REFER implicit subscription (RFC 3515 §2.4.4, RFC 4488)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let clock: VirtualClock;
  let store: DisposableStore;
  beforeEach(() => {
    clock = new VirtualClock();
    store = new DisposableStore();
  });
  afterEach(() => store.dispose());

  /** Alice (UAC) and Bob (UAS) dialogs of one established call, built from messages through the wire. */
  function established(): { alice: Dialog; bob: Dialog } {
    const inv = request('INVITE', { cseq: 1 });
    inv.setHeader('Via', 'SIP/2.0/UDP 192.0.2.101;branch=z9hG4bKinv');
    const rx = wire(inv);
    const res = buildResponse(rx, 200, 'bobtag');
    const bob = store.add(Dialog.createUas(rx, res, { localContact: BOB_CONTACT }));
    const alice = store.add(Dialog.createUac(inv, wire(res), { localContact: ALICE_CONTACT }));
    return { alice, bob };
  }

  function referFrom(alice: Dialog, referSub?: boolean): SipRequest {
    const refer = alice.createRequest('REFER', { headers: { 'Refer-To': '<sip:carol@chicago.example.com>' } });
    if (referSub !== undefined) refer.set(H.ReferSub, referSub);
    refer.setHeader('Via', 'SIP/2.0/UDP 192.0.2.101;branch=z9hG4bKref');
    return refer;
  }

  it('in a call: 202, NOTIFYs with sipfrag 100 Trying then 200 OK, subscription ends, call dialog stays', () => {
    const { alice, bob } = established();
    const refer = referFrom(alice);
    const sub = store.add(Subscription.forRefer(refer, { clock, localContact: ALICE_CONTACT, dialog: alice, t1Ms: 500 })!);
    expect(sub.state).toBe(SubscriptionState.NotifyWait);
    expect(sub.event).toBe('refer');
    expect(sub.id).toBe(String(refer.cseq.seq));
    const notifies: SubscriptionNotifyEvent[] = [];
    const states: SubscriptionStateChange[] = [];
    store.add(sub.onDidReceiveNotify((e) => notifies.push(e)));
    store.add(sub.onDidChangeState((e) => states.push(e)));

    // Bob's side.
    const rxRefer = wire(refer);
    const v = Notifier.acceptRefer(rxRefer, { clock, localContact: BOB_CONTACT, dialog: bob });
    if (!v.accepted) throw new Error(`refused ${v.response.status}`);
    const notifier = store.add(v.notifier!);
    expect(v.response.status).toBe(202);
    expect(notifier.event).toBe('refer');
    expect(notifier.id).toBe(String(refer.cseq.seq));
    const first = v.notify!;
    expect(first.get(H.Event)).toEqual({ event: 'refer', params: new Map([['id', String(refer.cseq.seq)]]) });
    expect(first.headers.get('Content-Type')).toBe(SIPFRAG_CONTENT_TYPE);
    expect(first.body.toString()).toBe('SIP/2.0 100 Trying\r\n');
    expect(first.get(H.SubscriptionState)).toEqual({ state: 'active', params: new Map([['expires', '60']]) });

    // Alice gets the 202, then the NOTIFYs (through the wire).
    sub.receiveResponse(wire(v.response));
    expect(sub.receiveNotify(wire(first))).toEqual({ status: 200, reason: 'OK' });
    expect(notifies[0]!.sipfrag).toEqual({ status: 100, reason: 'Trying' });
    expect(sub.state).toBe(SubscriptionState.Active);

    const final = notifier.notifyReferProgress(200, 'OK');
    expect(final.get(H.SubscriptionState)).toEqual({ state: 'terminated', params: new Map([['reason', 'noresource']]) });
    expect(final.body.toString()).toBe('SIP/2.0 200 OK\r\n');
    expect(notifier.state).toBe(NotifierState.Terminated);
    expect(bob.state).toBe(DialogState.Confirmed);

    expect(sub.receiveNotify(wire(final)).status).toBe(200);
    expect(notifies[1]!.sipfrag).toEqual({ status: 200, reason: 'OK' });
    expect(states.at(-1)!.termination).toMatchObject({ cause: 'notify', reason: 'noresource', retry: 'never' });
    expect(alice.state).toBe(DialogState.Confirmed);
    expect(clock.pendingCount).toBe(0);
  });

  it('Timer N after the 202 when no NOTIFY comes', () => {
    const { alice } = established();
    const refer = referFrom(alice);
    const sub = store.add(Subscription.forRefer(refer, { clock, localContact: ALICE_CONTACT, dialog: alice, t1Ms: 500 })!);
    sub.receiveResponse(buildResponse(refer, 202, 'bobtag'));
    clock.advance(64 * 500);
    expect(sub.state).toBe(SubscriptionState.Terminated);
    expect(sub.termination).toMatchObject({ cause: 'timer-n' });
    expect(alice.state).toBe(DialogState.Confirmed);
  });

  it('a NOTIFY for another REFER (other id) is refused with 481', () => {
    const { alice, bob } = established();
    const refer1 = referFrom(alice);
    const sub = store.add(Subscription.forRefer(refer1, { clock, localContact: ALICE_CONTACT, dialog: alice })!);
    const refer2 = referFrom(alice);
    const v = Notifier.acceptRefer(wire(refer1), { clock, localContact: BOB_CONTACT, dialog: bob });
    const v2 = Notifier.acceptRefer(wire(refer2), { clock, localContact: BOB_CONTACT, dialog: bob });
    if (!v.accepted || !v2.accepted) throw new Error('refused');
    store.add(v.notifier!);
    store.add(v2.notifier!);
    expect(sub.receiveNotify(wire(v.notify!)).status).toBe(200);
    expect(sub.receiveNotify(wire(v2.notify!)).status).toBe(481);
  });

  it('Refer-Sub: false creates no subscription on either side', () => {
    const { alice, bob } = established();
    const refer = referFrom(alice, false);
    expect(referSubscriptionRequested(refer)).toBe(false);
    expect(Subscription.forRefer(refer, { clock, localContact: ALICE_CONTACT, dialog: alice })).toBeUndefined();
    const v = Notifier.acceptRefer(wire(refer), { clock, localContact: BOB_CONTACT, dialog: bob });
    if (!v.accepted) throw new Error('refused');
    expect(v.response.status).toBe(202);
    expect(v.notifier).toBeUndefined();
    expect(v.notify).toBeUndefined();
    expect(wire(v.response).get(H.ReferSub)).toBe(false);
    expect(referSubscriptionRequested(referFrom(alice, true))).toBe(true);
  });

  it('out of dialog: the REFER creates the dialog on both sides; a failure sipfrag ends it', () => {
    // Alice builds an out-of-dialog REFER (as the UA would) and hands it to the subscription.
    const refer = request('REFER', { cseq: 5, fromTag: 'a-ref', callId: 'refer-call' });
    refer.setHeader('Refer-To', '<sip:carol@chicago.example.com>');
    refer.setHeader('Via', 'SIP/2.0/UDP 192.0.2.101;branch=z9hG4bKood');
    const sub = store.add(Subscription.forRefer(refer, { clock, localContact: ALICE_CONTACT })!);
    const v = Notifier.acceptRefer(wire(refer), { clock, localContact: BOB_CONTACT, localTag: 'b-ref' });
    if (!v.accepted) throw new Error('refused');
    const notifier = store.add(v.notifier!);
    expect(notifier.dialog.id).toEqual({ callId: 'refer-call', localTag: 'b-ref', remoteTag: 'a-ref' });
    // The NOTIFY overtakes the 202: it creates Alice's dialog.
    expect(sub.receiveNotify(wire(v.notify!)).status).toBe(200);
    expect(sub.dialog!.id).toEqual({ callId: 'refer-call', localTag: 'a-ref', remoteTag: 'b-ref' });
    sub.receiveResponse(wire(v.response));
    const aliceDialog = sub.dialog!;
    const fin = notifier.notifyReferProgress(486, 'Busy Here');
    expect(notifier.dialog.state).toBe(DialogState.Terminated); // owned by the notifier
    const seen: number[] = [];
    store.add(sub.onDidReceiveNotify((e) => seen.push(e.sipfrag?.status ?? 0)));
    expect(sub.receiveNotify(wire(fin)).status).toBe(200);
    expect(seen).toEqual([486]);
    expect(sub.state).toBe(SubscriptionState.Terminated);
    expect(aliceDialog.state).toBe(DialogState.Terminated);
  });

  it('the refer notifier expires on the clock with a final NOTIFY', () => {
    const { alice, bob } = established();
    const refer = referFrom(alice);
    const v = Notifier.acceptRefer(wire(refer), { clock, localContact: BOB_CONTACT, dialog: bob, policy: { event: 'refer', defaultExpires: 30 } });
    if (!v.accepted) throw new Error('refused');
    const notifier = store.add(v.notifier!);
    const finals: SipRequest[] = [];
    store.add(notifier.onDidRequireNotify((e) => finals.push(e.request)));
    clock.advance(30_000);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.get(H.SubscriptionState)!.params.get('reason')).toBe('timeout');
    expect(finals[0]!.get(H.Event)!.params.get('id')).toBe(String(refer.cseq.seq));
    expect(notifier.state).toBe(NotifierState.Terminated);
    expect(bob.state).toBe(DialogState.Confirmed);
  });
});

/** A response built the way a UAS does (createResponse copies the raw header lines), with Bob's Contact. */
function buildResponse(req: SipRequest, status: number, toTag: string): SipResponse {
  const res = createResponse(req, status, undefined, { toTag });
  res.set(H.Contact, { star: false, contacts: [BOB_CONTACT] });
  return res;
}
