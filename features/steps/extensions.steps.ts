/**
 * Steps of extensions.feature: providers of the extension model registered by the desktop at run
 * time (`registerCallControlProvider`, `registerCodecProvider`, `registerDeviceProvider`), each
 * judged by what happens on a real call, and providers that throw (isolated by the endpoint and
 * logged as warnings, read through `registerLogSink`).
 */
import assert from 'node:assert/strict';
import { Given, Then } from '@cucumber/cucumber';
import { SessionState } from '@sip-endpoint/endpoint';
import { MemorySink, ToneSource, type AudioDeviceInfo, type AudioSink, type AudioSource } from '@sip-endpoint/media-native';
import { dominant, sleep, until } from '../support/peers';
import { settle, TONE_OF, TONES, type CallWorld } from '../support/world';

/** Registers `dispose` to run after the scenario. */
function keep(world: CallWorld, d: { dispose(): void }): void {
  world.cleanups.push(() => d.dispose());
}

// ------------------------------------------------------------------ call control

Given("{actor}'s desktop answers calls from {string} at once", async function (this: CallWorld, name: string, vip: string) {
  const p = await this.ensure(name);
  keep(
    this,
    p.endpoint.registerCallControlProvider({
      id: 'vip-auto-answer',
      // The caller's address is `sip:<user>@host`: a VIP is known by the user part.
      onIncomingCall: (call) => (new RegExp(`^<?sips?:${vip}@`, 'i').test(call.from.replace(/^.*?</, '<')) ? { autoAnswerAfterMs: 0 } : undefined),
    }),
  );
});

Given("{actor}'s desktop refuses calls carrying {string} with {int} {string}", async function (this: CallWorld, name: string, header: string, code: number, reason: string) {
  const [field = '', value = ''] = header.split(/:\s*/, 2);
  const p = await this.ensure(name);
  keep(
    this,
    p.endpoint.registerCallControlProvider({
      id: 'campaign-filter',
      onIncomingCall: (call) => (call.header(field) === value ? { rejectWith: { code, reason } } : undefined),
    }),
  );
});

Then("{actor}'s call is connected without her answering", async function (this: CallWorld, name: string) {
  const call = await this.awaitCall(name);
  assert.equal(call.direction, 'incoming');
  // No step calls answer(): the desktop's provider did.
  await settle(call, SessionState.Connected, 5000);
});

Then("{actor}'s call is still ringing a second later", async function (this: CallWorld, name: string) {
  await sleep(1000);
  assert.equal(this.call(name).state, SessionState.Alerting);
});

// ------------------------------------------------------------------ codecs

Given(/^(Alice|Bob) and (Alice|Bob) have the codecs (\S+) first, then (\S+)$/, function (this: CallWorld, a: string, b: string, first: string, second: string) {
  for (const n of [a, b]) this.setup(n).codecs = { [first]: 100, [second]: 90, 'telephone-event': 50 };
});

Given("{actor}'s desktop orders the codecs with {word} first", async function (this: CallWorld, name: string, codec: string) {
  const p = await this.ensure(name);
  const want = codec.toLowerCase();
  keep(
    this,
    p.endpoint.registerCodecProvider({
      id: 'prefer-codec',
      orderCodecs: (available) => [...available.filter((c) => c.toLowerCase() === want), ...available.filter((c) => c.toLowerCase() !== want)],
    }),
  );
});

// ------------------------------------------------------------------ devices

const DEFAULT_DEVICE: AudioDeviceInfo = { name: 'default', description: 'Default sound device', input: true, output: true };
const HEADSET: AudioDeviceInfo = { name: 'hw:CARD=Headset,DEV=0', description: 'USB Headset, USB Audio', input: true, output: true };
/** What each fake microphone plays: the headset Alice's own tone, the default device 2000 Hz. */
const MIC_TONE: Readonly<Record<string, number>> = { [HEADSET.name]: TONE_OF['Alice'] ?? 1000, [DEFAULT_DEVICE.name]: 2000 };
/** The speakers each world's fake devices opened, by device name. */
const speakers = new WeakMap<CallWorld, Map<string, MemorySink>>();

Given(/^(Alice)'s computer has a default sound device and a USB headset, and her settings name no device$/, function (this: CallWorld, name: string) {
  const opened = new Map<string, MemorySink>();
  speakers.set(this, opened);
  this.cleanups.push(() => {
    for (const s of opened.values()) s.dispose();
  });
  const s = this.setup(name);
  s.options = {
    ...s.options,
    // No test tone or recorder: the calls open the (fake) devices chosen for them.
    audio: {},
    devices: {
      enumerate: () => [DEFAULT_DEVICE, HEADSET],
      openSource: (dev: string): AudioSource => new ToneSource({ frequencyHz: MIC_TONE[dev] ?? 1500, levelDbov: -12 }),
      openSink: (dev: string): AudioSink => {
        const sink = new MemorySink({ sampleRate: 8000, capacitySamples: 8000 * 4 });
        opened.get(dev)?.dispose();
        opened.set(dev, sink);
        return sink;
      },
    },
  };
});

Given("{actor}'s desktop chooses the device whose name contains {string} for her calls", async function (this: CallWorld, name: string, part: string) {
  const p = await this.ensure(name);
  const pick = (devices: readonly string[]): string | undefined => devices.find((d) => d.includes(part));
  keep(this, p.endpoint.registerDeviceProvider({ id: 'desk-devices', selectInput: pick, selectOutput: pick }));
});

Then("Bob hears the microphone of Alice's headset", async function (this: CallWorld) {
  const sink = this.actor('Bob').sinks.at(-1);
  assert.ok(sink, 'Bob has no audio sink');
  await sleep(300);
  sink.pull();
  await sleep(600);
  const pcm = sink.pull();
  const d = dominant(pcm, TONES);
  assert.ok(pcm.length > 2000, `Bob received only ${pcm.length} samples`);
  assert.equal(d.freq, MIC_TONE[HEADSET.name], `Bob hears ${d.freq} Hz, not the headset's microphone`);
  assert.ok(d.ratio > 5, `the tone is not clear (ratio ${d.ratio.toFixed(1)})`);
});

Then('Alice hears Bob in the speaker of her headset', async function (this: CallWorld) {
  const opened = speakers.get(this);
  assert.deepEqual([...(opened?.keys() ?? [])], [HEADSET.name], 'the speakers the call opened');
  const sink = opened?.get(HEADSET.name);
  assert.ok(sink);
  sink.pull();
  await sleep(600);
  const pcm = sink.pull();
  assert.ok(pcm.length > 2000, `the headset played only ${pcm.length} samples`);
  assert.equal(dominant(pcm, TONES).freq, TONE_OF['Bob'], "the headset does not play Bob's tone");
});

// ------------------------------------------------------------------ failing providers

Given("{actor}'s desktop keeps her endpoint's log records", async function (this: CallWorld, name: string) {
  const p = await this.ensure(name);
  const records: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  this.logs.set(name, records);
  keep(this, p.endpoint.registerLogSink((r) => records.push({ level: r.level, message: r.message, fields: { ...r.fields } })));
});

Given("{actor}'s desktop has a call-control provider {string} that fails on every incoming call", async function (this: CallWorld, name: string, id: string) {
  const p = await this.ensure(name);
  keep(
    this,
    p.endpoint.registerCallControlProvider({
      id,
      onIncomingCall: () => {
        throw new Error('the CRM lookup is down');
      },
    }),
  );
});

Given("{actor}'s desktop has a codec provider {string} that fails every time", async function (this: CallWorld, name: string, id: string) {
  const p = await this.ensure(name);
  keep(
    this,
    p.endpoint.registerCodecProvider({
      id,
      orderCodecs: () => {
        throw new Error('codec table missing');
      },
    }),
  );
});

Then("{actor}'s log has a warning that provider {string} failed and was skipped", async function (this: CallWorld, name: string, id: string) {
  const records = this.logs.get(name);
  assert.ok(records, `${name}'s log is not kept (add the Given step)`);
  const hit = (): boolean => records.some((r) => r.level === 'warn' && r.fields['provider'] === id && /skipped/.test(r.message));
  await until(hit, 2000, `a warning about ${id}`).catch(() => undefined);
  assert.ok(hit(), `no warning about provider ${id} among ${records.filter((r) => r.level === 'warn').map((r) => `${r.message} ${JSON.stringify(r.fields)}`).join('; ') || 'no warnings'}`);
});
