import { base64urlToText } from './base64url.js';
import { InvalidSignatureError, MalformedTokenError } from './errors.js';
import { verifyHmacSync, verifyHmacWeb } from './hmac.js';
import { type Algorithm, assertApiKeySecret, describeValue } from './validation.js';

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
const algorithms = new Map<unknown, Algorithm>([
  ['HS256', 'HS256'],
  ['HS384', 'HS384'],
  ['HS512', 'HS512'],
]);

function jsonPart(part: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(base64urlToText(part));
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
  const { decoded, algorithm, signingInput } = readSigned(token, secret);
  const what = 'verifyAccessTokenSignature()';
  if (!verifyHmacSync(algorithm, secret, signingInput, decoded.signature, what)) {
    throw mismatch(algorithm);
  }
  return decoded;
}

/**
 * As {@link verifyAccessTokenSignature}, with Web Crypto: for every runtime, Workers without
 * `nodejs_compat` and Vercel Edge included.
 *
 * @example
 * ```ts
 * const { payload } = await verifyAccessTokenSignatureAsync(jwt, env.TWILIO_API_SECRET);
 * ```
 */
export async function verifyAccessTokenSignatureAsync(
  token: string,
  secret: string,
): Promise<DecodedAccessToken> {
  const { decoded, algorithm, signingInput } = readSigned(token, secret);
  if (!(await verifyHmacWeb(algorithm, secret, signingInput, decoded.signature))) {
    throw mismatch(algorithm);
  }
  return decoded;
}

function readSigned(token: string, secret: string) {
  assertApiKeySecret(secret, 'secret');
  const decoded = decodeAccessToken(token);
  const algorithm = algorithms.get(decoded.header.alg);
  if (algorithm === undefined) {
    throw new InvalidSignatureError(
      'The token is not signed with HS256, HS384 or HS512, the algorithms of Twilio access tokens.',
    );
  }
  // No base64url text of this length exists: not a signature, whatever the secret.
  if (decoded.signature.length % 4 === 1) throw mismatch(algorithm);
  const trimmed = token.trim();
  return { decoded, algorithm, signingInput: trimmed.slice(0, trimmed.lastIndexOf('.')) };
}

const mismatch = (algorithm: Algorithm): InvalidSignatureError =>
  new InvalidSignatureError(`The token's ${algorithm} signature does not match this secret.`);
