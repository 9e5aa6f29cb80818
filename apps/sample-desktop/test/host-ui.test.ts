import WebSocket from 'ws';
import { ensureNoDisposablesAreLeakedInTestSuite } from '@sip-endpoint/base';
import { afterEach, describe, expect, it, beforeEach } from 'vitest';
import { startDesktopHost, type DesktopHost } from '../src/host/index';
import { ensureUiBuilt } from './support/browser';

const standalone = (user: string) => ({ connectivity: [{ user, server: '127.0.0.1:5', protocol: 'UDP' }], proxies: [{ reg_timeout: 0 }] }) as never;

// How a host serves the UI: the Vite build, Vite's dev middleware, or nothing but the API.
describe('desktop host: serving the UI', () => {
  ensureNoDisposablesAreLeakedInTestSuite({ beforeEach, afterEach });
  let host: DesktopHost | undefined;
  afterEach(async () => {
    await host?.dispose();
    host = undefined;
  });

  it('serves the built UI and its assets (dist), with the snapshot at /api/snapshot', async () => {
    await ensureUiBuilt({ ifMissing: true });
    host = await startDesktopHost({ config: standalone('4001'), ui: 'dist', endpointOptions: { ephemeralPorts: true } });
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const html = await (await fetch(host.url)).text();
    expect(html).toContain('<div id="root"></div>');
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(host.url + asset);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    // Client-side routes fall back to index.html.
    expect(await (await fetch(`${host.url}some/route`)).text()).toContain('<div id="root"></div>');
    const snap = (await (await fetch(`${host.url}api/snapshot`)).json()) as { agent: string; lines: { state: string; registers: boolean }[] };
    expect(snap.agent).toBe('4001');
    expect(snap.lines[0]).toMatchObject({ state: 'Ready', registers: false });
    // Only the WebSocket path upgrades.
    const ws = new WebSocket(`${host.url.replace('http', 'ws')}elsewhere`);
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => resolve(-1));
    });
    ws.terminate();
    expect(status).toBe(403);
  });

  it('serves the sources through Vite in dev mode', async () => {
    host = await startDesktopHost({ config: standalone('4002'), ui: 'dev', endpointOptions: { ephemeralPorts: true } });
    const html = await (await fetch(host.url)).text();
    expect(html).toContain('/@vite/client');
    const main = await fetch(`${host.url}main.tsx`);
    expect(main.status).toBe(200);
    expect(await main.text()).toContain('createRoot');
  });

  it('serves only the API with ui none', async () => {
    host = await startDesktopHost({ config: standalone('4003'), ui: 'none', endpointOptions: { ephemeralPorts: true } });
    expect((await fetch(host.url)).status).toBe(404);
    expect((await fetch(`${host.url}api/snapshot`)).status).toBe(200);
    // Only files this host recorded are served.
    expect((await fetch(`${host.url}api/recordings/nope.wav`)).status).toBe(404);
    expect((await fetch(`${host.url}api/recordings/..%2F..%2Fpackage.json`)).status).toBe(404);
  });

  it('rejects a bad config with the ConfigError of the endpoint and leaves nothing running', async () => {
    await expect(startDesktopHost({ config: '/nonexistent/SipEndpoint.config', ui: 'none' })).rejects.toMatchObject({ code: expect.stringMatching(/CONFIG/) });
  });
});
