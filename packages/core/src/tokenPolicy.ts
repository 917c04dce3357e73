import { AccessToken } from './accessToken.js';
import { type ClockSkew, judgeSkew } from './clockSkew.js';
import {
  AccountMismatchError,
  IdentityMismatchError,
  InstanceMismatchError,
  LifetimeExceededError,
  MalformedTokenError,
  MissingGrantError,
  TokenExpiredError,
  TokenNotYetValidError,
} from './errors.js';

/** What a candidate token is checked against. */
export interface TokenPolicy {
  /** Local clock, now. */
  now: number;
  /** The estimate of the server's clock so far. */
  skew: ClockSkew;
  /** A time the token server stated with this token (fetched tokens only), on its clock. */
  serverTime?: number | undefined;
  /**
   * Whether the token may be taken as just minted when nothing else dates it: fetched without a
   * stated server time, or pushed to a manager without `fetchToken` (see `judgeSkew`).
   */
  minted: boolean;
  /**
   * The first token adopted, under `identity: 'fixed'`: every token must carry its identity,
   * account and service instances. Null when any identity goes.
   */
  anchor: AccessToken | null;
  /** Grants that attached adapters require. */
  requiredGrants: Iterable<string>;
  /**
   * Called with the estimate to keep when the token is refused as expired though nothing dated
   * it (see `ClockSkew.suspect`), and with a line to log when a stated server time is not trusted.
   */
  remember?: (skew: ClockSkew) => void;
  note?: (line: string) => void;
  /**
   * Whether the token counts as `minted` when its stated server time is not trusted: a fetched
   * token then is one fetched without a stated time; another tab's is still not (default false).
   */
  untimedMinted?: boolean;
}

/** A stated server time this far before a token's `iat` contradicts it (server clocks differ by seconds). */
const ISSUED_AFTER_MS = 60_000;

export interface CheckedToken {
  token: AccessToken;
  /** The clock estimate to keep along with the token. */
  skew: ClockSkew;
}

/** Grants whose `service_sid` a client is bound to for good (twilsock: 51232, 51215). */
const INSTANCE_GRANTS = ['chat', 'data_sync'];

/**
 * Decodes a candidate token and checks it against the policy, without changing any state.
 * Throws the typed error of the first check that fails. Pure.
 */
export function checkToken(jwt: unknown, policy: TokenPolicy): CheckedToken {
  const token = new AccessToken(jwt);
  const name = `Token ${token.id}`;
  const expires = token.expiresAt.getTime();
  const issued = token.issuedAt?.getTime() ?? Number.NaN;
  const { now, anchor } = policy;
  let { serverTime, minted } = policy;
  // A stated time is not trusted when it is not finite (JSON's `1e400`), or when the token it
  // came with contradicts it: issued well after it (a NaN `iat` contradicts nothing), or expired
  // at it.
  if (
    serverTime !== undefined &&
    (!Number.isFinite(serverTime) || issued - serverTime > ISSUED_AFTER_MS || expires <= serverTime)
  ) {
    policy.note?.(`${name}: its stated server time is not trusted.`);
    serverTime = undefined;
    minted = !!policy.untimedMinted;
  }
  const skew = judgeSkew(policy.skew, token, now, serverTime, minted);
  const serverNow = now + skew.offsetMs;

  if (expires <= serverNow) {
    const { suspect } = skew;
    let hint = '';
    if (suspect?.token === token) {
      policy.remember?.(skew);
      hint = ` (or the device clock is ${Math.round(-suspect.offsetMs / 60_000)} min fast)`;
    }
    throw new TokenExpiredError(`${name} expired at ${token.expiresAt.toISOString()}${hint}.`);
  }
  if (issued > expires) throw new MalformedTokenError(`${name} is issued after it expires.`);
  // Without `iat`, the lifetime left is the most it can have lived.
  if (expires - (Number.isNaN(issued) ? serverNow : issued) > 86_400_000) {
    throw new LifetimeExceededError(`${name} lives longer than 24 hours.`);
  }
  if ((token.notBefore?.getTime() ?? 0) > serverNow) {
    throw new TokenNotYetValidError(`${name} is not valid yet.`);
  }
  if (anchor) {
    if (token.identity !== anchor.identity) {
      throw new IdentityMismatchError(`${name} is for another identity.`);
    }
    if (token.accountSid !== anchor.accountSid) {
      throw new AccountMismatchError(`${name} is for another account.`);
    }
    for (const grant of INSTANCE_GRANTS) {
      const sid = token.serviceSid(grant);
      const anchored = anchor.serviceSid(grant);
      if (sid && anchored && sid !== anchored) {
        throw new InstanceMismatchError(`${name} names another ${grant} service.`);
      }
    }
  }
  for (const grant of policy.requiredGrants) {
    if (!token.hasGrant(grant)) throw new MissingGrantError(`${name} has no "${grant}" grant.`);
  }
  return { token, skew };
}
