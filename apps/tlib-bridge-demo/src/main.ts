/**
 * `npm start -w @sip-endpoint/tlib-bridge-demo [-- --script [--watch]] [--http-port N] [--sip-port N]`:
 * starts the demo. With `--script` it runs the scripted call flow, prints every T-Lib request,
 * event and the SIP it caused, and exits 0; without, it prints the agent URLs and stays up
 * until Ctrl-C. `--script --watch` is the script to watch in the agents' pages: it serves them
 * on port 8090, gives you `--wait-ms` (default 10 s) to open them, plays each step
 * `--step-ms` (default 2 s) apart (every request and event appears in the pages), then stays up.
 */
import { startTlibDemo } from './launcher';
import { runScriptedDemo } from './script';
import { TlibClient } from './tlib/client';

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isInteger(v) ? v : undefined;
}

const script = process.argv.includes('--script');
const watch = script && process.argv.includes('--watch');
const demo = await startTlibDemo({ httpPort: arg('--http-port') ?? (script && !watch ? 0 : 8090), sipPort: arg('--sip-port') ?? 0 });
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
console.log(`simulated SIP Server on udp/tcp ${demo.simulator.registrarAddress}; T-Lib API ${demo.tlibUrl}`);
for (const u of demo.urls) console.log(`agent page: ${u}`);

if (script) {
  let code = 0;
  const sip = demo.simulator.onDidTraceSip((t) => console.log(`      SIP ${t.direction === 'out' ? '->' : '<-'} ${t.dn ?? '?'}  ${t.summary}`));
  const client = await TlibClient.connect(demo.tlibUrl);
  client.onMessage = (m) => {
    if (m.event !== 'EventRtpStats') console.log(`   <- ${JSON.stringify(m)}`);
  };
  try {
    if (watch) {
      const waitMs = arg('--wait-ms') ?? 10_000;
      console.log(`\nopen the agent pages above: the script starts in ${Math.round(waitMs / 1000)} s`);
      await pause(waitMs);
    }
    const stepMs = watch ? (arg('--step-ms') ?? 2000) : 0;
    const { connIds } = await runScriptedDemo(client, {
      onStep: async (t) => {
        if (stepMs) await pause(stepMs);
        console.log(`\n== ${t}`);
      },
    });
    console.log(`\nRTP packets relayed on the main call ${connIds.main}: ${demo.simulator.relayedPackets(connIds.main)}`);
  } catch (e) {
    console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
    code = 1;
  } finally {
    sip.dispose();
    client.close();
    if (!watch) await demo.dispose();
  }
  if (!watch) process.exit(code);
  console.log('\nthe script is over; the pages stay up. Ctrl-C stops');
  process.once('SIGINT', () => void demo.dispose().then(() => process.exit(code)));
  process.once('SIGTERM', () => void demo.dispose().then(() => process.exit(code)));
} else {
  console.log('press Ctrl-C to stop');
  const stop = async (): Promise<void> => {
    await demo.dispose();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
