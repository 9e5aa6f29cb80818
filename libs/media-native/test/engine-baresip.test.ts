import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { MediaEngine, ToneSource, WavFileSink } from '@sip-endpoint/media-native';
import { toneWav } from '../../signaling/test/support/peers';
import { after, dominantFrequency, readWav, sleep } from './support/audio';

const haveBaresip = existsSync('/usr/bin/baresip') && existsSync('/usr/lib/baresip/modules/sndfile.so') && existsSync('/usr/bin/sox');
// A missing peer is a failure, not a skip: CI installs every peer the tests need.
if (!haveBaresip) throw new Error('baresip (with its sndfile module) and sox are needed: install baresip-core and sox (tools/install-peers.sh does)');


/** sox's rough frequency estimate of a WAV after its first 0.5 s (`sox f -n trim 0.5 stat`, printed on stderr). */
function soxFrequency(path: string): number {
  const r = spawnSync('sox', [path, '-n', 'trim', '0.5', 'stat'], { encoding: 'utf8' });
  return Number(/Rough\s+frequency:\s+(\d+)/.exec(r.stderr)?.[1] ?? NaN);
}

/** A minimal SIP UAC over UDP (INVITE with our SDP, ACK, BYE): just enough to set up baresip's RTP. */
class TinyUac {
  private readonly sock: Socket = createSocket('udp4');
  private readonly callId = `${Date.now()}-${Math.random().toString(36).slice(2)}@127.0.0.1`;
  private toTag = '';
  readonly received: string[] = [];

  private constructor(private readonly target: number) {}

  static async start(target: number): Promise<TinyUac> {
    const u = new TinyUac(target);
    await new Promise<void>((r) => u.sock.bind(0, '127.0.0.1', r));
    u.sock.on('message', (m) => {
      const text = m.toString();
      u.received.push(text);
      // Answer baresip's in-dialog requests (e.g. its BYE) with 200 so it does not retransmit.
      if (/^(BYE|OPTIONS|INFO|UPDATE) /.test(text)) u.reply200(text);
    });
    return u;
  }

  private get port(): number {
    return this.sock.address().port;
  }

  private send(text: string): void {
    this.sock.send(Buffer.from(text.replace(/\n/g, '\r\n')), this.target, '127.0.0.1');
  }

  private reply200(req: string): void {
    const hdr = (name: string): string => new RegExp(`^${name}:.*$`, 'im').exec(req)?.[0] ?? '';
    this.sock.send(Buffer.from([`SIP/2.0 200 OK`, hdr('Via'), hdr('From'), hdr('To'), hdr('Call-ID'), hdr('CSeq'), 'Content-Length: 0', '', ''].join('\r\n')), this.target, '127.0.0.1');
  }

  private headers(method: string, cseq: number): string {
    return [
      `${method} sip:bob@127.0.0.1:${this.target} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
      'Max-Forwards: 70',
      `From: <sip:alice@127.0.0.1:${this.port}>;tag=alice1`,
      `To: <sip:bob@127.0.0.1:${this.target}>${this.toTag ? `;tag=${this.toTag}` : ''}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:alice@127.0.0.1:${this.port}>`,
    ].join('\n');
  }

  /** Sends the INVITE (resent every 500 ms) and resolves with baresip's RTP port from its 200's SDP. */
  async invite(rtpPort: number): Promise<number> {
    const sdp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${rtpPort} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=ptime:20', 'a=sendrecv', ''].join('\n');
    const msg = `${this.headers('INVITE', 1)}\nContent-Type: application/sdp\nContent-Length: ${Buffer.byteLength(sdp.replace(/\n/g, '\r\n'))}\n\n${sdp}`;
    for (let i = 0; i < 20; i++) {
      this.send(msg);
      await sleep(500);
      const ok = this.received.find((r) => r.startsWith('SIP/2.0 200') && /CSeq:\s*1 INVITE/i.test(r));
      if (ok) {
        this.toTag = /^To:.*;tag=([^;\s]+)/im.exec(ok)?.[1] ?? '';
        this.send(`${this.headers('ACK', 1)}\nContent-Length: 0\n\n`);
        const port = Number(/^m=audio (\d+)/m.exec(ok)?.[1]);
        if (!port) throw new Error(`no audio port in 200:\n${ok}`);
        return port;
      }
    }
    throw new Error(`baresip did not answer:\n${this.received.join('\n---\n')}`);
  }

  bye(): void {
    this.send(`${this.headers('BYE', 2)}\nContent-Length: 0\n\n`);
  }

  close(): void {
    this.sock.close();
  }
}

describe('interop with baresip (RTP both ways, G.711)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let dir: string;
  let baresip: ChildProcess | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'media-baresip-'));
  });
  afterEach(async () => {
    if (baresip && baresip.exitCode === null) {
      baresip.kill('SIGTERM');
      await Promise.race([new Promise((r) => baresip!.once('exit', r)), sleep(2000)]);
      if (baresip.exitCode === null) baresip.kill('SIGKILL');
    }
    baresip = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('our 1 kHz tone is recorded by baresip at 1 kHz (sox); baresip\'s 600 Hz file reaches our recorder', async () => {
    const sipPort = 47060 + 2 * Math.floor(Math.random() * 200);
    toneWav(join(dir, 'tone600.wav'), 8000, 600, 10);
    writeFileSync(
      join(dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${sipPort}`,
        'sip_trans_def udp',
        'net_interface lo',
        'audio_player aubridge,nil',
        `audio_source aufile,${join(dir, 'tone600.wav')}`,
        'audio_alert aubridge,nil',
        'audio_srate 8000',
        'audio_channels 1',
        'rtp_timeout 0',
        `snd_path ${dir}`,
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module aufile.so',
        'module aubridge.so',
        'module sndfile.so',
        'module account.so',
        'module_app account.so',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'accounts'), `<sip:bob@127.0.0.1:${sipPort}>;regint=0;answermode=auto;audio_codecs=PCMU\n`);
    let log = '';
    baresip = spawn('baresip', ['-f', dir, '-n', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    baresip.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    baresip.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await sleep(800);

    const engine = new MediaEngine({ rtpPortMin: 45000, rtpPortMax: 45999 });
    const tone = new ToneSource({ frequencyHz: 1000, levelDbov: -10 });
    const ourRec = join(dir, 'ours.wav');
    const rec = new WavFileSink({ path: ourRec, sampleRate: 8000 });
    const uac = await TinyUac.start(sipPort);
    try {
      const stream = engine.createStream({ codec: { name: 'PCMU' }, source: tone, sink: rec });
      const remotePort = await uac.invite(stream.localPort);
      stream.update({ remote: { address: '127.0.0.1', port: remotePort } });
      await sleep(3000);
      const st = stream.getStats();
      expect(st.packetsSent).toBeGreaterThan(100);
      expect(st.packetsReceived).toBeGreaterThan(50);
      uac.bye();
      await sleep(500);
    } finally {
      uac.close();
      engine.dispose();
      rec.dispose();
      tone.dispose();
    }
    // What baresip decoded from us (sndfile's "-dec" dump), measured by sox.
    const dumps = readdirSync(dir).filter((f) => f.startsWith('dump-') && f.endsWith('.wav'));
    const dec = dumps.find((f) => f.includes('dec'));
    expect(dec, `sndfile dumps: ${dumps.join(', ')}\n${log.slice(-2000)}`).toBeDefined();
    const freq = soxFrequency(join(dir, dec!));
    expect(Math.abs(freq - 1000)).toBeLessThan(30);
    // What we recorded from baresip.
    const ours = readWav(ourRec);
    expect(dominantFrequency(after(ours.samples, 8000, 500), 8000)).toBe(600);
  }, 30_000);
});
