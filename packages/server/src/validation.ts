import {
  IdentityTooLongError,
  InvalidAccountSidError,
  InvalidApiKeySecretError,
  InvalidApiKeySidError,
  InvalidIdentityError,
  InvalidNotBeforeError,
  InvalidRegionError,
  InvalidTtlError,
  ReservedIdentityCharactersError,
  UnsupportedAlgorithmError,
} from './errors.js';
import type { Logger } from './logger.js';

/** The HMAC algorithms Twilio accepts for access tokens. */
export type Algorithm = 'HS256' | 'HS384' | 'HS512';

/** Twilio's bounds on a token's lifetime, in seconds: 3 minutes to 24 hours. */
export const MIN_TTL = 180;
export const MAX_TTL = 86_400;
export const DEFAULT_TTL = 3600;

const accountSidPattern = /^AC[0-9a-fA-F]{32}$/;
const apiKeySidPattern = /^SK[0-9a-fA-F]{32}$/;
const regionPattern = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/;
// What Twilio refuses in an identity (Voice error 31105: control characters, space, RFC 2396's
// delims `<>#%"` and unwise `{}|\^[]` and backtick), and the RFC 3986 reserved characters its
// docs ask to avoid. One pattern, tested once per mint: the common identity has none of them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const avoidedCharacters = /[\u0000-\u0020\u007f-\u009f!*'();:@&=+$,/?%#[\]<>"{}|\\^`]/g;
/** Twilio's longest identity (Voice 31105, Conversations 54351), in characters. */
export const MAX_IDENTITY_LENGTH = 256;

/**
 * What a value is, without its content: its type, and a string's length. For the slots a secret
 * can land in (the secret itself, and the SIDs next to it in a mix-up), where even a number must
 * not be printed.
 */
export function describeType(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    return value === '' ? 'an empty string' : `a string of ${value.length} characters`;
  }
  if (typeof value === 'number') return 'a number';
  return Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`;
}

/**
 * What a value is, for options that are never secret (a ttl, an nbf): as {@link describeType},
 * but a number is shown, as it is the useful part of the message ("got 90000").
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return describeType(value);
}

// A well-formed SID of another kind (an Account SID where the API key SID belongs) is named by
// its prefix: that tells the mix-up at a glance. It is 34 characters, two capitals and 32 hex,
// which no Twilio API key secret (32 letters and digits) is. Anything else may be a secret in the
// wrong slot, and is named by its type and length only.
const otherSid = /^[A-Z]{2}[0-9a-fA-F]{32}$/;
const describeSid = (value: unknown): string => {
  if (typeof value !== 'string' || value === '') return describeType(value);
  return otherSid.test(value)
    ? `${describeType(value)} starting with "${value.slice(0, 2)}"`
    : `${describeType(value)} that does not look like a SID`;
};

export function assertAccountSid(value: unknown, name = 'accountSid'): asserts value is string {
  if (typeof value !== 'string' || !accountSidPattern.test(value)) {
    throw new InvalidAccountSidError(
      `${name} must be "AC" followed by 32 hexadecimal characters; got ${describeSid(value)}.`,
    );
  }
}

export function assertApiKeySid(value: unknown, name = 'apiKeySid'): asserts value is string {
  if (typeof value !== 'string' || !apiKeySidPattern.test(value)) {
    throw new InvalidApiKeySidError(
      `${name} must be "SK" followed by 32 hexadecimal characters (an API key SID); got ${describeSid(value)}.`,
    );
  }
}

export function assertApiKeySecret(value: unknown, name = 'apiKeySecret'): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidApiKeySecretError(
      `${name} must be a non-empty string; got ${describeType(value)}.`,
    );
  }
}

export function assertTtl(value: unknown, allowShortTtl: boolean): asserts value is number {
  const min = allowShortTtl ? 1 : MIN_TTL;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_TTL) {
    return;
  }
  // Only a lifetime below the minimum can be allowed by allowShortTtl: say so for those only.
  const hint =
    !allowShortTtl &&
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value > 0 &&
    value < min
      ? ' Shorter lifetimes need allowShortTtl: true, meant for local development and tests.'
      : '';
  throw new InvalidTtlError(
    `ttl must be an integer from ${min} to ${MAX_TTL} seconds; got ${describeValue(value)}.${hint}`,
  );
}

export function assertNotBefore(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidNotBeforeError(
      `nbf must be a non-negative integer number of seconds since the epoch; got ${describeValue(value)}.`,
    );
  }
}

export function assertRegion(value: unknown): asserts value is string {
  if (typeof value !== 'string' || !regionPattern.test(value)) {
    throw new InvalidRegionError(
      `region must be a Twilio region name of letters, digits and hyphens, such as "ie1"; got ${describeValue(value)}.`,
    );
  }
}

export function assertAlgorithm(value: unknown): asserts value is Algorithm {
  if (value === 'HS256' || value === 'HS384' || value === 'HS512') return;
  const shown =
    typeof value === 'string' && /^[A-Za-z0-9]{1,10}$/.test(value)
      ? `"${value}"`
      : describeValue(value);
  throw new UnsupportedAlgorithmError(
    `algorithm must be one of HS256, HS384, HS512; got ${shown}.`,
  );
}

/**
 * Checks an identity: a non-empty string. Characters that Twilio asks to avoid are a warning
 * through `logger`, or an error under `strict`. Neither message repeats the identity, which is
 * often an e-mail address: it names the characters found.
 */
export function assertIdentity(
  value: unknown,
  strict: boolean,
  logger: Pick<Logger, 'warn'> | undefined,
): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidIdentityError(
      `identity must be a non-empty string; got ${describeValue(value)}.`,
    );
  }
  // Code points are counted only past 256 code units: below that, they cannot be more.
  const length = value.length > MAX_IDENTITY_LENGTH ? [...value].length : 0;
  // No match (the common identity) is null, and allocates nothing.
  const found = length > MAX_IDENTITY_LENGTH ? null : value.match(avoidedCharacters);
  let message: string;
  if (length > MAX_IDENTITY_LENGTH) {
    message = `identity has ${length} characters; Twilio takes at most ${MAX_IDENTITY_LENGTH}`;
    if (strict) throw new IdentityTooLongError(`${message}.`);
  } else if (found !== null) {
    message = `identity (${value.length} characters) contains ${[...new Set(found)].map(nameCharacter).join(', ')}, which Twilio refuses or asks to avoid in identities`;
    if (strict) throw new ReservedIdentityCharactersError(`${message}.`);
  } else {
    return;
  }
  logger?.warn(`${message}; pass strictIdentity: true to reject such identities.`);
}

/** A character as a message shows it: quoted if visible, else by name or code point. */
function nameCharacter(character: string): string {
  if (character === ' ') return 'space';
  const code = character.charCodeAt(0);
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
    return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `"${character}"`;
}
