import type { AccessToken } from './accessToken.js';
import type { Deadlines } from './deadlines.js';
import type { AccessManagerError } from './errors.js';
import type { RefreshFlight } from './refreshFlight.js';
import type { AccessManagerState, FetchStatus, TokenStatus } from './types.js';

/** Everything the state is derived from: the manager's facts at one moment. */
export interface StateFacts {
  now: number;
  closed: boolean;
  token: AccessToken | null;
  deadlines: Deadlines | null;
  /** Whether an SDK refused the token held (`reportSdkSignal('expired')`). */
  refused: boolean;
  flight: RefreshFlight | null;
  /** The fatal error that stopped fetching, if one did. */
  failure: AccessManagerError | null;
  /** Whether a refresh is planned at the token's refresh point. */
  plans: boolean;
  clockOffsetMs: number;
  lastError: AccessManagerError | null;
  resets: number;
}

/**
 * The state for these facts: `previous` itself when nothing in it changed, so that a snapshot is
 * a stable object (React's `useSyncExternalStore` compares snapshots by identity). Pure.
 */
export function deriveState(
  previous: AccessManagerState | null,
  facts: StateFacts,
): AccessManagerState {
  const { now, token, deadlines, flight, failure } = facts;
  const tokenStatus: TokenStatus =
    !token || !deadlines
      ? 'none'
      : facts.refused || now >= deadlines.expireAt
        ? 'expired'
        : now >= deadlines.warnAt
          ? 'expiring'
          : 'valid';
  const fetchStatus: FetchStatus = failure
    ? 'failed'
    : !flight
      ? 'idle'
      : flight.running
        ? 'fetching'
        : 'waiting';
  const refreshAt = flight ? flight.retryAt : facts.plans && deadlines ? deadlines.refreshAt : null;
  const next: AccessManagerState = {
    status: facts.closed
      ? 'closed'
      : failure
        ? 'failed'
        : tokenStatus === 'expired'
          ? 'expired'
          : flight
            ? 'refreshing'
            : tokenStatus === 'none'
              ? 'empty'
              : tokenStatus,
    tokenStatus,
    fetchStatus,
    token,
    refreshAt: refreshAt === null ? null : new Date(refreshAt),
    clockOffsetMs: facts.clockOffsetMs,
    attempt: flight?.attempt ?? 0,
    lastError: facts.lastError,
    resets: facts.resets,
  };
  if (
    previous &&
    (Object.keys(next) as Array<keyof AccessManagerState>).every(
      (key) =>
        previous[key] === next[key] ||
        // (Compared as Dates: jitter makes `refreshAt` fractional, and a Date drops the fraction.)
        (key === 'refreshAt' && previous.refreshAt?.getTime() === next.refreshAt?.getTime()),
    )
  ) {
    return previous;
  }
  return next;
}
