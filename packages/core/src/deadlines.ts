import type { AccessToken } from './accessToken.js';
import { draw } from './backoff.js';

/** When, on the local clock, the manager acts on a token. */
export interface Deadlines {
  warnAt: number;
  refreshAt: number;
  expireAt: number;
}

export interface DeadlineOptions {
  now: number;
  clockOffsetMs: number;
  warnBeforeMs: number;
  refreshBeforeMs: number | undefined;
  random: () => number;
}

/**
 * Deadlines from the token's own lifetime as received: its `exp` moved onto the local clock by
 * the estimated offset, so a device clock that is off by hours still refreshes on time.
 *
 * The lifetime is `exp - iat`, both on the server's clock: it does not depend on the offset
 * estimate or on when the token is planned. (It was `exp - min(iat, now)` on the local clock:
 * for a token whose `iat` lay in the local future, minted while the token server's clock was
 * ahead and planned after it went back, that is the time left, so the refresh point came while
 * every fresh token still expired sooner than the one held: each was refused, with `stale_token`
 * shown and a fetch per backoff step, until the clock caught up with that `iat`. Issue 21.)
 * Without `iat`, the time left when planned.
 */
export function computeDeadlines(token: AccessToken, options: DeadlineOptions): Deadlines {
  const expireAt = token.expiresAt.getTime() - options.clockOffsetMs;
  const lifetime = Math.max(
    0,
    token.issuedAt ? token.expiresAt.getTime() - token.issuedAt.getTime() : expireAt - options.now,
  );
  const lead = Math.min(options.refreshBeforeMs ?? Math.min(300_000, lifetime / 3), lifetime / 2);
  return {
    warnAt: expireAt - options.warnBeforeMs,
    refreshAt: expireAt - lead * (1 - 0.1 * draw(options.random)),
    expireAt,
  };
}
