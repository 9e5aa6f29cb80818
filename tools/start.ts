/**
 * `npm start` (the README's first command): everything on 127.0.0.1, no external server.
 *
 *   - the thick-client sample (apps/sample-desktop): its embedded simulated SIP Server and two
 *     agents, 2001 and 2002, each a Node host running the endpoint with a React UI;
 *   - the thin-client demo (apps/tlib-bridge-demo): a simulated SIP Server with a T-Lib-style
 *     WebSocket API driving three headless endpoints, 1001-1003, by third-party call control,
 *     one thin web page per agent.
 *
 * It prints the URLs and opens nothing. Ctrl-C stops everything (BYE, un-REGISTER).
 * HTTP ports: 8080/8081 for the desktops and 8090 for the thin pages when free, otherwise
 * ephemeral ones (the printed URLs are the truth). `--check` starts everything, fetches every
 * page, prints the URLs and stops (the test suite runs it, so this command stays true).
 */
import { startSampleDesktop, type SampleDesktop } from '../apps/sample-desktop/src/start';
import { startTlibDemo, type TlibDemo } from '../apps/tlib-bridge-demo/src/launcher';

const check = process.argv.includes('--check');

/** Runs `start(port)`; when the port is taken, runs it again on ephemeral ports. */
async function onPortOrEphemeral<T>(port: number, start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(port);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' && !String(e).includes('EADDRINUSE')) throw e;
    return start(0);
  }
}

async function main(): Promise<void> {
  let desktop: SampleDesktop | undefined;
  let tlib: TlibDemo | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all([desktop?.dispose(), tlib?.dispose()].map((p) => p?.catch(() => undefined)));
  };
  try {
    desktop = await onPortOrEphemeral(check ? 0 : 8080, (port) => startSampleDesktop({ port }));
    tlib = await onPortOrEphemeral(check ? 0 : 8090, (httpPort) => startTlibDemo({ httpPort }));
  } catch (e) {
    await stop();
    throw e;
  }

  console.log('\nThick client (apps/sample-desktop): one browser tab per agent, dial the other number');
  if (desktop.simulator) console.log(`  simulated SIP Server: udp/tcp ${desktop.simulator.registrarAddress}`);
  for (const { agent, host } of desktop.hosts) console.log(`  agent ${agent}: ${host.url}`);
  console.log(`  received audio, one WAV per call: ${desktop.recordDir}`);
  console.log('\nThin client (apps/tlib-bridge-demo): T-Lib requests to the simulated SIP Server');
  for (const url of tlib.urls) console.log(`  ${url}`);
  console.log(`  T-Lib WebSocket API: ${tlib.tlibUrl}`);

  if (check) {
    const urls = [...desktop.hosts.map((h) => h.host.url), ...tlib.urls];
    try {
      for (const url of urls) {
        const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
        const body = await res.text();
        if (res.status !== 200 || !/<html/i.test(body)) throw new Error(`${url}: HTTP ${res.status}, not a page`);
      }
      console.log(`\nstart --check: ${urls.length} pages served, stopping`);
    } finally {
      await stop();
    }
    return;
  }

  console.log('\nCtrl-C stops everything.');
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('stopping...');
    setTimeout(() => process.exit(1), 10_000).unref();
    void stop().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().then(
  () => {
    if (check) process.exit(0);
  },
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
