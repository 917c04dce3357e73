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
  /**
   * The last token refused as expired though it may have been just minted (nothing dated it), and
   * the offset its age implies: a later, other token whose age agrees confirms that the device
   * clock is off, rather than the tokens old.
   */
  readonly suspect?: { readonly token: AccessToken; readonly offsetMs: number } | undefined;
}

/** How closely a second token's age must agree with a refused one's to confirm the offset. */
const AGREEMENT_MS = 5_000;

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
 * 3. Without one, and only when the token would otherwise count as expired: a token alone cannot
 *    tell a device clock hours fast from a token hours old (a stale cache, a token saved in
 *    storage), so it is refused, as Twilio's docs say of an expired token, and the offset its age
 *    implies is remembered (`suspect`). A later token that is `minted` (nothing says otherwise:
 *    pushed in push-only mode, or fetched without a stated time), newer than any seen, minted in
 *    a later second than the suspect (`iat`), and whose age agrees with the suspect's within 5 s, was just minted:
 *    the device clock is off by that age, not the tokens old. And an estimate that rests on
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
    if (expires > now + bound(0)) {
      offsetMs = bound(0);
      return { offsetMs, source, newestIssuedAt: Number.isNaN(issued) ? -Infinity : issued };
    }
    if (minted && issued > skew.newestIssuedAt) {
      const age = issued - now;
      const { suspect } = skew;
      // Minted in a later second than the suspect: two tokens of one second (saved together)
      // say nothing of each other's age.
      if (
        suspect &&
        issued > (suspect.token.issuedAt?.getTime() ?? Number.NaN) &&
        Math.abs(age - suspect.offsetMs) <= AGREEMENT_MS
      ) {
        return { offsetMs: age, source: 'token', newestIssuedAt };
      }
      // Refused (expired by the estimate), and remembered for the next token to confirm.
      return { ...skew, suspect: { token, offsetMs: age } };
    }
  }
  return { offsetMs, source, newestIssuedAt };
}
