import { describe, expect, it } from 'vitest';
import * as errors from './errors.js';
import {
  AccessManagerError,
  ClosedError,
  DETERMINISTIC_CODES,
  FatalFetchError,
  FetchFailedError,
} from './errors.js';

// The codes are stable API and are derived from the class names (see `kind` in errors.ts): this
// table pins each one, so that a renamed class cannot change a published code unnoticed.
const KINDS: Array<[string, string, boolean]> = [
  ['MalformedTokenError', 'malformed_token', false],
  ['TokenExpiredError', 'token_expired', false],
  ['TokenNotYetValidError', 'token_not_yet_valid', false],
  ['IdentityMismatchError', 'identity_mismatch', false],
  ['AccountMismatchError', 'account_mismatch', false],
  ['InstanceMismatchError', 'instance_mismatch', false],
  ['MissingGrantError', 'missing_grant', false],
  ['StaleTokenError', 'stale_token', false],
  ['TokenRefusedError', 'token_refused', false],
  ['LifetimeExceededError', 'lifetime_exceeded', false],
  ['FetchTimeoutError', 'fetch_timeout', true],
  ['PushTimeoutError', 'push_timeout', true],
  ['TimeoutError', 'timeout', true],
  ['AbortedError', 'aborted', false],
  ['InvalidOptionError', 'invalid_option', false],
  ['ClosedError', 'closed', false],
  ['FetchFailedError', 'fetch_failed', true],
];

describe('errors', () => {
  it.each(KINDS)('%s has the code %s (retryable: %s) and its own name', (name, code, retryable) => {
    const Kind = (errors as Record<string, unknown>)[name] as new (m: string) => AccessManagerError;
    const error = new Kind('m');
    expect(error).toBeInstanceOf(AccessManagerError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name, code, retryable, message: 'm' });
  });

  it('DETERMINISTIC_CODES are the codes of the checks a token fetched again would fail again', () => {
    expect(DETERMINISTIC_CODES).toEqual([
      'malformed_token',
      'identity_mismatch',
      'account_mismatch',
      'instance_mismatch',
      'missing_grant',
      'lifetime_exceeded',
    ]);
  });

  it('a cause is kept when given, and no cause property is made when none is', () => {
    const cause = new Error('inner');
    expect(new FetchFailedError('m', { cause, status: 503 })).toMatchObject({
      cause,
      status: 503,
      retryAfterMs: undefined,
    });
    expect('cause' in new FetchFailedError('m')).toBe(false);
    expect('cause' in new FetchFailedError('m', { cause: undefined })).toBe(false);
  });

  it('FatalFetchError is a FetchFailedError that is never retryable; ClosedError has a message', () => {
    const fatal = new FatalFetchError('logged out', { status: 401 });
    expect(fatal).toBeInstanceOf(FetchFailedError);
    expect(fatal).toMatchObject({
      name: 'FatalFetchError',
      code: 'fetch_failed',
      retryable: false,
      status: 401,
    });
    expect(new ClosedError().message).toBe('The AccessManager is closed.');
  });
});
