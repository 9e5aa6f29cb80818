/**
 * Digest credentials whose secret cannot leak: the password (or HA1) is kept in a module-private
 * WeakMap, not on the object, so `JSON.stringify`, `util.inspect`, `Object.keys`, spreading and
 * loggers see only the user name and realm.
 */
import { inspect } from 'node:util';
import { ErrorCode, SdkError } from '@sip-endpoint/base';
import { digestHash, digestHashOf, type DigestAlgorithm, type DigestHash, type DigestSecret } from './digest';

/** What a {@link DigestCredentials} is made from. Give `password`, or `ha1` (with its hash). */
export interface DigestCredentialsInit {
  /** The user name of the digest (RFC 3261 §22.4: often the user part of the AOR). */
  username: string;
  /** The password. */
  password?: string;
  /**
   * `H(username:realm:password)` computed beforehand, instead of the password. It binds the
   * credentials to one realm and one hash function ({@link DigestCredentialsInit.ha1Algorithm}).
   */
  ha1?: string;
  /** The hash function of `ha1` (default `MD5`). */
  ha1Algorithm?: DigestHash;
  /** The realm these credentials are for; without one they answer any realm. */
  realm?: string;
}

interface Secret {
  readonly password?: string;
  readonly ha1?: string;
  readonly ha1Hash: DigestHash;
}

const SECRETS = new WeakMap<DigestCredentials, Secret>();
const REDACTED = '<redacted>';

/**
 * A user name and a password (or HA1) for digest authentication. The secret is never
 * serialized, inspected, logged or put in an error message: `toJSON()` and
 * `[util.inspect.custom]` show the user name and realm only.
 */
export class DigestCredentials {
  /** The user name. */
  readonly username: string;
  /** The realm, when the credentials are bound to one. */
  readonly realm: string | undefined;

  constructor(init: DigestCredentialsInit) {
    if (typeof init.username !== 'string' || init.username === '') {
      throw new SdkError(ErrorCode.InvalidArgument, 'digest credentials need a username');
    }
    if (init.password === undefined && init.ha1 === undefined) {
      throw new SdkError(ErrorCode.InvalidArgument, 'digest credentials need a password or an ha1');
    }
    if (init.password === undefined && init.realm === undefined) {
      throw new SdkError(ErrorCode.InvalidArgument, 'digest credentials given as ha1 need the realm the ha1 was computed for');
    }
    this.username = init.username;
    this.realm = init.realm;
    const secret: Secret =
      init.password !== undefined ? { password: init.password, ha1Hash: 'MD5' } : { ha1: (init.ha1 ?? '').toLowerCase(), ha1Hash: init.ha1Algorithm ?? 'MD5' };
    SECRETS.set(this, secret);
    Object.freeze(this);
  }

  /** `value` itself when it already is credentials, else new credentials from it. */
  static from(value: DigestCredentials | DigestCredentialsInit): DigestCredentials {
    return value instanceof DigestCredentials ? value : new DigestCredentials(value);
  }

  /** Whether these credentials answer challenges of `realm`. */
  matchesRealm(realm: string): boolean {
    return this.realm === undefined || this.realm === realm;
  }

  /** Whether a digest with `algorithm` can be computed (an HA1 serves only its own hash). */
  supports(algorithm: DigestAlgorithm): boolean {
    const s = SECRETS.get(this);
    if (!s) return false;
    return s.password !== undefined || s.ha1Hash === digestHashOf(algorithm);
  }

  /** Shows the user name and realm only. */
  toJSON(): { username: string; realm?: string; secret: string } {
    return { username: this.username, ...(this.realm !== undefined ? { realm: this.realm } : {}), secret: REDACTED };
  }

  /** Shows the user name and realm only. */
  toString(): string {
    return `DigestCredentials(${this.username}${this.realm !== undefined ? `@${this.realm}` : ''}, ${REDACTED})`;
  }

  /** Shows the user name and realm only. */
  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * @internal The secret of `credentials` in the form the digest computation takes, for the hash
 * of `algorithm` in `realm`. Not exported from the package.
 */
export function secretOf(credentials: DigestCredentials, algorithm: DigestAlgorithm, realm: string): DigestSecret | undefined {
  const s = SECRETS.get(credentials);
  if (!s) return undefined;
  if (s.password !== undefined) return { password: s.password };
  if (s.ha1 === undefined || s.ha1Hash !== digestHashOf(algorithm) || credentials.realm !== realm) return undefined;
  return { ha1: s.ha1 };
}

/** `H(username:realm:password)` for storing instead of the password (RFC 7616 §3.4.2). */
export function computeHa1(username: string, realm: string, password: string, hash: DigestHash = 'MD5'): string {
  return digestHash(hash, `${username}:${realm}:${password}`);
}
