import { base64urlToBytes, bytesToBase64url, utf8 } from './base64url.js';
import { UnsupportedRuntimeError } from './errors.js';
import { KeyCache } from './keyCache.js';
import { nodeBuiltin } from './runtime.js';
import type { Algorithm } from './validation.js';

const nodeCrypto = nodeBuiltin('node:crypto');
const nodeHashes = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;
const webHashes = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' } as const;

/** Whether this runtime signs synchronously (it has `node:crypto`). */
export const hasSyncHmac = nodeCrypto !== undefined;

const nodeKeys =
  nodeCrypto === undefined
    ? undefined
    : new KeyCache((secret) => nodeCrypto.createSecretKey(utf8(secret)));

// One CryptoKey per secret and hash, as a promise: concurrent first requests share one import.
const webKeys = /* @__PURE__ */ new KeyCache<Promise<CryptoKey>>((entry) => {
  const cut = entry.indexOf(':');
  const hash = entry.slice(0, cut);
  const key = crypto.subtle.importKey(
    'raw',
    utf8(entry.slice(cut + 1)),
    { name: 'HMAC', hash },
    false,
    ['sign', 'verify'],
  );
  // A failed import is not kept: the next call tries again.
  key.catch(() => webKeys.delete(entry));
  return key;
});

const webKey = (algorithm: Algorithm, secret: string): Promise<CryptoKey> =>
  webKeys.get(`${webHashes[algorithm]}:${secret}`);

const noSyncHmac = (what: string): UnsupportedRuntimeError =>
  new UnsupportedRuntimeError(
    `${what} signs synchronously with node:crypto, which this runtime does not have (a Worker without nodejs_compat, an edge runtime): use the Async form, which signs with Web Crypto.`,
  );

/** The base64url HMAC of `input`, with node:crypto; throws where there is none. */
export function hmacSync(
  algorithm: Algorithm,
  secret: string,
  input: string,
  what: string,
): string {
  if (nodeCrypto === undefined || nodeKeys === undefined) throw noSyncHmac(what);
  return nodeCrypto
    .createHmac(nodeHashes[algorithm], nodeKeys.get(secret))
    .update(input)
    .digest('base64url');
}

/** The base64url HMAC of `input`, with Web Crypto (`crypto.subtle`), in any runtime. */
export async function hmacWeb(
  algorithm: Algorithm,
  secret: string,
  input: string,
): Promise<string> {
  const signature = await crypto.subtle.sign('HMAC', await webKey(algorithm, secret), utf8(input));
  return bytesToBase64url(new Uint8Array(signature));
}

/** Whether `signature` (base64url) is the HMAC of `input`, compared in constant time. */
export function verifyHmacSync(
  algorithm: Algorithm,
  secret: string,
  input: string,
  signature: string,
  what: string,
): boolean {
  if (nodeCrypto === undefined || nodeKeys === undefined) throw noSyncHmac(what);
  const expected = nodeCrypto
    .createHmac(nodeHashes[algorithm], nodeKeys.get(secret))
    .update(input)
    .digest();
  const actual = base64urlToBytes(signature);
  return actual.length === expected.length && nodeCrypto.timingSafeEqual(actual, expected);
}

/** As {@link verifyHmacSync}, with Web Crypto's `verify`, which compares in constant time. */
export async function verifyHmacWeb(
  algorithm: Algorithm,
  secret: string,
  input: string,
  signature: string,
): Promise<boolean> {
  return crypto.subtle.verify(
    'HMAC',
    await webKey(algorithm, secret),
    base64urlToBytes(signature),
    utf8(input),
  );
}

/** How many node:crypto keys are cached; for tests. */
export const cachedNodeKeyCount = (): number => nodeKeys?.size ?? 0;
