import { describe, expect, it } from 'vitest';
import { buildFeatures, listCodecs } from '@sip-endpoint/media-native';

describe('codec table', () => {
  it('lists G.711 with static payload types, available', () => {
    const codecs = listCodecs();
    const pcmu = codecs.find((c) => c.name === 'PCMU');
    const pcma = codecs.find((c) => c.name === 'PCMA');
    expect(pcmu).toMatchObject({ rtpClockRate: 8000, staticPayloadType: 0, available: true, frameMs: 20 });
    expect(pcma).toMatchObject({ rtpClockRate: 8000, staticPayloadType: 8, available: true });
  });

  it('reports which optional libraries the build found', () => {
    const f = buildFeatures();
    for (const k of ['opus', 'spandsp', 'bcg729', 'srtp2', 'alsa']) expect(typeof f[k]).toBe('boolean');
  });
});
