/** Data of the stories: lines, calls, devices and quality samples in every state. */
import { fn } from 'storybook/test';
import type { CallView, DevicesView, LineView, QualitySample, Snapshot } from '../../protocol';
import type { CallActions } from '../components/SessionCard';

/** A fixed "now" so timers render the same in every run. */
export const NOW = Date.UTC(2026, 0, 15, 10, 0, 0);

export const readyLine: LineView = { id: '0:2001@sip-a.example:5060', index: 0, user: '2001', server: 'sip-a.example:5060', state: 'Ready', registers: true };
export const secondLine: LineView = { id: '1:2001@sip-b.example:5060', index: 1, user: '2001', server: 'sip-b.example:5060', state: 'Ready', registers: true };
export const failedLine: LineView = {
  id: '1:2001@sip-b.example:5060',
  index: 1,
  user: '2001',
  server: 'sip-b.example:5060',
  state: 'Failed',
  registers: true,
  lastError: 'REGISTER failed: 403 Forbidden',
};

/** A call in a given state. */
export function call(id: string, patch: Partial<CallView> = {}): CallView {
  return {
    id,
    lineId: readyLine.id,
    state: 'Connected',
    direction: 'outgoing',
    remote: 'sip:2002@sip-a.example',
    held: false,
    muted: false,
    startedAt: NOW - 75_000,
    connectedAt: NOW - 65_000,
    packetsSent: 3250,
    packetsReceived: 3248,
    codec: 'PCMU/8000',
    ...patch,
  };
}

export const ringing = call('call-ringing', { state: 'Alerting', connectedAt: undefined, direction: 'incoming', remote: 'sip:2002@sip-a.example', startedAt: NOW - 4_000, packetsSent: 0, packetsReceived: 0, codec: '' });
export const dialling = call('call-dialling', { state: 'InProgress', connectedAt: undefined, remote: 'sip:2003@sip-a.example', startedAt: NOW - 2_000, packetsSent: 0, packetsReceived: 0, codec: '' });
export const connected = call('call-connected');
export const held = call('call-held', { held: true, remote: 'sip:2004@sip-a.example' });
export const ended = call('call-ended', { state: 'Disconnected', endCause: { code: 200, reason: 'BYE', by: 'remote' } });

/** Fresh spies for every button of a call. */
export function callActions(): CallActions {
  return {
    answer: fn(),
    reject: fn(),
    hangup: fn(),
    hold: fn(),
    retrieve: fn(),
    mute: fn(),
    sendDtmf: fn(),
    transfer: fn(),
    consult: fn(),
    completeTransfer: fn(),
    conference: fn(),
  };
}

/** A minute of samples: good quality with a burst of loss and jitter in the middle. */
export function qualitySamples(sessionId: string, n = 60): QualitySample[] {
  return Array.from({ length: n }, (_, i) => {
    const burst = i >= 25 && i < 35;
    return {
      sessionId,
      t: NOW - (n - i) * 1000,
      mos: i < 2 ? 0 : burst ? 3.1 + 0.1 * Math.sin(i) : 4.35 + 0.05 * Math.sin(i / 3),
      jitterMs: burst ? 28 + 6 * Math.sin(i) : 2 + Math.abs(Math.sin(i / 2)),
      lossPct: burst ? 6 + 2 * Math.cos(i) : 0,
      packetsSent: i * 50,
      packetsReceived: i * 50 - (burst ? 3 : 0),
    };
  });
}

export const devices: DevicesView = {
  inputs: [
    { id: 'tone:440', label: 'Tone 440 Hz', kind: 'input' },
    { id: 'tone:1000', label: 'Tone 1000 Hz', kind: 'input' },
    { id: 'silence', label: 'Silence', kind: 'input' },
  ],
  outputs: [
    { id: 'record', label: 'Record to WAV', kind: 'output' },
    { id: 'discard', label: 'Discard', kind: 'output' },
  ],
  selectedInput: 'tone:440',
  selectedOutput: 'record',
  speakerVolume: 1,
  micVolume: 1,
  micMuted: false,
};

/** A USB headset plugged in and selected both ways (a call is using it). */
export const headsetInUse: DevicesView = {
  ...devices,
  inputs: [...devices.inputs, { id: 'card:hw:CARD=Headset,DEV=0', label: 'USB Headset', kind: 'input' }],
  outputs: [...devices.outputs, { id: 'card:hw:CARD=Headset,DEV=0', label: 'USB Headset', kind: 'output' }],
  selectedInput: 'card:hw:CARD=Headset,DEV=0',
  selectedOutput: 'card:hw:CARD=Headset,DEV=0',
};

/** The same headset unplugged mid-call: gone from the lists, the selection (and the call) back on the defaults. */
export const headsetRemoved: DevicesView = {
  ...devices,
  lastChange: { t: NOW, added: [], removed: ['USB Headset'], inputNow: 'Tone 440 Hz', outputNow: 'Record to WAV' },
};

/** A whole snapshot. */
export function snapshot(patch: Partial<Snapshot> = {}): Snapshot {
  return { agent: '2001', status: 'Active', lines: [readyLine], calls: [], devices, recordings: [], ...patch };
}
