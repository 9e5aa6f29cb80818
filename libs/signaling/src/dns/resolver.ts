/**
 * RFC 3263 §4 ("Client Usage"): from a SIP or SIPS URI to an ordered list of
 * transport/address/port targets, through NAPTR, SRV and A/AAAA records.
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  CancellationError,
  CancellationToken,
  Disposable,
  ErrorCode,
  nullLogger,
  realClock,
  SdkError,
  type Clock,
  type Logger,
} from '@sip-endpoint/base';
import { DnsResolutionError } from './errors';
import { orderSrvRecords, type RandomSource, type SrvRecord } from './srv';
import { TargetBlacklist, TargetList } from './target-list';
import { defaultPortFor, TARGET_TRANSPORTS, targetKey, type ResolvedTarget, type SipTarget, type TargetTransport } from './types';

/** Options of a {@link SipResolver}. */
export interface SipResolverOptions {
  /**
   * DNS servers as `ip` or `ip:port` (`[ip6]:port` for IPv6), as `Resolver.setServers` of
   * `node:dns` takes them. Default: the system's servers.
   */
  servers?: readonly string[];
  /**
   * Time one query waits for an answer before it is sent again, in ms (default 2000).
   * DEVIATION(ARCHITECTURE "time is injected"): query timeouts run on the real timers of
   * `node:dns` (c-ares), not on {@link SipResolverOptions.clock}; the clock drives the blacklist.
   * A lookup is bounded by about `timeoutMs * tries` per query round (cancel it with a token).
   */
  timeoutMs?: number;
  /** How many times a query is sent before it fails (default 2). */
  tries?: number;
  /** The clock of the blacklist expiry (default: the real clock). */
  clock?: Clock;
  /** Where lookups are logged (debug level). */
  logger?: Logger;
  /** Put IPv6 addresses of a name before its IPv4 addresses (default false). */
  preferIPv6?: boolean;
  /** Address families to return (default both). */
  families?: readonly (4 | 6)[];
  /**
   * Transports this client can use, in order of preference (default `['udp', 'tcp', 'tls']`).
   * NAPTR and SRV records of other transports are ignored (RFC 3263 §4.1).
   */
  supportedTransports?: readonly TargetTransport[];
  /** How long a failed target stays blacklisted, in ms (default 32 000). */
  blacklistMs?: number;
  /** A blacklist shared with other resolvers; by default each resolver owns one. */
  blacklist?: TargetBlacklist;
  /** What lookups do with blacklisted targets: order them `last` (default) or `skip` them. */
  blacklistPolicy?: 'last' | 'skip';
  /** Random source of the SRV weight ordering (RFC 2782); injectable for tests. */
  random?: RandomSource;
}

interface NaptrRecord {
  flags: string;
  service: string;
  regexp: string;
  replacement: string;
  order: number;
  preference: number;
}

/** NAPTR services of RFC 3263 §4.1, to the transport each selects. */
const NAPTR_SERVICES: Readonly<Record<string, TargetTransport>> = {
  'SIP+D2U': 'udp',
  'SIP+D2T': 'tcp',
  'SIPS+D2T': 'tls',
};

/** The SRV owner name prefix of a transport (RFC 3263 §4.1, §4.2). */
function srvPrefix(transport: TargetTransport): string {
  return transport === 'tls' ? '_sips._tcp' : transport === 'udp' ? '_sip._udp' : '_sip._tcp';
}

/** One lookup in flight: its own `node:dns` Resolver (so it can be cancelled alone) and its log. */
class Lookup {
  readonly tried: string[] = [];
  constructor(
    readonly dns: Resolver,
    readonly token: CancellationToken,
  ) {}
}

/**
 * Resolves SIP and SIPS URIs to ordered targets as RFC 3263 §4 describes, and remembers the
 * targets that failed (see {@link TargetList.next}) so later lookups order them last.
 *
 * Disposing it cancels every lookup in flight (their promises reject with an `SdkError` of
 * code `DISPOSED`) and releases the blacklist it owns.
 */
export class SipResolver extends Disposable {
  private readonly options: SipResolverOptions;
  private readonly logger: Logger;
  private readonly supported: readonly TargetTransport[];
  private readonly families: readonly (4 | 6)[];
  private readonly active = new Set<Lookup>();
  /** The blacklist of failed targets (its own, or the one given in the options). */
  readonly blacklist: TargetBlacklist;

  constructor(options: SipResolverOptions = {}) {
    super();
    this.options = options;
    this.logger = (options.logger ?? nullLogger).child({ component: 'dns' });
    const supported = (options.supportedTransports ?? TARGET_TRANSPORTS).filter((t, i, a) => a.indexOf(t) === i);
    if (supported.length === 0) throw new SdkError(ErrorCode.InvalidArgument, 'SipResolver: supportedTransports must not be empty');
    this.supported = supported;
    const families = options.families ?? (options.preferIPv6 ? [6, 4] : [4, 6]);
    this.families = options.preferIPv6 ? [...families].sort((a, b) => b - a) : [...families].sort((a, b) => a - b);
    this.blacklist = options.blacklist ?? this._register(new TargetBlacklist({ clock: options.clock ?? realClock, defaultMs: options.blacklistMs ?? 32_000 }));
  }

  /**
   * Resolves `target` and wraps the result in a {@link TargetList} that reports failures to
   * this resolver's blacklist. Settles like {@link SipResolver.resolve}.
   */
  async lookup(target: SipTarget, token: CancellationToken = CancellationToken.None): Promise<TargetList> {
    return new TargetList(await this.resolve(target, token), this.blacklist);
  }

  /**
   * Resolves `target` to an ordered list of targets (RFC 3263 §4.1 transport, §4.2 address and
   * port), blacklisted targets last (or left out, with `blacklistPolicy: 'skip'`, unless all
   * are blacklisted). Resolves with at least one target; rejects with
   * {@link DnsResolutionError} when none is found, with `CancellationError` when `token` is
   * cancelled, and with an `SdkError` of code `DISPOSED` when the resolver is disposed.
   */
  async resolve(target: SipTarget, token: CancellationToken = CancellationToken.None): Promise<ResolvedTarget[]> {
    if (this.isDisposed) throw new SdkError(ErrorCode.Disposed, 'SipResolver is disposed');
    if (token.isCancellationRequested) throw new CancellationError();
    const dns = new Resolver({ timeout: this.options.timeoutMs ?? 2000, tries: this.options.tries ?? 2 });
    if (this.options.servers?.length) dns.setServers([...this.options.servers]);
    const lookup = new Lookup(dns, token);
    this.active.add(lookup);
    const sub = token.onCancellationRequested(() => dns.cancel());
    try {
      const found = dedupe(await this.run(target, lookup));
      this.throwIfStopped(lookup);
      const host = stripBrackets(target.host);
      if (found.length === 0) {
        throw new DnsResolutionError(`DNS: no usable SIP target for '${host}' (tried ${lookup.tried.join(', ') || 'nothing'})`, {
          name: host,
          tried: lookup.tried,
        });
      }
      const ordered = this.applyBlacklist(found);
      this.logger.debug('resolved', { host, targets: ordered.map(targetKey) });
      return ordered;
    } finally {
      sub.dispose();
      this.active.delete(lookup);
    }
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    for (const l of this.active) l.dns.cancel();
    this.active.clear();
  }

  private applyBlacklist(targets: ResolvedTarget[]): ResolvedTarget[] {
    const ordered = this.blacklist.order(targets);
    if (this.options.blacklistPolicy !== 'skip') return ordered;
    const healthy = ordered.filter((t) => !this.blacklist.has(t));
    return healthy.length > 0 ? healthy : ordered;
  }

  private throwIfStopped(lookup: Lookup): void {
    if (this.isDisposed) throw new SdkError(ErrorCode.Disposed, 'SipResolver was disposed during the lookup');
    if (lookup.token.isCancellationRequested) throw new CancellationError();
  }

  private defaultTransport(secure: boolean): TargetTransport {
    // RFC 3263 §4.1: the client SHOULD use UDP for a SIP URI, and TCP for a SIPS URI (TLS over
    // TCP). When UDP is not supported here, the most preferred supported transport is used.
    if (secure) return 'tls';
    return this.supported.includes('udp') ? 'udp' : (this.supported[0] ?? 'udp');
  }

  private explicitTransport(target: SipTarget, host: string): TargetTransport | undefined {
    const secure = target.secure === true;
    let t = target.transport;
    if (t === undefined) return undefined;
    if (secure && t === 'tcp') t = 'tls';
    if (secure && t === 'udp') {
      // RFC 3261 §26.2.2: a SIPS URI requires TLS on every hop; UDP cannot carry it.
      throw new DnsResolutionError(`DNS: a SIPS URI cannot be reached over UDP ('${host}')`, { name: host, tried: [] });
    }
    if (!this.supported.includes(t)) {
      throw new DnsResolutionError(`DNS: transport '${t}' required by the URI of '${host}' is not supported here`, { name: host, tried: [] });
    }
    return t;
  }

  private async run(target: SipTarget, lookup: Lookup): Promise<ResolvedTarget[]> {
    const host = stripBrackets(target.host);
    const secure = target.secure === true;
    if (secure && !this.supported.includes('tls')) {
      throw new DnsResolutionError(`DNS: '${host}' is a SIPS target but TLS is not supported here`, { name: host, tried: [] });
    }
    const explicit = this.explicitTransport(target, host);
    const family = isIP(host);
    if (family === 4 || family === 6) {
      // RFC 3263 §4.2: If TARGET is a numeric IP address, the client uses that address. If the
      // URI also contains a port, it uses that port. If no port is specified, it uses the
      // default port for the particular transport protocol.
      const transport = explicit ?? this.defaultTransport(secure);
      if (!this.families.includes(family)) return [];
      return [{ address: host, port: target.port ?? defaultPortFor(transport), transport, family, host }];
    }
    if (target.port !== undefined) {
      // RFC 3263 §4.2: If the TARGET was not a numeric IP address, but a port is present in the
      // URI, the client performs an A or AAAA record lookup of the domain name.
      const transport = explicit ?? this.defaultTransport(secure);
      return this.addresses(host, target.port, transport, lookup);
    }
    if (explicit !== undefined) {
      // RFC 3263 §4.2: If it was not [NAPTR processing], because a transport was specified
      // explicitly, the client performs an SRV query for that specific transport, using the
      // service identifier "_sips" for SIPS URIs.
      const viaSrv = await this.srv(`${srvPrefix(explicit)}.${host}`, explicit, lookup);
      if (viaSrv.length > 0) return viaSrv;
      // RFC 3263 §4.2: If no SRV records were found, the client performs an A or AAAA record
      // lookup of the domain name ... at the default port for that transport.
      return this.addresses(host, defaultPortFor(explicit), explicit, lookup);
    }
    // RFC 3263 §4.1: if no transport protocol or port is specified, and the target is not a
    // numeric IP address, the client SHOULD perform a NAPTR query for the domain in the URI.
    const viaNaptr = await this.naptr(host, secure, lookup);
    if (viaNaptr.length > 0) return viaNaptr;
    // RFC 3263 §4.1: If no NAPTR records are found, the client constructs SRV queries for those
    // transport protocols it supports, and does a query for each. (NAPTR records that led to
    // no address are treated the same way: there is nothing else to try.)
    const transports = secure ? (['tls'] as const) : this.supported;
    const perTransport = await Promise.all(transports.map((t) => this.srv(`${srvPrefix(t)}.${host}`, t, lookup)));
    const viaSrv = perTransport.flat();
    if (viaSrv.length > 0) return viaSrv;
    // RFC 3263 §4.1: If no SRV records are found, the client SHOULD use TCP for a SIPS URI, and
    // UDP for a SIP URI; §4.2: A or AAAA lookup at the default port for that transport.
    const transport = this.defaultTransport(secure);
    return this.addresses(host, defaultPortFor(transport), transport, lookup);
  }

  private async naptr(host: string, secure: boolean, lookup: Lookup): Promise<ResolvedTarget[]> {
    const records = await this.query(lookup, 'NAPTR', host, () => lookup.dns.resolveNaptr(host) as Promise<NaptrRecord[]>);
    const usable: { record: NaptrRecord; transport: TargetTransport }[] = [];
    for (const record of records) {
      const transport = NAPTR_SERVICES[record.service.toUpperCase()];
      // RFC 3263 §4.1: the client SHOULD discard any service fields that identify a resolution
      // service whose value is not "D2X", for values of X that indicate transport protocols
      // supported by the client.
      if (transport === undefined || !this.supported.includes(transport)) continue;
      // RFC 3263 §4.1: a client resolving a SIPS URI MUST discard any services that do not
      // contain "SIPS" as the protocol in the service field.
      if (secure && transport !== 'tls') continue;
      // The "s" flag says the next lookup is SRV on the replacement (RFC 3403 §4.1); a
      // regexp-based rewrite has no meaning for SIP.
      if (record.flags.toLowerCase() !== 's' || record.regexp !== '' || record.replacement === '' || record.replacement === '.') continue;
      usable.push({ record, transport });
    }
    // RFC 3403 §4.1 / RFC 3263 §4.1: records are ordered by order, then by preference.
    usable.sort((a, b) => a.record.order - b.record.order || a.record.preference - b.record.preference);
    const out: ResolvedTarget[] = [];
    for (const { record, transport } of usable) {
      out.push(...(await this.srv(record.replacement, transport, lookup)));
    }
    return out;
  }

  private async srv(name: string, transport: TargetTransport, lookup: Lookup): Promise<ResolvedTarget[]> {
    const records = await this.query(lookup, 'SRV', name, () => lookup.dns.resolveSrv(name) as Promise<SrvRecord[]>);
    // RFC 2782 ordering: priority, then weighted random within a priority.
    const ordered = orderSrvRecords(records, this.options.random);
    const perRecord = await Promise.all(ordered.map((r) => this.addresses(r.name, r.port, transport, lookup)));
    return perRecord.flat();
  }

  private async addresses(name: string, port: number, transport: TargetTransport, lookup: Lookup): Promise<ResolvedTarget[]> {
    const perFamily = await Promise.all(
      this.families.map(async (family) => {
        const type = family === 4 ? 'A' : 'AAAA';
        const list = await this.query(lookup, type, name, () => (family === 4 ? lookup.dns.resolve4(name) : lookup.dns.resolve6(name)));
        return list.map((address): ResolvedTarget => ({ address, port, transport, family, host: name }));
      }),
    );
    return perFamily.flat();
  }

  /** One query; "no such record" and server failures yield `[]` and are noted in `lookup.tried`. */
  private async query<T>(lookup: Lookup, type: string, name: string, run: () => Promise<T[]>): Promise<T[]> {
    this.throwIfStopped(lookup);
    const entry = lookup.tried.length;
    lookup.tried.push(`${type} ${name}`);
    try {
      return await run();
    } catch (e) {
      this.throwIfStopped(lookup);
      const code = (e as { code?: unknown }).code;
      lookup.tried[entry] = `${type} ${name}: ${typeof code === 'string' ? dnsCodeName(code) : 'error'}`;
      this.logger.debug('query failed', { type, name, code });
      return [];
    }
  }
}

function dnsCodeName(code: string): string {
  switch (code) {
    case 'ENOTFOUND':
      return 'NXDOMAIN';
    case 'ENODATA':
      return 'no records';
    case 'ETIMEOUT':
      return 'timeout';
    case 'ESERVFAIL':
      return 'SERVFAIL';
    case 'EREFUSED':
      return 'REFUSED';
    default:
      return code;
  }
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function dedupe(targets: ResolvedTarget[]): ResolvedTarget[] {
  const seen = new Set<string>();
  const out: ResolvedTarget[] = [];
  for (const t of targets) {
    const key = targetKey(t);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  return out;
}
