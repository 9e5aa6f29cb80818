/** SIPp runs for the endpoint tests: scenarios of the signaling tests and of `support/sipp/`. */
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PEERS_DIR, hasProgram, startSipp, type SippOptions, type SippRun } from './peers';

const here = dirname(fileURLToPath(import.meta.url));

/** Fails (does not skip) when SIPp is missing: CI installs it. */
export function requireSipp(): void {
  if (!hasProgram('/usr/bin/sipp')) throw new Error('sipp is missing: apt-get install -y sip-tester');
}

/** Starts SIPp with a scenario of this folder's `sipp/` (the signaling runner looks in its own peers folder). */
export function startEndpointSipp(o: SippOptions): SippRun {
  const scenario = relative(join(PEERS_DIR, 'sipp'), join(here, 'sipp', o.scenario));
  return startSipp({ ...o, scenario });
}

/** Waits for SIPp to end and fails with its messages when the scenario did not pass. */
export async function expectSippPassed(run: SippRun, timeoutMs = 25_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), timeoutMs);
  });
  const r = await Promise.race([run.result, timedOut]);
  clearTimeout(timer);
  if (r === 'timeout') {
    await run.stop();
    throw new Error(`sipp did not finish within ${timeoutMs} ms\n${run.output().slice(-6000)}`);
  }
  if (!r.ok) throw new Error(`sipp failed (exit ${r.code})\n${r.errors}\n${r.output.slice(-8000)}`);
}
