import type { AccessToken } from './accessToken.js';

/**
 * The manager's estimate of the server's clock: the one place where it lives.
 * - `offsetMs`: server clock minus local clock.
 * - `source`: what the estimate rests on. `'server'`: a time the token server stated (its HTTP
 *   `Date`, a `serverTime` field); `'token'`: only tokens' `iat`; `'none'`: nothing yet.
 * - `newestIssuedAt`: the newest `iat` seen, on the server's clock.
 */
export interface ClockSkew {
  readonly offsetMs: number;
  readonly source: 'none' | 'token' | 'server';
  readonly newestIssuedAt: number;
}

export const initialSkew: ClockSkew = { offsetMs: 0, source: 'none', newestIssuedAt: -Infinity };

/**
 * The estimate under which a candidate token is judged, and that is kept if it is adopted. Pure.
 *
 * A token's age is never taken for the server's clock: a caching endpoint, a CDN or the HTTP
 * cache may hand out a token minted long ago. So:
 * 1. A stated server time (`serverTime`, on the server's clock, read at local time `now`) is the
 *    estimate. `iat` only bounds it: a token cannot be issued after the server's now.
 * 2. Without one, `iat` is a bound too: a token issued in the local future proves the local
 *    clock is behind.
 * 3. Without one, and only when the token would otherwise count as expired: a token that is
 *    `minted` (nothing says otherwise: pushed in push-only mode, or fetched without a stated
 *    time) and newer than any seen was just minted, so the device clock is fast by its age (a
 *    device hours fast must not refuse the token just pushed). And an estimate that rests on
 *    tokens alone never refuses a token that the device's own clock finds valid: one token from
 *    a server clock hours ahead must not lock out every later, correct token.
 */
export function judgeSkew(
  skew: ClockSkew,
  token: AccessToken,
  now: number,
  serverTime: number | undefined,
  minted: boolean,
): ClockSkew {
  const issued = token.issuedAt?.getTime() ?? Number.NaN;
  // NaN (no `iat`) compares false everywhere below: a token without `iat` moves no bound.
  const newestIssuedAt = issued > skew.newestIssuedAt ? issued : skew.newestIssuedAt;
  const bound = (offsetMs: number) => (issued - now > offsetMs ? issued - now : offsetMs);
  if (serverTime !== undefined) {
    return { offsetMs: bound(serverTime - now), source: 'server', newestIssuedAt };
  }
  let { offsetMs, source } = skew;
  const raised = bound(offsetMs);
  if (raised !== offsetMs) {
    offsetMs = raised;
    if (source === 'none') source = 'token';
  }
  const expires = token.expiresAt.getTime();
  if (source !== 'server' && expires <= now + offsetMs) {
    if (minted && issued > skew.newestIssuedAt) {
      offsetMs = issued - now;
      source = 'token';
    } else if (expires > now + bound(0)) {
      offsetMs = bound(0);
      return { offsetMs, source, newestIssuedAt: Number.isNaN(issued) ? -Infinity : issued };
    }
  }
  return { offsetMs, source, newestIssuedAt };
}
