/**
 * Subscriptions of the user agent (RFC 6665) and the message-summary package (RFC 3842):
 * the body parser on real-looking and malformed bodies, and `ua.subscribeMessageSummary()`
 * against SIPp acting as a voicemail server (401 challenge, 200, three NOTIFYs, the last one
 * terminating the subscription).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import {
  MessageSummaryParseError,
  SubscriptionState,
  UserAgent,
  formatMessageSummary,
  parseMessageSummary,
  type MessageSummaryChange,
  type UaSubscriptionStateChange,
} from '@sip-endpoint/signaling';
import { SimpleSdh } from './support/simple-sdh';
import { freePort, hasProgram, startSipp, waitForUdpPort, type SippRun } from './support/peers';

ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('parseMessageSummary (RFC 3842 §5.2)', () => {
  it('parses the RFC 3842 §7 example body', () => {
    const s = parseMessageSummary('Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\nVoice-Message: 2/8 (0/2)\r\n');
    expect(s.messagesWaiting).toBe(true);
    expect(s.account).toBe('sip:alice@vmail.example.com');
    expect(s.voice).toEqual({ newMessages: 2, oldMessages: 8, newUrgent: 0, oldUrgent: 2 });
    expect([...s.classes.keys()]).toEqual(['voice-message']);
    expect(s.messageHeaders).toEqual([]);
  });

  it('reads several classes, case-insensitive names, LF line ends and message headers', () => {
    const body = [
      'messages-waiting: YES',
      'Voice-Message: 4/8 (1/2)',
      'FAX-MESSAGE: 1/0',
      'Multimedia-Message: 0/3',
      'Text-Message: 12/0 (3/0)',
      '',
      'To: <sip:alice@example.com>',
      'From: <sip:carol@example.com>',
      'Subject: call me back',
      'Message-Context: voice-message',
      '',
    ].join('\n');
    const s = parseMessageSummary(Buffer.from(body, 'utf8'));
    expect(s.messagesWaiting).toBe(true);
    expect(s.account).toBeUndefined();
    expect(s.classes.get('fax-message')).toEqual({ newMessages: 1, oldMessages: 0, newUrgent: 0, oldUrgent: 0 });
    expect(s.classes.get('multimedia-message')?.oldMessages).toBe(3);
    expect(s.classes.get('text-message')).toEqual({ newMessages: 12, oldMessages: 0, newUrgent: 3, oldUrgent: 0 });
    expect(s.messageHeaders.map((h) => h.name)).toEqual(['To', 'From', 'Subject', 'Message-Context']);
    expect(s.messageHeaders[2]!.value).toBe('call me back');
  });

  it('reads "no" with only the status line (Asterisk-style body with spaces around the slash)', () => {
    expect(parseMessageSummary('Messages-Waiting: no\r\n')).toMatchObject({ messagesWaiting: false, classes: new Map() });
    const s = parseMessageSummary('Messages-Waiting: no\r\nMessage-Account: sip:*97@pbx.example.net\r\nVoice-Message: 0 / 11 ( 0 / 0 )\r\n');
    expect(s.voice).toEqual({ newMessages: 0, oldMessages: 11, newUrgent: 0, oldUrgent: 0 });
    expect(s.account).toBe('sip:*97@pbx.example.net');
  });

  it('round-trips through formatMessageSummary', () => {
    const s = parseMessageSummary('Messages-Waiting: yes\r\nMessage-Account: sip:bob@vm.example\r\nVoice-Message: 3/8 (1/2)\r\nFax-Message: 1/0\r\n');
    const again = parseMessageSummary(formatMessageSummary(s));
    expect(again).toEqual(s);
  });

  const malformed: [string, string | Buffer][] = [
    ['empty body', ''],
    ['no Messages-Waiting', 'Voice-Message: 1/2\r\n'],
    ['bad status value', 'Messages-Waiting: maybe\r\n'],
    ['bad counts', 'Messages-Waiting: yes\r\nVoice-Message: two/8\r\n'],
    ['half an urgent part', 'Messages-Waiting: yes\r\nVoice-Message: 2/8 (1)\r\n'],
    ['negative count', 'Messages-Waiting: yes\r\nVoice-Message: -1/8\r\n'],
    ['huge count', 'Messages-Waiting: yes\r\nVoice-Message: 99999999999/8\r\n'],
    ['line without colon', 'Messages-Waiting: yes\r\ngarbage\r\n'],
    ['repeated status', 'Messages-Waiting: yes\r\nMessages-Waiting: no\r\n'],
    ['repeated class', 'Messages-Waiting: yes\r\nVoice-Message: 1/1\r\nvoice-message: 2/2\r\n'],
    ['account not a URI', 'Messages-Waiting: yes\r\nMessage-Account: alice\r\n'],
    ['bad header name', 'Messages-Waiting: yes\r\nVoice Message: 1/1\r\n'],
    ['bad message header', 'Messages-Waiting: yes\r\n\r\nno colon here\r\n'],
    ['binary junk', Buffer.from([0xff, 0xfe, 0x00, 0x3a, 0x0a, 0x80])],
    ['too large', `Messages-Waiting: yes\r\n${'X-Pad: 1/1\r\n'.repeat(7000)}`],
  ];
  it.each(malformed)('rejects %s with MessageSummaryParseError (code SIP_PARSE)', (_name, body) => {
    let caught: unknown;
    try {
      parseMessageSummary(body);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MessageSummaryParseError);
    expect((caught as MessageSummaryParseError).code).toBe('SIP_PARSE');
  });

  it('throws nothing but MessageSummaryParseError on random input (bounded fuzz)', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = 'Messages-Waiting: yesno/()0123456789\r\n:Voice-Mesag ';
    let parsed = 0;
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rnd() * 80);
      let s = i % 2 ? 'Messages-Waiting: yes\r\n' : '';
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      try {
        parseMessageSummary(s);
        parsed++;
      } catch (e) {
        expect(e).toBeInstanceOf(MessageSummaryParseError);
      }
    }
    expect(parsed).toBeGreaterThan(0);
  });
});

if (!hasProgram('/usr/bin/sipp')) throw new Error('SIPp is missing: install the Debian package sip-tester (.ci/run does)');

describe('message-summary subscription against SIPp as voicemail server', () => {
  it('answers the challenge, gets three NOTIFYs, reports the summaries and ends on terminated', async () => {
    const port = await freePort();
    const run: SippRun = startSipp({ scenario: 'uas-mwi-notify.xml', port });
    cleanups.push(() => run.stop());
    await waitForUdpPort(port);
    const trace: string[] = [];
    const ua = await UserAgent.create({
      aor: 'sip:alice@127.0.0.1',
      credentials: { username: 'alice', password: 'secret' },
      stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers: { t1Ms: 100, t2Ms: 400 } },
      createSessionDescriptionHandler: () => new SimpleSdh(),
    });
    cleanups.push(() => ua.dispose());
    ua.stack.onDidLogMessage((m) => trace.push(`${m.direction} ${m.message.startLine()}`));
    const subscribes: { callId: string; seq: number; auth: boolean }[] = [];
    ua.stack.onDidLogMessage((m) => m.direction === 'out' && m.message.startLine().startsWith('SUBSCRIBE') && subscribes.push({ callId: m.message.callId, seq: m.message.cseq.seq, auth: m.message.headers.has('Authorization') }));

    const mwi = ua.subscribeMessageSummary(`sip:alice@127.0.0.1:${port}`, { expires: 120 });
    const summaries: MessageSummaryChange[] = [];
    const states: UaSubscriptionStateChange[] = [];
    mwi.onDidChangeMessageSummary((e) => summaries.push(e));
    const ended = new Promise<UaSubscriptionStateChange>((resolve) =>
      mwi.subscription.onDidChangeState((e) => {
        states.push(e);
        if (e.state === SubscriptionState.Terminated) resolve(e);
      }),
    );
    expect(ua.activeSubscriptions).toHaveLength(1);
    expect(mwi.subscription.state).toBe(SubscriptionState.NotifyWait);
    const end = await Promise.race([ended, new Promise<never>((_r, rej) => setTimeout(() => rej(new Error(`no end; trace:\n${trace.join('\n')}`)), 10_000))]);

    expect(summaries).toHaveLength(3);
    expect(summaries[0]!.summary).toMatchObject({ messagesWaiting: true, account: 'sip:alice@vmail.example.com', voice: { newMessages: 2, oldMessages: 8, newUrgent: 0, oldUrgent: 2 } });
    expect(summaries[0]!.state).toMatchObject({ state: 'active', expires: 60 });
    expect(summaries[1]!.summary.voice).toEqual({ newMessages: 3, oldMessages: 8, newUrgent: 1, oldUrgent: 2 });
    expect(summaries[1]!.summary.classes.get('fax-message')?.newMessages).toBe(1);
    expect(summaries[1]!.summary.messageHeaders.find((h) => h.name === 'Subject')?.value).toBe('call me back');
    expect(summaries[2]!.summary).toMatchObject({ messagesWaiting: false, voice: { newMessages: 0, oldMessages: 11 } });
    expect(summaries[2]!.state).toMatchObject({ state: 'terminated', reason: 'noresource' });
    expect(mwi.summary?.messagesWaiting).toBe(false);

    expect(states.map((s) => s.state)).toEqual([SubscriptionState.Active, SubscriptionState.Terminated]);
    expect(end.termination).toMatchObject({ cause: 'notify', reason: 'noresource', retry: 'never' });
    // The 401 was answered once; every NOTIFY was answered 200.
    expect(trace.filter((l) => l.startsWith('out SUBSCRIBE'))).toHaveLength(2);
    expect(trace.filter((l) => l === 'in SIP/2.0 401 Unauthorized')).toHaveLength(1);
    // RFC 3261 §22.2 / §8.1.3.5: same Call-ID, CSeq + 1, credentials on the retry.
    expect(subscribes).toEqual([
      { callId: subscribes[0]!.callId, seq: subscribes[0]!.seq, auth: false },
      { callId: subscribes[0]!.callId, seq: subscribes[0]!.seq + 1, auth: true },
    ]);
    expect(trace.filter((l) => l.startsWith('in NOTIFY'))).toHaveLength(3);
    expect(trace.filter((l) => l === 'out SIP/2.0 200 OK')).toHaveLength(3);
    const r = await run.result;
    if (!r.ok) throw new Error(`SIPp scenario failed (exit ${r.code}):\n${r.errors}\n${r.output.slice(-6000)}`);
    await new Promise((res) => setTimeout(res, 0));
    expect(ua.activeSubscriptions).toHaveLength(0);
  });
});

describe('subscription refresh and unsubscribe against SIPp', () => {
  it('refreshes before the 2 s expiry, then unsubscribes (Expires: 0) and ends on the final NOTIFY', async () => {
    const port = await freePort();
    const run: SippRun = startSipp({ scenario: 'uas-mwi-refresh.xml', port });
    cleanups.push(() => run.stop());
    await waitForUdpPort(port);
    const trace: string[] = [];
    const ua = await UserAgent.create({
      aor: 'sip:alice@127.0.0.1',
      stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers: { t1Ms: 100, t2Ms: 400 } },
      createSessionDescriptionHandler: () => new SimpleSdh(),
    });
    cleanups.push(() => ua.dispose());
    ua.stack.onDidLogMessage((m) => trace.push(`${m.direction} ${m.message.startLine()}${m.message.headers.get('Expires') !== undefined ? ` Expires=${m.message.headers.get('Expires')}` : ''}`));
    const sub = ua.subscribe(`sip:alice@127.0.0.1:${port}`, 'message-summary', { expires: 2, accept: ['application/simple-message-summary'] });
    const notifies: string[] = [];
    sub.onDidReceiveNotify((e) => notifies.push(`${e.state.state} ${e.contentType ?? '-'} ${e.body.trim().split(/\r?\n/)[0] ?? ''}`));
    const deadline = Date.now() + 8000;
    while (trace.filter((l) => l.startsWith('out SUBSCRIBE')).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(sub.state).toBe(SubscriptionState.Active);
    const ended = new Promise<UaSubscriptionStateChange>((resolve) => sub.onDidChangeState((e) => e.state === SubscriptionState.Terminated && resolve(e)));
    await sub.unsubscribe();
    const end = await ended;
    expect(end.termination).toMatchObject({ cause: 'unsubscribed', reason: 'timeout' });
    expect(trace.filter((l) => l.startsWith('out SUBSCRIBE')).map((l) => l.split(' ').pop())).toEqual(['Expires=2', 'Expires=2', 'Expires=0']);
    expect(notifies).toEqual(['active application/simple-message-summary Messages-Waiting: yes', 'terminated - ']);
    const r = await run.result;
    if (!r.ok) throw new Error(`SIPp scenario failed (exit ${r.code}):\n${r.errors}\n${r.output.slice(-6000)}`);
  });
});

describe('423, NOTIFY before the 2xx, and unsubscribe on dispose (SIPp)', () => {
  it('retries with Min-Expires, takes the dialog from the early NOTIFY, and unsubscribes when disposed', async () => {
    const port = await freePort();
    const run: SippRun = startSipp({ scenario: 'uas-mwi-423-notify-first.xml', port });
    cleanups.push(() => run.stop());
    await waitForUdpPort(port);
    const trace: string[] = [];
    const ua = await UserAgent.create({
      aor: 'sip:alice@127.0.0.1',
      // T1 500 ms: no SUBSCRIBE retransmission while SIPp waits for the answer to its early NOTIFY.
      stack: { listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], timers: { t1Ms: 500, t2Ms: 4000 } },
      createSessionDescriptionHandler: () => new SimpleSdh(),
    });
    cleanups.push(() => ua.dispose());
    ua.stack.onDidLogMessage((m) => trace.push(`${m.direction} ${m.message.startLine()}${m.message.headers.get('Expires') !== undefined ? ` Expires=${m.message.headers.get('Expires')}` : ''}`));
    const subscribes: { callId: string; seq: number }[] = [];
    ua.stack.onDidLogMessage((m) => m.direction === 'out' && m.message.startLine().startsWith('SUBSCRIBE') && subscribes.push({ callId: m.message.callId, seq: m.message.cseq.seq }));
    const mwi = ua.subscribeMessageSummary(`sip:alice@127.0.0.1:${port}`, { expires: 60 });
    const got = await new Promise<MessageSummaryChange>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no summary; trace:\n${trace.join('\n')}`)), 8000);
      mwi.onDidChangeMessageSummary((e) => (clearTimeout(t), resolve(e)));
    });
    expect(got.summary.voice).toMatchObject({ newMessages: 1, oldMessages: 4 });
    expect(got.state).toMatchObject({ state: 'active', expires: 300 });
    expect(mwi.subscription.state).toBe(SubscriptionState.Active);
    // Wait for the 200 to the SUBSCRIBE (it comes after the NOTIFY), then dispose.
    const deadline = Date.now() + 5000;
    while (!trace.includes('in SIP/2.0 200 OK Expires=300') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(trace.indexOf('in NOTIFY')).toBeLessThan(trace.indexOf('in SIP/2.0 200 OK Expires=300'));
    const sub = mwi.subscription;
    const ended = new Promise<UaSubscriptionStateChange>((resolve) => sub.onDidChangeState((e) => e.state === SubscriptionState.Terminated && resolve(e)));
    mwi.dispose();
    expect((await ended).termination).toMatchObject({ cause: 'disposed' });
    const r = await run.result;
    if (!r.ok) throw new Error(`SIPp scenario failed (exit ${r.code}):\n${r.errors}\n${r.output.slice(-6000)}\n${trace.join('\n')}`);
    expect(trace.filter((l) => l.startsWith('out SUBSCRIBE')).map((l) => l.split(' ').pop())).toEqual(['Expires=60', 'Expires=300', 'Expires=0']);
    expect(trace).toContain('in SIP/2.0 423 Interval Too Brief');
    // RFC 3261 §8.1.3.5: the retry keeps the Call-ID and takes the next CSeq; the unsubscribe follows in the dialog.
    expect(new Set(subscribes.map((x) => x.callId)).size).toBe(1);
    const first = subscribes[0]!.seq;
    expect(subscribes.map((x) => x.seq)).toEqual([first, first + 1, first + 2]);
    expect(trace).toContain('out SIP/2.0 481 Call/Transaction Does Not Exist');
  });
});
