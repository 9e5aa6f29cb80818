import { describe, expect, it } from 'vitest';
import { ErrorCode, isSdkError } from '@sip-endpoint/base';
import { H, SipRequest, parseMessage, parseUri } from '@sip-endpoint/signaling';

describe('header injection', () => {
  it('refuses CR/LF in header values and non-token names, on every mutation path', () => {
    const req = new SipRequest('OPTIONS', parseUri('sip:bob@example.com'));
    for (const bad of ['a\r\nVia: evil', 'a\nb', 'a\rb']) {
      let caught: unknown;
      try {
        req.setHeader('Subject', bad);
      } catch (e) {
        caught = e;
      }
      expect(isSdkError(caught, ErrorCode.InvalidArgument)).toBe(true);
      expect(() => req.appendHeader('Subject', bad)).toThrow(/CR or LF/);
      expect(() => req.headers.prepend('Subject', bad)).toThrow(/CR or LF/);
    }
    expect(() => req.setHeader('Bad Name', 'x')).toThrow(/invalid header name/);
    expect(() => req.setHeader('X:Y', 'x')).toThrow(/invalid header name/);
    expect(req.headers.has('Subject')).toBe(false);
  });

  it('keeps a folded value from the wire as one line when re-serialized', () => {
    const text = 'OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nSubject: one\r\n two\r\nContent-Length: 0\r\n\r\n';
    const m = parseMessage(Buffer.from(text));
    expect(m.headers.get('Subject')).toBe('one two');
    expect(m.serialize().toString()).toContain('Subject: one two\r\n');
    expect(m.get(H.CSeq)?.method).toBe('OPTIONS');
  });
});

describe('Subscription-State leniency', () => {
  it('reads a non-token parameter value as sent by linphone 5.1, and still refuses garbage', () => {
    const mk = (v: string) => parseMessage(Buffer.from(`NOTIFY sip:a@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:b@x>;tag=1\r\nTo: <sip:a@x>;tag=2\r\nCall-ID: c\r\nCSeq: 2 NOTIFY\r\nEvent: refer\r\nSubscription-State: ${v}\r\nContent-Length: 0\r\n\r\n`));
    const s = mk('terminated;reason=reason=noresource').get(H.SubscriptionState);
    expect(s?.state).toBe('terminated');
    expect(s?.params.get('reason')).toBe('reason=noresource');
    expect(mk('active;expires=60').get(H.SubscriptionState)?.params.get('expires')).toBe('60');
    expect(() => mk('act ive;;x y=1').get(H.SubscriptionState)).toThrow();
  });
});
