// One benchmark run: N streams of ours (N/2 bidirectional PCMU pairs on 127.0.0.1) with jitter
// buffer and RTCP, one media thread, for `seconds` after a 1.5 s warm-up. Prints JSON: process
// CPU time over the window (all threads), RSS growth from before the engine started, packets.
// Usage: node --conditions=@sip-endpoint/source --import tsx bench/media/streams.ts N seconds
import { MediaEngine, ToneSource, type MediaStream } from '@sip-endpoint/media-native';

const n = Math.max(2, Number(process.argv[2] ?? 100)) & ~1;
const seconds = Number(process.argv[3] ?? 10);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

globalThis.gc?.();
const rss0 = process.memoryUsage().rss;
const engine = new MediaEngine({ rtpPortMin: 20000, rtpPortMax: 29999, threads: 1 });
const tones: ToneSource[] = [];
const streams: MediaStream[] = [];
for (let i = 0; i < n; i += 2) {
  const ta = new ToneSource({ frequencyHz: 1000 });
  const tb = new ToneSource({ frequencyHz: 700 });
  tones.push(ta, tb);
  // As real calls do, RFC 4733 telephone-event is negotiated (so in-band DTMF detection is off).
  const te = { payloadType: 101 };
  const b = engine.createStream({ codec: { name: 'PCMU' }, telephoneEvent: te, source: tb, latch: false });
  const a = engine.createStream({ codec: { name: 'PCMU' }, telephoneEvent: te, source: ta, latch: false, remote: { address: '127.0.0.1', port: b.localPort } });
  b.update({ remote: { address: '127.0.0.1', port: a.localPort } });
  streams.push(a, b);
}
await sleep(1500);
const sumStats = (): { sent: number; received: number; rtcp: number; late: number } => {
  let sent = 0;
  let received = 0;
  let rtcp = 0;
  let late = 0;
  for (const s of streams) {
    const st = s.getStats();
    sent += st.packetsSent;
    received += st.packetsReceived;
    rtcp += st.rtcpSent;
    late += st.jitterBufferLate;
  }
  return { sent, received, rtcp, late };
};
const before = sumStats();
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await sleep(seconds * 1000);
const cpu = process.cpuUsage(cpu0);
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const afterStats = sumStats();
const rss = process.memoryUsage().rss;
engine.dispose();
for (const t of tones) t.dispose();
console.log(
  JSON.stringify({
    streams: n,
    seconds: wall,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    sent: afterStats.sent - before.sent,
    received: afterStats.received - before.received,
    rtcpSent: afterStats.rtcp,
    late: afterStats.late - before.late,
    rssDeltaKb: Math.round((rss - rss0) / 1024),
  }),
);
