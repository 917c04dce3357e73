import { AccessToken } from './accessToken.js';
import {
  AccountMismatchError,
  IdentityMismatchError,
  LifetimeExceededError,
  MalformedTokenError,
  MissingGrantError,
  StaleTokenError,
  TokenExpiredError,
  TokenNotYetValidError,
} from './errors.js';

/** Twilio's longest token lifetime: 24 hours. */
export const MAX_LIFETIME_MS = 86_400_000;

/** What a candidate token is checked against. */
export interface TokenPolicy {
  /** Local clock, now. */
  now: number;
  /** Current estimate of server clock minus local clock. */
  clockOffsetMs: number;
  /** Whether the token came from `fetchToken` (its `iat` then dates "now" on the server). */
  fetched: boolean;
  /** The token held now, if any. */
  current: AccessToken | null;
  /** Identity and account that every token must carry, when fixed. */
  identity?: string | undefined;
  accountSid?: string | undefined;
  /** Grants that attached adapters require. */
  requiredGrants: Iterable<string>;
}

export interface CheckedToken {
  token: AccessToken;
  /** The clock offset to adopt along with the token. */
  clockOffsetMs: number;
}

const at = (date: Date) => date.toISOString();

/**
 * Decodes a candidate token and checks it against the policy, without changing any state.
 * Throws the typed error of the first check that fails.
 */
export function checkToken(jwt: unknown, policy: TokenPolicy): CheckedToken {
  const token = new AccessToken(jwt);
  const name = token.id ?? 'without jti';
  let clockOffsetMs = policy.clockOffsetMs;
  const issued = token.issuedAt?.getTime();
  if (issued !== undefined) {
    // A fetched token was issued just now on the server's clock; any token issued in our future
    // proves our clock is behind. Either dates the server's "now" better than our guess.
    const estimate = issued - policy.now;
    if (policy.fetched || estimate > clockOffsetMs) clockOffsetMs = estimate;
  }
  const serverNow = policy.now + clockOffsetMs;
  const expires = token.expiresAt.getTime();
  if (issued !== undefined && issued > expires) {
    throw new MalformedTokenError(`Token ${name} is issued after it expires.`);
  }
  if (issued !== undefined && expires - issued > MAX_LIFETIME_MS) {
    throw new LifetimeExceededError(`Token ${name} lives longer than 24 hours.`);
  }
  if (expires <= serverNow) {
    throw new TokenExpiredError(`Token ${name} expired at ${at(token.expiresAt)}.`);
  }
  if (token.notBefore && token.notBefore.getTime() > serverNow) {
    throw new TokenNotYetValidError(`Token ${name} is not valid before ${at(token.notBefore)}.`);
  }
  if (policy.identity !== undefined && token.identity !== policy.identity) {
    throw new IdentityMismatchError(`Token ${name} is for another identity.`);
  }
  if (policy.accountSid !== undefined && token.accountSid !== policy.accountSid) {
    throw new AccountMismatchError(`Token ${name} is for another account.`);
  }
  for (const grant of policy.requiredGrants) {
    if (!token.hasGrant(grant)) {
      throw new MissingGrantError(`Token ${name} has no "${grant}" grant.`);
    }
  }
  const held = policy.current?.issuedAt?.getTime();
  if (held !== undefined && issued !== undefined && issued < held) {
    throw new StaleTokenError(`Token ${name} was issued before the token held now.`);
  }
  return { token, clockOffsetMs };
}
