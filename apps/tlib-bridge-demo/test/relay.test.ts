/**
 * The RTP relay and its conference mixer with fake RTP peers on 127.0.0.1: two legs are relayed
 * packet for packet; three legs are mixed (each leg hears the other two tones and not its own,
 * in a stream with its own SSRC); G.711 mu-law round trip.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { RtpRelay } from '../src/simulator/relay';
import { linearToUlaw, rtpPayload, ulawToLinear } from '../src/simulator/mixer';
import { until } from './support';

/** Goertzel power of `freq` in 8 kHz samples. */
function power(x: number[], freq: number): number {
  const c = 2 * Math.cos((2 * Math.PI * freq) / 8000);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s0 = v + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

interface Peer {
  socket: Socket;
  port: number;
  got: Buffer[];
}

async function peer(): Promise<Peer> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const p: Peer = { socket, port: socket.address().port, got: [] };
  socket.on('message', (m) => p.got.push(m));
  return p;
}

/** 20 ms PCMU RTP packets of a `hz` tone, sent every 20 ms to `port` until stopped. */
function sendTone(p: Peer, port: number, hz: number, ssrc: number): () => void {
  let seq = 0;
  let n = 0;
  const timer = setInterval(() => {
    const b = Buffer.alloc(172);
    b[0] = 0x80;
    b.writeUInt16BE(seq++ & 0xffff, 2);
    b.writeUInt32BE(n, 4);
    b.writeUInt32BE(ssrc, 8);
    for (let i = 0; i < 160; i++, n++) b[12 + i] = linearToUlaw(6000 * Math.sin((2 * Math.PI * hz * n) / 8000));
    p.socket.send(b, port, '127.0.0.1');
  }, 20);
  return () => clearInterval(timer);
}

describe('RTP relay', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  const peers: Peer[] = [];
  afterEach(() => {
    for (const p of peers.splice(0)) p.socket.close();
  });

  it('mu-law round trip stays within the G.711 quantisation step', () => {
    for (const v of [0, 100, -100, 1000, -5000, 20000, -32000]) {
      const back = ulawToLinear(linearToUlaw(v));
      expect(Math.abs(back - v)).toBeLessThanOrEqual(Math.max(8, Math.abs(v) / 16));
    }
  });

  it('relays two legs packet for packet and counts them per call', async () => {
    const relay = new RtpRelay();
    try {
      const [a, b] = [await relay.allocate('C1'), await relay.allocate('C1')];
      const [pa, pb] = [await peer(), await peer()];
      peers.push(pa, pb);
      a.remote = { address: '127.0.0.1', port: pa.port };
      b.remote = { address: '127.0.0.1', port: pb.port };
      const stop = sendTone(pa, a.port, 440, 1111);
      await until(() => pb.got.length >= 10, 5000, '10 packets at b');
      stop();
      // The very same packets (same SSRC) arrive at b; nothing goes back to a.
      expect(pb.got[0]!.readUInt32BE(8)).toBe(1111);
      expect(pa.got).toHaveLength(0);
      expect(relay.packets('C1')).toBeGreaterThanOrEqual(10);
      expect(relay.packets('other')).toBe(0);
    } finally {
      relay.dispose();
    }
  });

  it('mixes three legs: each hears the two others, not itself, in its own stream', async () => {
    const relay = new RtpRelay();
    try {
      const ports = [await relay.allocate('CONF'), await relay.allocate('CONF'), await relay.allocate('CONF')];
      const ps = [await peer(), await peer(), await peer()];
      peers.push(...ps);
      ports.forEach((port, i) => (port.remote = { address: '127.0.0.1', port: ps[i]!.port }));
      const tones = [400, 1000, 1800];
      const stops = ps.map((p, i) => sendTone(p, ports[i]!.port, tones[i]!, 1000 + i));
      await until(() => ps.every((p) => p.got.length >= 40), 8000, '40 mixed packets at every leg');
      for (const s of stops) s();
      ps.forEach((p, i) => {
        const ssrcs = new Set(p.got.map((b) => b.readUInt32BE(8)));
        expect(ssrcs.size).toBe(1);
        expect([...ssrcs][0]).not.toBe(1000 + i);
        const samples = p.got.slice(10, 40).flatMap((b) => [...rtpPayload(b)!.payload].map(ulawToLinear));
        const [own, ...others] = [tones[i]!, ...tones.filter((_, j) => j !== i)].map((f) => power(samples, f));
        for (const o of others) expect(o).toBeGreaterThan(100 * own!);
      });
      expect(relay.packets('CONF')).toBeGreaterThanOrEqual(120);
    } finally {
      relay.dispose();
    }
  });
});
