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
  | 'token_refused'
  | 'lifetime_exceeded'
  | 'fetch_failed'
  | 'fetch_timeout'
  | 'push_timeout'
  | 'client_start_failed'
  | 'timeout'
  | 'aborted'
  | 'closed'
  | 'invalid_option';

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
  // `declare`: assigned in the constructor, so no field is emitted for them.
  /** Stable code: branch on this, not on the message. */
  declare readonly code: AccessManagerErrorCode;
  /** Whether trying again later may succeed. */
  declare readonly retryable: boolean;

  constructor(
    code: AccessManagerErrorCode,
    message: string,
    options: AccessManagerErrorOptions = {},
  ) {
    // The options themselves when they carry a cause (Error reads only `cause` of them): an
    // absent or undefined cause installs no `cause` property.
    super(message, options.cause === undefined ? undefined : options);
    this.code = code;
    this.retryable = options.retryable ?? /^(fetch_|push_|timeout)/.test(code);
  }
}

/**
 * A subclass of {@link AccessManagerError} whose code is its name in snake case, less `Error`
 * (`TokenExpiredError` → `token_expired`): a few bytes each, once minified. Each call below is
 * marked `@__PURE__`, so that a bundler drops the kinds that an app never refers to.
 */
const kind = <Code extends AccessManagerErrorCode>(name: string) =>
  class extends AccessManagerError {
    declare readonly code: Code;
    constructor(message: string, options?: AccessManagerErrorOptions) {
      super(codeOf(name) as Code, message, options);
      this.name = name;
    }
  };

/** The code of a kind by its name: `TokenExpiredError` → `token_expired`. */
const codeOf = (name: string): string =>
  name
    .slice(0, -5)
    .replace(/\B[A-Z]/g, '_$&')
    .toLowerCase();

/** Not a Twilio access token: not a string, not a JWT, or no `grants.identity` / numeric `exp`. */
export const MalformedTokenError = /* @__PURE__ */ kind<'malformed_token'>('MalformedTokenError');
export type MalformedTokenError = InstanceType<typeof MalformedTokenError>;

/** The token's `exp` has passed (on the server's clock, as far as the manager can tell). */
export const TokenExpiredError = /* @__PURE__ */ kind<'token_expired'>('TokenExpiredError');
export type TokenExpiredError = InstanceType<typeof TokenExpiredError>;

/** The token's `nbf` is still in the future. */
export const TokenNotYetValidError =
  /* @__PURE__ */ kind<'token_not_yet_valid'>('TokenNotYetValidError');
export type TokenNotYetValidError = InstanceType<typeof TokenNotYetValidError>;

/** Under `identity: 'fixed'`, a token for another identity than the first one adopted. */
export const IdentityMismatchError =
  /* @__PURE__ */ kind<'identity_mismatch'>('IdentityMismatchError');
export type IdentityMismatchError = InstanceType<typeof IdentityMismatchError>;

/** Under `identity: 'fixed'`, a token for another Twilio account (`sub`). */
export const AccountMismatchError =
  /* @__PURE__ */ kind<'account_mismatch'>('AccountMismatchError');
export type AccountMismatchError = InstanceType<typeof AccountMismatchError>;

/**
 * Under `identity: 'fixed'`, a token whose grants name another service instance
 * (`chat.service_sid`, `data_sync.service_sid`) than the first token's: twilsock closes a
 * client for good on such an update (51232, 51215).
 */
export const InstanceMismatchError =
  /* @__PURE__ */ kind<'instance_mismatch'>('InstanceMismatchError');
export type InstanceMismatchError = InstanceType<typeof InstanceMismatchError>;

/** The token lacks a grant that an attached adapter declared with `requireGrant`. */
export const MissingGrantError = /* @__PURE__ */ kind<'missing_grant'>('MissingGrantError');
export type MissingGrantError = InstanceType<typeof MissingGrantError>;

/** The token is no use now: the one held, or one that expires sooner than a held token that is due. */
export const StaleTokenError = /* @__PURE__ */ kind<'stale_token'>('StaleTokenError');
export type StaleTokenError = InstanceType<typeof StaleTokenError>;

/**
 * The SDKs refused token after token, each fresh from the token server (`reportSdkSignal('expired')`
 * for tokens in a row): most often the token server's clock is behind, so that what it mints has
 * expired on Twilio's clock. Retryable: the manager keeps asking.
 */
export const TokenRefusedError = /* @__PURE__ */ kind<'token_refused'>('TokenRefusedError');
export type TokenRefusedError = InstanceType<typeof TokenRefusedError>;

/** The token lives longer than Twilio's 24-hour maximum (`exp - iat`). */
export const LifetimeExceededError =
  /* @__PURE__ */ kind<'lifetime_exceeded'>('LifetimeExceededError');
export type LifetimeExceededError = InstanceType<typeof LifetimeExceededError>;

/** `fetchToken` did not settle within `fetchTimeoutMs`; its signal was aborted. */
export const FetchTimeoutError = /* @__PURE__ */ kind<'fetch_timeout'>('FetchTimeoutError');
export type FetchTimeoutError = InstanceType<typeof FetchTimeoutError>;

/** An SDK client's `updateToken` did not settle within `pushTimeoutMs` (see `attachClient`). */
export const PushTimeoutError = /* @__PURE__ */ kind<'push_timeout'>('PushTimeoutError');
export type PushTimeoutError = InstanceType<typeof PushTimeoutError>;

/** `getToken({ timeoutMs })` found no token in time (the token server may be down). */
export const TimeoutError = /* @__PURE__ */ kind<'timeout'>('TimeoutError');
export type TimeoutError = InstanceType<typeof TimeoutError>;

/** The caller's `AbortSignal` aborted; `cause` is the signal's reason. */
export const AbortedError = /* @__PURE__ */ kind<'aborted'>('AbortedError');
export type AbortedError = InstanceType<typeof AbortedError>;

/** An option given to the manager (or to `getToken`) is not one it can work with; the message names it. */
export const InvalidOptionError = /* @__PURE__ */ kind<'invalid_option'>('InvalidOptionError');
export type InvalidOptionError = InstanceType<typeof InvalidOptionError>;

const ClosedBase = /* @__PURE__ */ kind<'closed'>('ClosedError');
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
  retryAfterMs?: number | undefined;
}

/** `fetchToken` failed. Retried with backoff unless `retryable` is false. */
export class FetchFailedError extends kind<'fetch_failed'>('FetchFailedError') {
  declare readonly status: number | undefined;
  declare readonly retryAfterMs: number | undefined;
  constructor(message: string, options: FetchFailedErrorOptions = {}) {
    super(message, options);
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
 * ends the refresh, as a {@link FatalFetchError} does, instead of retrying forever. They are
 * `malformed_token`, `identity_mismatch`, `account_mismatch`, `instance_mismatch`,
 * `missing_grant` and `lifetime_exceeded`: the codes of the kinds named here (`errors.test.ts`
 * pins them).
 */
export const DETERMINISTIC_CODES = /* @__PURE__ */ [
  'MalformedTokenError',
  'IdentityMismatchError',
  'AccountMismatchError',
  'InstanceMismatchError',
  'MissingGrantError',
  'LifetimeExceededError',
].map(codeOf) as readonly AccessManagerErrorCode[];
