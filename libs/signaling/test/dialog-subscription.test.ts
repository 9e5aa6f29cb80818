import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DisposableStore, VirtualClock, ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { H, SipRequest, parseMessage, type SipResponse } from '../src/message/index';
import {
  Dialog,
  DialogState,
  Notifier,
  NotifierState,
  Subscription,
  SubscriptionState,
  type SubscriptionNotifyEvent,
  type SubscriptionStateChange,
  type SubscriptionTermination,
} from '../src/dialog/index';
import { ALICE, ALICE_CONTACT, BOB, BOB_CONTACT, addr, responseTo, sip, uriText } from './dialog-fixtures';

const T1 = 500;
const TIMER_N = 64 * T1;

/** Collects the events of a subscription. */
function watch(sub: Subscription, store: DisposableStore) {
  const states: SubscriptionStateChange[] = [];
  const notifies: SubscriptionNotifyEvent[] = [];
  const refreshes: SipRequest[] = [];
  store.add(sub.onDidChangeState((e) => states.push(e)));
  store.add(sub.onDidReceiveNotify((e) => notifies.push(e)));
  store.add(sub.onDidRequireRefresh((e) => refreshes.push(e.request)));
  return { states, notifies, refreshes, termination: (): SubscriptionTermination | undefined => states.find((s) => s.termination)?.termination };
}

/** A NOTIFY from the notifier (Bob) for the SUBSCRIBE `sub`. */
function notifyFor(subscribe: SipRequest, cseq: number, state: string, opts: { fromTag?: string; event?: string; body?: string; contentType?: string; contact?: boolean } = {}): SipRequest {
  const req = new SipRequest('NOTIFY', ALICE_CONTACT.uri);
  req.set(H.To, subscribe.from);
  req.set(H.From, addr(BOB, opts.fromTag ?? 'bobtag'));
  req.set(H.CallId, subscribe.callId);
  req.set(H.CSeq, { seq: cseq, method: 'NOTIFY' });
  if (opts.contact !== false) req.set(H.Contact, { star: false, contacts: [BOB_CONTACT] });
  const ev = subscribe.get(H.Event)!;
  req.setHeader('Event', opts.event ?? `${ev.event}${ev.params.has('id') ? `;id=${ev.params.get('id')}` : ''}`);
  req.setHeader('Subscription-State', state);
  if (opts.body !== undefined) {
    req.body = Buffer.from(opts.body);
    req.setHeader('Content-Type', opts.contentType ?? 'application/simple-message-summary');
  }
  return req;
}

function ok(subscribe: SipRequest, expires?: number, toTag = 'bobtag'): SipResponse {
  return responseTo(subscribe, 200, { toTag, contact: BOB_CONTACT, headers: expires !== undefined ? { Expires: String(expires) } : {} });
}

describe('Subscription (subscriber, RFC 6665 §4.1)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let clock: VirtualClock;
  let store: DisposableStore;
  beforeEach(() => {
    clock = new VirtualClock();
    store = new DisposableStore();
  });
  afterEach(() => store.dispose());

  function newSub(extra: { expires?: number; refreshMarginMs?: number } = {}): Subscription {
    return store.add(
      new Subscription({
        event: 'message-summary',
        clock,
        t1Ms: T1,
        localContact: ALICE_CONTACT,
        target: { from: addr(ALICE, undefined, 'Alice'), to: addr(BOB), route: [addr(sip(undefined, 'outbound.example.com', { lr: null }))] },
        expires: extra.expires ?? 600,
        refreshMarginMs: extra.refreshMarginMs,
        random: () => 0.25,
      }),
    );
  }

  it('builds the initial SUBSCRIBE: Event, Expires, Contact, From tag, no To tag, pre-loaded Route', () => {
    const sub = newSub();
    const req = sub.createSubscribe();
    expect(sub.state).toBe(SubscriptionState.NotifyWait);
    expect(req.method).toBe('SUBSCRIBE');
    expect(uriText(req.uri)).toBe('sip:bob@biloxi.example.com');
    expect(req.get(H.Event)).toEqual({ event: 'message-summary', params: new Map() });
    expect(req.get(H.Expires)).toBe(600);
    expect(req.from.params.get('tag')).toBeTruthy();
    expect(req.to.params.has('tag')).toBe(false);
    expect(req.cseq.seq).toBeLessThan(2 ** 31);
    expect(req.get(H.Route)!.map(uriText)).toEqual(['sip:outbound.example.com;lr']);
    const contact = req.contact;
    expect(contact && !contact.star && uriText(contact.contacts[0]!)).toBe('sip:alice@192.0.2.101:5060');
    expect(() => sub.createSubscribe()).toThrowError(/already sent/);
    // The request serializes and parses back (real message text).
    expect(req.toString()).toMatch(/^SUBSCRIBE sip:bob@biloxi\.example\.com SIP\/2\.0\r\n/);
  });

  it('Timer N: no NOTIFY within 64*T1 after the 2xx terminates the subscription', () => {
    const sub = newSub();
    const w = watch(sub, store);
    const req = sub.createSubscribe();
    clock.advance(10_000); // waiting for the 2xx does not run Timer N
    expect(sub.state).toBe(SubscriptionState.NotifyWait);
    sub.receiveResponse(ok(req, 600));
    expect(sub.dialog?.state).toBe(DialogState.Confirmed);
    const dialog = sub.dialog!;
    clock.advance(TIMER_N - 1);
    expect(sub.state).toBe(SubscriptionState.NotifyWait);
    clock.advance(1);
    expect(sub.state).toBe(SubscriptionState.Terminated);
    expect(w.termination()).toMatchObject({ cause: 'timer-n', retry: 'later' });
    expect(dialog.state).toBe(DialogState.Terminated); // the subscription owned it
    expect(clock.pendingCount).toBe(0);
  });

  it('NOTIFY active stops Timer N, sets the duration, and the refresh is due at max(d - margin, d / 2)', () => {
    const sub = newSub({ expires: 600 });
    const w = watch(sub, store);
    const req = sub.createSubscribe();
    sub.receiveResponse(ok(req, 300)); // the notifier shortened it
    const verdict = sub.receiveNotify(notifyFor(req, 1, 'active;expires=300', { body: 'Messages-Waiting: yes\r\n' }));
    expect(verdict).toEqual({ status: 200, reason: 'OK' });
    expect(sub.state).toBe(SubscriptionState.Active);
    expect(w.notifies).toHaveLength(1);
    expect(w.notifies[0]!.state).toEqual({ state: 'active', expires: 300, reason: undefined, retryAfter: undefined });
    expect(w.notifies[0]!.body.toString()).toBe('Messages-Waiting: yes\r\n');
    clock.advance(TIMER_N + 1000);
    expect(sub.state).toBe(SubscriptionState.Active);
    // 300 s - 5 s margin = 295 s after the NOTIFY (which came at t=0).
    clock.advance(295_000 - (TIMER_N + 1000) - 1);
    expect(w.refreshes).toHaveLength(0);
    clock.advance(1);
    expect(w.refreshes).toHaveLength(1);
    const refresh = w.refreshes[0]!;
    expect(refresh.method).toBe('SUBSCRIBE');
    expect(refresh.get(H.Expires)).toBe(600);
    expect(refresh.to.params.get('tag')).toBe('bobtag');
    expect(refresh.cseq.seq).toBe(req.cseq.seq + 1);
    expect(uriText(refresh.uri)).toBe('sip:bob@192.0.2.4:5060'); // remote target from the Contact
    // The refresh succeeds with a new duration; the next refresh follows it.
    sub.receiveResponse(ok(refresh, 20));
    clock.advance(15_000 - 1);
    expect(w.refreshes).toHaveLength(1);
    clock.advance(1);
    expect(w.refreshes).toHaveLength(2);
  });

  it('short durations refresh at half time; an unanswered refresh lets the subscription expire (reason timeout)', () => {
    const sub = newSub({ expires: 6 });
    const w = watch(sub, store);
    const req = sub.createSubscribe();
    sub.receiveResponse(ok(req, 6));
    sub.receiveNotify(notifyFor(req, 1, 'active'));
    clock.advance(2999);
    expect(w.refreshes).toHaveLength(0);
    clock.advance(1);
    expect(w.refreshes).toHaveLength(1);
    sub.noteRequestTimeout(); // RFC 6665 §4.1.2.2: still valid until it expires
    expect(sub.state).toBe(SubscriptionState.Active);
    clock.advance(3000);
    expect(sub.state).toBe(SubscriptionState.Terminated);
    expect(w.termination()).toMatchObject({ cause: 'expired', reason: 'timeout', retry: 'immediately' });
  });

  it('a refresh failing with a §4.1.2.2 code ends it; other failures keep it', () => {
    const sub = newSub();
    const w = watch(sub, store);
    const req = sub.createSubscribe();
    sub.receiveResponse(ok(req, 600));
    sub.receiveNotify(notifyFor(req, 1, 'active;expires=600'));
    const r1 = sub.createRefresh();
    sub.receiveResponse(responseTo(r1, 503, { toTag: 'bobtag' }));
    expect(sub.state).toBe(SubscriptionState.Active);
    const r2 = sub.createRefresh();
    sub.receiveResponse(responseTo(r2, 489, { toTag: 'bobtag' }));
    expect(sub.state).toBe(SubscriptionState.Terminated);
    expect(w.termination()).toMatchObject({ cause: 'response', status: 489, retry: 'never' });
  });

  it('pending then active; NOTIFY before the 2xx creates the dialog (§4.1.2.4)', () => {
    const sub = newSub();
    const w = watch(sub, store);
    const req = sub.createSubscribe();
    const early = notifyFor(req, 7, 'pending;expires=600', { contact: true });
    expect(sub.receiveNotify(early).status).toBe(200);
    expect(sub.state).toBe(SubscriptionState.Pending);
    const d = sub.dialog!;
    expect(d.id.remoteTag).toBe('bobtag');
    expect(d.remoteSeq).toBe(7);
    expect(d.localSeq).toBe(req.cseq.seq);
    sub.receiveResponse(ok(req, 600));
    expect(sub.dialog).toBe(d);
    clock.advance(TIMER_N * 2); // a NOTIFY already came: no Timer N
    expect(sub.state).toBe(SubscriptionState.Pending);
    // Out-of-order NOTIFY is refused by the dialog; a new one activates.
    expect(sub.receiveNotify(notifyFor(req, 6, 'active')).status).toBe(500);
    expect(sub.receiveNotify(notifyFor(req, 8, 'active')).status).toBe(200);
    expect(w.states.map((s) => s.state)).toEqual([SubscriptionState.NotifyWait, SubscriptionState.Pending, SubscriptionState.Active]);
  });

  it('refuses NOTIFYs that do not match: other event/id 481, other fork 481, missing Subscription-State 400', () => {
    const sub = newSub();
    const req = sub.createSubscribe();
    expect(sub.receiveNotify(notifyFor(req, 1, 'active', { event: 'presence' })).status).toBe(481);
    const noState = notifyFor(req, 1, 'active');
    noState.setHeader('Subscription-State', undefined);
    expect(sub.receiveNotify(noState).status).toBe(400);
    expect(sub.receiveNotify(notifyFor(req, 1, 'active')).status).toBe(200);
    expect(sub.receiveNotify(notifyFor(req, 2, 'active', { fromTag: 'fork2' })).status).toBe(481);
  });

  it.each([
    ['deactivated', undefined, { retry: 'immediately' }],
    ['timeout', undefined, { retry: 'immediately' }],
    ['probation', 30, { retry: 'later', retryAfterMs: 30_000 }],
    ['probation', undefined, { retry: 'later' }],
    ['giveup', 5, { retry: 'later', retryAfterMs: 5000 }],
    ['giveup', undefined, { retry: 'immediately' }],
    ['rejected', undefined, { retry: 'never' }],
    ['noresource', undefined, { retry: 'never' }],
    ['invariant', undefined, { retry: 'never' }],
    [undefined, undefined, { retry: 'immediately' }],
    [undefined, 10, { retry: 'later', retryAfterMs: 10_000 }],
  ] as const)('NOTIFY terminated;reason=%s retry-after=%s -> %o', (reason, retryAfter, expected) => {
    const sub = newSub();
    const w = watch(sub, store);
    const req = sub.createSubscribe();
    sub.receiveResponse(ok(req, 600));
    sub.receiveNotify(notifyFor(req, 1, 'active;expires=600'));
    const value = `terminated${reason ? `;reason=${reason}` : ''}${retryAfter !== undefined ? `;retry-after=${retryAfter}` : ''}`;
    expect(sub.receiveNotify(notifyFor(req, 2, value)).status).toBe(200);
    expect(sub.state).toBe(SubscriptionState.Terminated);
    const t = w.termination()!;
    expect(t.cause).toBe('notify');
    expect(t.reason).toBe(reason);
    expect({ retry: t.retry, ...(t.retryAfterMs !== undefined ? { retryAfterMs: t.retryAfterMs } : {}) }).toEqual(expected);
    expect(w.notifies).toHaveLength(2); // the final NOTIFY is still delivered
    expect(sub.receiveNotify(notifyFor(req, 3, 'active')).status).toBe(481);
    expect(clock.pendingCount).toBe(0);
  });

  it('a failure response to the initial SUBSCRIBE ends it; 423 reports Min-Expires', () => {
    const sub = newSub({ expires: 10 });
    const w = watch(sub, store);
    const req = sub.createSubscribe();
    sub.receiveResponse(responseTo(req, 423, { toTag: 'x', headers: { 'Min-Expires': '60' } }));
    expect(w.termination()).toEqual({ cause: 'response', status: 423, retry: 'immediately', minExpires: 60 });
  });

  it('unsubscribe: Expires 0, then the final NOTIFY ends it', () => {
    const sub = newSub();
    const w = watch(sub, store);
    const req = sub.createSubscribe();
    sub.receiveResponse(ok(req, 600));
    sub.receiveNotify(notifyFor(req, 1, 'active;expires=600'));
    const un = sub.createUnsubscribe();
    expect(un.get(H.Expires)).toBe(0);
    expect(un.get(H.Event)!.event).toBe('message-summary');
    sub.receiveResponse(ok(un, 0));
    expect(sub.state).toBe(SubscriptionState.Active);
    sub.receiveNotify(notifyFor(req, 2, 'terminated;reason=timeout'));
    expect(w.termination()).toMatchObject({ cause: 'unsubscribed', reason: 'timeout' });
  });

  it('unsubscribe without a final NOTIFY ends after Timer N', () => {
    const sub = newSub();
    const w = watch(sub, store);
    const req = sub.createSubscribe();
    sub.receiveResponse(ok(req, 600));
    sub.receiveNotify(notifyFor(req, 1, 'active'));
    const un = sub.createUnsubscribe();
    sub.receiveResponse(ok(un, 0));
    clock.advance(TIMER_N);
    expect(w.termination()).toEqual({ cause: 'unsubscribed', retry: 'never' });
  });

  it('a subscription in an existing dialog does not own it; the dialog ending ends the subscription', () => {
    const inv = new SipRequest('INVITE', BOB);
    inv.set(H.From, addr(ALICE, 'alicetag'));
    inv.set(H.To, addr(BOB));
    inv.set(H.CallId, 'c2');
    inv.set(H.CSeq, { seq: 1, method: 'INVITE' });
    const dialog = store.add(Dialog.createUac(inv, responseTo(inv, 200, { toTag: 'bobtag', contact: BOB_CONTACT }), { localContact: ALICE_CONTACT }));
    const sub = new Subscription({ event: 'dialog', id: 'x1', clock, localContact: ALICE_CONTACT, dialog });
    const w = watch(sub, store);
    const req = sub.createSubscribe();
    expect(req.cseq.seq).toBe(2);
    expect(req.get(H.Event)!.params.get('id')).toBe('x1');
    sub.receiveResponse(responseTo(req, 200, { toTag: 'bobtag', headers: { Expires: '60' } }));
    expect(sub.receiveNotify(notifyFor(req, 5, 'active;expires=60')).status).toBe(200);
    sub.dispose();
    expect(dialog.state).toBe(DialogState.Confirmed);
    expect(w.termination()).toMatchObject({ cause: 'disposed' });
    const sub2 = new Subscription({ event: 'dialog', clock, localContact: ALICE_CONTACT, dialog });
    const w2 = watch(sub2, store);
    sub2.createSubscribe();
    dialog.terminate('bye');
    expect(w2.termination()).toMatchObject({ cause: 'dialog', reason: 'bye' });
  });
});

describe('Notifier (RFC 6665 §4.2)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let clock: VirtualClock;
  let store: DisposableStore;
  beforeEach(() => {
    clock = new VirtualClock();
    store = new DisposableStore();
  });
  afterEach(() => store.dispose());

  const policy = { event: 'message-summary', defaultExpires: 3600, minExpires: 60, maxExpires: 7200 };

  function subscribe(expires?: number, cseq = 1): SipRequest {
    const req = new SipRequest('SUBSCRIBE', BOB);
    req.set(H.From, addr(ALICE, 'alicetag'));
    req.set(H.To, addr(BOB));
    req.set(H.CallId, 'sub-call');
    req.set(H.CSeq, { seq: cseq, method: 'SUBSCRIBE' });
    req.set(H.Contact, { star: false, contacts: [ALICE_CONTACT] });
    req.setHeader('Via', 'SIP/2.0/UDP 192.0.2.101;branch=z9hG4bK1');
    req.setHeader('Event', 'message-summary');
    if (expires !== undefined) req.set(H.Expires, expires);
    return req;
  }

  function accept(expires?: number, extra: { stateBody?: () => { body: string; contentType: string } } = {}) {
    const v = Notifier.acceptSubscribe(subscribe(expires), { policy, clock, localContact: BOB_CONTACT, localTag: 'bobtag', ...extra });
    if (!v.accepted) throw new Error(`refused: ${v.response.status}`);
    if (v.notifier) store.add(v.notifier);
    return v;
  }

  it('423 with Min-Expires for too short a duration; 489 with Allow-Events for another package', () => {
    const short = Notifier.acceptSubscribe(subscribe(30), { policy, clock, localContact: BOB_CONTACT });
    expect(short.accepted).toBe(false);
    expect(short.response.status).toBe(423);
    expect(short.response.get(H.MinExpires)).toBe(60);
    expect(short.response.to.params.get('tag')).toBeTruthy();
    const other = subscribe(600);
    other.setHeader('Event', 'presence');
    const bad = Notifier.acceptSubscribe(other, { policy, clock, localContact: BOB_CONTACT });
    expect(bad.response.status).toBe(489);
    expect(bad.response.get(H.AllowEvents)).toEqual(['message-summary']);
  });

  it('accepts with the package default or a shortened duration, and builds the first NOTIFY', () => {
    const v = accept(undefined, { stateBody: () => ({ body: 'Messages-Waiting: no\r\n', contentType: 'application/simple-message-summary' }) });
    expect(v.response.status).toBe(200);
    expect(v.response.get(H.Expires)).toBe(3600);
    expect(v.response.to.params.get('tag')).toBe('bobtag');
    const n = v.notify!;
    expect(n.method).toBe('NOTIFY');
    expect(n.get(H.Event)!.event).toBe('message-summary');
    expect(n.get(H.SubscriptionState)).toEqual({ state: 'active', params: new Map([['expires', '3600']]) });
    expect(n.to.params.get('tag')).toBe('alicetag');
    expect(n.from.params.get('tag')).toBe('bobtag');
    expect(uriText(n.uri)).toBe('sip:alice@192.0.2.101:5060');
    expect(n.body.toString()).toBe('Messages-Waiting: no\r\n');
    const long = accept(99999);
    expect(long.response.get(H.Expires)).toBe(7200);
  });

  it('expiry: the final NOTIFY (terminated;reason=timeout) is delivered on the clock', () => {
    const v = accept(120);
    const notifier = v.notifier!;
    const finals: SipRequest[] = [];
    store.add(notifier.onDidRequireNotify((e) => finals.push(e.request)));
    clock.advance(60_000);
    expect(notifier.remainingSeconds).toBe(60);
    expect(notifier.createNotify().get(H.SubscriptionState)!.params.get('expires')).toBe('60');
    clock.advance(60_000 - 1);
    expect(finals).toHaveLength(0);
    clock.advance(1);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.get(H.SubscriptionState)).toEqual({ state: 'terminated', params: new Map([['reason', 'timeout']]) });
    expect(notifier.state).toBe(NotifierState.Terminated);
    expect(notifier.dialog.state).toBe(DialogState.Terminated);
  });

  it('refresh re-arms the expiry; Expires 0 ends with a final NOTIFY; 423 on a short refresh', () => {
    const v = accept(120);
    const notifier = v.notifier!;
    clock.advance(100_000);
    const short = subscribe(10, 2);
    short.set(H.To, addr(BOB, 'bobtag'));
    expect(notifier.receiveSubscribe(short).response.status).toBe(423);
    const refresh = subscribe(300, 3);
    refresh.set(H.To, addr(BOB, 'bobtag'));
    const r = notifier.receiveSubscribe(refresh);
    expect(r.response.status).toBe(200);
    expect(r.response.get(H.Expires)).toBe(300);
    expect(r.notify!.get(H.SubscriptionState)!.params.get('expires')).toBe('300');
    clock.advance(200_000);
    expect(notifier.state).toBe(NotifierState.Active);
    const un = subscribe(0, 4);
    un.set(H.To, addr(BOB, 'bobtag'));
    const u = notifier.receiveSubscribe(un);
    expect(u.response.status).toBe(200);
    expect(u.response.get(H.Expires)).toBe(0);
    expect(u.notify!.get(H.SubscriptionState)!.state).toBe('terminated');
    expect(notifier.state).toBe(NotifierState.Terminated);
    expect(clock.pendingCount).toBe(0);
  });

  it('pending until authorized; terminate() carries reason and retry-after', () => {
    const v = Notifier.acceptSubscribe(subscribe(600), { policy, clock, localContact: BOB_CONTACT, pending: true });
    if (!v.accepted) throw new Error('refused');
    const notifier = store.add(v.notifier!);
    expect(v.notify!.get(H.SubscriptionState)!.state).toBe('pending');
    const states: NotifierState[] = [];
    store.add(notifier.onDidChangeState((e) => states.push(e.state)));
    expect(notifier.createNotify({ state: 'active' }).get(H.SubscriptionState)!.state).toBe('active');
    const fin = notifier.terminate('probation', { retryAfter: 30 });
    expect(fin.get(H.SubscriptionState)).toEqual({ state: 'terminated', params: new Map<string, string | null>([['reason', 'probation'], ['retry-after', '30']]) });
    expect(states).toEqual([NotifierState.Active, NotifierState.Terminated]);
    expect(() => notifier.createNotify()).toThrowError(/ended/);
  });

  it.each([
    [500, NotifierState.Active],
    [408, NotifierState.Terminated], // the dialog ends (RFC 3261 §12.2.1.2), the subscription with it
    [481, NotifierState.Terminated],
    [489, NotifierState.Terminated],
    [200, NotifierState.Active],
  ] as const)('a %i to a NOTIFY leaves the notifier %s', (status, expected) => {
    const v = accept(600);
    const notifier = v.notifier!;
    notifier.receiveNotifyResponse(responseTo(v.notify!, status));
    expect(notifier.state).toBe(expected);
  });

  it('a NOTIFY transaction timeout removes the subscription', () => {
    const v = accept(600);
    v.notifier!.noteNotifyTimeout();
    expect(v.notifier!.state).toBe(NotifierState.Terminated);
    expect(v.notifier!.dialog.state).toBe(DialogState.Terminated);
  });

  it('a fetch (Expires 0) is answered with one final NOTIFY and no subscription', () => {
    const v = Notifier.acceptSubscribe(subscribe(0), { policy, clock, localContact: BOB_CONTACT });
    if (!v.accepted) throw new Error('refused');
    expect(v.notifier).toBeUndefined();
    expect(v.notify!.get(H.SubscriptionState)!.state).toBe('terminated');
    expect(clock.pendingCount).toBe(0);
  });

  it('end to end: Notifier NOTIFYs drive a Subscription (message text round trip)', () => {
    const sub = store.add(new Subscription({ event: 'message-summary', clock, localContact: ALICE_CONTACT, target: { from: addr(ALICE), to: addr(BOB) }, expires: 600 }));
    const w = watch(sub, store);
    const req = sub.createSubscribe();
    req.setHeader('Via', 'SIP/2.0/UDP 192.0.2.101;branch=z9hG4bK77');
    const wire = (m: { serialize(): Buffer }) => parseMessage(m.serialize());
    const rxReq = wire(req) as SipRequest;
    const v = Notifier.acceptSubscribe(rxReq, { policy, clock, localContact: BOB_CONTACT, stateBody: () => ({ body: 'Messages-Waiting: yes\r\n', contentType: 'application/simple-message-summary' }) });
    if (!v.accepted) throw new Error('refused');
    const notifier = store.add(v.notifier!);
    expect(sub.receiveNotify(wire(v.notify!) as SipRequest).status).toBe(200);
    sub.receiveResponse(wire(v.response) as SipResponse);
    expect(sub.state).toBe(SubscriptionState.Active);
    expect(w.notifies[0]!.body.toString()).toBe('Messages-Waiting: yes\r\n');
    const un = sub.createUnsubscribe();
    un.setHeader('Via', 'SIP/2.0/UDP 192.0.2.101;branch=z9hG4bK78');
    const r = notifier.receiveSubscribe(wire(un) as SipRequest);
    sub.receiveResponse(wire(r.response) as SipResponse);
    expect(sub.receiveNotify(wire(r.notify!) as SipRequest).status).toBe(200);
    expect(sub.state).toBe(SubscriptionState.Terminated);
    expect(notifier.state).toBe(NotifierState.Terminated);
    expect(w.termination()).toMatchObject({ cause: 'unsubscribed', reason: 'timeout' });
  });
});
