/**
 * Sound device hot-plug with an injected fake enumerator (no sound card exists on CI machines):
 * `onDidChangeDevices` reports added/removed devices found by the poll on the injected clock, and
 * a call whose headset disappears moves to the default device (then to a null device when nothing
 * is left) without ending. The fake devices are tone sources and memory sinks, so the far end
 * hears which "device" the call uses.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite, nullLogger, VirtualClock } from '@sip-endpoint/base';
import { MemorySink, NullSink, NullSource, ToneSource, type AudioDeviceInfo, type AudioSink, type AudioSource } from '@sip-endpoint/media-native';
import { SessionState } from '../src/index';
import { EndpointDevices, type DevicesChangeEvent } from '../src/devices';
import { connect, dominant, party, sleep, type Party } from './support/endpoints';

const DEFAULT: AudioDeviceInfo = { name: 'default', description: 'Default ALSA device', input: true, output: true };
const HEADSET: AudioDeviceInfo = { name: 'hw:CARD=Headset,DEV=0', description: 'USB Headset, USB Audio', input: true, output: true };
const TONES = [500, 1000, 1500];

describe('EndpointDevices: enumeration polled on the clock', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('reports added and removed devices once per change, polls at the interval, stops when disposed', () => {
    const clock = new VirtualClock();
    let present: AudioDeviceInfo[] = [DEFAULT];
    let scans = 0;
    const devices = new EndpointDevices({ enumerate: () => (scans++, present), pollIntervalMs: 1000 }, clock, nullLogger);
    const events: DevicesChangeEvent[] = [];
    devices.onDidChangeDevices((e) => events.push(e));
    expect(devices.devices).toEqual([DEFAULT]);
    expect(devices.polling).toBe(true);

    present = [DEFAULT, HEADSET];
    clock.advance(999);
    expect(events).toHaveLength(0); // not polled yet
    clock.advance(1);
    expect(events).toHaveLength(1);
    expect(events[0]!.added.map((d) => d.name)).toEqual([HEADSET.name]);
    expect(events[0]!.removed).toEqual([]);
    expect(devices.devices.map((d) => d.name)).toEqual([DEFAULT.name, HEADSET.name]);

    clock.advance(3000); // no change: no event
    expect(events).toHaveLength(1);

    present = [DEFAULT];
    clock.advance(1000);
    expect(events).toHaveLength(2);
    expect(events[1]!.removed.map((d) => d.name)).toEqual([HEADSET.name]);
    expect(events[1]!.added).toEqual([]);

    // A device that loses a direction counts as removed and added with its new directions.
    present = [{ ...DEFAULT, input: false }];
    expect(devices.rescan()).toBe(true);
    expect(events[2]!.removed.map((d) => d.name)).toEqual(['default']);

    const before = scans;
    devices.dispose();
    clock.advance(5000);
    expect(scans).toBe(before);
    expect(clock.pendingCount).toBe(0);
  });

  it('pollIntervalMs 0 does not poll; a failing enumerator keeps the last list', () => {
    const clock = new VirtualClock();
    let fail = false;
    const devices = new EndpointDevices(
      {
        enumerate: () => {
          if (fail) throw new Error('snd_device_name_hint failed');
          return [DEFAULT];
        },
        pollIntervalMs: 0,
      },
      clock,
      nullLogger,
    );
    expect(devices.polling).toBe(false);
    expect(clock.pendingCount).toBe(0);
    fail = true;
    expect(devices.rescan()).toBe(false);
    expect(devices.devices).toEqual([DEFAULT]);
    devices.dispose();
  });

  it('remembers which device name a source or sink was opened from', () => {
    const opened: string[] = [];
    const devices = new EndpointDevices(
      {
        enumerate: () => [DEFAULT, HEADSET],
        openSource: (name) => (opened.push(`in:${name}`), new NullSource()),
        openSink: (name) => (opened.push(`out:${name}`), new NullSink()),
        pollIntervalMs: 0,
      },
      new VirtualClock(),
      nullLogger,
    );
    const src = devices.openSource(HEADSET.name);
    const snk = devices.openSink(DEFAULT.name);
    const other = new NullSource();
    expect(opened).toEqual([`in:${HEADSET.name}`, 'out:default']);
    expect(devices.nameOf(src)).toBe(HEADSET.name);
    expect(devices.nameOf(snk)).toBe('default');
    expect(devices.nameOf(other)).toBeUndefined();
    const gone: DevicesChangeEvent = { added: [], removed: [HEADSET], devices: [DEFAULT] };
    expect(devices.isRemoved(src, gone)).toBe(true);
    expect(devices.isRemoved(snk, gone)).toBe(false);
    expect(devices.isRemoved(other, gone)).toBe(false);
    for (const d of [src, snk, other, devices]) d.dispose();
  });
});

describe('endpoint: a call survives the removal of its headset', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const parties: Party[] = [];
  const owned: { dispose(): void }[] = [];
  afterEach(async () => {
    for (const p of parties.splice(0)) await p.endpoint.shutdown();
    for (const d of owned.splice(0)) d.dispose();
  });

  it('headset removed mid-call: the call moves to the default device, then to null devices; onDidChangeDevices reports it', async () => {
    const clock = new VirtualClock();
    let present: AudioDeviceInfo[] = [DEFAULT, HEADSET];
    // The fake "microphones" play a tone per device so that bob hears which one alice's call uses.
    const micTone: Record<string, number> = { [HEADSET.name]: 1000, default: 1500 };
    const opened: string[] = [];
    const speakers = new Map<string, MemorySink>();
    const released = new Set<string>();
    const alice = await party(
      'alice',
      0,
      { policy: { device: { use_headset: true, headset_name: ['Headset'] } } },
      {
        clock,
        audio: {},
        devices: {
          enumerate: () => present,
          pollIntervalMs: 1000,
          openSource: (name): AudioSource => {
            opened.push(`in:${name}`);
            return new ToneSource({ frequencyHz: micTone[name] ?? 300, levelDbov: -12 });
          },
          openSink: (name): AudioSink => {
            opened.push(`out:${name}`);
            const s = new MemorySink({ sampleRate: 8000, capacitySamples: 8000 * 4 });
            const dispose = s.dispose.bind(s);
            s.dispose = () => {
              released.add(name);
              dispose();
            };
            speakers.set(name, s);
            owned.push(s);
            return s;
          },
        },
      },
    );
    parties.push(alice);
    const bob = await party('bob', 500);
    parties.push(bob);
    expect(alice.endpoint.headsetPresent()).toBe(true);

    const changes: DevicesChangeEvent[] = [];
    const { out, inc } = await connect(alice, bob);
    owned.push(...bob.sinks);
    alice.endpoint.onDidChangeDevices((e) => {
      // The call has moved already when the endpoint reports the change.
      changes.push(e);
      expect(opened.at(-1)).not.toContain(HEADSET.name);
    });
    expect(opened).toEqual([`in:${HEADSET.name}`, `out:${HEADSET.name}`]);
    const bobHears = async (): Promise<number> => {
      const sink = bob.sinks[0]!;
      sink.pull();
      await sleep(600);
      return dominant(sink.pull(), TONES).freq;
    };
    expect(await bobHears()).toBe(1000); // the headset microphone
    expect(speakers.get(HEADSET.name)!.pull().length).toBeGreaterThan(1000);

    // The headset is unplugged: the next poll sees it.
    present = [DEFAULT];
    clock.advance(1000);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.removed.map((d) => d.name)).toEqual([HEADSET.name]);
    expect(opened.slice(2)).toEqual(['in:default', 'out:default']);
    expect(alice.endpoint.headsetPresent()).toBe(false);
    expect(out.state).toBe(SessionState.Connected);
    expect(await bobHears()).toBe(1500); // the default microphone now
    const defaultSpeaker = speakers.get('default')!;
    defaultSpeaker.pull();
    await sleep(400);
    expect(dominant(defaultSpeaker.pull(), TONES).freq).toBe(500); // alice hears bob on the default speaker
    expect([...released]).toEqual([HEADSET.name]); // the old device was released

    // Nothing left: null devices, the call still goes on (bob gets silence, not the old tone).
    present = [];
    clock.advance(1000);
    expect(changes).toHaveLength(2);
    expect(opened).toHaveLength(4); // null devices are not opened through the enumerator
    const sink = bob.sinks[0]!;
    sink.pull();
    await sleep(500);
    const pcm = sink.pull();
    expect(pcm.length).toBeGreaterThan(2000);
    // The audio in flight (jitter buffer) still carries the old tone; the second half is silence.
    const tail = pcm.subarray(pcm.length >> 1);
    expect(Math.max(...tail.map((v) => Math.abs(v)))).toBeLessThan(200);
    expect(out.state).toBe(SessionState.Connected);
    expect(inc.state).toBe(SessionState.Connected);

    // Plugged in again: reported as added (the running call stays where it is).
    present = [DEFAULT, HEADSET];
    clock.advance(1000);
    expect(changes).toHaveLength(3);
    expect(changes[2]!.added.map((d) => d.name)).toEqual([DEFAULT.name, HEADSET.name]);
    expect(alice.endpoint.headsetPresent()).toBe(true);
  });
});
