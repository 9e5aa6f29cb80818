/** A protocol client for the host tests: keeps the latest snapshot and the messages, sends commands. */
import WebSocket from 'ws';
import type { CallView, Command, QualitySample, ServerMessage, Snapshot } from '../../src/protocol';

/** A UI stand-in over the WebSocket. */
export class TestClient {
  snapshot: Snapshot | undefined;
  readonly messages: ServerMessage[] = [];
  readonly samples: QualitySample[] = [];
  private seq = 0;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerMessage;
      this.messages.push(m);
      if (m.type === 'snapshot') this.snapshot = m.snapshot;
      if (m.type === 'stats') this.samples.push(...m.samples);
      for (const w of [...this.waiters]) w();
    });
  }

  /** Connects to `http://127.0.0.1:<port>/` (its `/ws`) and waits for the first snapshot. */
  static async connect(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}ws`, { headers });
    const c = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await c.waitFor(() => c.snapshot !== undefined, 5000, 'first snapshot');
    return c;
  }

  /** Resolves once `pred` holds after some message (rejects after `timeoutMs`). */
  waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pred()) return;
        cleanup();
        resolve();
      };
      const t = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; last snapshot: ${JSON.stringify(this.snapshot?.calls)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(t);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** The live calls of the last snapshot. */
  get live(): CallView[] {
    return (this.snapshot?.calls ?? []).filter((c) => c.state !== 'Disconnected');
  }

  /** Waits for a live call matching `pred` and returns it. */
  async call(pred: (c: CallView) => boolean, timeoutMs: number, what: string): Promise<CallView> {
    await this.waitFor(() => this.live.some(pred), timeoutMs, what);
    return this.live.find(pred)!;
  }

  /** Sends a command; resolves on its `result`, rejects with the `error` (code in the message). */
  send(command: Command, timeoutMs = 10_000): Promise<void> {
    const requestId = `t${++this.seq}`;
    this.ws.send(JSON.stringify({ type: 'command', requestId, command }));
    return new Promise((resolve, reject) => {
      const find = (): ServerMessage | undefined => this.messages.find((m) => (m.type === 'result' || m.type === 'error') && m.requestId === requestId);
      this.waitFor(() => find() !== undefined, timeoutMs, `answer to ${command.name}`).then(() => {
        const m = find()!;
        if (m.type === 'error') reject(new Error(`${m.code}: ${m.message}`));
        else resolve();
      }, reject);
    });
  }

  /** Sends raw text. */
  raw(text: string): void {
    this.ws.send(text);
  }

  close(): void {
    this.ws.terminate();
  }
}
