import type { AccessToken } from './accessToken.js';
import type { NotAdoptedReason } from './adoption.js';
import type { Clock } from './clock.js';
import type { AccessManagerError, InvalidOptionError } from './errors.js';
import type { Logger } from './logger.js';
import type { ShareAcrossTabs } from './tabSharing.js';
import type { WakeSignals } from './wakeSignals.js';

/** Why a fetch was started. */
export type RefreshReason = 'initial' | 'scheduled' | 'expired' | 'sdk' | 'manual';

/** What `fetchToken` is called with. */
export interface FetchTokenContext {
  /** Aborted on timeout, on `close()` and when a forced refresh replaces this attempt. */
  signal: AbortSignal;
  reason: RefreshReason;
  /** 1 for the first attempt of a refresh, 2 for its first retry, and so on. */
  attempt: number;
}

/**
 * A token with the time the token server stated alongside it (its HTTP `Date`, or a
 * `serverTime` field): the manager's clock-skew estimate rests on that, never on the token's age.
 */
export interface FetchedToken {
  token: string;
  /** The server's clock when it answered: a Date, or milliseconds since the epoch. */
  serverTime?: Date | number | undefined;
}

/**
 * Gets a fresh access token from the app's backend: the JWT, or `{ token, serverTime }`
 * (what {@link fetchTokenFrom} resolves).
 */
export type FetchToken = (context: FetchTokenContext) => Promise<string | FetchedToken>;

export interface RetryOptions {
  /** Cap of the first retry's delay; default 1 000 ms, at least 1. */
  minDelayMs?: number;
  /** Largest delay between two attempts (and the cap of a `Retry-After`); default 30 000 ms, at least 1. */
  maxDelayMs?: number;
}

export interface AccessManagerOptions {
  /** Initial token; optional when `fetchToken` is given. Not retained: only the adopted token is. */
  token?: string;
  /** Gets a new token. Without it, tokens come only through `updateToken`. */
  fetchToken?: FetchToken;
  /** `tokenWillExpire` fires this long before expiry; default 180 000 (Twilio's three minutes). */
  warnBeforeMs?: number;
  /**
   * Automatic refresh starts this long before expiry; default `min(300 000, lifetime / 3)`,
   * less up to 10 % jitter. Never more than half the token's lifetime.
   */
  refreshBeforeMs?: number;
  /** Each `fetchToken` call is aborted after this long; default 10 000, at least 1 (`Infinity`: never). */
  fetchTimeoutMs?: number;
  /** Backoff between failed attempts: exponential with full jitter. */
  retry?: RetryOptions;
  /**
   * `'fixed'` (default): the first token's identity, account and service instances are the only
   * ones accepted (until `reset()`). `'any'`: any identity or account.
   */
  identity?: 'fixed' | 'any';
  /** Where to report what happens; default silent. */
  logger?: Logger;
  /** Clock and timers; default the platform's, read at call time. */
  clock?: Clock;
  /** Wake signals: an immediate re-check, and a retry's backoff cut short; default the browser's; `false` for none. */
  wakeSignals?: WakeSignals | false;
  /** Source of randomness for jitter, in [0, 1); default `Math.random`. */
  random?: () => number;
  /**
   * Share tokens with the managers of the other tabs of this origin: `tabSharing(options?)`
   * (`BroadcastChannel`), so that a browser fetches about once per refresh cycle, and a tab that
   * opens beside another fetches nothing. Injected: an app that does not share does not bundle
   * it. A fetched token is posted to them; each checks it as any token and adopts it when it
   * expires later than its own. A manager that starts without a token waits `waitMs` for another
   * tab's before its first fetch. No lock, no storage; nothing where `BroadcastChannel` does not
   * exist or is refused (an opaque origin). Ends at `reset()`. Default off. `true` and
   * `{ channel }` (before it was injected) throw an {@link InvalidOptionError} that says so.
   */
  shareAcrossTabs?: ShareAcrossTabs;
}

/** The token's status: none held, valid, inside its warning window, or expired. */
export type TokenStatus = 'none' | 'valid' | 'expiring' | 'expired';

/**
 * The fetch's status: nothing under way, a `fetchToken` call running, waiting to retry after a
 * failure, or stopped by a fatal error (a `FatalFetchError`, or a fetched token that would fail
 * again) until `refresh()` or a pushed token.
 */
export type FetchStatus = 'idle' | 'fetching' | 'waiting' | 'failed';

/**
 * One word for a badge, derived from the two statuses: `closed`, else `failed` (fetch), else
 * `expired` (token), else `refreshing` (fetching or waiting), else `empty` (no token), else the
 * token's `expiring` or `valid`.
 */
export type AccessManagerStatus =
  | 'empty'
  | 'valid'
  | 'expiring'
  | 'refreshing'
  | 'expired'
  | 'failed'
  | 'closed';

/** A snapshot: the same object until something in it changes. */
export interface AccessManagerState {
  /** The summary of `tokenStatus` and `fetchStatus`. */
  status: AccessManagerStatus;
  tokenStatus: TokenStatus;
  fetchStatus: FetchStatus;
  /** The token held; null before the first and after `reset()` or `close()`. */
  token: AccessToken | null;
  /** When the next fetch is planned (a scheduled refresh or a retry), on the local clock. */
  refreshAt: Date | null;
  /** Estimated server clock minus local clock (see `clockSkew`). */
  clockOffsetMs: number;
  /** Attempt number of the fetch in progress or planned; 0 when none is. */
  attempt: number;
  /** The last error, until a token is adopted. */
  lastError: AccessManagerError | null;
  /**
   * How many times `reset()` has run. A link compares it with the count it saw when it made its
   * client, to tell a sign-out (the client belongs to a user who left) from a token that changed.
   */
  resets: number;
}

export type AccessManagerEvent =
  | { type: 'tokenUpdated'; token: AccessToken }
  /**
   * `source`: `'manager'` when the manager's own deadline passed; `'sdk'` when an attached SDK
   * client said so (`reportSdkSignal`), for a push-only manager that cannot refresh by itself.
   */
  | { type: 'tokenWillExpire'; token: AccessToken; expiresInMs: number; source: EventSource }
  | { type: 'tokenExpired'; token: AccessToken; source: EventSource }
  /** A valid token was fetched but not adopted, and why (the held one is no worse). */
  | { type: 'tokenNotAdopted'; token: AccessToken; reason: NotAdoptedReason }
  | { type: 'error'; error: AccessManagerError };

/** Who raised a `tokenWillExpire` or `tokenExpired`: the manager's clock, or an SDK client. */
export type EventSource = 'manager' | 'sdk';

/** Names of the events that `on`, `once` and `off` take. */
export type AccessManagerEventName = AccessManagerEvent['type'];
