// The endpoint under test for the call-rate runs: one standalone line (reg_timeout 0) on
// 127.0.0.1 with `policy.session.auto_answer`, null audio devices (NullSource/NullSink), a media
// engine of its own (every answered call creates a G.711 engine stream). Prints one JSON line
// `{"port":N}` once bound, then answers stdin commands, one per line:
//   `stats` -> `{"cpuMs":..,"connected":..,"disconnected":..,"active":..,"rssKb":..,"heapKb":..}`
//   `gc`    -> forces a GC (when started with --expose-gc), then answers like `stats`
// and exits when stdin closes. With `--signaling-only` the endpoint is created with
// `media: false`: calls are answered with a valid SDP (PCMU..., port 9) and no engine stream.
// Usage: node --conditions=@sip-endpoint/source --import tsx bench/endpoint/uas.ts [--signaling-only]
import { createInterface } from 'node:readline';
import { NullSink, NullSource } from '@sip-endpoint/media-native';
import { createEndpoint, SessionState } from '@sip-endpoint/endpoint';

const endpoint = await createEndpoint(
  {
    connectivity: [{ user: 'agent', server: '127.0.0.1:5', protocol: 'UDP' }],
    proxies: [{ reg_timeout: 0 }],
    policy: { session: { auto_answer: true } },
  } as never,
  {
    ephemeralPorts: true,
    listenAddress: '127.0.0.1',
    mediaEngine: { rtpPortMin: 30000, rtpPortMax: 39998 },
    audio: { createSource: () => new NullSource(), createSink: () => new NullSink() },
    ...(process.argv.includes('--signaling-only') ? { media: false } : {}),
  },
);
let connected = 0;
let disconnected = 0;
endpoint.onDidChangeSessionState((e) => {
  if (e.state === SessionState.Connected) connected++;
  else if (e.state === SessionState.Disconnected) disconnected++;
});
const cpu0 = process.cpuUsage();
console.log(JSON.stringify({ port: endpoint.connections[0]!.localPort }));
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const cmd = line.trim();
  if (cmd !== 'stats' && cmd !== 'gc') return;
  if (cmd === 'gc') (globalThis as { gc?: () => void }).gc?.();
  const c = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({ cpuMs: (c.user + c.system) / 1000, connected, disconnected, active: endpoint.sessions.length, rssKb: Math.round(process.memoryUsage().rss / 1024), heapKb: Math.round(process.memoryUsage().heapUsed / 1024) }),
  );
});
rl.on('close', () => {
  endpoint.dispose();
  process.exit(0);
});
