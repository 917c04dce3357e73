import { jwtDecode } from 'jwt-decode';
import { MalformedTokenError } from './errors.js';

type Claims = Record<string, unknown> | undefined;

/**
 * The raw JWTs, kept out of every field of the tokens themselves: Chromium's console preview and
 * DevTools list own and private fields (`#jwt`), but cannot reach a module-level WeakMap from a
 * token.
 */
const jwts = new WeakMap<AccessToken, string>();

/** A claim in seconds as a Date; undefined when absent; throws when present but not a number. */
const seconds = (claims: Claims, key: string): Date | undefined => {
  const value = claims?.[key];
  if (value === undefined) return undefined;
  const date = new Date(typeof value === 'number' ? value * 1000 : Number.NaN);
  if (!Number.isNaN(date.getTime())) return date; // NaN also when out of Date's range
  throw new MalformedTokenError(`"${key}" is not a number.`);
};

/** A string claim; anything else reads as absent (these claims only name the token). */
const text = (claims: Claims, key: string): string | undefined => {
  const value = claims?.[key];
  return typeof value === 'string' ? value : undefined;
};

/**
 * A part of the JWT as JSON. Whatever JSON it is (an array, a string, null), reading a claim of it
 * is safe: `?.` stops at null, and no claim read (`grants`, `exp`, `twr`...) is a property of a
 * primitive's or an array's prototype, so a part that is not an object has no claims.
 */
const decode = (jwt: string, header?: true): Claims => jwtDecode<Claims>(jwt, header && { header });

/**
 * A decoded Twilio access token (decoded with `jwt-decode`, once per token). Decoding does not
 * verify the signature: the claims are trusted for scheduling only, and the Twilio services
 * verify the token themselves.
 *
 * The raw JWT is reachable through `jwt` but held in no field of the token, so that it shows in
 * no `JSON.stringify`, `console.log`, `String()` or DevTools preview.
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
  // `declare`: assigned in the constructor, so no field is emitted for them.
  /** `grants.identity`. */
  declare readonly identity: string;
  /** The `grants` claim as received, `identity` included (`chat`, `data_sync`, `voice`, `video`...). */
  declare readonly grants: Readonly<Record<string, unknown>>;
  /** `exp`, on the server's clock. */
  declare readonly expiresAt: Date;
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
      if ((jwt as string).split('.').length !== 3) throw 0;
      header = decode(jwt as string, true);
      claims = decode(jwt as string);
    } catch {
      // No `cause`: jwt-decode's messages quote the JSON around a fault, and that is the token.
      throw new MalformedTokenError('Not a JWT.');
    }
    const grants = claims?.['grants'] as Claims;
    const identity = grants?.['identity'];
    const expiresAt = seconds(claims, 'exp');
    if (typeof identity !== 'string' || !identity || !expiresAt) {
      throw new MalformedTokenError('Not a Twilio access token: no grants.identity or exp.');
    }
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
    jwts.set(this, jwt as string);
  }

  /** The raw JWT, to hand to a Twilio SDK. */
  get jwt(): string {
    return jwts.get(this) as string;
  }

  /** Whether the token carries a grant (`'chat'`, `'data_sync'`, `'voice'`, `'video'`...). */
  hasGrant(grant: string): boolean {
    return this.grants[grant] != null;
  }

  /** The `service_sid` of a grant (`chat`, `data_sync`), if the token names one. */
  serviceSid(grant: string): string | undefined {
    return text(this.grants[grant] as Claims, 'service_sid');
  }

  /** `AccessToken(<jti>, expires <ISO time>)`: safe to log. */
  toString(): string {
    return `AccessToken(${this.id}, expires ${this.expiresAt.toISOString()})`;
  }
}

/** Same as `new AccessToken(jwt)`. */
export const parseAccessToken = (jwt: unknown): AccessToken => new AccessToken(jwt);
