import type { AccessToken } from './accessToken.js';
import type { Clock } from './clock.js';
import type { AccessManagerError } from './errors.js';
import type { Logger } from './logger.js';
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

/** Gets a fresh access token (a JWT string) from the app's backend. */
export type FetchToken = (context: FetchTokenContext) => Promise<string>;

export interface RetryOptions {
  /** Cap of the first retry's delay; default 1 000 ms. */
  minDelayMs?: number;
  /** Largest delay between two attempts; default 30 000 ms. */
  maxDelayMs?: number;
}

export interface AccessManagerOptions {
  /** Initial token; optional when `fetchToken` is given. */
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
  /** Each `fetchToken` call is aborted after this long; default 10 000. */
  fetchTimeoutMs?: number;
  /** Backoff between failed attempts: exponential with full jitter. */
  retry?: RetryOptions;
  /**
   * `'fixed'` (default): the first token's identity and account are the only ones accepted.
   * `'any'`: any identity or account (for apps that switch users on one manager).
   */
  identity?: 'fixed' | 'any';
  /** Where to report what happens; default silent. */
  logger?: Logger;
  /** Clock and timers; default the platform's, read at call time. */
  clock?: Clock;
  /** Wake signals that trigger an immediate re-check; default the browser's; `false` for none. */
  wakeSignals?: WakeSignals | false;
  /** Source of randomness for jitter, in [0, 1); default `Math.random`. */
  random?: () => number;
}

/** Where the manager is in the token's life. */
export type AccessManagerStatus =
  | 'empty'
  | 'valid'
  | 'expiring'
  | 'refreshing'
  | 'expired'
  | 'failed'
  | 'closed';

export interface AccessManagerState {
  status: AccessManagerStatus;
  token: AccessToken | null;
  /** When the next fetch is planned (a scheduled refresh or a retry), on the local clock. */
  refreshAt: Date | null;
  /** Estimated server clock minus local clock, from the `iat` of tokens received. */
  clockOffsetMs: number;
  /** Attempt number of the fetch in progress or planned; 0 when none is. */
  attempt: number;
  /** The last error, until a token is adopted. */
  lastError: AccessManagerError | null;
}

export type AccessManagerEvent =
  | { type: 'tokenUpdated'; token: AccessToken }
  | { type: 'tokenWillExpire'; token: AccessToken; expiresInMs: number }
  | { type: 'tokenExpired'; token: AccessToken }
  | { type: 'error'; error: AccessManagerError };

/** Names of the events that `on`, `once` and `off` take. */
export type AccessManagerEventName = AccessManagerEvent['type'];
