/**
 * {@link createEndpoint} and {@link Endpoint}: the facade an agent desktop uses. It joins the
 * configuration, one {@link Connection} per `Connectivity` line, the media engine, and the
 * provider registry (call-control, codec, device, header providers and log sinks).
 */
import { resolve as resolvePath } from 'node:path';
import { Disposable, Emitter, ErrorCode, InvalidStateError, LOG_LEVEL_ORDER, SdkError, SinkLogger, nullLogger, type Clock, type Event, type IDisposable, type Logger, type LogRecord, realClock } from '@sip-endpoint/base';
import { ConfigurationService, createConfig, loadConfigFile, type ConfigurationChangeEvent, type EndpointConfig, type ParsedConfig, type SettingValue } from '@sip-endpoint/config';
import {
  MediaEngine,
  NullSink,
  NullSource,
  selectAudioDevice,
  type AudioSink,
  type AudioSource,
  type MediaEngineOptions,
} from '@sip-endpoint/media-native';
import { SessionState as SipSessionState, parseUri, randomToken, type InviteSession, type SipResolver } from '@sip-endpoint/signaling';
import { Connection, ConnectionState, LineStackPool, type ConnectionStateChangeEvent } from './connection';
import { MediaBridge, configuredCodecs, type MediaBridgeOptions, type SessionMediaPolicy, type SrtpSetting } from './media-bridge';
import { EndpointDevices, type DevicesChangeEvent, type EndpointDeviceOptions } from './devices';
import type { CallControlProvider, CodecProvider, DeviceProvider, HeaderProvider, LogSinkProvider, ProviderRegistry } from './providers/api';
import { createGenesysProvider } from './providers/genesys';
import { ProviderRegistryImpl } from './providers/registry';
import { Session, SessionState, type DtmfMethod, type SessionHost, type SessionStateChangeEvent } from './session';
import { LogFileWriter } from './log-file';

/**
 * The lowest record level passed on for a Genesys `log_level` (0 fatal, 1 error, 2 warning,
 * 3 info, 4 debug): 4 passes everything, SIP traces included; 0 and 1 pass errors only.
 */
function logThreshold(level: number): number {
  if (level >= 4) return LOG_LEVEL_ORDER.trace;
  if (level === 3) return LOG_LEVEL_ORDER.info;
  if (level === 2) return LOG_LEVEL_ORDER.warn;
  return LOG_LEVEL_ORDER.error;
}

/** Endpoint status (genesys-compat §2): Active while at least one connection is Ready. */
export enum EndpointStatus {
  Inactive = 'Inactive',
  Active = 'Active',
}

/** Audio devices per call; defaults pick sound cards per `policy.device`, else null devices. */
export interface EndpointAudioOptions {
  /** The microphone (or a test source such as `ToneSource`) for a new stream. */
  createSource?(): AudioSource;
  /** The speaker (or a test sink such as `MemorySink`) for a new stream. */
  createSink?(): AudioSink;
}

/** Options of {@link createEndpoint}. */
export interface EndpointOptions {
  /** Where log records go (in addition to registered log sinks). */
  logger?: Logger;
  /** A media engine to use (not disposed by the endpoint), or options to create one (owned). */
  mediaEngine?: MediaEngine | MediaEngineOptions;
  /** Do not register the built-in Genesys 3pcc provider. */
  withoutGenesysProvider?: boolean;
  /** Local address for SIP and RTP (default `127.0.0.1` when `policy.endpoint.public_address` is empty). */
  listenAddress?: string;
  /** Bind SIP on ephemeral ports (port 0) instead of `sip_port_min..sip_port_max` (tests). */
  ephemeralPorts?: boolean;
  /** The SIP domain of the AORs when it is not the server's host (the server is then the outbound proxy). */
  domain?: string;
  /** RFC 3263 resolver for the stacks (default: the system's DNS). */
  resolver?: SipResolver;
  /** Audio devices per call. */
  audio?: EndpointAudioOptions;
  /** Concurrent sessions at most; an incoming call beyond it is answered 486 (default: no limit). */
  maxSessions?: number;
  /** Clock for timers of the endpoint itself (auto-answer delays, the device poll). */
  clock?: Clock;
  /** Sound device enumeration and hot-plug polling (default: ALSA, polled every 2 s). */
  devices?: EndpointDeviceOptions;
  /** User-Agent header value. */
  userAgent?: string;
  /**
   * `false` = signaling only: calls are set up and answered with valid SDP (the configured
   * codecs, port 9) but no engine stream is started (no RTP sent or received, no devices
   * opened). For load tests of the signaling path and for call-control-only deployments.
   * Default `true`.
   */
  media?: boolean;
}

/** The built-in providers registered at start (set by the providers folder; see `registerBuiltinProvider`). */
type BuiltinProviderFactory = (endpoint: Endpoint) => CallControlProvider;
const builtinFactories: BuiltinProviderFactory[] = [];

/**
 * Adds a built-in call-control provider: every endpoint created afterwards registers it first
 * (unless created with `withoutGenesysProvider`). Used by the Genesys provider module. Returns a
 * Disposable that removes the factory.
 */
export function registerBuiltinCallControlProvider(factory: BuiltinProviderFactory): IDisposable {
  builtinFactories.push(factory);
  return {
    dispose: () => {
      const i = builtinFactories.indexOf(factory);
      if (i >= 0) builtinFactories.splice(i, 1);
    },
  };
}

/**
 * Creates and starts an endpoint from a configuration (an `EndpointConfig` object, a
 * `ParsedConfig`, or a path to a Genesys XML / JSON file). Resolves once every connection's stack
 * is bound (registrations go on in the background: watch `onDidChangeConnectionState`). Rejects
 * with `ConfigError` for a bad file and `NativeEngineError` when the media engine cannot start.
 */
export async function createEndpoint(config: EndpointConfig | ParsedConfig | string, options: EndpointOptions = {}): Promise<Endpoint> {
  let parsed: ParsedConfig;
  if (typeof config === 'string') parsed = await loadConfigFile(config);
  else if ('config' in config && 'codecsLocation' in config) parsed = config;
  else parsed = createConfig(config as unknown as Record<string, unknown>);
  const endpoint = new Endpoint(parsed, options);
  try {
    await endpoint.start();
  } catch (e) {
    endpoint.dispose();
    throw e;
  }
  return endpoint;
}

/**
 * The endpoint: connections (lines), sessions (calls), devices and volumes, runtime
 * configuration by Genesys key, and the provider registry. Dispose it (or `shutdown()`) to hang
 * up, unregister and close the media engine.
 */
export class Endpoint extends Disposable implements ProviderRegistry {
  /** The configuration (runtime keys, change events). */
  readonly configuration: ConfigurationService;
  /** The media engine. */
  readonly engine: MediaEngine;
  private readonly registry: ProviderRegistryImpl;
  private readonly logger: Logger;
  private readonly logLevelRef: { threshold: number; file?: LogFileWriter };
  /** Set by dispose(): resolves when the log file (if any) is flushed and closed. */
  private logFileClosed: Promise<void> = Promise.resolve();
  private readonly _connections: Connection[] = [];
  private readonly _sessions = new Map<string, Session>();
  private _status = EndpointStatus.Inactive;
  private speaker = { volume: 1, muted: false };
  private mic = { volume: 1, muted: false };
  private shuttingDown: Promise<void> | undefined;
  private readonly clock: Clock;

  private readonly _onDidChangeStatus = this._register(new Emitter<{ status: EndpointStatus }>());
  /** Inactive <-> Active. */
  readonly onDidChangeStatus: Event<{ status: EndpointStatus }> = this._onDidChangeStatus.event;
  private readonly _onDidChangeConnectionState = this._register(new Emitter<ConnectionStateChangeEvent>());
  /** Every state change of every connection. */
  readonly onDidChangeConnectionState: Event<ConnectionStateChangeEvent> = this._onDidChangeConnectionState.event;
  private readonly _onDidAddSession = this._register(new Emitter<{ session: Session }>());
  /** A session appeared (incoming, dialled, or placed to follow a REFER). */
  readonly onDidAddSession: Event<{ session: Session }> = this._onDidAddSession.event;
  private readonly _onDidChangeSessionState = this._register(new Emitter<SessionStateChangeEvent>());
  /** Every state change of every session. */
  readonly onDidChangeSessionState: Event<SessionStateChangeEvent> = this._onDidChangeSessionState.event;
  private readonly _onDidRemoveSession = this._register(new Emitter<{ session: Session }>());
  /** A Disconnected session was removed from {@link sessions} (it keeps its end cause and statistics). */
  readonly onDidRemoveSession: Event<{ session: Session }> = this._onDidRemoveSession.event;
  /** The sound devices: the last enumeration, `rescan()`, and which device a call opened. */
  readonly devices: EndpointDevices;
  /**
   * Sound devices were added or removed (seen by the poll every `devices.pollIntervalMs` on the
   * endpoint's clock, or by `devices.rescan()`). Calls that used a removed device have already
   * moved to the device `policy.device` picks among those left (the default, else a null device)
   * when it fires; the calls go on.
   */
  readonly onDidChangeDevices: Event<DevicesChangeEvent>;

  /** @internal use {@link createEndpoint} */
  constructor(
    parsed: ParsedConfig,
    private readonly options: EndpointOptions,
  ) {
    super();
    this.clock = options.clock ?? realClock;
    const base = options.logger ?? nullLogger;
    // Every record goes to the given logger and to the registered log sinks.
    const ref: { registry?: ProviderRegistryImpl; threshold: number; file?: LogFileWriter } = { threshold: 0 };
    const fanout = new SinkLogger((r: LogRecord) => {
      // `system.diagnostics.log_level` (live): records below it reach neither the logger, the sinks nor the log file.
      if (LOG_LEVEL_ORDER[r.level] < ref.threshold) return;
      ref.file?.write(r);
      ref.registry?.log(r);
      const fn = base[r.level].bind(base);
      fn(r.message, r.fields);
    }, 'trace');
    this.logger = fanout.child({ component: 'endpoint' });
    (this.sessionHost as { logger: Logger }).logger = this.logger.child({ component: 'session' });
    this.registry = this._register(new ProviderRegistryImpl(this.logger));
    ref.registry = this.registry;
    this.configuration = this._register(new ConfigurationService(parsed, { logger: this.logger }));
    this.logLevelRef = ref;
    ref.threshold = logThreshold(this.configuration.config.system.diagnostics.log_level);
    this.applyLogFile();
    this._register(this.configuration.onDidChangeConfiguration((e) => this.onConfigChange(e)));
    this.devices = this._register(new EndpointDevices(options.devices ?? {}, this.clock, this.logger.child({ component: 'devices' })));
    this.onDidChangeDevices = this.devices.onDidChangeDevices;
    const c = this.configuration.config;
    if (options.mediaEngine instanceof MediaEngine) {
      this.engine = options.mediaEngine;
    } else {
      this.engine = new MediaEngine({ rtpPortMin: c.policy.endpoint.rtp_port_min, rtpPortMax: c.policy.endpoint.rtp_port_max, logger: this.logger, ...(options.mediaEngine ?? {}) });
    }
  }

  /** @internal creates the connections and registers the built-in providers */
  async start(): Promise<void> {
    if (!this.options.withoutGenesysProvider) {
      // The Genesys 3pcc behaviour is a provider like any other, registered first.
      this._register(
        this.registerCallControlProvider(
          createGenesysProvider({ settings: () => this.configuration.config, deviceStatus: () => ({ headsetPresent: this.headsetPresent() }) }),
        ),
      );
      for (const f of builtinFactories) this._register(this.registerCallControlProvider(f(this)));
    }
    const c = this.configuration.config;
    // Lines of the same protocol share one stack (one socket): see LineStackPool.
    const stacks = this._register(
      new LineStackPool(
        {
          config: c,
          listenAddress: this.listenAddress,
          ephemeralPorts: this.options.ephemeralPorts ?? false,
          ...(this.options.resolver ? { resolver: this.options.resolver } : {}),
          ...(this.options.userAgent ? { userAgent: this.options.userAgent } : {}),
          traceSip: () => this.logLevelRef.threshold <= LOG_LEVEL_ORDER.trace,
        },
        this.logger.child({ component: 'sip' }),
      ),
    );
    c.connectivity.forEach((line, index) => {
      const conn = new Connection(
        {
          index,
          line,
          proxy: c.proxies[index],
          config: c,
          listenAddress: this.listenAddress,
          ephemeralPorts: this.options.ephemeralPorts ?? false,
          ...(this.options.domain ? { domain: this.options.domain } : {}),
          ...(this.options.resolver ? { resolver: this.options.resolver } : {}),
          ...(this.options.userAgent ? { userAgent: this.options.userAgent } : {}),
          stacks,
        },
        {
          logger: this.logger,
          createSessionDescriptionHandler: () => this.createBridge(),
          onSessionCreated: (connection, session) => this.onSessionCreated(connection, session),
          onIncomingInvite: (connection, session) => this.onIncomingInvite(connection, session),
        },
      );
      this._connections.push(conn);
      this._register(conn.onDidChangeState((e) => {
        this._onDidChangeConnectionState.fire(e);
        this.updateStatus();
      }));
    });
    await Promise.all(this._connections.map((conn) => conn.start()));
  }

  private get listenAddress(): string {
    return this.options.listenAddress ?? (this.configuration.config.policy.endpoint.public_address || '127.0.0.1');
  }

  /** Active when at least one connection is Ready. */
  get status(): EndpointStatus {
    return this._status;
  }

  /** One connection per `Connectivity` line, in configuration order. */
  get connections(): readonly Connection[] {
    return [...this._connections];
  }

  /** The live sessions (not yet removed). */
  get sessions(): readonly Session[] {
    return [...this._sessions.values()];
  }

  /** A session by id (Call-ID). */
  getSession(id: string): Session | undefined {
    return this._sessions.get(id);
  }

  /**
   * Places a call to `target` (a number, `user@host`, or a SIP URI) on `connection` (an id, an
   * index, or the object; default: the first Ready connection). Returns the session at once
   * (InProgress, already in {@link sessions} and reported by `onDidAddSession`); progress is
   * reported by `onDidChangeSessionState`. Throws `InvalidStateError` when no connection is Ready.
   */
  dial(target: string, options: { connection?: Connection | string | number } = {}): Session {
    const conn = this.pickConnection(options.connection);
    return this.dialOn(conn, target);
  }

  private pickConnection(which: Connection | string | number | undefined): Connection {
    let conn: Connection | undefined;
    if (which instanceof Connection) conn = which;
    else if (typeof which === 'number') conn = this._connections[which];
    else if (typeof which === 'string') conn = this._connections.find((c) => c.id === which);
    else conn = this._connections.find((c) => c.state === ConnectionState.Ready);
    if (!conn || conn.state !== ConnectionState.Ready || !conn.userAgent) throw new InvalidStateError('no Ready connection to dial on', conn?.state ?? 'none');
    return conn;
  }

  private dialOn(conn: Connection, target: string): Session {
    const ua = conn.userAgent;
    if (!ua) throw new InvalidStateError('the connection has no user agent', conn.state);
    const uri = conn.targetUri(target);
    const callId = randomToken(16);
    const headers: Record<string, string> = {
      ...this.registry.requestHeaders({ method: 'INVITE', target: uri }),
      ...this.registry.callHeaders('invite'),
      'Call-ID': callId,
    };
    const bridge = this.createBridge();
    const via = conn.routesViaServer(target) ? { outboundProxy: parseUri(conn.proxyUri) } : {};
    this.dialling = true;
    let invite: InviteSession;
    try {
      invite = ua.invite(uri, { headers, sdh: bridge, ...via });
    } catch (e) {
      // A target the user agent refuses (not a SIP URI, ...): no session, so no bridge either.
      bridge.dispose();
      throw e;
    } finally {
      this.dialling = false;
    }
    return this.adopt(conn, invite, bridge, callId);
  }

  private dialling = false;

  /**
   * What every call's bridge shares: the functions that read the live configuration and one
   * media logger, made once (not a set of closures and a child logger per call).
   */
  private bridgeShared: Omit<MediaBridgeOptions, 'engine' | 'address' | 'telephoneEvent'> | undefined;

  private createBridge(): MediaBridge {
    const cfg = () => this.configuration.config;
    this.bridgeShared ??= {
      codecs: () => {
        const all = configuredCodecs(cfg().codecs as Record<string, number>);
        const order = this.registry.orderCodecs(all.map((c) => c.configName));
        return order.map((n) => all.find((c) => c.configName === n)).filter((c) => c !== undefined);
      },
      srtp: () => cfg().system.security.use_srtp as SrtpSetting,
      createSource: () => this.createSource(),
      createSink: () => this.createSink(),
      devices: this.devices,
      // policy.session dtx_mode / vad_level / agc_mode: CN offered, DTX and AGC on the stream.
      session: () => cfg().policy.session as SessionMediaPolicy,
      // policy.endpoint.rtp_inactivity_timeout (seconds, live): read again on every change.
      inactivityTimeoutMs: () => cfg().policy.endpoint.rtp_inactivity_timeout * 1000,
      logger: this.logger.child({ component: 'media' }),
      ...(this.options.media === false ? { signalingOnly: true } : {}),
    };
    const bridge = new MediaBridge({
      ...this.bridgeShared,
      engine: this.engine,
      address: this.listenAddress,
      telephoneEvent: ((cfg().codecs as Record<string, number>)['telephone-event'] ?? 0) > 0,
    });
    return bridge;
  }

  private createSource(): AudioSource {
    if (this.options.audio?.createSource) return this.options.audio.createSource();
    const name = this.pickDevice('input');
    return name ? this.devices.openSource(name) : new NullSource();
  }

  private createSink(): AudioSink {
    if (this.options.audio?.createSink) return this.options.audio.createSink();
    const name = this.pickDevice('output');
    return name ? this.devices.openSink(name) : new NullSink();
  }

  /** genesys-compat §3: headset first (use_headset), then audio_in/out_device, then the default. */
  private pickDevice(direction: 'input' | 'output'): string | undefined {
    const devices = this.devices.devices; // the last enumeration (polled)
    if (devices.length === 0) return undefined;
    const fromProvider = this.registry.selectDevice(direction, devices.map((d) => d.name));
    if (fromProvider) return fromProvider;
    const d = this.configuration.config.policy.device;
    const lists = [...(d.use_headset ? [d.headset_name] : []), direction === 'input' ? d.audio_in_device : d.audio_out_device, []];
    for (const list of lists) {
      const hit = selectAudioDevice(devices, list, direction);
      if (hit) return hit.name;
    }
    return undefined;
  }

  /** Whether a device matching `policy.device.headset_name` is present now. */
  headsetPresent(): boolean {
    const devices = this.devices.devices;
    const names = this.configuration.config.policy.device.headset_name;
    return names.length > 0 && (selectAudioDevice(devices, names, 'input') !== undefined || selectAudioDevice(devices, names, 'output') !== undefined);
  }

  private onSessionCreated(conn: Connection, invite: InviteSession): void {
    // Incoming calls are adopted by onIncomingInvite; dial() adopts its own.
    if (invite.role === 'uas' || this.dialling) return;
    // A call the user agent placed itself to follow a REFER: its Call-ID is set once the
    // INVITE is built (a few microtasks later).
    const sdh = invite.sdh;
    if (!(sdh instanceof MediaBridge)) return;
    const adoptWhenReady = (tries: number): void => {
      if (invite.callId || tries <= 0 || invite.state === SipSessionState.Terminated) {
        if (invite.callId) this.adopt(conn, invite, sdh);
        return;
      }
      setImmediate(() => adoptWhenReady(tries - 1));
    };
    adoptWhenReady(50);
  }

  private adopt(conn: Connection, invite: InviteSession, bridge: MediaBridge, id?: string): Session {
    const session = new Session(invite, bridge, conn, this.sessionHost, id);
    this._sessions.set(session.id, session);
    session.applyGain(this.gains());
    if (this.mic.muted) session.mute(true);
    session.onDidChangeState((e) => {
      this._onDidChangeSessionState.fire(e);
      if (e.state === SessionState.Disconnected) {
        queueMicrotask(() => {
          this._sessions.delete(session.id);
          this._onDidRemoveSession.fire({ session });
          session.dispose();
        });
      }
    });
    this._onDidAddSession.fire({ session });
    return session;
  }

  private readonly sessionHost: SessionHost = {
    logger: nullLogger,
    engine: () => this.engine,
    onNotify: (session, notify) => this.registry.offerNotify({ sessionId: session.id, ...notify }, session),
    dtmfMethod: (): DtmfMethod => this.configuration.config.policy.session.dtmf_method as DtmfMethod,
    answerHeaders: (): Record<string, string> => this.registry.callHeaders('answer'),
    dialFrom: (from: Session, target: string): Session => {
      const conn = this._connections.find((c) => c.id === from.connection.id);
      if (!conn) throw new InvalidStateError('the connection of the session is gone', 'none');
      return this.dialOn(conn, target);
    },
    createSource: (): AudioSource => this.createSource(),
    createSink: (): AudioSink => this.createSink(),
  };

  private activeCount(except: InviteSession): number {
    return [...this._sessions.values()].filter((s) => s.invite !== except && s.state !== SessionState.Disconnected).length;
  }

  private onIncomingInvite(conn: Connection, invite: InviteSession): void {
    const max = this.options.maxSessions ?? Number.POSITIVE_INFINITY;
    if (this.activeCount(invite) >= max) {
      this.logger.info('session limit reached: 486', { max });
      invite.reject(486, 'Busy Here');
      return;
    }
    const bridge = invite.sdh instanceof MediaBridge ? invite.sdh : undefined;
    if (!bridge) {
      invite.reject(500);
      return;
    }
    // RFC 3261 §13.3.1: an offer we cannot accept (no common codec, SRTP required on one side
    // only, broken SDP) is refused at once with 488 (400 for broken SDP) — before ringing, so
    // the agent never sees a call that could not be answered.
    const offer = invite.request && invite.request.body.length > 0 ? invite.request.body.toString('utf8') : undefined;
    const refusal = offer !== undefined && !invite.replaces ? bridge.checkOffer(offer) : undefined;
    if (refusal) {
      this.logger.info('incoming call refused: its offer cannot be accepted', { status: refusal.suggestedStatus, reason: refusal.message });
      // The rejection ends the signaling session, which disposes the bridge (no stream was made).
      invite.reject(refusal.suggestedStatus, refusal.suggestedStatus === 488 ? 'Not Acceptable Here' : 'Bad Request');
      return;
    }
    const session = this.adopt(conn, invite, bridge);
    if (invite.replaces) {
      // RFC 3891 §3: the new call takes the place of the one it replaces: answer it at once.
      void session.answer().catch((e) => this.logger.warn('answering a Replaces INVITE failed', { error: String(e) }));
      return;
    }
    // RFC 3261 §13.3.1.1: ring.
    invite.progress(180);
    const request = invite.request;
    void this.registry
      .decideIncomingCall(
        {
          sessionId: session.id,
          connectionId: conn.id,
          from: session.remote,
          header: (name) => {
            // Several lines of one header are joined (a marker may be on a second Call-Info line).
            const lines = request?.headers.getAll(name) ?? [];
            return lines.length ? lines.join(', ') : undefined;
          },
        },
        session,
      )
      .then((d) => {
        if (!d || session.state !== SessionState.Alerting) return;
        if (d.rejectWith) {
          session.reject(d.rejectWith.code, d.rejectWith.reason);
          return;
        }
        if (d.autoAnswerAfterMs !== undefined) {
          const answer = (): void => {
            if (session.state === SessionState.Alerting) void session.answer().catch((e) => this.logger.warn('auto-answer failed', { error: String(e) }));
          };
          if (d.autoAnswerAfterMs <= 0) answer();
          else {
            const t = this.clock.setTimeout(answer, d.autoAnswerAfterMs);
            session.onDidChangeState(() => t.dispose());
          }
        }
      });
  }

  private updateStatus(): void {
    const next = this._connections.some((c) => c.state === ConnectionState.Ready) ? EndpointStatus.Active : EndpointStatus.Inactive;
    if (next === this._status) return;
    this._status = next;
    this.logger.info('endpoint status', { status: next });
    this._onDidChangeStatus.fire({ status: next });
  }

  // ------------------------------------------------------------ configuration

  /** The value of a runtime key (`policy.session.auto_answer`, `user:0`, ...); `''` when unknown. */
  getConfigSetting(key: string): string {
    try {
      return this.configuration.get(key);
    } catch {
      return '';
    }
  }

  /**
   * Sets a runtime key. Live settings (codecs, DTMF method, SRTP, auto-answer, ...) apply to the
   * next offer or call; `policy.session.dtx_mode` / `vad_level` / `agc_mode` also apply at once to
   * the running calls' audio; `proxies.proxyN.*` re-registers that line; others apply at the next start.
   * Throws `ConfigError` for an invalid value. Reported by `configuration.onDidChangeConfiguration`.
   */
  setConfigSetting(key: string, value: SettingValue): void {
    this.configuration.set(key, value);
  }

  /** The log file being written (absolute path), or undefined when the endpoint writes none. */
  get logFile(): string | undefined {
    const f = this.logLevelRef.file;
    return f && !f.hasFailed ? f.path : undefined;
  }

  /**
   * `system.diagnostics.enable_logging` / `log_file` / `logger_type` (live): opens, reopens or
   * closes the endpoint's own log file. Records pass `log_level` first, like every other record.
   * A file that cannot be opened gives a warning record (to the logger and the sinks) and the
   * endpoint goes on without it.
   */
  private applyLogFile(): void {
    const d = this.configuration.config.system.diagnostics;
    const type = String(d.logger_type ?? '').trim().toLowerCase();
    const path = String(d.log_file ?? '').trim();
    const ref = this.logLevelRef;
    const want = d.enable_logging === true && path !== '' && (type === '' || type === 'file');
    if (d.enable_logging === true && type !== '' && type !== 'file') this.logger.warn('logger_type not supported: no log file is written (only "file" is)', { logger_type: d.logger_type });
    const current = ref.file;
    if (want && current && !current.hasFailed && current.path === resolvePath(path)) return;
    if (current) {
      // The last line of the old file says why it ends.
      this.logger.info('log file closed', { file: current.path });
      ref.file = undefined;
      void current.close();
    }
    if (!want) return;
    const writer = new LogFileWriter(path, (error) => {
      if (ref.file === writer) ref.file = undefined;
      writer.dispose();
      this.logger.warn('log file cannot be opened: the endpoint goes on without it', { file: writer.path, error: error.message });
    });
    ref.file = writer;
    this.logger.info('log file opened', { file: writer.path, log_level: d.log_level });
  }

  private onConfigChange(e: ConfigurationChangeEvent): void {
    if (e.affects('system.diagnostics.log_level')) this.logLevelRef.threshold = logThreshold(this.configuration.config.system.diagnostics.log_level);
    if (['enable_logging', 'log_file', 'logger_type'].some((k) => e.affects(`system.diagnostics.${k}`))) this.applyLogFile();
    // Live audio processing: running calls take dtx_mode / vad_level / agc_mode at once (engine update, no renegotiation).
    if (['dtx_mode', 'vad_level', 'agc_mode'].some((k) => e.affects(`policy.session.${k}`))) for (const s of this._sessions.values()) s.refreshAudioProcessing();
    // RTP inactivity (live): running calls take the new timeout at once (their count restarts; 0 = never).
    if (e.affects('policy.endpoint.rtp_inactivity_timeout')) for (const s of this._sessions.values()) s.refreshInactivityTimeout();
    for (const ch of e.changes) {
      const m = /^proxies[.:]proxy(\d+)[.:]/.exec(ch.key) ?? /^proxies[.:](\d+)[.:]/.exec(ch.key);
      if (m && ch.applies === 'reregister') this._connections[Number(m[1])]?.reregister();
      else if (ch.applies === 'restart') this.logger.info('setting applies at the next start', { key: ch.key });
    }
  }

  // ------------------------------------------------------------ volumes

  private gains(): { send: number; receive: number } {
    return { send: this.mic.muted ? 0 : this.mic.volume, receive: this.speaker.muted ? 0 : this.speaker.volume };
  }

  private applyGains(): void {
    for (const s of this._sessions.values()) s.applyGain(this.gains());
  }

  /** Speaker volume as a linear gain 0..16 (1 = unchanged); applies to every call at once. */
  get speakerVolume(): number {
    return this.speaker.volume;
  }

  set speakerVolume(v: number) {
    this.speaker.volume = clampGain(v);
    this.applyGains();
  }

  /** Microphone volume as a linear gain 0..16 (1 = unchanged). */
  get micVolume(): number {
    return this.mic.volume;
  }

  set micVolume(v: number) {
    this.mic.volume = clampGain(v);
    this.applyGains();
  }

  /** Whether the speaker is muted (nothing played). */
  get speakerMuted(): boolean {
    return this.speaker.muted;
  }

  set speakerMuted(m: boolean) {
    this.speaker.muted = m;
    this.applyGains();
  }

  /** Whether the microphone is muted on every call. */
  get micMuted(): boolean {
    return this.mic.muted;
  }

  set micMuted(m: boolean) {
    this.mic.muted = m;
    for (const s of this._sessions.values()) s.mute(m);
  }

  // ------------------------------------------------------------ providers

  /** Registers a call-control provider (hooks run in registration order; errors are isolated). */
  registerCallControlProvider(provider: CallControlProvider): IDisposable {
    return this.registry.registerCallControlProvider(provider);
  }

  /** Registers a codec provider (orders the configured and available codecs). */
  registerCodecProvider(provider: CodecProvider): IDisposable {
    return this.registry.registerCodecProvider(provider);
  }

  /** Registers a device provider (chooses sound devices before `policy.device`). */
  registerDeviceProvider(provider: DeviceProvider): IDisposable {
    return this.registry.registerDeviceProvider(provider);
  }

  /** Registers a header provider (headers for outgoing INVITEs). */
  registerHeaderProvider(provider: HeaderProvider): IDisposable {
    return this.registry.registerHeaderProvider(provider);
  }

  /** Registers a log sink (every record of the endpoint). */
  registerLogSink(sink: LogSinkProvider): IDisposable {
    return this.registry.registerLogSink(sink);
  }

  // ------------------------------------------------------------ teardown

  /**
   * Hangs up every call, unregisters every line (connections go Unregistering -> ShuttingDown ->
   * Disabled), then disposes the endpoint and its media engine. Resolves when done (the log file,
   * when `enable_logging` is on, flushed and closed); idempotent.
   */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      await Promise.all([...this._sessions.values()].map((s) => s.hangup().catch(() => undefined)));
      await Promise.all(this._connections.map((c) => c.shutdown().catch(() => undefined)));
      this.dispose();
      // The log file is flushed and closed before shutdown() resolves.
      await this.logFileClosed;
    })();
    return this.shuttingDown;
  }

  /**
   * Disposes at once: sessions end without BYE, connections close without unregistering, the
   * media engine (when owned) closes, the log file is ended (its buffered records are still
   * flushed, in the background). Prefer `shutdown()` for a clean end. Idempotent.
   */
  override dispose(): void {
    if (this.isDisposed) return;
    for (const s of [...this._sessions.values()]) s.dispose();
    this._sessions.clear();
    for (const c of this._connections) c.dispose();
    super.dispose();
    // Last: the records of the teardown above are in the file; what is buffered is flushed.
    const file = this.logLevelRef.file;
    this.logLevelRef.file = undefined;
    if (file) this.logFileClosed = file.close();
    if (!(this.options.mediaEngine instanceof MediaEngine)) this.engine.dispose();
    this.updateStatusAfterDispose();
  }

  private updateStatusAfterDispose(): void {
    this._status = EndpointStatus.Inactive;
  }
}

function clampGain(v: number): number {
  if (!Number.isFinite(v)) throw new SdkError(ErrorCode.InvalidArgument, `not a volume: ${v}`);
  return Math.min(16, Math.max(0, v));
}

