/**
 * Steps of security.feature: SRTP with SDES keys (RFC 4568) between two of our endpoints, chosen by
 * `system.security.use_srtp`. What the phones report (SDP crypto lines, the engine's SRTP
 * counters) and what travels on the wire: the RTP that Alice sends is captured on the loopback
 * interface by dumpcap (Wireshark's capture tool, Debian package tshark), its payload decoded as
 * PCMU and searched for Alice's tone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Given, Then } from '@cucumber/cucumber';
import { dominant, goertzel, hasProgram, until, withTimeout } from '../support/peers';
import { TONE_OF, TONES, type CallWorld } from '../support/world';

const DUMPCAP = '/usr/bin/dumpcap';

Given('{actor} and {actor} offer only {word}', function (this: CallWorld, a: string, b: string, codec: string) {
  for (const n of [a, b]) this.setup(n).codecs = { [codec]: 100 };
});

Given(/^(Alice|Bob|Carol)'s call audio encryption is (mandatory|optional|disabled)$/, function (this: CallWorld, name: string, mode: string) {
  const s = this.setup(name);
  s.config = { ...s.config, system: { security: { use_srtp: mode } } };
});

/** The SDP of the INVITE `name` sent (her outgoing call's offer). */
function offerOf(world: CallWorld, name: string): string {
  const call = world.call(name);
  assert.equal(call.direction, 'outgoing', `${name} did not place the call`);
  return call.invite.request?.body.toString('utf8') ?? '';
}

Then("{actor}'s offer carries SRTP keys \\(SDES)", function (this: CallWorld, name: string) {
  // RFC 4568 §9.1: a=crypto:<tag> <crypto-suite> inline:<key||salt>.
  assert.match(offerOf(this, name), /^a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:\S+/m);
});

Then("{actor}'s offer carries no SRTP keys", function (this: CallWorld, name: string) {
  const sdp = offerOf(this, name);
  assert.doesNotMatch(sdp, /a=crypto/);
  assert.match(sdp, /^m=audio \d+ RTP\/AVP /m);
});

Then("the call's audio is encrypted both ways, on both phones", async function (this: CallWorld) {
  for (const name of ['Alice', 'Bob']) {
    // The engine's counters are a snapshot taken every ~100 ms: let half a second of audio flow.
    await until(() => (this.call(name).statistics()?.raw.srtp.rtpUnprotected ?? 0) > 20, 3000, `${name}'s decrypted packets`).catch(() => undefined);
    const srtp = this.call(name).statistics()?.raw.srtp;
    assert.ok(srtp, `${name}'s call has no media statistics`);
    // libsrtp terms: protected = encrypted before sending, unprotected = decrypted and verified on receipt.
    assert.ok(srtp.rtpProtected > 20, `${name} encrypted only ${srtp.rtpProtected} packets`);
    assert.ok(srtp.rtpUnprotected > 20, `${name} decrypted only ${srtp.rtpUnprotected} packets`);
    assert.equal(srtp.authFailures, 0, `${name} saw ${srtp.authFailures} packets failing authentication`);
  }
});

Then("the call's audio is not encrypted", async function (this: CallWorld) {
  for (const name of ['Alice', 'Bob']) {
    await until(() => (this.call(name).statistics()?.raw.packetsReceived ?? 0) > 20, 3000, `${name}'s received packets`).catch(() => undefined);
    const raw = this.call(name).statistics()?.raw;
    assert.ok((raw?.packetsReceived ?? 0) > 20, `${name} received only ${raw?.packetsReceived} packets`);
    assert.deepEqual({ protected: raw?.srtp.rtpProtected, unprotected: raw?.srtp.rtpUnprotected }, { protected: 0, unprotected: 0 });
  }
});

/**
 * Captures for about a second the UDP datagrams Alice's call sends from its RTP port (the port of her
 * offer: symmetric RTP) and returns their RTP payloads decoded as PCMU (G.711 mu-law).
 */
async function wireAudio(world: CallWorld, name: string): Promise<{ pcm: Int16Array; packets: number }> {
  if (!hasProgram(DUMPCAP)) throw new Error('dumpcap is missing: apt-get install -y tshark');
  const port = /^m=audio (\d+) /m.exec(offerOf(world, name))?.[1];
  assert.ok(port, `${name}'s offer has no audio port`);
  const dir = mkdtempSync(join(tmpdir(), 'features-capture-'));
  world.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rtp.pcap');
  // -P: classic pcap format; -a duration: stops by itself.
  const child = spawn(DUMPCAP, ['-i', 'lo', '-P', '-q', '-f', `udp and src host 127.0.0.1 and src port ${port}`, '-a', 'duration:1', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  world.cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const code = await withTimeout(exited, 10_000, 'dumpcap capture');
  assert.equal(code, 0, `dumpcap failed: ${err}`);
  assert.ok(existsSync(file), 'dumpcap wrote no capture');
  return decodeCapture(readFileSync(file));
}

/** RTP payloads of a pcap file (Ethernet or Linux cooked framing, IPv4/UDP), decoded as PCMU. */
function decodeCapture(buf: Buffer): { pcm: Int16Array; packets: number } {
  assert.ok(buf.length >= 24, 'empty capture');
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 0 ? 4 : -1;
  assert.ok(linkHeader >= 0, `unknown link type ${linkType}`);
  const samples: number[] = [];
  let packets = 0;
  for (let off = 24; off + 16 <= buf.length; ) {
    const caplen = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    const ip = frame.subarray(linkHeader);
    if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    const rtp = udp.subarray(8);
    // RFC 3550 §5.1: version 2, CSRC count, extension bit; payload type 0 = PCMU.
    if (rtp.length < 12 || rtp[0]! >> 6 !== 2 || (rtp[1]! & 0x7f) !== 0) continue;
    let head = 12 + (rtp[0]! & 0x0f) * 4;
    if (rtp[0]! & 0x10) head += 4 + rtp.readUInt16BE(head + 2) * 4;
    // 160 samples per 20 ms packet; SRTP's authentication tag (10 bytes) follows them.
    for (const b of rtp.subarray(head, head + 160)) samples.push(ulaw(b));
    packets++;
  }
  return { pcm: Int16Array.from(samples), packets };
}

/** ITU-T G.711 mu-law to linear PCM. */
function ulaw(byte: number): number {
  const u = ~byte & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/**
 * How much of `pcm`'s energy is the tone `hz`, averaged over 20 ms packets (160 samples): about 1
 * for a pure tone, about 2/160 for noise (encrypted payload decodes to noise), so a chance
 * resemblance between noise and a tone cannot pass for one.
 */
function toneShare(pcm: Int16Array, hz: number): number {
  const n = 160;
  let sum = 0;
  let blocks = 0;
  for (let off = 0; off + n <= pcm.length; off += n) {
    const block = pcm.subarray(off, off + n);
    let energy = 0;
    for (const v of block) energy += v * v;
    if (energy === 0) continue;
    // Goertzel power of a sine of amplitude A over n samples is (A n / 2)^2; its energy is A^2 n / 2.
    sum += (2 * goertzel(block, 8000, hz)) / (n * energy);
    blocks++;
  }
  return blocks ? sum / blocks : 0;
}

Then("{actor}'s voice cannot be heard in the audio on the wire", async function (this: CallWorld, name: string) {
  const { pcm, packets } = await wireAudio(this, name);
  assert.ok(packets > 20, `captured only ${packets} RTP packets from ${name}`);
  const share = toneShare(pcm, TONE_OF[name] ?? 0);
  // Encrypted payload decodes to noise: next to none of its energy is the speaker's tone.
  assert.ok(share < 0.1, `${name}'s ${TONE_OF[name]} Hz tone is audible on the wire (${(share * 100).toFixed(0)} % of the energy)`);
});

Then("{actor}'s voice can be heard in clear in the audio on the wire", async function (this: CallWorld, name: string) {
  const { pcm, packets } = await wireAudio(this, name);
  assert.ok(packets > 20, `captured only ${packets} RTP packets from ${name}`);
  assert.equal(dominant(pcm, TONES).freq, TONE_OF[name], `the wire carries ${dominant(pcm, TONES).freq} Hz, not ${name}'s tone`);
  const share = toneShare(pcm, TONE_OF[name] ?? 0);
  assert.ok(share > 0.5, `${name}'s tone is only ${(share * 100).toFixed(0)} % of the energy on the wire`);
});
