/** Stable machine-readable codes, one per kind of failure. Never renamed once published. */
export type AccessManagerErrorCode =
  | 'malformed_token'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'identity_mismatch'
  | 'account_mismatch'
  | 'missing_grant'
  | 'stale_token'
  | 'lifetime_exceeded'
  | 'fetch_failed'
  | 'fetch_timeout'
  | 'push_timeout'
  | 'closed';

export interface AccessManagerErrorOptions {
  cause?: unknown;
  /** Whether trying again later may succeed. Defaults per code. */
  retryable?: boolean;
}

/**
 * The one base class of every error the manager throws, rejects with or emits.
 * Messages name a token by its `jti` and expiry, never by its contents.
 *
 * @example
 * ```ts
 * try {
 *   await manager.updateToken(jwt);
 * } catch (error) {
 *   if (error instanceof AccessManagerError && error.code === 'token_expired') showLogin();
 * }
 * ```
 */
export class AccessManagerError extends Error {
  override name = 'AccessManagerError';
  /** Stable code: branch on this, not on the message. */
  readonly code: AccessManagerErrorCode;
  /** Whether trying again later may succeed. */
  readonly retryable: boolean;

  constructor(
    code: AccessManagerErrorCode,
    message: string,
    options: AccessManagerErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? /^(fetch_|push_)/.test(code);
  }
}

/** Not a Twilio access token: not a string, not a JWT, or no `grants.identity` / numeric `exp`. */
export class MalformedTokenError extends AccessManagerError {
  override name = 'MalformedTokenError';
  constructor(message: string, options?: AccessManagerErrorOptions) {
    super('malformed_token', message, options);
  }
}

/** The token's `exp` has passed (on the server's clock, as far as the manager can tell). */
export class TokenExpiredError extends AccessManagerError {
  override name = 'TokenExpiredError';
  constructor(message: string, options?: AccessManagerErrorOptions) {
    super('token_expired', message, options);
  }
}

/** The token's `nbf` is still in the future. */
export class TokenNotYetValidError extends AccessManagerError {
  override name = 'TokenNotYetValidError';
  constructor(message: string, options?: AccessManagerErrorOptions) {
    super('token_not_yet_valid', message, options);
  }
}

/** Under `identity: 'fixed'`, a token for another identity than the first one adopted. */
export class IdentityMismatchError extends AccessManagerError {
  override name = 'IdentityMismatchError';
  constructor(message: string, options?: AccessManagerErrorOptions) {
    super('identity_mismatch', message, options);
  }
}

/** Under `identity: 'fixed'`, a token for another Twilio account (`sub`). */
export class AccountMismatchError extends AccessManagerError {
  override name = 'AccountMismatchError';
  constructor(message: string, options?: AccessManagerErrorOptions) {
    super('account_mismatch', message, options);
  }
}

/** The token lacks a grant that an attached adapter declared with `requireGrant`. */
export class MissingGrantError extends AccessManagerError {
  override name = 'MissingGrantError';
  constructor(message: string, options?: AccessManagerErrorOptions) {
    super('missing_grant', message, options);
  }
}

/** The token was issued before the one already held (or is the one held, fetched again too late). */
export class StaleTokenError extends AccessManagerError {
  override name = 'StaleTokenError';
  constructor(message: string, options?: AccessManagerErrorOptions) {
    super('stale_token', message, options);
  }
}

/** The token lives longer than Twilio's 24-hour maximum (`exp - iat`). */
export class LifetimeExceededError extends AccessManagerError {
  override name = 'LifetimeExceededError';
  constructor(message: string, options?: AccessManagerErrorOptions) {
    super('lifetime_exceeded', message, options);
  }
}

export interface FetchFailedErrorOptions extends AccessManagerErrorOptions {
  /** HTTP status of the token server's answer, when there was one. */
  status?: number;
  /** The server's `Retry-After`, in milliseconds: the next attempt waits at least this long. */
  retryAfterMs?: number;
}

/** `fetchToken` failed. Retried with backoff unless `retryable` is false. */
export class FetchFailedError extends AccessManagerError {
  override name = 'FetchFailedError';
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: FetchFailedErrorOptions = {}) {
    super('fetch_failed', message, options);
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Throw this from `fetchToken` when trying again cannot help (for example the app's backend
 * answered 401: the user is logged out). Retries stop and the status becomes `failed` until a
 * token is adopted or `refresh()` is called.
 *
 * @example
 * ```ts
 * fetchToken: async ({ signal }) => {
 *   const res = await fetch('/token', { signal });
 *   if (res.status === 401) throw new FatalFetchError('logged out', { status: 401 });
 *   return (await res.json()).token;
 * }
 * ```
 */
export class FatalFetchError extends FetchFailedError {
  override name = 'FatalFetchError';
  constructor(message: string, options: Omit<FetchFailedErrorOptions, 'retryable'> = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** `fetchToken` did not settle within `fetchTimeoutMs`; its signal was aborted. */
export class FetchTimeoutError extends AccessManagerError {
  override name = 'FetchTimeoutError';
  constructor(message: string, options?: AccessManagerErrorOptions) {
    super('fetch_timeout', message, options);
  }
}

/** An SDK client's `updateToken` did not settle within `pushTimeoutMs` (see `attachClient`). */
export class PushTimeoutError extends AccessManagerError {
  override name = 'PushTimeoutError';
  constructor(message: string, options?: AccessManagerErrorOptions) {
    super('push_timeout', message, options);
  }
}

/** The manager was closed. */
export class ClosedError extends AccessManagerError {
  override name = 'ClosedError';
  constructor(message = 'The AccessManager is closed.', options?: AccessManagerErrorOptions) {
    super('closed', message, options);
  }
}
