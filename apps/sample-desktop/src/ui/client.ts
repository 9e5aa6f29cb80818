/**
 * The UI's side of the protocol: a WebSocket to the host that keeps the latest snapshot, the
 * quality samples per call, received digits and errors, and sends commands. Reconnects (every
 * 1 s) when the host goes away.
 */
import { PROTOCOL_VERSION, WS_PATH, type Command, type QualitySample, type ServerMessage, type Snapshot } from '../protocol';
import type { UiError } from './components/ErrorBanner';

/** What the UI renders. */
export interface ClientState {
  readonly connection: 'connecting' | 'open' | 'closed';
  readonly snapshot?: Snapshot;
  readonly samples: Readonly<Record<string, readonly QualitySample[]>>;
  readonly dtmf: Readonly<Record<string, string>>;
  readonly errors: readonly UiError[];
}

const MAX_SAMPLES = 300;

/** A connection to the host; `subscribe` is called with every new state. */
export class HostClient {
  private ws: WebSocket | undefined;
  private state: ClientState = { connection: 'connecting', samples: {}, dtmf: {}, errors: [] };
  private readonly listeners = new Set<(s: ClientState) => void>();
  private seq = 0;
  private errorSeq = 0;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly url: string = HostClient.defaultUrl()) {
    this.open();
  }

  /** `ws://<the page's host>/ws`. */
  static defaultUrl(): string {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}${WS_PATH}`;
  }

  /** The state now. */
  get current(): ClientState {
    return this.state;
  }

  /** Calls `fn` on every change; returns the unsubscribe function. */
  subscribe(fn: (s: ClientState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Sends a command; its failure arrives as an error in the state. Returns the request id. */
  send(command: Command): string {
    const requestId = `r${++this.seq}`;
    if (this.ws?.readyState !== WebSocket.OPEN) {
      this.addError({ command: command.name, code: 'NOT_CONNECTED', message: 'the host is not connected' });
      return requestId;
    }
    this.ws.send(JSON.stringify({ type: 'command', requestId, command }));
    return requestId;
  }

  /** Removes an error from the banner. */
  dismissError(id: number): void {
    this.set({ errors: this.state.errors.filter((e) => e.id !== id) });
  }

  /** Closes the connection for good. */
  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.ws?.close();
  }

  private set(patch: Partial<ClientState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l(this.state);
  }

  private addError(e: Omit<UiError, 'id'>): void {
    const err: UiError = { id: ++this.errorSeq, ...e };
    this.set({ errors: [err, ...this.state.errors].slice(0, 5) });
  }

  private open(): void {
    if (this.closed) return;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.set({ connection: 'connecting' });
    ws.onopen = () => this.set({ connection: 'open' });
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.set({ connection: 'closed' });
      if (!this.closed) this.retry = setTimeout(() => this.open(), 1000);
    };
    ws.onmessage = (ev) => {
      let m: ServerMessage;
      try {
        m = JSON.parse(String(ev.data)) as ServerMessage;
      } catch {
        return;
      }
      this.onMessage(m);
    };
  }

  private onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'hello':
        if (m.protocol !== PROTOCOL_VERSION) this.addError({ code: 'PROTOCOL', message: `the host speaks protocol ${m.protocol}, this UI ${PROTOCOL_VERSION}` });
        return;
      case 'snapshot': {
        // Forget the samples and digits of calls that are gone.
        const live = new Set(m.snapshot.calls.filter((c) => c.state !== 'Disconnected').map((c) => c.id));
        const samples = Object.fromEntries(Object.entries(this.state.samples).filter(([id]) => live.has(id)));
        this.set({ snapshot: m.snapshot, samples });
        return;
      }
      case 'stats': {
        const next: Record<string, QualitySample[]> = { ...(this.state.samples as Record<string, QualitySample[]>) };
        for (const q of m.samples) next[q.sessionId] = [...(next[q.sessionId] ?? []), q].slice(-MAX_SAMPLES);
        this.set({ samples: next });
        return;
      }
      case 'dtmf':
        this.set({ dtmf: { ...this.state.dtmf, [m.sessionId]: (this.state.dtmf[m.sessionId] ?? '') + m.digit } });
        return;
      case 'error':
        this.addError({ ...(m.command ? { command: m.command } : {}), code: m.code, message: m.message });
        return;
      case 'result':
        return;
    }
  }
}
