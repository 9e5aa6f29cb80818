/**
 * A small registrar and redirect server (RFC 3261 §10.3, §8.3, §21.3.3) on a {@link SipStack}:
 * REGISTER with digest authentication, bindings that expire on the stack's clock, 423 below
 * the minimum interval, and a 302 (Moved Temporarily) with the registered Contacts for every
 * other request addressed to a registered AOR (by the domain, or by the registrar's own address
 * with the AOR's user part). It is what the demo and the tests use as "the
 * server"; a production deployment talks to a real SIP Server instead.
 */
import { randomBytes } from 'node:crypto';
import { Disposable, Emitter, type Event, type TimerHandle } from '@sip-endpoint/base';
import { H, createResponse, formatNameAddr, formatUri, type NameAddr, type SipRequest, type Uri } from '../message/index';
import { createDigestChallenge, verifyDigest, type DigestCredentialsLookup } from '../auth/index';
import type { ServerTransaction } from '../transaction/index';
import type { SipStack } from './stack';

/** Options of a {@link Registrar}. */
export interface RegistrarOptions {
  /** The domain served; it is also the digest realm. */
  domain: string;
  /** Finds a user's password (or HA1); without it, every REGISTER is accepted unauthenticated. */
  credentials?: DigestCredentialsLookup;
  /** Shortest binding accepted, in seconds (default 60); shorter gets 423 with Min-Expires. */
  minExpires?: number;
  /** Longest binding granted, in seconds (default 3600). */
  maxExpires?: number;
  /** Lifetime when the REGISTER names none, in seconds (default 3600). */
  defaultExpires?: number;
}

/** One registered contact of an AOR. */
export interface Binding {
  readonly aor: string;
  readonly contact: NameAddr;
  /** Seconds granted. */
  readonly expires: number;
  readonly callId: string;
  readonly cseq: number;
}

interface StoredBinding extends Binding {
  timer: TimerHandle;
}

/** The AOR key of a URI: `sip:user@host`, lower-cased host. */
function aorKey(uri: Uri): string {
  if (uri.kind !== 'sip') return formatUri(uri);
  return `sip:${uri.user ?? ''}@${uri.host.toLowerCase()}`;
}

function contactKey(na: NameAddr): string {
  return formatUri(na.uri).toLowerCase();
}

/** A registrar with location service and redirect. Dispose it to stop answering and drop every binding. */
export class Registrar extends Disposable {
  private readonly store = new Map<string, Map<string, StoredBinding>>();
  private readonly nonces = new Set<string>();
  private readonly _onDidChangeBindings = this._register(new Emitter<{ aor: string; bindings: readonly Binding[] }>());
  /** The bindings of an AOR changed (added, refreshed, removed, expired). */
  readonly onDidChangeBindings: Event<{ aor: string; bindings: readonly Binding[] }> = this._onDidChangeBindings.event;

  constructor(
    private readonly stack: SipStack,
    private readonly options: RegistrarOptions,
  ) {
    super();
    this._register(stack.onDidReceiveRequest((e) => void this.onRequest(e.request, e.transaction)));
  }

  /** The live bindings of `aor` (e.g. `sip:bob@example.com`). */
  bindings(aor: string): Binding[] {
    return [...(this.store.get(aor.toLowerCase())?.values() ?? [])].map(({ timer: _t, ...b }) => b);
  }

  private async onRequest(request: SipRequest, tx: ServerTransaction): Promise<void> {
    if (request.to.params.has('tag')) return; // in-dialog: not ours
    if (request.method === 'REGISTER') return this.onRegister(request, tx);
    if (!this.isForUs(request.uri)) return;
    const bindings = this.bindings(`sip:${request.uri.kind === 'sip' ? (request.uri.user ?? '') : ''}@${this.options.domain.toLowerCase()}`);
    if (bindings.length === 0) {
      tx.respond(createResponse(request, 404, 'Not Found', { toTag: token() }));
      return;
    }
    // RFC 3261 §21.3.3 / §8.3: a redirect server answers 302 with the registered contacts.
    const res = createResponse(request, 302, 'Moved Temporarily', { toTag: token() });
    res.setHeader('Contact', bindings.map((b) => formatNameAddr({ ...b.contact, params: new Map([['expires', String(b.expires)]]) })).join(', '));
    tx.respond(res);
  }

  /** Whether a Request-URI names our domain, or one of our listening addresses. */
  private isForUs(uri: Uri): boolean {
    if (uri.kind !== 'sip') return false;
    const host = uri.host.toLowerCase();
    if (host === this.options.domain.toLowerCase()) return true;
    return this.stack.listeningPoints.some((p) => p.address === host.replace(/^\[|\]$/g, '') && (uri.port ?? 5060) === p.port);
  }

  private async onRegister(request: SipRequest, tx: ServerTransaction): Promise<void> {
    if (!this.isForUs(request.uri)) {
      // RFC 3261 §10.3 step 1: not our domain.
      tx.respond(createResponse(request, 403, 'Forbidden', { toTag: token() }));
      return;
    }
    if (this.options.credentials) {
      const check = await verifyDigest(request, this.options.credentials, {
        realm: this.options.domain,
        checkNonce: (nonce) => (this.nonces.has(nonce) ? 'valid' : 'invalid'),
      });
      if (!check.ok) {
        // RFC 3261 §10.3 step 3, §22.1: challenge (again) with a fresh nonce.
        const nonce = token(16);
        this.nonces.add(nonce);
        if (this.nonces.size > 10_000) this.nonces.delete(this.nonces.values().next().value as string);
        const res = createResponse(request, 401, 'Unauthorized', { toTag: token() });
        res.set(H.WWWAuthenticate, [createDigestChallenge({ realm: this.options.domain, nonce, stale: check.stale })]);
        tx.respond(res);
        return;
      }
      const toUser = request.to.uri.kind === 'sip' ? request.to.uri.user : undefined;
      if (toUser !== check.username) {
        // RFC 3261 §10.3 step 6: the authenticated user must be allowed to change this AOR.
        tx.respond(createResponse(request, 403, 'Forbidden', { toTag: token() }));
        return;
      }
    }
    const aor = aorKey(request.to.uri);
    const contact = request.contact;
    const headerExpires = request.get(H.Expires);
    const map = this.store.get(aor) ?? new Map<string, StoredBinding>();
    if (contact?.star) {
      // RFC 3261 §10.3 step 6: "*" with Expires: 0 removes every binding.
      if (headerExpires !== 0) {
        tx.respond(createResponse(request, 400, 'Contact * needs Expires: 0', { toTag: token() }));
        return;
      }
      for (const b of map.values()) b.timer.dispose();
      map.clear();
    } else if (contact) {
      const min = this.options.minExpires ?? 60;
      for (const c of contact.contacts) {
        const asked = Number(c.params.get('expires') ?? headerExpires ?? this.options.defaultExpires ?? 3600);
        if (asked > 0 && asked < min) {
          // RFC 3261 §10.3 step 7: too brief: 423 with Min-Expires.
          const res = createResponse(request, 423, 'Interval Too Brief', { toTag: token() });
          res.set(H.MinExpires, min);
          tx.respond(res);
          return;
        }
      }
      for (const c of contact.contacts) {
        const key = contactKey(c);
        const asked = Number(c.params.get('expires') ?? headerExpires ?? this.options.defaultExpires ?? 3600);
        map.get(key)?.timer.dispose();
        if (asked === 0) {
          map.delete(key);
          continue;
        }
        const expires = Math.min(asked, this.options.maxExpires ?? 3600);
        const timer = this.stack.clock.setTimeout(() => this.expire(aor, key), expires * 1000);
        map.set(key, { aor, contact: { ...c, params: new Map() }, expires, callId: request.callId, cseq: request.cseq.seq, timer });
      }
    }
    if (map.size) this.store.set(aor, map);
    else this.store.delete(aor);
    const res = createResponse(request, 200, 'OK', { toTag: token() });
    const current = this.bindings(aor);
    if (current.length) res.setHeader('Contact', current.map((b) => formatNameAddr({ ...b.contact, params: new Map([['expires', String(b.expires)]]) })).join(', '));
    tx.respond(res);
    this._onDidChangeBindings.fire({ aor, bindings: current });
  }

  private expire(aor: string, key: string): void {
    const map = this.store.get(aor);
    if (!map?.delete(key)) return;
    if (map.size === 0) this.store.delete(aor);
    this._onDidChangeBindings.fire({ aor, bindings: this.bindings(aor) });
  }

  override dispose(): void {
    for (const map of this.store.values()) for (const b of map.values()) b.timer.dispose();
    this.store.clear();
    super.dispose();
  }
}

function token(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}
