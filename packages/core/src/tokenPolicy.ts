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

/**
 * Decodes a candidate token and checks it against the policy, without changing any state.
 * Throws the typed error of the first check that fails.
 */
export function checkToken(jwt: unknown, policy: TokenPolicy): CheckedToken {
  const token = new AccessToken(jwt);
  const name = `Token ${token.id}`;
  let clockOffsetMs = policy.clockOffsetMs;
  const issued = token.issuedAt?.getTime() ?? Number.NaN;
  // A fetched token was issued just now on the server's clock, and any token issued in our
  // future proves our clock is behind: either dates the server's "now" better than our guess.
  // (NaN, when there is no `iat`, never replaces the guess.)
  const estimate = issued - policy.now;
  if (policy.fetched ? !Number.isNaN(estimate) : estimate > clockOffsetMs) clockOffsetMs = estimate;
  const serverNow = policy.now + clockOffsetMs;
  const expires = token.expiresAt.getTime();

  if (issued > expires) throw new MalformedTokenError(`${name} is issued after it expires.`);
  // Without `iat`, the lifetime left is the most it can have lived.
  if ((Number.isNaN(issued) ? expires - serverNow : expires - issued) > 86_400_000) {
    throw new LifetimeExceededError(`${name} lives longer than 24 hours.`);
  }
  if (expires <= serverNow) {
    throw new TokenExpiredError(`${name} expired at ${token.expiresAt.toISOString()}.`);
  }
  if ((token.notBefore?.getTime() ?? 0) > serverNow) {
    throw new TokenNotYetValidError(`${name} is not valid yet.`);
  }
  if (policy.identity !== undefined && token.identity !== policy.identity) {
    throw new IdentityMismatchError(`${name} is for another identity.`);
  }
  if (policy.accountSid !== undefined && token.accountSid !== policy.accountSid) {
    throw new AccountMismatchError(`${name} is for another account.`);
  }
  for (const grant of policy.requiredGrants) {
    if (!token.hasGrant(grant)) throw new MissingGrantError(`${name} has no "${grant}" grant.`);
  }
  if (issued < (policy.current?.issuedAt?.getTime() ?? 0)) {
    throw new StaleTokenError(`${name} is older than the token held.`);
  }
  return { token, clockOffsetMs };
}
