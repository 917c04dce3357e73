import type { AccessManagerError } from './errors.js';
import type { Refresher } from './refresher.js';
import type { TokenHold } from './tokenHold.js';
import type { AccessManagerState, FetchStatus, TokenStatus } from './types.js';

/** Everything the state is derived from: the manager's facts at one moment. */
export interface StateFacts {
  now: number;
  closed: boolean;
  /** The token held, its deadlines, whether an SDK refused it, and the clock estimate. */
  hold: Pick<TokenHold, 'token' | 'deadlines' | 'refusedNow' | 'skew'>;
  /** The refresh under way and the fatal error that stopped fetching; null without `fetchToken`. */
  refresher: Pick<Refresher, 'flight' | 'failure'> | null;
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
  const { now, hold, refresher } = facts;
  const { token, deadlines } = hold;
  const flight = refresher?.flight;
  const failure = refresher?.failure ?? null;
  // Whether a refresh is planned at the token's refresh point.
  const plans = !!refresher && !failure && !facts.closed;
  const tokenStatus: TokenStatus =
    !token || !deadlines
      ? 'none'
      : hold.refusedNow() || now >= deadlines.expireAt
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
  const refreshAt = flight ? flight.retryAt : plans && deadlines ? deadlines.refreshAt : null;
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
    clockOffsetMs: hold.skew.offsetMs,
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
