import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { MediaEngine } from '@sip-endpoint/media-native';
import { sleep, until } from './support/audio';

const PORTS = { rtpPortMin: 44600, rtpPortMax: 44799 };

describe('media engine: RTP inactivity timeout changed live (MediaStreamUpdate.inactivityTimeoutMs)', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });

  it('a stream created without a timeout gets one by update, fires once, and fires again after a new update', async () => {
    const engine = new MediaEngine(PORTS);
    try {
      // Nobody sends to `b`: it only expects media.
      const b = engine.createStream({ codec: { name: 'PCMU' } });
      const timeouts: { at: number; timeoutMs: number }[] = [];
      b.onDidTimeoutReceiving((e) => timeouts.push({ at: Date.now(), timeoutMs: e.timeoutMs }));
      await sleep(400);
      expect(timeouts).toEqual([]); // no timeout configured: never
      const set = Date.now();
      b.update({ inactivityTimeoutMs: 300 });
      expect(await until(() => timeouts.length > 0, 3000)).toBe(true);
      // Counted from the update (not from the stream's start 400 ms earlier), bounded.
      expect(timeouts[0]!.at - set).toBeGreaterThanOrEqual(250);
      expect(timeouts[0]!.at - set).toBeLessThan(2000);
      expect(timeouts[0]!.timeoutMs).toBe(300);
      await sleep(500);
      expect(timeouts.length).toBe(1); // reported once
      // A new update restarts the count: it can fire again.
      b.update({ inactivityTimeoutMs: 200 });
      expect(await until(() => timeouts.length > 1, 3000)).toBe(true);
      expect(timeouts[1]!.timeoutMs).toBe(200);
    } finally {
      engine.dispose();
    }
  });

  it('0 switches it off live, and a receiving stream does not time out', async () => {
    const engine = new MediaEngine(PORTS);
    try {
      const b = engine.createStream({ codec: { name: 'PCMU' }, inactivityTimeoutMs: 300 });
      const a = engine.createStream({ codec: { name: 'PCMU' }, remote: { address: '127.0.0.1', port: b.localPort } });
      let timedOut = 0;
      b.onDidTimeoutReceiving(() => timedOut++);
      await until(() => b.getStats().packetsReceived > 10);
      await sleep(600);
      expect(timedOut).toBe(0); // packets flow
      b.update({ inactivityTimeoutMs: 0 });
      a.update({ direction: 'inactive' }); // a stops sending
      await sleep(800);
      expect(timedOut).toBe(0);
    } finally {
      engine.dispose();
    }
  });
});
