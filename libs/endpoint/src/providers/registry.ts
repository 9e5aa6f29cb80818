/**
 * The provider registry behind {@link ProviderRegistry}: keeps providers in registration order and
 * runs their hooks with error isolation (a provider that throws or rejects is logged and skipped,
 * never breaks a call).
 */
import { Disposable, toDisposable, type IDisposable, type Logger, type LogRecord } from '@sip-endpoint/base';
import type {
  CallControlProvider,
  CodecProvider,
  DeviceProvider,
  HeaderProvider,
  IncomingCallDecision,
  IncomingCallInfo,
  LogSinkProvider,
  ProviderRegistry,
  SessionControl,
  UnsolicitedNotify,
} from './api';

/**
 * Holds the registered providers of one endpoint and runs their hooks. Each `register*` returns a
 * Disposable that unregisters; disposing the registry drops every provider.
 */
export class ProviderRegistryImpl extends Disposable implements ProviderRegistry {
  private readonly callControl: CallControlProvider[] = [];
  private readonly codecs: CodecProvider[] = [];
  private readonly devices: DeviceProvider[] = [];
  private readonly headers: HeaderProvider[] = [];
  private readonly sinks: LogSinkProvider[] = [];

  constructor(private readonly logger: Logger) {
    super();
  }

  /** Registers a call-control provider (hooks run in registration order). */
  registerCallControlProvider(provider: CallControlProvider): IDisposable {
    return this.add(this.callControl, provider);
  }

  /** Registers a codec provider (the last registered one orders the codecs). */
  registerCodecProvider(provider: CodecProvider): IDisposable {
    return this.add(this.codecs, provider);
  }

  /** Registers a device provider (the first one that returns a device wins). */
  registerDeviceProvider(provider: DeviceProvider): IDisposable {
    return this.add(this.devices, provider);
  }

  /** Registers a header provider (headers of all providers are merged, later ones win). */
  registerHeaderProvider(provider: HeaderProvider): IDisposable {
    return this.add(this.headers, provider);
  }

  /** Registers a log sink (receives every log record of the endpoint). */
  registerLogSink(sink: LogSinkProvider): IDisposable {
    return this.add(this.sinks, sink);
  }

  private add<T>(list: T[], item: T): IDisposable {
    if (this.isDisposed) return toDisposable(() => undefined);
    list.push(item);
    return toDisposable(() => {
      const i = list.indexOf(item);
      if (i >= 0) list.splice(i, 1);
    });
  }

  private isolate<T>(what: string, id: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      this.logger.warn('provider failed: skipped', { provider: id, hook: what, error: String(e) });
      return undefined;
    }
  }

  /** Headers from every call-control provider for `kind` (merged; a throwing provider is skipped). */
  callHeaders(kind: 'invite' | 'provisional' | 'answer'): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of [...this.callControl]) {
      if (!p.provideHeaders) continue;
      const h = this.isolate('provideHeaders', p.id, () => p.provideHeaders?.({ kind }));
      if (h) Object.assign(out, h);
    }
    return out;
  }

  /** Headers from every header provider for an outgoing request. */
  requestHeaders(request: { readonly method: string; readonly target: string }): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of [...this.headers]) {
      const h = this.isolate('provideHeaders', p.id, () => p.provideHeaders(request));
      if (h) Object.assign(out, h);
    }
    return out;
  }

  /** Asks the call-control providers about an incoming call: the first non-undefined decision wins. */
  async decideIncomingCall(call: IncomingCallInfo, session: SessionControl): Promise<IncomingCallDecision | undefined> {
    for (const p of [...this.callControl]) {
      if (!p.onIncomingCall) continue;
      try {
        const d = await p.onIncomingCall(call, session);
        if (d !== undefined) return d;
      } catch (e) {
        this.logger.warn('provider failed: skipped', { provider: p.id, hook: 'onIncomingCall', error: String(e) });
      }
    }
    return undefined;
  }

  /** Offers an unsolicited NOTIFY to every call-control provider; true when one handled it. */
  async offerNotify(notify: UnsolicitedNotify, session: SessionControl): Promise<boolean> {
    for (const p of [...this.callControl]) {
      if (!p.onNotify) continue;
      try {
        if (await p.onNotify(notify, session)) return true;
      } catch (e) {
        this.logger.warn('provider failed: skipped', { provider: p.id, hook: 'onNotify', error: String(e) });
      }
    }
    return false;
  }

  /** Orders `available` codecs through the most recently registered codec provider (or returns them unchanged). */
  orderCodecs(available: readonly string[]): readonly string[] {
    for (const p of [...this.codecs].reverse()) {
      const r = this.isolate('orderCodecs', p.id, () => p.orderCodecs(available));
      if (r) return r.filter((c) => available.includes(c));
    }
    return available;
  }

  /** Asks the device providers for an input (or output) device; the first answer wins. */
  selectDevice(direction: 'input' | 'output', devices: readonly string[]): string | undefined {
    for (const p of [...this.devices]) {
      const r = this.isolate(direction === 'input' ? 'selectInput' : 'selectOutput', p.id, () =>
        direction === 'input' ? p.selectInput?.(devices) : p.selectOutput?.(devices),
      );
      if (r !== undefined) return r;
    }
    return undefined;
  }

  /** Hands a log record to every sink (a throwing sink is ignored: logging must not recurse). */
  log(record: LogRecord): void {
    for (const s of this.sinks) {
      try {
        s(record);
      } catch {
        // a broken sink cannot be logged to itself
      }
    }
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.callControl.length = 0;
    this.codecs.length = 0;
    this.devices.length = 0;
    this.headers.length = 0;
    this.sinks.length = 0;
    super.dispose();
  }
}
