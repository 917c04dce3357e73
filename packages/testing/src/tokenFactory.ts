import { createHmac, randomBytes } from 'node:crypto';

/** Grants a test token can carry, in Twilio's wire shape. */
export interface TestGrants {
  identity?: string;
  chat?: Record<string, unknown>;
  data_sync?: Record<string, unknown>;
  voice?: Record<string, unknown>;
  video?: Record<string, unknown>;
  [grant: string]: unknown;
}

export interface TestTokenOptions {
  /** `grants.identity`; default `'alice'`. Pass `null` to leave it out. */
  identity?: string | null;
  /** Other grants; default `{ chat: { service_sid } }`. */
  grants?: Omit<TestGrants, 'identity'>;
  /** `iat` in seconds; default now (from `Date.now()` at call time). */
  iat?: number;
  /** Lifetime in seconds, `exp - iat`; default 3600. */
  ttl?: number;
  /** `exp` in seconds; overrides `ttl`. */
  exp?: number;
  nbf?: number;
  accountSid?: string;
  apiKeySid?: string;
  /** `jti`; default `<apiKeySid>-<iat>` as the Twilio helper does, with a counter so that each is unique. */
  jti?: string;
  /** Header `twr` (region). */
  region?: string;
  /** Signing secret; default a fixed test secret. */
  secret?: string;
  /** Extra or replacement payload fields, for malformed-token tests. */
  payload?: Record<string, unknown>;
}

export const TEST_ACCOUNT_SID = 'AC00000000000000000000000000000001';
export const TEST_API_KEY_SID = 'SK00000000000000000000000000000001';
export const TEST_SECRET = 'test-secret-not-for-production';
export const TEST_CHAT_SERVICE_SID = 'IS00000000000000000000000000000001';

let counter = 0;

const base64url = (input: string | Buffer): string => Buffer.from(input).toString('base64url');

/** Signs `header.payload` with HMAC-SHA256 and returns the compact JWT. */
export function signJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string = TEST_SECRET,
): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

/**
 * Makes a Twilio-format access token (header `cty: twilio-fpa;v=1`, payload `jti`, `iss`, `sub`,
 * `iat`, `exp`, `grants`), signed with HS256, for tests across packages.
 */
export function makeToken(options: TestTokenOptions = {}): string {
  const iat = options.iat ?? Math.floor(Date.now() / 1000);
  const exp = options.exp ?? iat + (options.ttl ?? 3600);
  const apiKeySid = options.apiKeySid ?? TEST_API_KEY_SID;
  counter += 1;
  const grants: Record<string, unknown> = {
    ...(options.grants ?? { chat: { service_sid: TEST_CHAT_SERVICE_SID } }),
  };
  if (options.identity !== null) grants['identity'] = options.identity ?? 'alice';
  const header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' };
  if (options.region !== undefined) header['twr'] = options.region;
  const payload: Record<string, unknown> = {
    jti: options.jti ?? `${apiKeySid}-${iat}-${counter}`,
    iss: apiKeySid,
    sub: options.accountSid ?? TEST_ACCOUNT_SID,
    iat,
    exp,
    grants,
    ...(options.nbf !== undefined ? { nbf: options.nbf } : {}),
    ...options.payload,
  };
  return signJwt(header, payload, options.secret ?? TEST_SECRET);
}

/** A random secret, for tests that must not share one. */
export const randomSecret = (): string => randomBytes(32).toString('base64url');
