/**
 * Unit tests of the Genesys 3pcc provider's decisions (genesys-compat §1, §3) with fake
 * `IncomingCallInfo` / `SessionControl`: every auto-answer header form with case and spacing
 * variants, answer-after values, the policy, headset combinations, and NOTIFY talk/hold.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { createConfig, ConfigurationService } from '@sip-endpoint/config';
import type { IncomingCallInfo, SessionControl } from '../src/providers/api';
import {
  alertInfoAsksAutoAnswer,
  answerModeIsAuto,
  createGenesysProvider,
  evaluateIncomingCall,
  findAutoAnswerMarkers,
  notifyAction,
  parseCallInfoAnswerAfter,
  MAX_ANSWER_AFTER_SECONDS,
  type GenesysPolicySettings,
} from '../src/providers/genesys';

function call(headers: Record<string, string> = {}): IncomingCallInfo {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { sessionId: 'call-1', connectionId: 'c0', from: 'sip:server@127.0.0.1', header: (n) => lower.get(n.toLowerCase()) };
}

interface Policy {
  auto_answer?: boolean;
  use_headset?: boolean;
  reject?: boolean;
  code?: number;
}
function settings(p: Policy = {}): () => GenesysPolicySettings {
  return () => ({
    policy: {
      session: { auto_answer: p.auto_answer, reject_session_when_headset_na: p.reject, sip_code_when_headset_na: p.code },
      device: { use_headset: p.use_headset },
    },
  });
}

class FakeSession implements SessionControl {
  readonly calls: string[] = [];
  constructor(
    public state: SessionControl['state'],
    public held = false,
    public direction: SessionControl['direction'] = 'incoming',
    readonly id = 'call-1',
  ) {}
  answer(): Promise<void> {
    this.calls.push('answer');
    this.state = 'Connected';
    return Promise.resolve();
  }
  hold(): Promise<void> {
    this.calls.push('hold');
    this.held = true;
    return Promise.resolve();
  }
  retrieve(): Promise<void> {
    this.calls.push('retrieve');
    this.held = false;
    return Promise.resolve();
  }
  hangup(): Promise<void> {
    this.calls.push('hangup');
    this.state = 'Disconnected';
    return Promise.resolve();
  }
}

ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

const present = () => ({ headsetPresent: true });
const absent = () => ({ headsetPresent: false });

describe('Call-Info answer-after', () => {
  it.each([
    ['<http://sipserver/alert>;answer-after=0', 0],
    ['<sip:127.0.0.1>;answer-after=0', 0],
    ['<http://x>;Answer-After=0', 0],
    ['<http://x>;ANSWER-AFTER = 3', 3000],
    ['<http://x> ; answer-after=5', 5000],
    ['<http://x>;purpose=info;answer-after=2;foo', 2000],
    ['<http://x>;answer-after="4"', 4000],
    ['<http://x>;answer-after=1.5', 1500],
    ['answer-after=0', 0],
    [';answer-after=7', 7000],
    ['<http://a,b>;purpose=icon, <http://x>;answer-after=9', 9000],
    ['<http://x>;answer-after=99999', MAX_ANSWER_AFTER_SECONDS * 1000],
  ])('%s -> %i ms', (value, ms) => {
    expect(parseCallInfoAnswerAfter(value)).toBe(ms);
  });

  it.each([
    ['<http://x>;purpose=icon'],
    ['<http://x;answer-after=0>'],
    ['<http://x>;answer-after='],
    ['<http://x>;answer-after=-1'],
    ['<http://x>;answer-after=soon'],
    ['<http://x>;answer-after'],
    [''],
  ])('%s -> no auto-answer', (value) => {
    expect(parseCallInfoAnswerAfter(value)).toBeUndefined();
  });

  it('absent header -> no auto-answer', () => {
    expect(parseCallInfoAnswerAfter(undefined)).toBeUndefined();
  });
});

describe('Alert-Info info=alert-autoanswer', () => {
  it.each([
    '<http://www.notused.com>;info=alert-autoanswer',
    '<http://x>;INFO=Alert-AutoAnswer',
    '<http://x> ;  info = alert-autoanswer',
    '<http://x>;info="alert-autoanswer"',
    'info=alert-autoanswer',
    '<http://ring>, <http://x>;info=alert-autoanswer',
    '<urn:alert:service:auto-answer>',
  ])('%s -> auto-answer', (value) => {
    expect(alertInfoAsksAutoAnswer(value)).toBe(true);
  });

  it.each(['<http://x>;info=alert-internal', '<http://x;info=alert-autoanswer>', '<http://x>', 'alert-autoanswer', ''])('%s -> ring', (value) => {
    expect(alertInfoAsksAutoAnswer(value)).toBe(false);
  });
});

describe('Answer-Mode (RFC 5373)', () => {
  it.each(['Auto', 'auto', 'AUTO', '  Auto  ', 'Auto;require', 'Auto ; require'])('%s -> auto', (v) => {
    expect(answerModeIsAuto(v)).toBe(true);
  });
  it.each(['Manual', 'Manual;require', 'Automatic', 'foo', ''])('%s -> not auto', (v) => {
    expect(answerModeIsAuto(v)).toBe(false);
  });

  it('Priv-Answer-Mode: Auto counts too', () => {
    expect(findAutoAnswerMarkers(call({ 'Priv-Answer-Mode': 'Auto' }).header)).toEqual([{ source: 'priv-answer-mode', delayMs: 0 }]);
  });
});

describe('evaluateIncomingCall', () => {
  it('no marker and no policy: no opinion (the call rings)', () => {
    const e = evaluateIncomingCall(call({ Subject: 'hi' }), { settings: settings(), deviceStatus: present });
    expect(e.decision).toBeUndefined();
    expect(e.requested).toEqual([]);
  });

  it.each([
    [{ 'Call-Info': '<sip:127.0.0.1>;answer-after=0' }, 0, 'call-info'],
    [{ 'call-info': '<sip:127.0.0.1>;answer-after=2' }, 2000, 'call-info'],
    [{ 'Alert-Info': '<http://x>;info=alert-autoanswer' }, 0, 'alert-info'],
    [{ 'Answer-Mode': 'Auto' }, 0, 'answer-mode'],
  ])('%o -> answer after %i ms (%s)', (headers, ms, reason) => {
    const e = evaluateIncomingCall(call(headers), { settings: settings(), deviceStatus: present });
    expect(e.decision).toEqual({ autoAnswerAfterMs: ms });
    expect(e.requested.map((r) => r.reason)).toEqual([reason]);
  });

  it('policy.session.auto_answer=1 answers every call at once', () => {
    const e = evaluateIncomingCall(call(), { settings: settings({ auto_answer: true }), deviceStatus: present });
    expect(e.decision).toEqual({ autoAnswerAfterMs: 0 });
    expect(e.requested).toEqual([{ reason: 'policy', delayMs: 0 }]);
  });

  it('several markers: the smallest delay wins', () => {
    const e = evaluateIncomingCall(call({ 'Call-Info': '<http://x>;answer-after=5', 'Answer-Mode': 'Auto' }), { settings: settings(), deviceStatus: present });
    expect(e.decision).toEqual({ autoAnswerAfterMs: 0 });
    const only = evaluateIncomingCall(call({ 'Call-Info': '<http://x>;answer-after=5' }), { settings: settings({ auto_answer: false }), deviceStatus: present });
    expect(only.decision).toEqual({ autoAnswerAfterMs: 5000 });
  });

  it('use_headset=1 with a headset present: auto-answer as usual', () => {
    const e = evaluateIncomingCall(call({ 'Answer-Mode': 'Auto' }), { settings: settings({ use_headset: true }), deviceStatus: present });
    expect(e.decision).toEqual({ autoAnswerAfterMs: 0 });
    expect(e.blockedByHeadset).toBe(false);
  });

  it('use_headset=1 without headset: auto-answer blocked, the call rings ({} keeps later providers from answering)', () => {
    for (const headers of <Record<string, string>[]>[{ 'Answer-Mode': 'Auto' }, { 'Call-Info': '<http://x>;answer-after=0' }, { 'Alert-Info': '<http://x>;info=alert-autoanswer' }]) {
      const e = evaluateIncomingCall(call(headers), { settings: settings({ use_headset: true }), deviceStatus: absent });
      expect(e.decision).toEqual({});
      expect(e.blockedByHeadset).toBe(true);
    }
    const policy = evaluateIncomingCall(call(), { settings: settings({ use_headset: true, auto_answer: true }), deviceStatus: absent });
    expect(policy.decision).toEqual({});
  });

  it('use_headset=1 without headset and no auto-answer request: no opinion', () => {
    const e = evaluateIncomingCall(call(), { settings: settings({ use_headset: true }), deviceStatus: absent });
    expect(e.decision).toBeUndefined();
    expect(e.blockedByHeadset).toBe(false);
  });

  it('reject_session_when_headset_na=1 without headset: rejected with 480 by default, or the configured code', () => {
    const e = evaluateIncomingCall(call(), { settings: settings({ use_headset: true, reject: true }), deviceStatus: absent });
    expect(e.decision).toEqual({ rejectWith: { code: 480, reason: 'Headset Not Available' } });
    const withMarker = evaluateIncomingCall(call({ 'Answer-Mode': 'Auto' }), { settings: settings({ use_headset: true, reject: true, code: 603 }), deviceStatus: absent });
    expect(withMarker.decision).toEqual({ rejectWith: { code: 603, reason: 'Headset Not Available' } });
    expect(withMarker.blockedByHeadset).toBe(true);
  });

  it('an out-of-range sip_code_when_headset_na falls back to 480', () => {
    for (const code of [200, 99, 700, 480.5]) {
      const e = evaluateIncomingCall(call(), { settings: settings({ use_headset: true, reject: true, code }), deviceStatus: absent });
      expect(e.decision).toEqual({ rejectWith: { code: 480, reason: 'Headset Not Available' } });
    }
  });

  it('reject_session_when_headset_na=1 with the headset present, or with use_headset=0: no rejection', () => {
    expect(evaluateIncomingCall(call(), { settings: settings({ use_headset: true, reject: true }), deviceStatus: present }).decision).toBeUndefined();
    let asked = 0;
    const e = evaluateIncomingCall(call({ 'Answer-Mode': 'Auto' }), {
      settings: settings({ use_headset: false, reject: true }),
      deviceStatus: () => {
        asked++;
        return { headsetPresent: false };
      },
    });
    expect(e.decision).toEqual({ autoAnswerAfterMs: 0 });
    expect(asked).toBe(0);
  });

  it('reads the settings on every call (live changes apply to the next call)', () => {
    let auto = false;
    const p = createGenesysProvider({ settings: () => ({ policy: { session: { auto_answer: auto } } }), deviceStatus: present });
    const s = new FakeSession('Alerting');
    expect(p.onIncomingCall?.(call(), s)).toBeUndefined();
    auto = true;
    expect(p.onIncomingCall?.(call(), s)).toEqual({ autoAnswerAfterMs: 0 });
  });

  it('works on the typed configuration of @sip-endpoint/config (defaults, and runtime keys set live)', () => {
    const service = new ConfigurationService(createConfig({}));
    try {
      const p = createGenesysProvider({ settings: () => service.config, deviceStatus: absent });
      const s = new FakeSession('Alerting');
      expect(p.onIncomingCall?.(call(), s)).toBeUndefined();
      service.set('policy.session.auto_answer', '1');
      expect(p.onIncomingCall?.(call(), s)).toEqual({ autoAnswerAfterMs: 0 });
      service.set('policy.device.use_headset', '1');
      expect(p.onIncomingCall?.(call(), s)).toEqual({});
      service.set('policy.session.reject_session_when_headset_na', '1');
      service.set('policy.session.sip_code_when_headset_na', '486');
      expect(p.onIncomingCall?.(call(), s)).toEqual({ rejectWith: { code: 486, reason: 'Headset Not Available' } });
    } finally {
      service.dispose();
    }
  });
});

describe('NOTIFY talk / hold', () => {
  it.each([
    ['talk', 'Alerting', false, 'incoming', 'answer'],
    ['TALK', 'Alerting', false, 'incoming', 'answer'],
    [' Talk ', 'Alerting', false, 'incoming', 'answer'],
    ['talk', 'Connected', true, 'incoming', 'retrieve'],
    ['talk', 'Connected', true, 'outgoing', 'retrieve'],
    ['talk', 'Connected', false, 'incoming', 'none'],
    ['talk', 'InProgress', false, 'outgoing', 'none'],
    ['talk', 'Disconnected', false, 'incoming', 'none'],
    ['hold', 'Connected', false, 'incoming', 'hold'],
    ['Hold', 'Connected', false, 'outgoing', 'hold'],
    ['hold', 'Connected', true, 'incoming', 'none'],
    ['hold', 'Alerting', false, 'incoming', 'none'],
    ['conference', 'Connected', false, 'incoming', 'none'],
    ['', 'Connected', false, 'incoming', 'none'],
  ] as const)('Event: %s on %s (held=%s, %s) -> %s', (event, state, held, direction, action) => {
    expect(notifyAction(event, { state, held, direction })).toBe(action);
  });

  it('talk answers a ringing call through SessionControl and reports it handled', async () => {
    const p = createGenesysProvider({ settings: settings(), deviceStatus: present });
    const s = new FakeSession('Alerting');
    await expect(p.onNotify!({ sessionId: s.id, event: 'talk', header: () => undefined, body: '' }, s)).resolves.toBe(true);
    expect(s.calls).toEqual(['answer']);
    expect(s.state).toBe('Connected');
  });

  it('hold holds, then talk retrieves', async () => {
    const p = createGenesysProvider({ settings: settings(), deviceStatus: present });
    const s = new FakeSession('Connected');
    await p.onNotify!({ sessionId: s.id, event: 'hold', header: () => undefined, body: '' }, s);
    expect(s.held).toBe(true);
    await p.onNotify!({ sessionId: s.id, event: 'talk', header: () => undefined, body: '' }, s);
    expect(s.calls).toEqual(['hold', 'retrieve']);
    expect(s.held).toBe(false);
  });

  it('a repeated talk on a connected call does nothing (handled), another package is not handled', async () => {
    const p = createGenesysProvider({ settings: settings(), deviceStatus: present });
    const s = new FakeSession('Connected');
    await expect(p.onNotify!({ sessionId: s.id, event: 'talk', header: () => undefined, body: '' }, s)).resolves.toBe(true);
    await expect(p.onNotify!({ sessionId: s.id, event: 'dialog', header: () => undefined, body: '' }, s)).resolves.toBe(false);
    expect(s.calls).toEqual([]);
  });

  it('a failing verb rejects onNotify (the endpoint isolates and logs it)', async () => {
    const p = createGenesysProvider({ settings: settings(), deviceStatus: present });
    const s = new FakeSession('Connected');
    s.hold = () => Promise.reject(new Error('491 twice'));
    await expect(p.onNotify!({ sessionId: s.id, event: 'hold', header: () => undefined, body: '' }, s)).rejects.toThrow('491 twice');
  });
});

describe('headers', () => {
  it('adds no header of its own: Allow-Events comes from the signaling UA and must not be duplicated', () => {
    const p = createGenesysProvider({ settings: settings(), deviceStatus: present });
    expect(p.id).toBe('genesys');
    for (const kind of ['invite', 'provisional', 'answer'] as const) expect(p.provideHeaders?.({ kind })).toBeUndefined();
  });
});
