import { jwtDecode } from 'jwt-decode';
import { MalformedTokenError } from './errors.js';

type Claims = Record<string, unknown>;

const isRecord = (value: unknown): value is Claims =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalString = (claims: Claims, key: string): string | undefined => {
  const value = claims[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new MalformedTokenError(`Claim "${key}" is not a string.`);
  return value;
};

const optionalSeconds = (claims: Claims, key: string): Date | undefined => {
  const value = claims[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MalformedTokenError(`Claim "${key}" is not a number of seconds.`);
  }
  return new Date(value * 1000);
};

/**
 * A decoded Twilio access token. Decoding does not verify the signature: the claims are trusted
 * for scheduling only, and the Twilio services verify the token themselves.
 *
 * The raw JWT is reachable through `jwt` but kept out of `JSON.stringify`, `console.log` and
 * `String()`, so that a token does not leak into logs by accident.
 *
 * @example
 * ```ts
 * manager.token$.subscribe((token) => {
 *   console.log(`${token} for ${token.identity}`); // "AccessToken(SK...-1700000000, expires 2026-...)"
 *   client.updateToken(token.jwt);
 * });
 * ```
 */
export class AccessToken {
  readonly #jwt: string;
  /** `grants.identity`. */
  readonly identity: string;
  /** The `grants` claim as received, `identity` included (`chat`, `data_sync`, `voice`, `video`...). */
  readonly grants: Readonly<Record<string, unknown>>;
  /** `sub`: the Twilio account SID. */
  declare readonly accountSid?: string;
  /** `iss`: the API key SID that signed the token. */
  declare readonly apiKeySid?: string;
  /** `jti`: the token's id; the name it goes by in messages and logs. */
  declare readonly id?: string;
  /** Header `twr`: the Twilio region the token is pinned to. */
  declare readonly region?: string;
  /** `iat`, on the server's clock. */
  declare readonly issuedAt?: Date;
  /** `nbf`, on the server's clock. */
  declare readonly notBefore?: Date;
  /** `exp`, on the server's clock. */
  readonly expiresAt: Date;

  /** Decodes and checks the shape of a Twilio access token; throws {@link MalformedTokenError}. */
  constructor(jwt: unknown) {
    if (typeof jwt !== 'string' || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jwt)) {
      throw new MalformedTokenError('The token is not a JWT string.');
    }
    let header: unknown;
    let claims: unknown;
    try {
      header = jwtDecode(jwt, { header: true });
      claims = jwtDecode(jwt);
    } catch (cause) {
      throw new MalformedTokenError('The token does not decode as a JWT.', { cause });
    }
    if (!isRecord(header) || !isRecord(claims)) {
      throw new MalformedTokenError('The token header or payload is not a JSON object.');
    }
    const grants = claims['grants'];
    if (!isRecord(grants) || typeof grants['identity'] !== 'string' || !grants['identity']) {
      throw new MalformedTokenError(
        'The token has no "grants.identity": not a Twilio access token.',
      );
    }
    const expiresAt = optionalSeconds(claims, 'exp');
    if (!expiresAt) throw new MalformedTokenError('The token has no numeric "exp".');
    this.#jwt = jwt;
    this.identity = grants['identity'];
    this.grants = grants;
    this.expiresAt = expiresAt;
    const assign = (key: keyof AccessToken, value: unknown) => {
      if (value !== undefined) Object.defineProperty(this, key, { value, enumerable: true });
    };
    assign('accountSid', optionalString(claims, 'sub'));
    assign('apiKeySid', optionalString(claims, 'iss'));
    assign('id', optionalString(claims, 'jti'));
    assign('region', optionalString(header, 'twr'));
    assign('issuedAt', optionalSeconds(claims, 'iat'));
    assign('notBefore', optionalSeconds(claims, 'nbf'));
  }

  /** The raw JWT, to hand to a Twilio SDK. */
  get jwt(): string {
    return this.#jwt;
  }

  /** Whether the token carries a grant (`'chat'`, `'data_sync'`, `'voice'`, `'video'`...). */
  hasGrant(grant: string): boolean {
    return this.grants[grant] != null;
  }

  /** `AccessToken(<jti>, expires <ISO time>)`: safe to log. */
  toString(): string {
    return `AccessToken(${this.id ?? 'no jti'}, expires ${this.expiresAt.toISOString()})`;
  }
}

/** Same as `new AccessToken(jwt)`. */
export const parseAccessToken = (jwt: unknown): AccessToken => new AccessToken(jwt);
