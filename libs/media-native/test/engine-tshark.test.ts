import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { MediaEngine, ToneSource } from '@sip-endpoint/media-native';
import { sleep, until } from './support/audio';

const haveTshark = existsSync('/usr/bin/tshark') && existsSync('/usr/bin/dumpcap');
// A missing peer is a failure, not a skip: CI installs every peer the tests need.
if (!haveTshark) throw new Error('tshark and dumpcap are needed: install tshark (tools/install-peers.sh does)');

describe('tshark decodes our RTP/RTCP', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'media-tshark-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('valid RTP with the negotiated payload types (PCMA 8, telephone-event 101, CN 13) and well-formed RTCP', async () => {
    const min = 44000 + 2 * Math.floor(Math.random() * 400);
    const engine = new MediaEngine({ rtpPortMin: min, rtpPortMax: min + 7 });
    const tone = new ToneSource({ frequencyHz: 1000 });
    const pcap = join(dir, 'rtp.pcapng');
    let sids: number | undefined;
    const cap = spawn('dumpcap', ['-q', '-i', 'lo', '-f', `udp portrange ${min}-${min + 7}`, '-a', 'duration:9', '-w', pcap], { stdio: 'ignore' });
    try {
      await until(() => existsSync(pcap), 3000);
      await sleep(500);
      const b = engine.createStream({ codec: { name: 'PCMA' }, telephoneEvent: { payloadType: 101 } });
      const a = engine.createStream({ codec: { name: 'PCMA' }, telephoneEvent: { payloadType: 101 }, source: tone, remote: { address: '127.0.0.1', port: b.localPort } });
      b.update({ remote: { address: '127.0.0.1', port: a.localPort } });
      // C sends silence under DTX with CN negotiated: RFC 3389 SID packets with PT 13 to D.
      const d = engine.createStream({ codec: { name: 'PCMA' }, cn: { payloadType: 13 } });
      const c = engine.createStream({
        codec: { name: 'PCMA' },
        cn: { payloadType: 13 },
        audioProcessing: { vadLevel: 3, dtx: true },
        remote: { address: '127.0.0.1', port: d.localPort },
      });
      await sleep(500);
      a.sendDtmf('7', { durationMs: 100 });
      // The first RTCP report goes out 1.25..3.75 s after the start (RFC 3550 §6.2/§6.3.5).
      await until(() => a.getStats().rtcpSent > 0 && b.getStats().rtcpSent > 0, 6000);
      await sleep(300);
      const cs = c.getStats();
      expect(cs.sidPacketsSent).toBeGreaterThanOrEqual(1);
      expect(cs.packetsSent).toBe(cs.sidPacketsSent); // silence: only SIDs
      c.dispose();
      a.dispose();
      b.dispose();
      await sleep(300);
      // (on loopback D gets every SID C sent; the first is RFC 3550 §A.1 probation, not counted)
      sids = d.getStats().sidPacketsReceived;
      expect(sids).toBeGreaterThanOrEqual(1);
      d.dispose();
      await sleep(300);
    } finally {
      cap.kill('SIGINT');
      await new Promise((r) => cap.once('exit', r));
      engine.dispose();
      tone.dispose();
    }
    const decodeAs = [];
    for (let p = min; p <= min + 6; p += 2) decodeAs.push('-d', `udp.port==${p},rtp`, '-d', `udp.port==${p + 1},rtcp`);
    const rtp = execFileSync('tshark', ['-r', pcap, ...decodeAs, '-Y', 'rtp', '-T', 'fields', '-e', 'rtp.version', '-e', 'rtp.p_type'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
    expect(rtp.length).toBeGreaterThan(50);
    expect(rtp.every((l) => l.startsWith('2\t'))).toBe(true);
    const types = new Set(rtp.map((l) => l.split('\t')[1]));
    expect(types).toEqual(new Set(['8', '101', '13']));
    // RFC 3389: every CN packet carries the level octet (MSB 0); C sent silence (digital zero, level 127).
    const cn = execFileSync('tshark', ['-r', pcap, ...decodeAs, '-Y', 'rtp.p_type == 13', '-T', 'fields', '-e', 'rtp.payload', '-e', 'rtp.marker'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
    expect(cn.length).toBe((sids ?? 0) + 1);
    for (const l of cn) expect(l).toMatch(/^7f\t(0|False)$/);
    const rtcp = execFileSync('tshark', ['-r', pcap, ...decodeAs, '-Y', 'rtcp', '-T', 'fields', '-e', 'rtcp.pt'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    expect(rtcp.length).toBeGreaterThanOrEqual(2);
    const all = rtcp.join(',');
    expect(all).toMatch(/200|201/); // SR or RR first
    expect(all).toMatch(/202/); // SDES
    expect(all).toMatch(/203/); // BYE on close
    const malformed = execFileSync('tshark', ['-r', pcap, ...decodeAs, '-Y', '_ws.malformed || _ws.expert.severity >= "error"'], { encoding: 'utf8' }).trim();
    expect(malformed).toBe('');
  }, 20_000);
});
