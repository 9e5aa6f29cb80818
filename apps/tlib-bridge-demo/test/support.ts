/** Helpers of the tlib-bridge-demo tests: the agents' endpoint sessions by ConnID, bounded polling. */
import type { Session } from '@sip-endpoint/endpoint';
import type { TlibDemo } from '../src/launcher';

/** Polls `cond` every 20 ms until true (rejects after `timeoutMs`). */
export async function until(cond: () => boolean, timeoutMs = 8000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The endpoint session of `dn` for the simulator's call `connId` (matched by Call-ID). */
export function sessionOf(demo: TlibDemo, dn: string, connId: string): Session | undefined {
  const call = demo.simulator.calls().find((c) => c.connId === connId);
  const callId = call?.parties.find((p) => p.dn === dn)?.callId;
  const agent = demo.agents.find((a) => a.dn === dn);
  return callId ? agent?.history.find((s) => s.id === callId) : undefined;
}

/** `state` or `state/held` of every live endpoint session of `dn`, sorted. */
export function liveStates(demo: TlibDemo, dn: string): string[] {
  const agent = demo.agents.find((a) => a.dn === dn);
  return (agent?.live ?? []).map((s) => `${s.state}${s.held ? '/held' : ''}`).sort();
}
