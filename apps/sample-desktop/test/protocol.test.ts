import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, ProtocolError, parseClientMessage } from '../src/protocol';

const msg = (command: unknown, requestId: unknown = 'r1'): string => JSON.stringify({ type: 'command', requestId, command });

describe('protocol: parseClientMessage', () => {
  it('accepts every command with its fields', () => {
    const samples: Record<string, object> = {
      dial: { target: '2002' },
      answer: { sessionId: 's' },
      reject: { sessionId: 's', code: 603 },
      hangup: { sessionId: 's' },
      hold: { sessionId: 's' },
      retrieve: { sessionId: 's' },
      sendDtmf: { sessionId: 's', digits: '12#' },
      transfer: { sessionId: 's', target: '2003' },
      consult: { sessionId: 's', target: '2003' },
      completeTransfer: { sessionId: 's' },
      conference: { sessionId: 's', otherSessionId: 't' },
      mute: { muted: true },
      selectDevice: { kind: 'input', deviceId: 'tone:440' },
      setVolume: { kind: 'speaker', volume: 0.5 },
    };
    expect(Object.keys(samples).sort()).toEqual([...COMMAND_NAMES].sort());
    for (const [name, fields] of Object.entries(samples)) {
      const m = parseClientMessage(msg({ name, ...fields }, `id-${name}`));
      expect(m.requestId).toBe(`id-${name}`);
      expect(m.command).toEqual({ name, ...fields });
    }
  });

  it('refuses malformed messages with a ProtocolError that keeps the request id', () => {
    expect(() => parseClientMessage('{nope')).toThrow(ProtocolError);
    expect(() => parseClientMessage('42')).toThrow(/not an object/);
    expect(() => parseClientMessage(JSON.stringify({ type: 'command', command: { name: 'hold', sessionId: 's' } }))).toThrow(/requestId missing/);
    const cases: [unknown, RegExp][] = [
      [{ name: 'explode' }, /unknown command "explode"/],
      [{ name: 'hold' }, /field sessionId must be string/],
      [{ name: 'hold', sessionId: '' }, /field sessionId/],
      [{ name: 'setVolume', kind: 'speaker', volume: 'loud' }, /field volume must be number/],
      [{ name: 'selectDevice', kind: 'camera', deviceId: 'x' }, /field kind/],
      [{ name: 'mute', muted: 'yes' }, /field muted must be boolean/],
      [{ name: 'answer', sessionId: 's', extra: 1 }, /unknown field extra/],
      [null, /command missing/],
    ];
    for (const [command, re] of cases) {
      let err: unknown;
      try {
        parseClientMessage(msg(command, 'r9'));
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(command)).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).message).toMatch(re);
      expect((err as ProtocolError).requestId).toBe('r9');
      expect((err as ProtocolError).code).toBe('BAD_REQUEST');
    }
  });
});
