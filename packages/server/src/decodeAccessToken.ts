import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidSignatureError, MalformedTokenError } from './errors.js';
import { secretKeyFor } from './keyCache.js';
import { assertApiKeySecret, describeValue } from './validation.js';

/** A token's JOSE header. */
export interface AccessTokenHeader {
  alg?: unknown;
  typ?: unknown;
  cty?: unknown;
  /** Twilio region. */
  twr?: unknown;
  [name: string]: unknown;
}

/** A token's claims, as found: nothing is checked but that it is a JSON object. */
export interface AccessTokenPayload {
  jti?: unknown;
  iss?: unknown;
  sub?: unknown;
  iat?: unknown;
  nbf?: unknown;
  exp?: unknown;
  grants?: unknown;
  [name: string]: unknown;
}

/** A decoded token: header, claims and the signature part as it was. */
export interface DecodedAccessToken {
  header: AccessTokenHeader;
  payload: AccessTokenPayload;
  signature: string;
}

const base64urlPart = /^[A-Za-z0-9_-]*$/;
// A Map, not an object: `alg` comes from the token, and an object would answer "constructor"
// or "__proto__" from its prototype.
const hashes = new Map<unknown, string>([
  ['HS256', 'sha256'],
  ['HS384', 'sha384'],
  ['HS512', 'sha512'],
]);

function jsonPart(part: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new MalformedTokenError(`The token's ${name} is not base64url-encoded JSON.`, { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedTokenError(`The token's ${name} is not a JSON object.`);
  }
  return value as Record<string, unknown>;
}

/**
 * Reads a JWT's header and claims without verifying anything: for display and debugging. Use
 * {@link verifyAccessTokenSignature} when the answer matters.
 *
 * @throws {MalformedTokenError} when the token is not three base64url parts of JSON objects; the
 * message never repeats the token.
 *
 * @example
 * ```ts
 * const { header, payload } = decodeAccessToken(jwt);
 * console.log(header.twr, payload.grants);
 * ```
 */
export function decodeAccessToken(token: string): DecodedAccessToken {
  if (typeof token !== 'string') {
    throw new MalformedTokenError(`A token must be a string; got ${describeValue(token)}.`);
  }
  const parts = token.trim().split('.');
  if (parts.length !== 3) {
    throw new MalformedTokenError(
      `A JWT has three dot-separated parts; this one has ${parts.length}.`,
    );
  }
  const [header, payload, signature] = parts as [string, string, string];
  if (![header, payload, signature].every((part) => base64urlPart.test(part))) {
    throw new MalformedTokenError('A JWT is made of base64url characters and dots only.');
  }
  return { header: jsonPart(header, 'header'), payload: jsonPart(payload, 'payload'), signature };
}

/**
 * Decodes a token and checks its HMAC signature (HS256, HS384 or HS512, as its header says) with
 * the API key secret, in constant time. It checks the signature only: the lifetime is for the
 * caller to judge from `payload.exp` and `payload.nbf`.
 *
 * @throws {MalformedTokenError} when the token cannot be read.
 * @throws {InvalidSignatureError} when the algorithm is not an HMAC one or the signature differs.
 *
 * @example
 * ```ts
 * const { payload } = verifyAccessTokenSignature(jwt, process.env.TWILIO_API_SECRET!);
 * ```
 */
export function verifyAccessTokenSignature(token: string, secret: string): DecodedAccessToken {
  assertApiKeySecret(secret, 'secret');
  const decoded = decodeAccessToken(token);
  const { alg } = decoded.header;
  const hash = hashes.get(alg);
  if (hash === undefined) {
    throw new InvalidSignatureError(
      'The token is not signed with HS256, HS384 or HS512, the algorithms of Twilio access tokens.',
    );
  }
  const trimmed = token.trim();
  const signingInput = trimmed.slice(0, trimmed.lastIndexOf('.'));
  const expected = createHmac(hash, secretKeyFor(secret)).update(signingInput).digest();
  const actual = Buffer.from(decoded.signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new InvalidSignatureError(`The token's ${alg} signature does not match this secret.`);
  }
  return decoded;
}
