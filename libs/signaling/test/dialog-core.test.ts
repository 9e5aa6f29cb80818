import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite, InvalidStateError, isSdkError, ErrorCode } from '@sip-endpoint/base';
import { H, createResponse, parseMessage, type SipRequest, type SipResponse } from '../src/message/index';
import { Dialog, DialogRegistry, DialogState, glareRetryDelayMs, type DialogStateChange } from '../src/dialog/index';
import { ALICE_CONTACT, BOB_CONTACT, addr, fromBob, request, responseTo, sip, uriText } from './dialog-fixtures';

const opts = { localContact: ALICE_CONTACT, random: () => 0.5 };

// Record-Route as the UAS sees it on the request: nearest proxy to the UAS first.
const P1 = addr(sip(undefined, 'p1.example.com', { lr: null }));
const P2 = addr(sip(undefined, 'p2.example.com', { lr: null }));
const STRICT = addr(sip(undefined, 'strict.example.com', { transport: 'tcp', method: 'INVITE' }));

describe('Dialog creation', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('UAC: 1xx with tag makes an early dialog; route set is Record-Route reversed; remote target = Contact', () => {
    const inv = request('INVITE', { cseq: 10 });
    const ringing = responseTo(inv, 180, { toTag: 'bobtag', contact: BOB_CONTACT, recordRoute: [P2, P1] });
    const d = Dialog.createUac(inv, ringing, opts);
    expect(d.state).toBe(DialogState.Early);
    expect(d.id).toEqual({ callId: 'call-1@atlanta', localTag: 'alicetag', remoteTag: 'bobtag' });
    expect(d.routeSet.map(uriText)).toEqual(['sip:p1.example.com;lr', 'sip:p2.example.com;lr']);
    expect(uriText(d.remoteTarget)).toBe('sip:bob@192.0.2.4:5060');
    expect(d.localSeq).toBe(10);
    expect(d.remoteSeq).toBeUndefined();
    expect(d.isCallIdOwner).toBe(true);
    expect(d.secure).toBe(false);
    expect(d.inviteInProgress).toEqual({ outgoing: true, incoming: false });
    d.dispose();
  });

  it('UAC: 2xx makes a confirmed dialog; secure only for sips over TLS', () => {
    const inv = request('INVITE', { uri: { ...sip('bob', 'biloxi.example.com'), scheme: 'sips' } });
    const ok = responseTo(inv, 200, { toTag: 'bobtag', contact: BOB_CONTACT });
    const d1 = Dialog.createUac(inv, ok, { ...opts, sentOverTls: true });
    const d2 = Dialog.createUac(inv, ok, { ...opts, sentOverTls: false });
    expect(d1.state).toBe(DialogState.Confirmed);
    expect(d1.secure).toBe(true);
    expect(d2.secure).toBe(false);
    expect(d1.inviteInProgress.outgoing).toBe(false);
    d1.dispose();
    d2.dispose();
  });

  it('UAC: refuses responses that cannot create a dialog', () => {
    const inv = request('INVITE');
    expect(() => Dialog.createUac(inv, responseTo(inv, 100), opts)).toThrowError(/does not create a dialog/);
    expect(() => Dialog.createUac(inv, responseTo(inv, 486, { toTag: 'x' }), opts)).toThrowError(/does not create a dialog/);
  });

  it('UAS: route set is Record-Route in order, remote seq = request CSeq, local seq empty', () => {
    const inv = request('INVITE', { cseq: 77, recordRoute: [P2, P1] });
    const ringing = responseTo(inv, 180, { toTag: 'bobtag', contact: BOB_CONTACT });
    const d = Dialog.createUas(inv, ringing, { localContact: BOB_CONTACT, random: () => 0.25 });
    expect(d.state).toBe(DialogState.Early);
    expect(d.id).toEqual({ callId: 'call-1@atlanta', localTag: 'bobtag', remoteTag: 'alicetag' });
    expect(d.routeSet.map(uriText)).toEqual(['sip:p2.example.com;lr', 'sip:p1.example.com;lr']);
    expect(uriText(d.remoteTarget)).toBe('sip:alice@192.0.2.101:5060');
    expect(d.remoteSeq).toBe(77);
    expect(d.localSeq).toBeUndefined();
    expect(d.isCallIdOwner).toBe(false);
    expect(d.inviteInProgress).toEqual({ outgoing: false, incoming: true });
    // Sending the 2xx confirms the early dialog and ends the incoming INVITE.
    d.noteResponseSent(responseTo(inv, 200, { toTag: 'bobtag' }));
    expect(d.state).toBe(DialogState.Confirmed);
    expect(d.inviteInProgress.incoming).toBe(false);
    d.dispose();
  });

  it('UAS: a response without To tag cannot establish a dialog', () => {
    const inv = request('INVITE');
    expect(() => Dialog.createUas(inv, responseTo(inv, 200), opts)).toThrowError(/To tag/);
  });

  it('UAS: sending a non-2xx final response terminates the early dialog', () => {
    const inv = request('INVITE');
    const d = Dialog.createUas(inv, responseTo(inv, 183, { toTag: 'bobtag' }), opts);
    const states: DialogState[] = [];
    const sub = d.onDidChangeState((e) => states.push(e.state));
    d.noteResponseSent(responseTo(inv, 486, { toTag: 'bobtag' }));
    sub.dispose();
    expect(states).toEqual([DialogState.Terminated]);
    expect(d.state).toBe(DialogState.Terminated);
  });
});

describe('Dialog requests (RFC 3261 §12.2.1.1)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  function confirmed(recordRoute?: ReturnType<typeof addr>[], cseq = 1): Dialog {
    const inv = request('INVITE', { cseq });
    return Dialog.createUac(inv, responseTo(inv, 200, { toTag: 'bobtag', contact: BOB_CONTACT, recordRoute }), opts);
  }

  it('builds To/From with tags, Call-ID, CSeq local+1, Max-Forwards 70, no Via, no Route for an empty route set', () => {
    const d = confirmed(undefined, 5);
    const bye = d.createRequest('BYE');
    expect(bye.method).toBe('BYE');
    expect(uriText(bye.uri)).toBe('sip:bob@192.0.2.4:5060');
    expect(bye.to.params.get('tag')).toBe('bobtag');
    expect(bye.to.displayName).toBe('Bob');
    expect(bye.from.params.get('tag')).toBe('alicetag');
    expect(bye.callId).toBe('call-1@atlanta');
    expect(bye.cseq).toEqual({ seq: 6, method: 'BYE' });
    expect(bye.get(H.MaxForwards)).toBe(70);
    expect(bye.headers.has('Via')).toBe(false);
    expect(bye.headers.has('Route')).toBe(false);
    expect(bye.headers.has('Contact')).toBe(false); // BYE is not a target refresh
    expect(d.createRequest('INFO').cseq.seq).toBe(7);
    expect(d.localSeq).toBe(7);
    d.dispose();
  });

  it('loose routing: Request-URI = remote target, Route = route set in order', () => {
    const d = confirmed([P2, P1]);
    const info = d.createRequest('INFO', { body: 'x', contentType: 'application/foo', headers: { 'X-Test': 'yes' } });
    expect(uriText(info.uri)).toBe('sip:bob@192.0.2.4:5060');
    expect(info.get(H.Route)!.map(uriText)).toEqual(['sip:p1.example.com;lr', 'sip:p2.example.com;lr']);
    expect(info.body.toString()).toBe('x');
    expect(info.headers.get('Content-Type')).toBe('application/foo');
    expect(info.headers.get('X-Test')).toBe('yes');
    d.dispose();
  });

  it('strict routing: first route (stripped of method) is the Request-URI, remote target the last Route', () => {
    // As the UAC sees it: Record-Route on the 2xx is [P1, STRICT] -> route set [STRICT, P1].
    const d = confirmed([P1, STRICT]);
    expect(d.routeSet.map(uriText)).toEqual(['sip:strict.example.com;transport=tcp;method=INVITE', 'sip:p1.example.com;lr']);
    const req = d.createRequest('INFO');
    expect(uriText(req.uri)).toBe('sip:strict.example.com;transport=tcp');
    expect(req.get(H.Route)!.map(uriText)).toEqual(['sip:p1.example.com;lr', 'sip:bob@192.0.2.4:5060']);
    d.dispose();
  });

  it('target refresh requests carry our Contact', () => {
    const d = confirmed();
    for (const m of ['UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'INVITE']) {
      const req = d.createRequest(m);
      const c = req.get(H.Contact);
      expect(c && !c.star && uriText(c.contacts[0]!)).toBe('sip:alice@192.0.2.101:5060');
      if (m === 'INVITE') d.receiveResponse(responseTo(req, 200, { toTag: 'bobtag' }));
    }
    d.dispose();
  });

  it('initial CSeq is random below 2^31 when the local sequence number is empty (UAS side)', () => {
    const inv = request('INVITE', { cseq: 3 });
    const hi = Dialog.createUas(inv, responseTo(inv, 200, { toTag: 'b1' }), { localContact: BOB_CONTACT, random: () => 0.9999999999 });
    const lo = Dialog.createUas(inv, responseTo(inv, 200, { toTag: 'b2' }), { localContact: BOB_CONTACT, random: () => 0 });
    const a = hi.createRequest('BYE').cseq.seq;
    const b = lo.createRequest('BYE').cseq.seq;
    expect(a).toBeLessThan(2 ** 31);
    expect(a).toBeGreaterThan(2 ** 30);
    expect(b).toBeGreaterThanOrEqual(1);
    expect(hi.createRequest('INFO').cseq.seq).toBe(a + 1);
    // The UAS's requests go to the caller: To carries Alice's tag, From ours.
    const info = lo.createRequest('INFO');
    expect(info.to.params.get('tag')).toBe('alicetag');
    expect(info.from.params.get('tag')).toBe('b2');
    expect(uriText(info.uri)).toBe('sip:alice@192.0.2.101:5060');
    hi.dispose();
    lo.dispose();
  });

  it('ACK for a 2xx reuses the INVITE CSeq number and leaves the local seq alone; ACK/CANCEL are refused by createRequest', () => {
    const d = confirmed(undefined, 40);
    const reinvite = d.createRequest('INVITE', { body: 'v=0', contentType: 'application/sdp' });
    expect(reinvite.cseq.seq).toBe(41);
    d.receiveResponse(responseTo(reinvite, 200, { toTag: 'bobtag' }));
    const ack = d.createAck(41, { body: 'sdp' });
    expect(ack.cseq).toEqual({ seq: 41, method: 'ACK' });
    expect(ack.body.toString()).toBe('sdp');
    expect(ack.headers.has('Contact')).toBe(false);
    expect(d.localSeq).toBe(41);
    expect(d.createRequest('BYE').cseq.seq).toBe(42);
    const errors = [() => d.createRequest('ACK'), () => d.createRequest('CANCEL')].map((fn) => {
      try {
        fn();
        return undefined;
      } catch (e) {
        return e;
      }
    });
    for (const e of errors) expect(isSdkError(e, ErrorCode.InvalidArgument)).toBe(true);
    d.dispose();
  });

  it('a terminated dialog builds nothing', () => {
    const d = confirmed();
    d.terminate();
    expect(() => d.createRequest('BYE')).toThrow(InvalidStateError);
  });
});

describe('Dialog receiving (RFC 3261 §12.2.2, §12.2.1.2)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  function uac(): Dialog {
    const inv = request('INVITE', { cseq: 1 });
    return Dialog.createUac(inv, responseTo(inv, 200, { toTag: 'bobtag', contact: BOB_CONTACT }), opts);
  }

  it('sets an empty remote seq, accepts increasing numbers (gaps allowed), refuses lower/equal with 500', () => {
    const d = uac();
    expect(d.receiveRequest(fromBob('INFO', 100))).toBeUndefined();
    expect(d.remoteSeq).toBe(100);
    expect(d.receiveRequest(fromBob('INFO', 105))).toBeUndefined();
    expect(d.remoteSeq).toBe(105);
    expect(d.receiveRequest(fromBob('INFO', 104))).toEqual({ status: 500, reason: 'CSeq Out of Order' });
    expect(d.receiveRequest(fromBob('INFO', 105))?.status).toBe(500);
    expect(d.remoteSeq).toBe(105);
    d.dispose();
  });

  it('ACK and CANCEL skip the order check', () => {
    const d = uac();
    d.receiveRequest(fromBob('INFO', 10));
    expect(d.receiveRequest(fromBob('ACK', 3))).toBeUndefined();
    expect(d.remoteSeq).toBe(10);
    d.dispose();
  });

  it('481 for a request of another dialog', () => {
    const d = uac();
    expect(d.receiveRequest(fromBob('INFO', 1, { bobTag: 'other' }))?.status).toBe(481);
    d.dispose();
  });

  it('target refresh requests with Contact replace the remote target; others do not', () => {
    const d = uac();
    d.receiveRequest(fromBob('INFO', 1, { contact: addr(sip('bob', '198.51.100.1')) }));
    expect(uriText(d.remoteTarget)).toBe('sip:bob@192.0.2.4:5060');
    d.receiveRequest(fromBob('UPDATE', 2, { contact: addr(sip('bob', '198.51.100.2')) }));
    expect(uriText(d.remoteTarget)).toBe('sip:bob@198.51.100.2');
    const reinvite = fromBob('INVITE', 3, { contact: addr(sip('bob', '198.51.100.3')) });
    expect(d.receiveRequest(reinvite)).toBeUndefined();
    expect(uriText(d.remoteTarget)).toBe('sip:bob@198.51.100.3');
    expect(d.createRequest('BYE').uri).toMatchObject({ host: '198.51.100.3' });
    d.dispose();
  });

  it('2xx to a target refresh replaces the remote target', () => {
    const d = uac();
    const upd = d.createRequest('UPDATE');
    d.receiveResponse(responseTo(upd, 200, { toTag: 'bobtag', contact: addr(sip('bob', '203.0.113.9')) }));
    expect(uriText(d.remoteTarget)).toBe('sip:bob@203.0.113.9');
    const info = d.createRequest('INFO');
    d.receiveResponse(responseTo(info, 200, { toTag: 'bobtag', contact: addr(sip('bob', '203.0.113.10')) }));
    expect(uriText(d.remoteTarget)).toBe('sip:bob@203.0.113.9');
    d.dispose();
  });

  it.each([481, 408])('%i to an in-dialog request terminates the dialog', (status) => {
    const d = uac();
    const changes: DialogStateChange[] = [];
    const sub = d.onDidChangeState((e) => changes.push(e));
    const info = d.createRequest('INFO');
    d.receiveResponse(responseTo(info, status, { toTag: 'bobtag' }));
    sub.dispose();
    expect(changes.map((c) => [c.previous, c.state, c.cause])).toEqual([[DialogState.Confirmed, DialogState.Terminated, String(status)]]);
    expect(d.receiveRequest(fromBob('INFO', 9))?.status).toBe(481);
  });

  it('other failures to in-dialog requests keep the dialog; a transaction timeout ends it', () => {
    const d = uac();
    const info = d.createRequest('INFO');
    d.receiveResponse(responseTo(info, 500, { toTag: 'bobtag' }));
    expect(d.state).toBe(DialogState.Confirmed);
    d.noteRequestTimeout('INFO');
    expect(d.state).toBe(DialogState.Terminated);
  });

  it('BYE received terminates; a response of another dialog is refused', () => {
    const d = uac();
    const info = d.createRequest('INFO');
    expect(() => d.receiveResponse(responseTo(info, 200, { toTag: 'someoneelse' }))).toThrowError(/another dialog/);
    expect(d.receiveRequest(fromBob('BYE', 50))).toBeUndefined();
    expect(d.state).toBe(DialogState.Terminated);
  });

  it('early -> confirmed on 2xx with the route set recomputed from the 2xx (§13.2.2.4)', () => {
    const inv = request('INVITE', { cseq: 1 });
    const d = Dialog.createUac(inv, responseTo(inv, 180, { toTag: 'bobtag', recordRoute: [P1] }), opts);
    expect(uriText(d.remoteTarget)).toBe('sip:bob@biloxi.example.com'); // no Contact in the 180
    d.receiveResponse(responseTo(inv, 200, { toTag: 'bobtag', contact: BOB_CONTACT, recordRoute: [P2, P1] }));
    expect(d.state).toBe(DialogState.Confirmed);
    expect(d.routeSet.map(uriText)).toEqual(['sip:p1.example.com;lr', 'sip:p2.example.com;lr']);
    expect(uriText(d.remoteTarget)).toBe('sip:bob@192.0.2.4:5060');
    expect(d.inviteInProgress.outgoing).toBe(false);
    d.dispose();
  });

  it('a non-2xx final response to the INVITE terminates the early dialog (§12.3)', () => {
    const inv = request('INVITE', { cseq: 1 });
    const d = Dialog.createUac(inv, responseTo(inv, 180, { toTag: 'bobtag' }), opts);
    d.receiveResponse(responseTo(inv, 486, { toTag: 'bobtag' }));
    expect(d.state).toBe(DialogState.Terminated);
  });

  it('disposing a live dialog terminates it with cause "disposed"', () => {
    const d = uac();
    const causes: string[] = [];
    const sub = d.onDidChangeState((e) => causes.push(e.cause));
    d.dispose();
    d.dispose();
    sub.dispose();
    expect(causes).toEqual(['disposed']);
    expect(d.state).toBe(DialogState.Terminated);
  });
});

describe('Glare (RFC 3261 §14)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  function uac(): Dialog {
    const inv = request('INVITE', { cseq: 1 });
    return Dialog.createUac(inv, responseTo(inv, 200, { toTag: 'bobtag', contact: BOB_CONTACT }), opts);
  }

  it('an INVITE received while ours is pending earns 491; ours is refused while theirs is pending', () => {
    const d = uac();
    const reinvite = d.createRequest('INVITE');
    expect(d.inviteInProgress).toEqual({ outgoing: true, incoming: false });
    expect(d.receiveRequest(fromBob('INVITE', 7))).toEqual({ status: 491, reason: 'Request Pending' });
    expect(() => d.createRequest('INVITE')).toThrow(InvalidStateError);
    d.receiveResponse(responseTo(reinvite, 491, { toTag: 'bobtag' }));
    expect(d.state).toBe(DialogState.Confirmed);
    expect(d.inviteInProgress).toEqual({ outgoing: false, incoming: false });
    const theirs = fromBob('INVITE', 8);
    expect(d.receiveRequest(theirs)).toBeUndefined();
    expect(d.inviteInProgress).toEqual({ outgoing: false, incoming: true });
    expect(() => d.createRequest('INVITE')).toThrow(InvalidStateError);
    const second = d.receiveRequest(fromBob('INVITE', 9));
    expect(second?.status).toBe(500);
    expect(second?.retryAfter).toBeGreaterThanOrEqual(0);
    expect(second?.retryAfter).toBeLessThanOrEqual(10);
    d.noteResponseSent(responseTo(theirs, 200, { toTag: 'bobtag' }));
    expect(d.inviteInProgress.incoming).toBe(false);
    expect(() => d.createRequest('INVITE')).not.toThrow();
    d.dispose();
  });

  it('backoff: Call-ID owner 2.1-4 s, otherwise 0-2 s, in 10 ms units (bounded sampling)', () => {
    let seed = 12345;
    const lcg = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const owner = new Set<number>();
    const other = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const a = glareRetryDelayMs(true, lcg);
      const b = glareRetryDelayMs(false, lcg);
      expect(a).toBeGreaterThanOrEqual(2100);
      expect(a).toBeLessThanOrEqual(4000);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThanOrEqual(2000);
      expect(a % 10).toBe(0);
      expect(b % 10).toBe(0);
      owner.add(a);
      other.add(b);
    }
    expect(glareRetryDelayMs(true, () => 0)).toBe(2100);
    expect(glareRetryDelayMs(true, () => 0.9999999)).toBe(4000);
    expect(glareRetryDelayMs(false, () => 0)).toBe(0);
    expect(glareRetryDelayMs(false, () => 0.9999999)).toBe(2000);
    // The whole range is used, not a corner of it.
    expect(owner.size).toBeGreaterThan(150);
    expect(other.size).toBeGreaterThan(150);
  });

  it('the dialog picks the range from Call-ID ownership', () => {
    const d = uac();
    const inv = request('INVITE');
    const u = Dialog.createUas(inv, responseTo(inv, 200, { toTag: 'x' }), { localContact: BOB_CONTACT, random: () => 0.5 });
    expect(d.glareRetryDelayMs()).toBe(2100 + 10 * Math.floor(0.5 * 191));
    expect(u.glareRetryDelayMs()).toBe(10 * Math.floor(0.5 * 201));
    d.dispose();
    u.dispose();
  });
});

describe('DialogRegistry', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('keeps forked early dialogs apart, finds them by request and by response, removes terminated ones', () => {
    const reg = new DialogRegistry();
    const inv = request('INVITE', { cseq: 1 });
    const r1 = responseTo(inv, 180, { toTag: 'fork1', contact: BOB_CONTACT });
    const r2 = responseTo(inv, 183, { toTag: 'fork2', contact: addr(sip('bob', '192.0.2.5')) });
    const d1 = Dialog.createUac(inv, r1, opts);
    const d2 = Dialog.createUac(inv, r2, opts);
    reg.add(d1);
    reg.add(d2);
    expect(() => reg.add(d1)).toThrowError(/already registered/);
    expect(reg.findEarly('call-1@atlanta', 'alicetag')).toEqual([d1, d2]);
    expect(reg.findForResponse(r2)).toBe(d2);
    expect(reg.findForResponse(responseTo(inv, 180, { toTag: 'fork3' }))).toBeUndefined();
    // An incoming request from fork 1: its From tag is fork1, its To tag ours.
    expect(reg.findForRequest(fromBob('INFO', 1, { bobTag: 'fork1' }))).toBe(d1);
    expect(reg.findForRequest(fromBob('INFO', 1, { bobTag: 'fork9' }))).toBeUndefined();
    expect(reg.findForRequest(request('INVITE'))).toBeUndefined(); // no To tag: not in a dialog
    // Fork 2 answers: confirmed; fork 1 is then dropped by the UA.
    d2.receiveResponse(responseTo(inv, 200, { toTag: 'fork2', contact: BOB_CONTACT }));
    expect(reg.findEarly('call-1@atlanta', 'alicetag')).toEqual([d1]);
    const removed: string[] = [];
    const sub = reg.onDidRemoveDialog((e) => removed.push(e.dialog.id.remoteTag));
    d1.terminate('fork-lost');
    expect(removed).toEqual(['fork1']);
    expect(reg.size).toBe(1);
    expect(reg.findByCall('call-1@atlanta', 'alicetag')).toEqual([d2]);
    reg.dispose();
    sub.dispose();
    expect(d2.state).toBe(DialogState.Terminated);
    expect(removed).toEqual(['fork1', 'fork2']);
  });

  it('481 terminates and removes a registered dialog', () => {
    const reg = new DialogRegistry();
    const inv = request('INVITE', { cseq: 1 });
    const d = Dialog.createUac(inv, responseTo(inv, 200, { toTag: 'bobtag' }), opts);
    reg.add(d);
    const bye = d.createRequest('OPTIONS');
    reg.findForResponse(responseTo(bye, 481, { toTag: 'bobtag' }))!.receiveResponse(responseTo(bye, 481, { toTag: 'bobtag' }));
    expect(reg.size).toBe(0);
    expect(() => reg.add(d)).toThrowError(/terminated/);
    reg.dispose();
  });
});

describe('Dialog from message text', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n') + '\r\n\r\n');

  const INVITE = crlf([
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.example.com>',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:alice@pc33.atlanta.example.com>',
    'Content-Length: 0',
  ]);

  // The 200 as Alice receives it: each proxy put its Record-Route on top of the request's, and
  // the UAS copied them in order, so the first value is the proxy nearest to Bob.
  const OK = crlf([
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1',
    'Record-Route: <sip:ss2.biloxi.example.com;lr>',
    'Record-Route: <sip:ss1.atlanta.example.com;lr>',
    'To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
    'CSeq: 314159 INVITE',
    'm: <sip:bob@192.0.2.4>',
    'Content-Length: 0',
  ]);

  it('UAC: the route set is the Record-Route reversed; requests serialize with Route and the remote target', () => {
    const inv = parseMessage(INVITE) as SipRequest;
    const ok = parseMessage(OK) as SipResponse;
    const d = Dialog.createUac(inv, ok, { localContact: addr(sip('alice', 'pc33.atlanta.example.com')) });
    expect(d.id).toEqual({ callId: 'a84b4c76e66710@pc33.atlanta.example.com', localTag: '1928301774', remoteTag: 'a6c85cf' });
    const ack = d.createAck(314159).toString();
    expect(ack).toMatch(/^ACK sip:bob@192\.0\.2\.4 SIP\/2\.0\r\n/);
    expect(ack).toContain('Route: <sip:ss1.atlanta.example.com;lr>, <sip:ss2.biloxi.example.com;lr>\r\n');
    expect(ack).toContain('CSeq: 314159 ACK\r\n');
    const bye = parseMessage(d.createRequest('BYE').serialize()) as SipRequest;
    expect(bye.cseq).toEqual({ seq: 314160, method: 'BYE' });
    expect(bye.to.params.get('tag')).toBe('a6c85cf');
    expect(bye.from.params.get('tag')).toBe('1928301774');
    expect(bye.get(H.Route)!.map(uriText)).toEqual(['sip:ss1.atlanta.example.com;lr', 'sip:ss2.biloxi.example.com;lr']);
    d.dispose();
  });

  it('UAS: the route set is the Record-Route in order (as received on the INVITE)', () => {
    const text = INVITE.toString().replace('Max-Forwards: 70\r\n', 'Max-Forwards: 68\r\nRecord-Route: <sip:ss2.biloxi.example.com;lr>, <sip:ss1.atlanta.example.com;lr>\r\n');
    const inv = parseMessage(Buffer.from(text)) as SipRequest;
    const ok = createResponse(inv, 200, undefined, { toTag: 'a6c85cf' });
    const d = Dialog.createUas(inv, ok, { localContact: BOB_CONTACT });
    const bye = d.createRequest('BYE');
    expect(uriText(bye.uri)).toBe('sip:alice@pc33.atlanta.example.com');
    expect(bye.get(H.Route)!.map(uriText)).toEqual(['sip:ss2.biloxi.example.com;lr', 'sip:ss1.atlanta.example.com;lr']);
    expect(bye.to.displayName).toBe('Alice');
    expect(bye.to.params.get('tag')).toBe('1928301774');
    expect(d.receiveRequest(parseMessage(Buffer.from(text.replace('CSeq: 314159 INVITE', 'CSeq: 314158 INFO').replace('To: Bob <sip:bob@biloxi.example.com>', 'To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf'))) as SipRequest)).toEqual({
      status: 500,
      reason: 'CSeq Out of Order',
    });
    d.dispose();
  });
});

describe('BYE outcomes (RFC 3261 §15.1.1)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it.each([
    [200, DialogState.Terminated],
    [500, DialogState.Terminated],
    [401, DialogState.Confirmed],
    [407, DialogState.Confirmed],
  ] as const)('a %i to our BYE leaves the dialog %s', (status, expected) => {
    const inv = request('INVITE', { cseq: 1 });
    const d = Dialog.createUac(inv, responseTo(inv, 200, { toTag: 'bobtag', contact: BOB_CONTACT }), opts);
    const bye = d.createRequest('BYE');
    d.receiveResponse(responseTo(bye, status, { toTag: 'bobtag' }));
    expect(d.state).toBe(expected);
    d.dispose();
  });
});
