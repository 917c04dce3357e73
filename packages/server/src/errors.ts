/** Stable machine-readable codes, one per kind of failure. Never renamed once published. */
export type AccessTokenErrorCode =
  | 'invalid_account_sid'
  | 'invalid_api_key_sid'
  | 'invalid_api_key_secret'
  | 'invalid_identity'
  | 'reserved_identity_characters'
  | 'identity_too_long'
  | 'invalid_ttl'
  | 'invalid_nbf'
  | 'invalid_region'
  | 'unsupported_algorithm'
  | 'invalid_grant'
  | 'missing_credentials'
  | 'malformed_token'
  | 'invalid_signature'
  | 'invalid_option'
  | 'unsupported_runtime';

/** Options every error of this package takes. */
export interface AccessTokenErrorOptions {
  cause?: unknown;
}

/**
 * The one base class of every error this package throws. Messages describe what was wrong with a
 * value (its type, its length, which characters) and never repeat a secret or a token.
 *
 * @example
 * ```ts
 * try {
 *   mintAccessToken(options);
 * } catch (error) {
 *   if (error instanceof AccessTokenError && error.code === 'invalid_ttl') useDefaultTtl();
 * }
 * ```
 */
export class AccessTokenError extends Error {
  override name = 'AccessTokenError';
  /** Stable code: branch on this, not on the message. */
  readonly code: AccessTokenErrorCode;

  constructor(code: AccessTokenErrorCode, message: string, options: AccessTokenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** `accountSid` is not `AC` followed by 32 hexadecimal characters. */
export class InvalidAccountSidError extends AccessTokenError {
  override name = 'InvalidAccountSidError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('invalid_account_sid', message, options);
  }
}

/** `apiKeySid` is not `SK` followed by 32 hexadecimal characters. */
export class InvalidApiKeySidError extends AccessTokenError {
  override name = 'InvalidApiKeySidError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('invalid_api_key_sid', message, options);
  }
}

/** `apiKeySecret` is missing or not a non-empty string. */
export class InvalidApiKeySecretError extends AccessTokenError {
  override name = 'InvalidApiKeySecretError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('invalid_api_key_secret', message, options);
  }
}

/** `identity` is not a non-empty string. */
export class InvalidIdentityError extends AccessTokenError {
  override name = 'InvalidIdentityError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('invalid_identity', message, options);
  }
}

/**
 * Under `strictIdentity: true`, the identity holds a character Twilio refuses (a control
 * character, a space, `<>"{}|\^` or a backtick) or asks to avoid (RFC 3986's reserved ones and %).
 */
export class ReservedIdentityCharactersError extends AccessTokenError {
  override name = 'ReservedIdentityCharactersError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('reserved_identity_characters', message, options);
  }
}

/** Under `strictIdentity: true`, the identity is longer than Twilio's 256 characters. */
export class IdentityTooLongError extends AccessTokenError {
  override name = 'IdentityTooLongError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('identity_too_long', message, options);
  }
}

/** `ttl` is not an integer from 180 to 86,400 seconds (or from 1 with `allowShortTtl`). */
export class InvalidTtlError extends AccessTokenError {
  override name = 'InvalidTtlError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('invalid_ttl', message, options);
  }
}

/** `nbf` is not a non-negative integer number of seconds since the epoch. */
export class InvalidNotBeforeError extends AccessTokenError {
  override name = 'InvalidNotBeforeError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('invalid_nbf', message, options);
  }
}

/** `region` is not a short name of letters, digits and hyphens such as `ie1`. */
export class InvalidRegionError extends AccessTokenError {
  override name = 'InvalidRegionError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('invalid_region', message, options);
  }
}

/** The algorithm is not one of `HS256`, `HS384`, `HS512`. */
export class UnsupportedAlgorithmError extends AccessTokenError {
  override name = 'UnsupportedAlgorithmError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('unsupported_algorithm', message, options);
  }
}

/** A grant is not an object with a `key` and a `toPayload()` method, or uses a reserved key. */
export class InvalidGrantError extends AccessTokenError {
  override name = 'InvalidGrantError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('invalid_grant', message, options);
  }
}

/** The token handler has no credentials: neither passed nor in the environment. */
export class MissingCredentialsError extends AccessTokenError {
  override name = 'MissingCredentialsError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('missing_credentials', message, options);
  }
}

/** Not a JWT that this package can read: not three base64url parts of JSON objects. */
export class MalformedTokenError extends AccessTokenError {
  override name = 'MalformedTokenError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('malformed_token', message, options);
  }
}

/** The signature does not match the secret (or the algorithm is not an HMAC one). */
export class InvalidSignatureError extends AccessTokenError {
  override name = 'InvalidSignatureError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('invalid_signature', message, options);
  }
}

/** An option of the token handler or of minting is of the wrong type or out of range. */
export class InvalidOptionError extends AccessTokenError {
  override name = 'InvalidOptionError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('invalid_option', message, options);
  }
}

/**
 * The runtime lacks what the call needs: a synchronous mint or verify where there is no
 * `node:crypto` (use the `Async` form, which signs with Web Crypto), or `toNodeListener` where
 * there is no `node:http` stack.
 */
export class UnsupportedRuntimeError extends AccessTokenError {
  override name = 'UnsupportedRuntimeError';
  constructor(message: string, options?: AccessTokenErrorOptions) {
    super('unsupported_runtime', message, options);
  }
}
