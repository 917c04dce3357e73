/** Stable machine-readable codes, one per kind of failure. Never renamed once published. */
export type AccessManagerErrorCode =
  | 'malformed_token'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'identity_mismatch'
  | 'account_mismatch'
  | 'instance_mismatch'
  | 'missing_grant'
  | 'stale_token'
  | 'lifetime_exceeded'
  | 'fetch_failed'
  | 'fetch_timeout'
  | 'push_timeout'
  | 'timeout'
  | 'aborted'
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
    this.retryable = options.retryable ?? /^(fetch_|push_|timeout)/.test(code);
  }
}

/** A subclass of {@link AccessManagerError} for one code (a few bytes each, once minified). */
const kind = <Code extends AccessManagerErrorCode>(name: string, code: Code) =>
  class extends AccessManagerError {
    declare readonly code: Code;
    constructor(message: string, options?: AccessManagerErrorOptions) {
      super(code, message, options);
      this.name = name;
    }
  };

/** Not a Twilio access token: not a string, not a JWT, or no `grants.identity` / numeric `exp`. */
export const MalformedTokenError = kind('MalformedTokenError', 'malformed_token');
export type MalformedTokenError = InstanceType<typeof MalformedTokenError>;

/** The token's `exp` has passed (on the server's clock, as far as the manager can tell). */
export const TokenExpiredError = kind('TokenExpiredError', 'token_expired');
export type TokenExpiredError = InstanceType<typeof TokenExpiredError>;

/** The token's `nbf` is still in the future. */
export const TokenNotYetValidError = kind('TokenNotYetValidError', 'token_not_yet_valid');
export type TokenNotYetValidError = InstanceType<typeof TokenNotYetValidError>;

/** Under `identity: 'fixed'`, a token for another identity than the first one adopted. */
export const IdentityMismatchError = kind('IdentityMismatchError', 'identity_mismatch');
export type IdentityMismatchError = InstanceType<typeof IdentityMismatchError>;

/** Under `identity: 'fixed'`, a token for another Twilio account (`sub`). */
export const AccountMismatchError = kind('AccountMismatchError', 'account_mismatch');
export type AccountMismatchError = InstanceType<typeof AccountMismatchError>;

/**
 * Under `identity: 'fixed'`, a token whose grants name another service instance
 * (`chat.service_sid`, `data_sync.service_sid`) than the first token's: twilsock closes a
 * client for good on such an update (51232, 51215).
 */
export const InstanceMismatchError = kind('InstanceMismatchError', 'instance_mismatch');
export type InstanceMismatchError = InstanceType<typeof InstanceMismatchError>;

/** The token lacks a grant that an attached adapter declared with `requireGrant`. */
export const MissingGrantError = kind('MissingGrantError', 'missing_grant');
export type MissingGrantError = InstanceType<typeof MissingGrantError>;

/** The token is no use now: the one held, or one that expires sooner than a held token that is due. */
export const StaleTokenError = kind('StaleTokenError', 'stale_token');
export type StaleTokenError = InstanceType<typeof StaleTokenError>;

/** The token lives longer than Twilio's 24-hour maximum (`exp - iat`). */
export const LifetimeExceededError = kind('LifetimeExceededError', 'lifetime_exceeded');
export type LifetimeExceededError = InstanceType<typeof LifetimeExceededError>;

/** `fetchToken` did not settle within `fetchTimeoutMs`; its signal was aborted. */
export const FetchTimeoutError = kind('FetchTimeoutError', 'fetch_timeout');
export type FetchTimeoutError = InstanceType<typeof FetchTimeoutError>;

/** An SDK client's `updateToken` did not settle within `pushTimeoutMs` (see `attachClient`). */
export const PushTimeoutError = kind('PushTimeoutError', 'push_timeout');
export type PushTimeoutError = InstanceType<typeof PushTimeoutError>;

/** `getToken({ timeoutMs })` found no token in time (the token server may be down). */
export const TimeoutError = kind('TimeoutError', 'timeout');
export type TimeoutError = InstanceType<typeof TimeoutError>;

/** The caller's `AbortSignal` aborted; `cause` is the signal's reason. */
export const AbortedError = kind('AbortedError', 'aborted');
export type AbortedError = InstanceType<typeof AbortedError>;

const ClosedBase = kind('ClosedError', 'closed');
/** The manager was closed. */
export class ClosedError extends ClosedBase {
  constructor(message = 'The AccessManager is closed.', options?: AccessManagerErrorOptions) {
    super(message, options);
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
 * answered 401: the user is logged out). Retries stop and `fetchStatus` becomes `failed` until a
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

/**
 * Codes of checks that a token fetched again would fail again: a fetched token that fails one
 * ends the refresh, as a {@link FatalFetchError} does, instead of retrying forever.
 */
export const DETERMINISTIC_CODES: readonly AccessManagerErrorCode[] = [
  'malformed_token',
  'identity_mismatch',
  'account_mismatch',
  'instance_mismatch',
  'missing_grant',
  'lifetime_exceeded',
];
