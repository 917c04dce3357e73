import type { AccessToken } from './accessToken.js';

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
 */
export function computeDeadlines(token: AccessToken, options: DeadlineOptions): Deadlines {
  const expireAt = token.expiresAt.getTime() - options.clockOffsetMs;
  const issuedAt = token.issuedAt ? token.issuedAt.getTime() - options.clockOffsetMs : options.now;
  const lifetime = Math.max(0, expireAt - Math.min(issuedAt, options.now));
  const lead = Math.min(options.refreshBeforeMs ?? Math.min(300_000, lifetime / 3), lifetime / 2);
  return {
    warnAt: expireAt - options.warnBeforeMs,
    refreshAt: expireAt - lead * (1 - 0.1 * options.random()),
    expireAt,
  };
}
