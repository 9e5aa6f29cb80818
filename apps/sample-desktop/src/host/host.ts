/**
 * The desktop host: one endpoint (from a Genesys config), an HTTP server on 127.0.0.1 that
 * serves the UI, and a WebSocket speaking the protocol of `../protocol.ts`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, normalize, resolve, sep, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, WebSocket } from 'ws';
import { DisposableStore, SdkError, nullLogger, type Logger } from '@sip-endpoint/base';
import type { EndpointConfig } from '@sip-endpoint/config';
import { createEndpoint, SessionState, type AudioSink, type AudioSource, type Endpoint, type EndpointOptions, type Session } from '@sip-endpoint/endpoint';
import {
  PROTOCOL_VERSION,
  WS_PATH,
  encodeServerMessage,
  parseClientMessage,
  ProtocolError,
  type CallView,
  type ClientMessage,
  type Command,
  type LineState,
  type QualitySample,
  type ServerMessage,
  type Snapshot,
} from '../protocol';
import { AudioRouter } from './audio';

/** Where the built UI is (`vite build` output) and where its sources are. */
const APP_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The UI sources (Vite root). */
export const UI_SOURCE_DIR = join(APP_ROOT, 'src/ui');
/** The UI build output (`nx run sample-desktop:build-ui`). */
export const UI_DIST_DIR = join(APP_ROOT, 'dist/ui');

/** Options of {@link startDesktopHost}. */
export interface DesktopHostOptions {
  /** The endpoint configuration: a Genesys XML / JSON file path, or the object. */
  readonly config: EndpointConfig | string;
  /** HTTP/WebSocket port on 127.0.0.1 (default 0: ephemeral). */
  readonly httpPort?: number;
  /** Where the received audio of each call is recorded as WAV (default: no recording). */
  readonly recordDir?: string;
  /** Frequency of the tone played as the microphone (Hz, default 440). */
  readonly toneHz?: number;
  /** A WAV file offered as a microphone. */
  readonly micWav?: string;
  /**
   * How the UI is served: `dist` (the Vite build), `dev` (Vite dev middleware, from the
   * sources), `auto` (dist when built, else dev; default), `none` (WebSocket and `/api` only).
   */
  readonly ui?: 'dist' | 'dev' | 'auto' | 'none';
  /** Statistics period of the quality stream (ms, default 1000). */
  readonly statsIntervalMs?: number;
  /**
   * A directory: maps what the user typed (a DN) to the URI to call, or undefined to leave it
   * (then a bare number goes to the SIP Server). Used for dial, transfer and consult targets.
   */
  readonly directory?: (target: string) => string | undefined;
  /** Extra options of `createEndpoint` (the host sets `audio`). */
  readonly endpointOptions?: Omit<EndpointOptions, 'audio'>;
  /** Logs of the host (default: none). */
  readonly logger?: Logger;
}

/** A running host. */
export interface DesktopHost {
  /** `http://127.0.0.1:<port>/`: open it in a browser. */
  readonly url: string;
  /** The endpoint the host drives. */
  readonly endpoint: Endpoint;
  /** The current snapshot (what a UI is sent). */
  snapshot(): Snapshot;
  /** Stops the server, closes the UI connections, shuts the endpoint down (BYE, un-REGISTER). */
  dispose(): Promise<void>;
}

interface CallMeta {
  readonly startedAt: number;
  connectedAt?: number;
  muted: boolean;
  conferencedWith?: string;
  consultationFor?: string;
  recording?: string;
  packetsSent: number;
  packetsReceived: number;
  codec: string;
}

/**
 * Devices the host put on a running call (a selection made during the call). The call's first
 * devices belong to the endpoint's media bridge; these belong to the host: disposed when
 * replaced again and when the call ends.
 */
interface CallDevices {
  source?: { readonly id: string; readonly device: AudioSource };
  sink?: { readonly id: string; readonly device: AudioSink };
}

const MAX_ENDED_CALLS = 5;
const MAX_SAMPLES = 300;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/**
 * Starts a desktop host: creates the endpoint from `config` (rejects with `ConfigError` for a
 * bad file), then an HTTP server on 127.0.0.1 serving the UI and the WebSocket at `/ws`.
 * Resolves with the URL once both listen. Every endpoint event becomes a `snapshot` message to
 * every UI; commands of a UI are answered with `result` or a typed `error`.
 */
export async function startDesktopHost(options: DesktopHostOptions): Promise<DesktopHost> {
  const logger = options.logger ?? nullLogger;
  const store = new DisposableStore();
  const agentHint = typeof options.config === 'string' ? 'agent' : (options.config.connectivity?.[0]?.user ?? 'agent');
  const audio = store.add(new AudioRouter({ prefix: agentHint, ...(options.recordDir ? { recordDir: options.recordDir } : {}), ...(options.toneHz ? { toneHz: options.toneHz } : {}), ...(options.micWav ? { micWav: options.micWav } : {}) }));
  let endpoint: Endpoint;
  try {
    endpoint = await createEndpoint(options.config, {
      listenAddress: '127.0.0.1',
      ...options.endpointOptions,
      audio: { createSource: audio.createSource, createSink: audio.createSink },
    });
  } catch (e) {
    store.dispose();
    throw e;
  }
  // The sound cards the endpoint enumerates (polled: hot-plug) join the catalogue.
  store.add(audio.useSoundCards(endpoint.devices));
  const agent = endpoint.connections[0]?.user ?? agentHint;
  const meta = new Map<string, CallMeta>();
  const ended: CallView[] = [];
  const samples = new Map<string, QualitySample[]>();
  const clients = new Set<WebSocket>();
  let conferencing: { a: string; b: string } | undefined;

  const callView = (s: Session): CallView => {
    const m = meta.get(s.id);
    const end = s.endCause;
    return {
      id: s.id,
      lineId: s.connection.id,
      state: s.state,
      direction: s.direction,
      remote: s.remote,
      held: s.held,
      muted: m?.muted ?? false,
      startedAt: m?.startedAt ?? Date.now(),
      ...(m?.connectedAt !== undefined ? { connectedAt: m.connectedAt } : {}),
      ...(end ? { endCause: { code: end.code, reason: end.reason, by: end.by } } : {}),
      ...(m?.conferencedWith ? { conferencedWith: m.conferencedWith } : {}),
      ...(m?.consultationFor ? { consultationFor: m.consultationFor } : {}),
      packetsSent: m?.packetsSent ?? 0,
      packetsReceived: m?.packetsReceived ?? 0,
      codec: m?.codec ?? '',
    };
  };

  const snapshot = (): Snapshot => ({
    agent,
    status: endpoint.status,
    lines: endpoint.connections.map((c) => ({
      id: c.id,
      index: c.index,
      user: c.user,
      server: c.server,
      state: c.state as LineState,
      registers: c.registers,
      ...(c.lastError ? { lastError: c.lastError } : {}),
    })),
    calls: [...endpoint.sessions.filter((s) => s.state !== SessionState.Disconnected).map(callView), ...ended],
    devices: audio.view({ speakerVolume: endpoint.speakerVolume, micVolume: endpoint.micVolume, micMuted: endpoint.micMuted }),
    recordings: audio.recordings,
  });

  const send = (ws: WebSocket, m: ServerMessage): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(encodeServerMessage(m));
  };
  const broadcast = (m: ServerMessage): void => {
    for (const ws of clients) send(ws, m);
  };
  let pending = false;
  const scheduleSnapshot = (): void => {
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      if (clients.size > 0) broadcast({ type: 'snapshot', snapshot: snapshot() });
    });
  };

  // ---------------------------------------------------------------- endpoint events
  // Listeners on each call, dropped when it ends.
  const perCall = new Map<string, DisposableStore>();
  store.add({ dispose: () => perCall.forEach((d) => d.dispose()) });
  const watch = (s: Session): void => {
    if (!meta.has(s.id)) meta.set(s.id, { startedAt: Date.now(), muted: false, packetsSent: 0, packetsReceived: 0, codec: '' });
    if (perCall.has(s.id)) return;
    const d = new DisposableStore();
    perCall.set(s.id, d);
    d.add(s.onDidChangeHeld(() => scheduleSnapshot()));
    d.add(s.onDidReceiveDtmf((e) => broadcast({ type: 'dtmf', sessionId: s.id, digit: e.digit })));
  };
  for (const s of endpoint.sessions) watch(s);
  store.add(endpoint.onDidAddSession(({ session }) => {
    watch(session);
    scheduleSnapshot();
  }));
  store.add(endpoint.onDidChangeSessionState(({ session, state }) => {
    const m = meta.get(session.id);
    if (m && state === SessionState.Connected && m.connectedAt === undefined) m.connectedAt = Date.now();
    if (state === SessionState.Disconnected) {
      sampleStats(session);
      ended.unshift(callView(session));
      ended.splice(MAX_ENDED_CALLS);
      // The partner of a conference is on its own again.
      for (const other of meta.values()) if (other.conferencedWith === session.id) delete other.conferencedWith;
      for (const other of meta.values()) if (other.consultationFor === session.id) delete other.consultationFor;
      meta.delete(session.id);
      samples.delete(session.id);
      perCall.get(session.id)?.dispose();
      perCall.delete(session.id);
      // The stream closes right after this event; it keeps a device it uses alive until then.
      releaseCallDevices(session.id);
    }
    scheduleSnapshot();
  }));
  store.add(endpoint.onDidChangeConnectionState(() => scheduleSnapshot()));
  store.add(endpoint.onDidChangeStatus(() => scheduleSnapshot()));
  store.add(audio.onDidChange(() => scheduleSnapshot()));
  // A recorder is created with the stream of a call; the call is the one whose stream just
  // appeared and that has no recording yet (calls are set up one at a time). The local leg of a
  // conference records the mix and belongs to the conference's first call.
  store.add(audio.onDidCreateSink(({ file }) => {
    if (!file) return;
    setImmediate(() => {
      if (conferencing) {
        audio.assign(file, conferencing.a);
        return;
      }
      const candidates = endpoint.sessions.filter((s) => s.state !== SessionState.Disconnected && s.mediaStream && !meta.get(s.id)?.recording);
      const s = candidates[candidates.length - 1];
      const m = s ? meta.get(s.id) : undefined;
      if (!s || !m) return;
      m.recording = file;
      audio.assign(file, s.id);
    });
  }));

  // ---------------------------------------------------------------- devices of running calls
  const callDevices = new Map<string, CallDevices>();
  const releaseCallDevices = (id: string): void => {
    const d = callDevices.get(id);
    callDevices.delete(id);
    d?.source?.device.dispose();
    d?.sink?.device.dispose();
  };
  store.add({ dispose: () => [...callDevices.keys()].forEach(releaseCallDevices) });
  /**
   * Puts the selected microphone or speaker on a running call (`MediaStream.setDevices`: the
   * stream switches between two 20 ms frames, the call goes on). Not for a call without media
   * yet (it gets the selection when its stream is made) nor for a call in a local conference
   * (the conference's own leg has the devices). A new recorder is that call's recording.
   * Throws when the device cannot be opened or used; the call then keeps its device.
   */
  const applyDevice = (s: Session, kind: 'input' | 'output'): boolean => {
    const stream = s.mediaStream;
    if (s.state === SessionState.Disconnected || !stream?.isOpen || meta.get(s.id)?.conferencedWith) return false;
    const d = callDevices.get(s.id) ?? {};
    if (kind === 'input') {
      const { id, source } = audio.openInput();
      try {
        stream.setDevices({ source });
      } catch (e) {
        source.dispose();
        throw e;
      }
      d.source?.device.dispose();
      d.source = { id, device: source };
    } else {
      const { id, sink, file } = audio.openOutput();
      try {
        stream.setDevices({ sink });
      } catch (e) {
        sink.dispose();
        throw e;
      }
      d.sink?.device.dispose();
      d.sink = { id, device: sink };
      if (file) audio.assign(file, s.id);
    }
    callDevices.set(s.id, d);
    return true;
  };
  const applyToCalls = (kind: 'input' | 'output', which: (s: Session) => boolean = () => true): string[] => {
    const failed: string[] = [];
    for (const s of endpoint.sessions) {
      if (!which(s)) continue;
      try {
        applyDevice(s, kind);
      } catch (e) {
        logger.warn('device switch failed', { session: s.id, kind, error: String(e) });
        failed.push(`${s.id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return failed;
  };
  // A card the host had put on a call was unplugged: the call takes the selection (which fell
  // back to a virtual device). Calls still on their first device are moved by the endpoint.
  store.add(audio.onDidChangeSoundCards(({ removedInputs, removedOutputs }) => {
    applyToCalls('input', (s) => removedInputs.includes(callDevices.get(s.id)?.source?.id ?? ''));
    applyToCalls('output', (s) => removedOutputs.includes(callDevices.get(s.id)?.sink?.id ?? ''));
  }));

  // ---------------------------------------------------------------- quality stream
  function sampleStats(s: Session): QualitySample | undefined {
    const st = s.statistics();
    const m = meta.get(s.id);
    if (!st || !m) return undefined;
    m.packetsSent = st.raw.packetsSent;
    m.packetsReceived = st.raw.packetsReceived;
    m.codec = st.raw.codec;
    const mos = st['MOS Interval'] > 0 ? st['MOS Interval'] : st.MOS;
    return { sessionId: s.id, t: Date.now(), mos, jitterMs: st.raw.jitterMs, lossPct: st['Local Frac Lost'], packetsSent: st.raw.packetsSent, packetsReceived: st.raw.packetsReceived };
  }
  const statsTimer = setInterval(() => {
    const fresh: QualitySample[] = [];
    for (const s of endpoint.sessions) {
      if (s.state !== SessionState.Connected) continue;
      const q = sampleStats(s);
      if (!q) continue;
      const list = samples.get(s.id) ?? [];
      list.push(q);
      list.splice(0, Math.max(0, list.length - MAX_SAMPLES));
      samples.set(s.id, list);
      fresh.push(q);
    }
    if (fresh.length > 0) {
      broadcast({ type: 'stats', samples: fresh });
      scheduleSnapshot();
    }
  }, options.statsIntervalMs ?? 1000);
  store.add({ dispose: () => clearInterval(statsTimer) });

  // ---------------------------------------------------------------- commands
  const session = (id: string): Session => {
    const s = endpoint.getSession(id);
    if (!s || s.state === SessionState.Disconnected) throw new CommandError('UNKNOWN_SESSION', `no call ${id}`);
    return s;
  };
  const lookup = (target: string): string => options.directory?.(target) ?? target;
  const run = async (c: Command): Promise<void> => {
    switch (c.name) {
      case 'dial':
        endpoint.dial(lookup(c.target), c.lineId ? { connection: c.lineId } : {});
        return;
      case 'answer':
        return session(c.sessionId).answer();
      case 'reject':
        return session(c.sessionId).reject(c.code);
      case 'hangup':
        return session(c.sessionId).hangup();
      case 'hold':
        return session(c.sessionId).hold();
      case 'retrieve':
        return session(c.sessionId).retrieve();
      case 'sendDtmf':
        return session(c.sessionId).sendDtmf(c.digits);
      case 'transfer': {
        const s = session(c.sessionId);
        const p = await s.transfer(lookup(c.target));
        if (p.statusCode >= 300) throw new CommandError('TRANSFER_FAILED', `transfer to ${c.target} failed: ${p.statusCode} ${p.reason}`);
        // RFC 5589 §6.1: once the NOTIFY reports success, the transferor ends its call with the
        // transferee (BYE), unless the transferee already did.
        if (s.state === SessionState.Connected) await s.hangup();
        return;
      }
      case 'consult': {
        const s = session(c.sessionId);
        const consultation = await s.consult(lookup(c.target));
        const m = meta.get(consultation.id);
        if (m) m.consultationFor = s.id;
        scheduleSnapshot();
        return;
      }
      case 'completeTransfer': {
        const p = await session(c.sessionId).completeTransfer();
        if (p.statusCode >= 300) throw new CommandError('TRANSFER_FAILED', `attended transfer failed: ${p.statusCode} ${p.reason}`);
        return;
      }
      case 'conference': {
        const a = session(c.sessionId);
        const b = session(c.otherSessionId);
        conferencing = { a: a.id, b: b.id };
        try {
          await a.conference(b);
        } finally {
          // The local leg's recorder is assigned on the next tick.
          setImmediate(() => (conferencing = undefined));
        }
        const ma = meta.get(a.id);
        const mb = meta.get(b.id);
        if (ma) ma.conferencedWith = b.id;
        if (mb) mb.conferencedWith = a.id;
        scheduleSnapshot();
        return;
      }
      case 'mute': {
        if (c.sessionId === undefined) {
          endpoint.micMuted = c.muted;
          for (const m of meta.values()) m.muted = c.muted;
        } else {
          session(c.sessionId).mute(c.muted);
          const m = meta.get(c.sessionId);
          if (m) m.muted = c.muted;
        }
        scheduleSnapshot();
        return;
      }
      case 'selectDevice': {
        if (!audio.has(c.kind, c.deviceId)) throw new CommandError('UNKNOWN_DEVICE', `no ${c.kind} device ${c.deviceId}`);
        audio.select(c.kind, c.deviceId);
        const failed = applyToCalls(c.kind);
        scheduleSnapshot();
        if (failed.length > 0) throw new CommandError('DEVICE_FAILED', `${c.deviceId} is selected for the next calls, but these calls kept their device: ${failed.join('; ')}`);
        return;
      }
      case 'setVolume':
        if (c.kind === 'speaker') endpoint.speakerVolume = c.volume;
        else endpoint.micVolume = c.volume;
        scheduleSnapshot();
        return;
    }
  };
  const handle = async (ws: WebSocket, text: string): Promise<void> => {
    let msg: ClientMessage;
    try {
      msg = parseClientMessage(text);
    } catch (e) {
      const pe = e instanceof ProtocolError ? e : new ProtocolError(String(e));
      send(ws, { type: 'error', ...(pe.requestId ? { requestId: pe.requestId } : {}), code: pe.code, message: pe.message });
      return;
    }
    const { requestId, command } = msg;
    try {
      await run(command);
      send(ws, { type: 'result', requestId, command: command.name });
    } catch (e) {
      const code = e instanceof CommandError || e instanceof SdkError ? e.code : 'ERROR';
      const message = e instanceof Error ? e.message : String(e);
      logger.warn('command failed', { command: command.name, code, error: message });
      send(ws, { type: 'error', requestId, command: command.name, code, message });
    }
    scheduleSnapshot();
  };

  // ---------------------------------------------------------------- HTTP + WebSocket
  const mode = options.ui ?? 'auto';
  const useDist = mode === 'dist' || (mode === 'auto' && existsSync(join(UI_DIST_DIR, 'index.html')));
  let vite: { middlewares: (req: IncomingMessage, res: ServerResponse, next: () => void) => void; close(): Promise<void> } | undefined;
  if (!useDist && (mode === 'dev' || mode === 'auto')) {
    const { createServer: createVite } = await import('vite');
    const v = await createVite({ configFile: join(APP_ROOT, 'vite.config.ts'), server: { middlewareMode: true, hmr: false }, appType: 'spa', logLevel: 'warn' });
    vite = { middlewares: (req, res, next) => v.middlewares(req, res, next), close: () => v.close() };
  }
  const serveStatic = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(UI_DIST_DIR, path));
    if (!file.startsWith(UI_DIST_DIR + sep) && file !== UI_DIST_DIR) {
      res.writeHead(403).end();
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(UI_DIST_DIR, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('UI not built: run `npx nx run sample-desktop:build-ui`');
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(readFileSync(file));
  };
  const http: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/api/snapshot') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snapshot()));
      return;
    }
    if (path.startsWith('/api/recordings/')) {
      // Only the files this host recorded, by name (the UI plays them once the call ended).
      const name = decodeURIComponent(path.slice('/api/recordings/'.length));
      const rec = audio.recordings.find((r) => basename(r.file) === name);
      if (!rec || !existsSync(rec.file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'audio/wav', 'cache-control': 'no-cache' }).end(readFileSync(rec.file));
      return;
    }
    if (path === '/api/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([...samples.values()].flat()));
      return;
    }
    if (mode === 'none') {
      res.writeHead(404).end();
      return;
    }
    if (vite) vite.middlewares(req, res, () => res.writeHead(404).end());
    else serveStatic(req, res);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  let port = 0;
  http.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    // A local WebSocket is reachable from any web page the user opens: accept only our own
    // origin (or none: a non-browser client on this machine).
    const origin = req.headers.origin;
    const ok = origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (path !== WS_PATH || !ok) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        send(ws, { type: 'error', code: 'BAD_REQUEST', message: 'binary frames are not part of the protocol' });
        return;
      }
      void handle(ws, Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
    });
    send(ws, { type: 'hello', protocol: PROTOCOL_VERSION, agent });
    send(ws, { type: 'snapshot', snapshot: snapshot() });
    const history = [...samples.values()].flat();
    if (history.length > 0) send(ws, { type: 'stats', samples: history });
  });
  try {
    await new Promise<void>((res, rej) => {
      http.once('error', rej);
      http.listen(options.httpPort ?? 0, '127.0.0.1', () => res());
    });
  } catch (e) {
    store.dispose();
    await vite?.close();
    await endpoint.shutdown();
    throw e;
  }
  const addr = http.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://127.0.0.1:${port}/`;
  logger.info('desktop host listening', { url, agent });

  let disposing: Promise<void> | undefined;
  return {
    url,
    endpoint,
    snapshot,
    dispose: () =>
      (disposing ??= (async () => {
        for (const ws of clients) ws.terminate();
        clients.clear();
        wss.close();
        const closed = new Promise<void>((r) => http.close(() => r()));
        http.closeAllConnections();
        await closed;
        await vite?.close();
        await endpoint.shutdown();
        store.dispose();
      })()),
  };
}

/** A command refused by the host itself (not the endpoint); its `code` goes into the error message. */
export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}
