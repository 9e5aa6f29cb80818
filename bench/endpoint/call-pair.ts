/**
 * The endpoints of the per-call memory measurements (memory.ts calls, call-profile.ts): a
 * standalone line that auto-answers, a 1 kHz tone as microphone and a null speaker, RTP ports
 * from `ports` so the two ends of a pair never collide.
 */
import { NullSink, ToneSource, createEndpoint, type Endpoint } from '@sip-endpoint/endpoint';

export function autoAnsweringEndpoint(user: string, ports: [number, number]): Promise<Endpoint> {
  return createEndpoint(
    {
      connectivity: [{ user, server: '127.0.0.1:5', protocol: 'UDP' }],
      proxies: [{ reg_timeout: 0 }],
      policy: { session: { auto_answer: true } },
    } as never,
    {
      ephemeralPorts: true,
      listenAddress: '127.0.0.1',
      mediaEngine: { rtpPortMin: ports[0], rtpPortMax: ports[1] },
      audio: { createSource: () => new ToneSource({ frequencyHz: 1000 }), createSink: () => new NullSink() },
    },
  );
}
