import { MalformedTokenError } from './errors.js';

type Claims = Record<string, unknown> | undefined;

const utf8 = /* @__PURE__ */ new TextDecoder();

/**
 * One JWT segment, base64url-decoded and parsed as JSON. (jwt-decode does the same in 0.5 kB
 * gzipped, ten times slower: it percent-decodes the payload one character at a time.)
 */
const decodeSegment = (segment: string | undefined): Claims => {
  const binary = atob((segment as string).replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const value: unknown = JSON.parse(utf8.decode(bytes));
  return typeof value === 'object' && !Array.isArray(value) ? (value as Claims) : undefined;
};

/** A claim in seconds as a Date; undefined when absent; throws when present but not a number. */
const seconds = (claims: Claims, key: string): Date | undefined => {
  const value = claims?.[key];
  if (value === undefined) return undefined;
  const date = new Date(typeof value === 'number' ? value * 1000 : Number.NaN);
  if (!Number.isNaN(date.getTime())) return date; // also out of Date's range: invalid
  throw new MalformedTokenError(`"${key}" is not a number.`);
};

/** A string claim; anything else reads as absent (these claims only name the token). */
const text = (claims: Claims, key: string): string | undefined => {
  const value = claims?.[key];
  return typeof value === 'string' ? value : undefined;
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
  /** `exp`, on the server's clock. */
  readonly expiresAt: Date;
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

  /** Decodes and checks the shape of a Twilio access token; throws {@link MalformedTokenError}. */
  constructor(jwt: unknown) {
    let header: Claims;
    let claims: Claims;
    try {
      const segments = (jwt as string).split('.');
      if (segments.length !== 3) throw new Error('not three segments');
      header = decodeSegment(segments[0]);
      claims = decodeSegment(segments[1]);
    } catch (cause) {
      throw new MalformedTokenError('Not a JWT.', { cause });
    }
    const grants = claims?.['grants'] as Claims;
    const identity = grants?.['identity'];
    const expiresAt = seconds(claims, 'exp');
    if (typeof identity !== 'string' || !identity || !expiresAt) {
      throw new MalformedTokenError('Not a Twilio access token: no grants.identity or exp.');
    }
    this.#jwt = jwt as string;
    this.identity = identity;
    this.grants = grants as Record<string, unknown>;
    this.expiresAt = expiresAt;
    const optional = {
      accountSid: text(claims, 'sub'),
      apiKeySid: text(claims, 'iss'),
      id: text(claims, 'jti'),
      region: text(header, 'twr'),
      issuedAt: seconds(claims, 'iat'),
      notBefore: seconds(claims, 'nbf'),
    };
    for (const [key, value] of Object.entries(optional)) {
      if (value !== undefined) Object.defineProperty(this, key, { value, enumerable: true });
    }
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
    return `AccessToken(${this.id}, expires ${this.expiresAt.toISOString()})`;
  }
}

/** Same as `new AccessToken(jwt)`. */
export const parseAccessToken = (jwt: unknown): AccessToken => new AccessToken(jwt);
