/**
 * Headless agent endpoints for the demo: one `createEndpoint` per DN (with the built-in Genesys
 * provider), registering to the simulated SIP Server. Without audio devices the endpoint sends
 * silence, so RTP flows through the relay on every connected call.
 */
import { Disposable, Emitter, type Event, type Logger } from '@sip-endpoint/base';
import { ConnectionState, createEndpoint, type Endpoint, type EndpointOptions, type Session } from '@sip-endpoint/endpoint';

/** What one agent's endpoint is doing, for the tests and the trace. */
export interface AgentSessionView {
  readonly id: string;
  readonly state: string;
  readonly held: boolean;
}

/** One headless agent endpoint. */
export class HeadlessAgent extends Disposable {
  /** Every session the endpoint had, in order (the endpoint forgets Disconnected ones). */
  readonly history: Session[] = [];
  private readonly _onDidChange = this._register(new Emitter<{ agent: HeadlessAgent; session: Session }>());
  /** A session of this agent was added or changed state / hold. */
  readonly onDidChange: Event<{ agent: HeadlessAgent; session: Session }> = this._onDidChange.event;

  constructor(
    readonly dn: string,
    readonly endpoint: Endpoint,
  ) {
    super();
    this._register(
      endpoint.onDidAddSession(({ session }) => {
        this.history.push(session);
        session.onDidChangeHeld(() => this._onDidChange.fire({ agent: this, session }));
        this._onDidChange.fire({ agent: this, session });
      }),
    );
    this._register(endpoint.onDidChangeSessionState((e) => this._onDidChange.fire({ agent: this, session: e.session })));
  }

  /** The sessions that are not Disconnected. */
  get live(): AgentSessionView[] {
    return this.history.filter((s) => s.state !== 'Disconnected').map((s) => ({ id: s.id, state: s.state, held: s.held }));
  }

  /** Whether the line is registered (Ready). */
  get ready(): boolean {
    return this.endpoint.connections[0]?.state === ConnectionState.Ready;
  }

  /** Unregisters and ends the endpoint's calls; resolves when done (bounded by the endpoint). */
  async shutdown(): Promise<void> {
    await this.endpoint.shutdown().catch(() => undefined);
    this.dispose();
  }
}

/** Options of {@link startAgent}. */
export interface StartAgentOptions {
  /** `127.0.0.1:<port>` of the SIP Server. */
  registrar: string;
  domain: string;
  password?: string | undefined;
  /** Transport of the line (default UDP). */
  protocol?: 'UDP' | 'TCP';
  logger?: Logger | undefined;
  /** Extra endpoint options (audio sources for tests, a media engine). */
  endpoint?: EndpointOptions | undefined;
  /** Bound on the wait for Ready (default 10 s). */
  timeoutMs?: number;
}

/** Starts an endpoint for `dn` and resolves once its line is Ready (rejects after `timeoutMs`). */
export async function startAgent(dn: string, o: StartAgentOptions): Promise<HeadlessAgent> {
  const endpoint = await createEndpoint(
    {
      connectivity: [{ user: dn, server: o.registrar, protocol: o.protocol ?? 'UDP' }],
      proxies: [{ reg_timeout: 300, reg_interval: 2, ...(o.password !== undefined ? { password: o.password } : {}) }],
    } as never,
    { ephemeralPorts: true, listenAddress: '127.0.0.1', domain: o.domain, ...(o.logger ? { logger: o.logger } : {}), ...o.endpoint },
  );
  const agent = new HeadlessAgent(dn, endpoint);
  const deadline = Date.now() + (o.timeoutMs ?? 10_000);
  while (!agent.ready) {
    if (Date.now() > deadline) {
      await agent.shutdown();
      throw new Error(`agent ${dn} did not register within ${o.timeoutMs ?? 10_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return agent;
}
