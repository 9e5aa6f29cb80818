import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { ensureNoDisposablesAreLeakedInTestSuite, ErrorCode } from '@sip-endpoint/base';
import {
  generateSrtpKey,
  listCodecs,
  MediaEngine,
  MemorySink,
  MemorySource,
  NativeEngineError,
  ToneSource,
  WavFileSink,
  type MediaCodec,
  type MediaStream,
} from '@sip-endpoint/media-native';
import { after, dominantFrequency, goertzel, LossyRelay, readWav, rms, sleep, until } from './support/audio';

const PORTS = { rtpPortMin: 43000, rtpPortMax: 43999 };

describe('media engine: streams between two endpoints of ours', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'media-engine-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A -> B tone over `codec`, recorded by B into a WAV; returns the recording. */
  async function toneThrough(codec: MediaCodec, ms = 1500): Promise<{ rate: number; samples: Int16Array }> {
    const engine = new MediaEngine(PORTS);
    const tone = new ToneSource({ frequencyHz: 1000, levelDbov: -10, sampleRate: 16000 });
    const path = join(dir, `${codec.name}.wav`);
    const rec = new WavFileSink({ path, sampleRate: 16000 });
    try {
      const b = engine.createStream({ codec, sink: rec });
      const a = engine.createStream({ codec, source: tone, remote: { address: '127.0.0.1', port: b.localPort } });
      expect(a.localPort % 2).toBe(0);
      await sleep(ms);
      expect(b.getStats().packetsReceived).toBeGreaterThan(ms / 20 / 2);
    } finally {
      engine.dispose();
      rec.dispose();
      tone.dispose();
    }
    return readWav(path);
  }

  const available = new Set(listCodecs().filter((c) => c.available).map((c) => c.name));
  const codecs: MediaCodec[] = [
    { name: 'PCMU' },
    { name: 'PCMA' },
    ...(available.has('G722') ? [{ name: 'G722' }] : []),
    ...(available.has('opus') ? [{ name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 }] : []),
    ...(available.has('G729') ? [{ name: 'G729' }] : []),
  ];

  for (const codec of codecs) {
    it(`a 1 kHz tone crosses ${codec.name} and the recording's dominant frequency is 1 kHz`, async () => {
      const wav = await toneThrough(codec);
      expect(wav.rate).toBe(16000);
      const tail = after(wav.samples, wav.rate, 600);
      expect(tail.length).toBeGreaterThan(8000);
      expect(Math.abs(dominantFrequency(tail, wav.rate) - 1000)).toBeLessThanOrEqual(25);
      expect(rms(tail)).toBeGreaterThan(1000);
    });
  }

  it('RFC 4733 digits sent by A are reported once each by B', async () => {
    const engine = new MediaEngine(PORTS);
    try {
      const b = engine.createStream({ codec: { name: 'PCMU' }, telephoneEvent: { payloadType: 101 } });
      const a = engine.createStream({ codec: { name: 'PCMU' }, telephoneEvent: { payloadType: 101 }, remote: { address: '127.0.0.1', port: b.localPort } });
      const got: string[] = [];
      b.onDidReceiveDtmf((e) => {
        got.push(e.digit);
        expect(e.durationMs).toBeGreaterThanOrEqual(60);
      });
      await until(() => b.getStats().packetsReceived > 5);
      a.sendDtmf('123*#', { durationMs: 80 });
      expect(await until(() => got.length >= 5, 4000)).toBe(true);
      await sleep(200);
      expect(got.join('')).toBe('123*#');
      expect(a.getStats().dtmfPacketsSent).toBeGreaterThanOrEqual(5 * 4);
      expect(() => a.sendDtmf('12x')).toThrow(NativeEngineError);
    } finally {
      engine.dispose();
    }
  });

  it('in-band DTMF is sent as tones in the audio', async () => {
    const engine = new MediaEngine(PORTS);
    const sink = new MemorySink({ sampleRate: 8000, capacitySamples: 8000 * 4 });
    try {
      const b = engine.createStream({ codec: { name: 'PCMU' }, sink });
      const a = engine.createStream({ codec: { name: 'PCMU' }, remote: { address: '127.0.0.1', port: b.localPort } });
      await until(() => b.getStats().packetsReceived > 10);
      sink.pull();
      a.sendDtmf('5', { durationMs: 400, method: 'inband' });
      await sleep(700);
      const x = sink.pull();
      // '5' is 770 Hz + 1336 Hz (ITU-T Q.23)
      expect(goertzel(x, 8000, 770)).toBeGreaterThan(20 * goertzel(x, 8000, 941));
      expect(goertzel(x, 8000, 1336)).toBeGreaterThan(20 * goertzel(x, 8000, 1477));
    } finally {
      engine.dispose();
      sink.dispose();
    }
  });

  it('hold: sendonly/inactive on A stops A sending; sendrecv resumes', async () => {
    const engine = new MediaEngine(PORTS);
    try {
      const b = engine.createStream({ codec: { name: 'PCMU' }, inactivityTimeoutMs: 300 });
      const a = engine.createStream({ codec: { name: 'PCMU' }, remote: { address: '127.0.0.1', port: b.localPort } });
      const timeouts: number[] = [];
      b.onDidTimeoutReceiving((e) => timeouts.push(e.timeoutMs));
      await until(() => b.getStats().packetsReceived > 10);
      a.update({ direction: 'inactive' });
      await sleep(250); // stats are published every 100 ms
      const sent = a.getStats().packetsSent;
      await sleep(500);
      expect(a.getStats().packetsSent).toBe(sent);
      expect(timeouts).toEqual([300]);
      expect(b.getStats().receiving).toBe(false);
      let resumed = false;
      b.onDidStartReceiving(() => (resumed = true));
      a.update({ direction: 'sendrecv' });
      expect(await until(() => resumed)).toBe(true);
      expect(await until(() => a.getStats().packetsSent > sent)).toBe(true);
      // A stream that does not expect media (sendonly: our hold) never times out.
      const c = engine.createStream({ codec: { name: 'PCMU' }, direction: 'sendonly', inactivityTimeoutMs: 100 });
      let cTimedOut = false;
      c.onDidTimeoutReceiving(() => (cTimedOut = true));
      await sleep(300);
      expect(cTimedOut).toBe(false);
    } finally {
      engine.dispose();
    }
  });

  it('mute sends silence and gain scales what is played', async () => {
    const engine = new MediaEngine(PORTS);
    const tone = new ToneSource({ frequencyHz: 500, levelDbov: -10 });
    const sink = new MemorySink({ capacitySamples: 8000 * 4 });
    try {
      const b = engine.createStream({ codec: { name: 'PCMU' }, sink });
      const a = engine.createStream({ codec: { name: 'PCMU' }, source: tone, remote: { address: '127.0.0.1', port: b.localPort } });
      await sleep(600);
      sink.pull();
      await sleep(400);
      const loud = rms(sink.pull());
      b.setGain({ receive: 0.5 });
      await sleep(300);
      sink.pull();
      await sleep(400);
      const half = rms(sink.pull());
      expect(half / loud).toBeGreaterThan(0.4);
      expect(half / loud).toBeLessThan(0.6);
      a.setMuted(true);
      await sleep(300);
      sink.pull();
      await sleep(300);
      expect(rms(sink.pull())).toBeLessThan(loud / 50);
    } finally {
      engine.dispose();
      tone.dispose();
      sink.dispose();
    }
  });

  it('SRTP between two streams carries the tone; a wrong key gives auth failures and no audio', async () => {
    const suite = 'AES_CM_128_HMAC_SHA1_80';
    const ka = generateSrtpKey(suite);
    const kb = generateSrtpKey(suite);
    const engine = new MediaEngine(PORTS);
    const tone = new ToneSource({ frequencyHz: 1000 });
    const good = new MemorySink({ capacitySamples: 8000 * 4 });
    const bad = new MemorySink({ capacitySamples: 8000 * 4 });
    try {
      const b = engine.createStream({ codec: { name: 'PCMU' }, sink: good, srtp: { suite, localKey: kb, remoteKey: ka } });
      const a = engine.createStream({
        codec: { name: 'PCMU' },
        source: tone,
        remote: { address: '127.0.0.1', port: b.localPort },
        srtp: { suite, localKey: ka, remoteKey: kb },
      });
      const c = engine.createStream({ codec: { name: 'PCMU' }, sink: bad, srtp: { suite, localKey: kb, remoteKey: generateSrtpKey(suite) } });
      await sleep(1000);
      const x = after(good.pull(), 8000, 300);
      expect(dominantFrequency(x, 8000)).toBe(1000);
      expect(b.getStats().srtp.rtpUnprotected).toBeGreaterThan(20);
      expect(a.getStats().srtp.rtpProtected).toBeGreaterThan(20);
      a.update({ remote: { address: '127.0.0.1', port: c.localPort } });
      await sleep(600);
      const cs = c.getStats();
      expect(cs.srtp.authFailures).toBeGreaterThan(10);
      expect(cs.packetsReceived).toBe(0);
      expect(rms(bad.pull())).toBe(0);
    } finally {
      engine.dispose();
      tone.dispose();
      good.dispose();
      bad.dispose();
    }
  });

  it('memory source to memory sink: application PCM crosses a stream', async () => {
    const engine = new MediaEngine(PORTS);
    const src = new MemorySource({ sampleRate: 8000, capacitySamples: 8000 * 3 });
    const sink = new MemorySink({ sampleRate: 8000, capacitySamples: 8000 * 3 });
    try {
      const pcm = new Int16Array(8000 * 2);
      for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 750 * i) / 8000));
      expect(src.push(pcm)).toBe(pcm.length);
      const b = engine.createStream({ codec: { name: 'PCMA' }, sink });
      engine.createStream({ codec: { name: 'PCMA' }, source: src, remote: { address: '127.0.0.1', port: b.localPort } });
      await sleep(1500);
      const x = after(sink.pull(), 8000, 300);
      expect(dominantFrequency(x, 8000)).toBe(750);
      expect(src.info().buffered).toBeLessThan(pcm.length / 2);
    } finally {
      engine.dispose();
      src.dispose();
      sink.dispose();
    }
  });

  it('5% loss and 60 ms jitter: the tone stays recognisable and the MOS drops compared to a clean run', async () => {
    async function run(loss: number, jitter: number): Promise<{ freq: number; mos: number; lost: number }> {
      const engine = new MediaEngine(PORTS);
      const tone = new ToneSource({ frequencyHz: 1000 });
      const sink = new MemorySink({ capacitySamples: 8000 * 6 });
      const relayTargets = { a: 0, b: 0 };
      try {
        const b = engine.createStream({ codec: { name: 'PCMU' }, sink, latch: false });
        const a = engine.createStream({ codec: { name: 'PCMU' }, source: tone, latch: false });
        relayTargets.a = a.localPort;
        relayTargets.b = b.localPort;
        const relay = await LossyRelay.start(loss, jitter, a.localPort, b.localPort);
        try {
          a.update({ remote: { address: '127.0.0.1', port: relay.portForA, rtcpPort: b.localRtcpPort } });
          b.update({ remote: { address: '127.0.0.1', port: relay.portForB, rtcpPort: a.localRtcpPort } });
          await sleep(3500);
          const st = b.getStats();
          const x = after(sink.pull(), 8000, 1000);
          return { freq: dominantFrequency(x, 8000), mos: st.mosWholeCall, lost: st.packetsLost + st.jitterBufferLate };
        } finally {
          relay.close();
        }
      } finally {
        engine.dispose();
        tone.dispose();
        sink.dispose();
      }
    }
    const clean = await run(0, 0);
    const lossy = await run(0.05, 60);
    expect(clean.freq).toBe(1000);
    expect(lossy.freq).toBe(1000);
    expect(clean.mos).toBeGreaterThan(4);
    expect(lossy.lost).toBeGreaterThan(0);
    expect(lossy.mos).toBeLessThan(clean.mos - 0.2);
  });

  it('RTCP flows: both sides get SR/RR, RTT is measured, Genesys keys are filled', async () => {
    const engine = new MediaEngine(PORTS);
    try {
      const b = engine.createStream({ codec: { name: 'PCMU' } });
      const a = engine.createStream({ codec: { name: 'PCMU' }, remote: { address: '127.0.0.1', port: b.localPort } });
      b.update({ remote: { address: '127.0.0.1', port: a.localPort } });
      const periodic: number[] = [];
      a.onDidChangeStats((s) => periodic.push(s.packetsSent));
      a.setStatsInterval(200);
      // RFC 3550 §6.2: the first report comes after half the 5 s minimum, randomised.
      // RTT needs a report block that echoes one of our SRs (LSR != 0): the second round at the latest.
      expect(await until(() => a.getStats().gotRemoteRR && b.getStats().gotRemoteSR && a.getStats().rttMs >= 0, 14_000)).toBe(true);
      const sa = a.getStats();
      expect(sa.rttMs).toBeGreaterThanOrEqual(0);
      expect(sa.rttMs).toBeLessThan(50);
      expect(b.getStats().remotePktCount).toBeGreaterThan(0);
      expect(periodic.length).toBeGreaterThan(3);
      expect(periodic.at(-1)!).toBeGreaterThan(periodic[0]!);
    } finally {
      engine.dispose();
    }
  }, 20_000);

  it('DTX: silence is not sent when the VAD says so; speech-like audio is; AGC raises a quiet talker', async () => {
    const engine = new MediaEngine(PORTS);
    const quiet = new ToneSource({ frequencyHz: 400, levelDbov: -40 });
    const sink = new MemorySink({ capacitySamples: 8000 * 4 });
    try {
      const b = engine.createStream({ codec: { name: 'PCMU' }, sink });
      const silent = engine.createStream({ codec: { name: 'PCMU' }, remote: { address: '127.0.0.1', port: b.localPort }, audioProcessing: { vadLevel: 1, dtx: true } });
      await sleep(600);
      const s = silent.getStats();
      expect(s.dtxFrames).toBeGreaterThan(15);
      expect(s.packetsSent).toBeLessThan(5);
      silent.dispose();
      const loud = engine.createStream({ codec: { name: 'PCMU' }, source: quiet, remote: { address: '127.0.0.1', port: b.localPort }, audioProcessing: { agc: true } });
      await sleep(300);
      sink.pull();
      await sleep(2500);
      const x = after(sink.pull(), 8000, 1500);
      // -40 dBov is a peak of ~328; the AGC (target -18 dBov, up to +24 dB) lifts it well above that
      expect(rms(x)).toBeGreaterThan(328 * 2);
      expect(loud.getStats().packetsSent).toBeGreaterThan(100);
    } finally {
      engine.dispose();
      quiet.dispose();
      sink.dispose();
    }
  });

  it('garbage datagrams on RTP and RTCP sockets are counted and the stream keeps working', async () => {
    const engine = new MediaEngine(PORTS);
    const sock = createSocket('udp4');
    try {
      const b = engine.createStream({ codec: { name: 'PCMU' } });
      const a = engine.createStream({ codec: { name: 'PCMU' }, remote: { address: '127.0.0.1', port: b.localPort } });
      for (let i = 0; i < 300; i++) {
        const junk = Buffer.alloc(Math.floor(Math.random() * 400));
        for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(Math.random() * 256);
        if (junk.length > 0) junk[0] = 0x80 | (junk[0]! & 0x3f);
        sock.send(junk, i % 2 ? b.localPort : b.localRtcpPort, '127.0.0.1');
      }
      await sleep(500);
      const st = b.getStats();
      expect(st.malformedPackets + st.malformedRtcp + st.otherPayloadPackets).toBeGreaterThan(50);
      const before = st.packetsReceived;
      await sleep(300);
      expect(b.getStats().packetsReceived).toBeGreaterThan(before);
      expect(a.isOpen).toBe(true);
    } finally {
      sock.close();
      engine.dispose();
    }
  });

  it('refusals are NativeEngineError with operation and native location', () => {
    const engine = new MediaEngine(PORTS);
    try {
      let err: unknown;
      try {
        engine.createStream({ codec: { name: 'NOPE' } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NativeEngineError);
      const n = err as NativeEngineError;
      expect(n.code).toBe(ErrorCode.NativeEngine);
      expect(n.operation).toBe('createStream');
      expect(n.location).toMatch(/stream\.cc:\d+/);
      expect(() => engine.createStream({ codec: { name: 'PCMU' }, srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', localKey: 'inline:xx', remoteKey: 'inline:xx' } })).toThrow(
        NativeEngineError,
      );
      expect(() => engine.createStream({ codec: { name: 'PCMU' }, remote: { address: 'example.com', port: 5004 } })).toThrow(/IP literal/);
      expect(engine.streams).toHaveLength(0);
    } finally {
      engine.dispose();
    }
  });
});

describe('media engine: lifecycle', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('a media thread fault fires onDidEngineDie and closes every stream; the process lives on', async () => {
    const engine = new MediaEngine(PORTS);
    const s1 = engine.createStream({ codec: { name: 'PCMU' } });
    const s2 = engine.createStream({ codec: { name: 'PCMA' } });
    const closed: number[] = [];
    s1.onDidClose(() => closed.push(s1.id));
    s2.onDidClose(() => closed.push(s2.id));
    let died: NativeEngineError | undefined;
    engine.onDidEngineDie((e) => (died = e.error));
    engine.injectFault(0);
    expect(await until(() => died !== undefined)).toBe(true);
    expect(died!.message).toMatch(/injected fault/);
    expect(closed.sort()).toEqual([s1.id, s2.id].sort());
    expect(s1.isOpen).toBe(false);
    expect(() => s1.getStats()).toThrow(NativeEngineError);
    expect(() => engine.createStream({ codec: { name: 'PCMU' } })).toThrow(NativeEngineError);
    engine.dispose();
  });

  it('close/reopen 200 streams leaves no file descriptor or thread behind', async () => {
    const { readdirSync } = await import('node:fs');
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const threads = (): number => readdirSync('/proc/self/task').length;
    // warm-up: the first engine loads the addon and libraries
    new MediaEngine(PORTS).dispose();
    const fd0 = fds();
    const th0 = threads();
    const engine = new MediaEngine(PORTS);
    const streams: MediaStream[] = [];
    for (let i = 0; i < 200; i++) streams.push(engine.createStream({ codec: { name: 'PCMU' }, rtcpMux: i % 2 === 0 }));
    expect(fds()).toBeGreaterThanOrEqual(fd0 + 300);
    await sleep(100);
    for (const s of streams) s.dispose();
    streams.length = 0;
    for (let i = 0; i < 200; i++) engine.createStream({ codec: { name: 'PCMU' } }).dispose();
    engine.dispose();
    await sleep(50);
    expect(fds()).toBe(fd0);
    expect(threads()).toBe(th0);
  });

  it('conference: each participant hears the others but not itself (mix-minus)', async () => {
    const engine = new MediaEngine(PORTS);
    const conf = engine.createConference();
    const tones = [500, 1000, 1500].map((f) => new ToneSource({ frequencyHz: f }));
    const sinks = [0, 1, 2].map(() => new MemorySink({ capacitySamples: 8000 * 4 }));
    try {
      // Three remote phones (A, B, C), each talking to its conference leg.
      const legs = [0, 1, 2].map(() => engine.createStream({ codec: { name: 'PCMU' }, conference: conf }));
      [0, 1, 2].forEach((i) =>
        engine.createStream({ codec: { name: 'PCMU' }, source: tones[i], sink: sinks[i], remote: { address: '127.0.0.1', port: legs[i]!.localPort } }),
      );
      expect(conf.streams).toHaveLength(3);
      await sleep(1500);
      const heard = sinks.map((s) => after(s.pull(), 8000, 500));
      const p = (i: number, hz: number): number => goertzel(heard[i]!, 8000, hz);
      // phone 0 hears 1000 and 1500, not its own 500
      expect(p(0, 1000)).toBeGreaterThan(50 * p(0, 500));
      expect(p(0, 1500)).toBeGreaterThan(50 * p(0, 500));
      expect(p(1, 500)).toBeGreaterThan(50 * p(1, 1000));
      expect(p(2, 1000)).toBeGreaterThan(50 * p(2, 1500));
    } finally {
      conf.dispose();
      engine.dispose();
      for (const d of [...tones, ...sinks]) d.dispose();
    }
  });
});
