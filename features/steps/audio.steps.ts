/**
 * Steps of audio.feature: mute (per call and for every call), speaker mute, microphone and speaker
 * volumes (levels measured at the listener), the call statistics with the Genesys keys and MOS,
 * and a headset unplugged during a call (an injected device list whose "devices" are tone sources
 * and memory sinks: the audio path through the engine is real, the sound cards are not).
 */
import assert from 'node:assert/strict';
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { SessionState, type DevicesChangeEvent } from '@sip-endpoint/endpoint';
import { MemorySink, ToneSource, type AudioDeviceInfo, type AudioSink, type AudioSource } from '@sip-endpoint/media-native';
import { dominant, sleep, until } from '../support/peers';
import { levelDb, settle, TONE_OF, TONES, type CallWorld } from '../support/world';


/** What `listener` received on her newest audio sink over `ms` (after letting a change settle). */
async function listen(world: CallWorld, listener: string, ms = 600, sink?: MemorySink): Promise<Int16Array> {
  const s = sink ?? world.actor(listener).sinks.at(-1);
  assert.ok(s, `${listener} has no audio sink (no call media yet)`);
  await sleep(300);
  s.pull();
  await sleep(ms);
  return s.pull();
}

When('{actor} mutes her microphone on the call', function (this: CallWorld, name: string) {
  this.call(name).mute(true);
});

When('{actor} unmutes her microphone on the call', function (this: CallWorld, name: string) {
  this.call(name).mute(false);
});

When(/^(Alice|Bob|Carol)'s desktop (mutes|unmutes) (?:her|his) (microphone|speaker)$/, function (this: CallWorld, name: string, what: string, device: string) {
  const endpoint = this.actor(name).endpoint;
  if (device === 'microphone') endpoint.micMuted = what === 'mutes';
  else endpoint.speakerMuted = what === 'mutes';
});

Then('{actor} hears silence from {actor}', async function (this: CallWorld, listener: string, speaker: string) {
  const pcm = await listen(this, listener);
  // Muted audio still flows as silence (or not at all): nothing near the speaker's tone level (-15 dBFS).
  const db = levelDb(pcm);
  assert.ok(db < -50, `${listener} still hears ${db.toFixed(1)} dBFS from ${speaker} (${dominant(pcm, TONES).freq} Hz)`);
});

When(/^(Alice|Bob|Carol)'s desktop sets (?:her|his) (microphone|speaker) volume to ([\d.]+)$/, function (this: CallWorld, name: string, device: string, gain: string) {
  const endpoint = this.actor(name).endpoint;
  if (device === 'microphone') endpoint.micVolume = Number(gain);
  else endpoint.speakerVolume = Number(gain);
});

Then(/^(Alice|Bob|Carol) hears (Alice|Bob|Carol) about (\d+) dB quieter than before$/, async function (this: CallWorld, listener: string, speaker: string, db: string) {
  const before = this.levels.get(`${listener}>${speaker}`);
  assert.ok(before !== undefined, `nobody measured how loud ${listener} heard ${speaker} before (a "${listener} hears ${speaker}" step)`);
  const pcm = await listen(this, listener);
  assert.equal(dominant(pcm, TONES).freq, TONE_OF[speaker], `${listener} no longer hears ${speaker}'s tone`);
  const drop = before - levelDb(pcm);
  // 20 log10(0.25) = -12 dB; the codec's quantisation and the tone's start allow a few dB.
  assert.ok(Math.abs(drop - Number(db)) <= 3, `${listener} hears ${speaker} ${drop.toFixed(1)} dB quieter (was ${before.toFixed(1)} dBFS)`);
});

Then("{actor}'s desktop reads her microphone volume {float} and her speaker volume {float}", function (this: CallWorld, name: string, mic: number, speaker: number) {
  const endpoint = this.actor(name).endpoint;
  assert.deepEqual({ mic: endpoint.micVolume, speaker: endpoint.speakerVolume }, { mic, speaker });
});

// ------------------------------------------------------------------ statistics

When('their phones have exchanged call quality reports \\(RTCP)', async function (this: CallWorld) {
  const call = this.call('Alice');
  // RFC 3550 §6.2: the first report comes after about 2.5 s (randomised), the round trip needs a
  // report that echoes one of ours: the second round at the latest.
  await until(() => {
    const s = call.statistics();
    return !!s && s['Got Remote RR'] && s['Got Remote SR'] && s.RTT >= 0 && s['Remote Pkt Count'] > 0;
  }, 20_000, "Alice's RTCP reports");
});

Then("{actor}'s ended call still has its statistics, with every Genesys key:", function (this: CallWorld, name: string, table: DataTable) {
  const call = this.call(name);
  assert.equal(call.state, SessionState.Disconnected);
  const stats = call.statistics();
  assert.ok(stats, `${name}'s ended call has no statistics`);
  const keys = table.raw().flat().map((k) => k.trim()).filter(Boolean);
  assert.equal(keys.length, 16);
  for (const k of keys) {
    const v = (stats as unknown as Record<string, unknown>)[k];
    assert.ok(typeof v === 'number' || typeof v === 'boolean', `statistics key "${k}" is ${JSON.stringify(v)}`);
  }
});

Then("{actor}'s statistics show the reports of both sides, no loss and a round trip under {int} ms", function (this: CallWorld, name: string, rtt: number) {
  const s = this.call(name).statistics();
  assert.ok(s);
  assert.equal(s['Got Local Stat'], true);
  assert.equal(s['Got Remote RR'], true);
  assert.equal(s['Got Remote SR'], true);
  assert.ok(s['Local Pkt Count'] > 50 && s['Local Oct Count'] > s['Local Pkt Count'], `local counts ${s['Local Pkt Count']} / ${s['Local Oct Count']}`);
  assert.ok(s['Remote Pkt Count'] > 50, `remote count ${s['Remote Pkt Count']}`);
  assert.equal(s['Local Total Lost'], 0);
  assert.equal(s['Remote Total Lost'], 0);
  assert.ok(s.RTT >= 0 && s.RTT < rtt, `RTT ${s.RTT} ms`);
});

Then("{actor}'s call scored a MOS of at least {float} for the whole call and for the last interval", function (this: CallWorld, name: string, min: number) {
  const s = this.call(name).statistics();
  assert.ok(s);
  // ITU-T G.107 E-model: G.711 without loss or delay is about 4.4 (the scale tops out at 4.5).
  assert.ok(s.MOS >= min && s.MOS <= 4.5, `MOS ${s.MOS}`);
  assert.ok(s['MOS Interval'] >= min && s['MOS Interval'] <= 4.5, `MOS Interval ${s['MOS Interval']}`);
});

// ------------------------------------------------------------------ devices

const DEFAULT_DEVICE: AudioDeviceInfo = { name: 'default', description: 'Default sound device', input: true, output: true };
const HEADSET: AudioDeviceInfo = { name: 'hw:CARD=Headset,DEV=0', description: 'USB Headset, USB Audio', input: true, output: true };
/** What each fake microphone plays: the headset Alice's own 1000 Hz, the default device 2000 Hz. */
const MIC_TONE: Readonly<Record<string, number>> = { headset: 1000, default: 2000 };

interface FakeDevices {
  present: AudioDeviceInfo[];
  readonly speakers: Map<string, MemorySink>;
  readonly changes: DevicesChangeEvent[];
}
const fakeDevices = new WeakMap<CallWorld, FakeDevices>();

function devicesOf(world: CallWorld): FakeDevices {
  const d = fakeDevices.get(world);
  if (!d) throw new Error('no fake sound devices (add the Given step)');
  return d;
}

const deviceName = (which: string): string => (which === 'headset' ? HEADSET.name : DEFAULT_DEVICE.name);

Given(/^(Alice)'s computer has a USB headset and a default sound device, and her policy prefers the headset$/, function (this: CallWorld, name: string) {
  const d: FakeDevices = { present: [DEFAULT_DEVICE, HEADSET], speakers: new Map(), changes: [] };
  fakeDevices.set(this, d);
  this.cleanups.push(() => {
    for (const s of d.speakers.values()) s.dispose();
  });
  const s = this.setup(name);
  // genesys-compat §3: with use_headset the first present headset_name (regex) is used.
  s.config = { ...s.config, policy: { device: { use_headset: true, headset_name: ['Headset'] } } };
  s.options = {
    ...s.options,
    // No test tone/recorder: the calls open the (fake) devices the policy picks.
    audio: {},
    devices: {
      enumerate: () => d.present,
      pollIntervalMs: 200,
      openSource: (dev: string): AudioSource => new ToneSource({ frequencyHz: dev === HEADSET.name ? MIC_TONE['headset']! : MIC_TONE['default']!, levelDbov: -12 }),
      openSink: (dev: string): AudioSink => {
        const sink = new MemorySink({ sampleRate: 8000, capacitySamples: 8000 * 4 });
        d.speakers.get(dev)?.dispose();
        d.speakers.set(dev, sink);
        return sink;
      },
    },
  };
});

Then(/^Bob hears Alice's (headset|default) microphone$/, async function (this: CallWorld, which: string) {
  const want = MIC_TONE[which];
  const pcm = await listen(this, 'Bob');
  const d = dominant(pcm, TONES);
  assert.ok(pcm.length > 2000, `Bob received only ${pcm.length} samples`);
  assert.equal(d.freq, want, `Bob hears ${d.freq} Hz, not Alice's ${which} microphone (${want} Hz)`);
  assert.ok(d.ratio > 5, `the tone is not clear (ratio ${d.ratio.toFixed(1)})`);
});

async function speakerPlaysBob(world: CallWorld, dev: string): Promise<void> {
  const sink = devicesOf(world).speakers.get(dev);
  assert.ok(sink, `Alice's call never opened the speaker "${dev}"`);
  const pcm = await listen(world, 'Alice', 600, sink);
  assert.ok(pcm.length > 2000, `the speaker "${dev}" played only ${pcm.length} samples`);
  assert.equal(dominant(pcm, TONES).freq, TONE_OF['Bob'], `the speaker "${dev}" plays ${dominant(pcm, TONES).freq} Hz, not Bob's tone`);
}

Then('Alice hears Bob in her headset', async function (this: CallWorld) {
  await speakerPlaysBob(this, HEADSET.name);
});

Then('Alice hears Bob on her default speaker', async function (this: CallWorld) {
  await speakerPlaysBob(this, DEFAULT_DEVICE.name);
});

When(/^Alice's (headset) is unplugged$/, function (this: CallWorld, which: string) {
  const d = devicesOf(this);
  const sub = this.actor('Alice').endpoint.onDidChangeDevices((e) => d.changes.push(e));
  this.cleanups.push(() => sub.dispose());
  d.present = d.present.filter((x) => x.name !== deviceName(which));
});

Then("Alice's desktop is told the headset was removed", async function (this: CallWorld) {
  const d = devicesOf(this);
  // The device list is polled every 200 ms here (every 2 s by default).
  await until(() => d.changes.length > 0, 3000, 'onDidChangeDevices');
  assert.deepEqual(d.changes[0]?.removed.map((x) => x.name), [HEADSET.name]);
  assert.equal(this.actor('Alice').endpoint.headsetPresent(), false);
});

Then("{actor}'s call is still connected", async function (this: CallWorld, name: string) {
  await sleep(200);
  await settle(this.call(name), SessionState.Connected, 100);
});
