import { createHmac, timingSafeEqual } from 'node:crypto';

/** A Twilio error the fake Video signaling server answers a token with. */
export interface VideoTokenError {
  code: number;
  message: string;
}

/** What {@link checkVideoToken} makes of a token Twilio would take. */
export interface VideoTokenClaims {
  identity: string;
  /** `exp`, in seconds. */
  exp: number;
  /** `jti`: how a record names the token. */
  jti: string;
}

/** Twilio's AccessTokenExpired, as twilio-video names it (`AccessTokenExpiredError`). */
export const VIDEO_TOKEN_EXPIRED: VideoTokenError = {
  code: 20104,
  message: 'Access Token expired or expiration date invalid',
};

/** Twilio refuses tokens that live longer than a day. */
const MAX_LIFETIME_SECONDS = 86_400;

const invalid = (code: number, message: string): VideoTokenError => ({ code, message });

const decodePart = (part: string | undefined): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object'
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Checks an access token as Twilio Video signaling does before it lets a participant in: an
 * HS256 JWT of Twilio's content type, signed with `secret` (the API key secret), not expired at
 * `nowMs` and not living more than a day, valid already (`nbf`), with an identity and a `video`
 * grant. Returns the claims, or the Twilio error twilio-video turns into its own
 * (`AccessTokenInvalidError` 20101, `...HeaderInvalidError` 20102, `...ExpiredError` 20104,
 * `...NotYetValidError` 20105, `...GrantsInvalidError` 20106, `...SignatureInvalidError` 20107).
 * It never throws, and no error names the token beyond its `jti`.
 *
 * @example
 * ```ts
 * const checked = checkVideoToken(jwt, TEST_SECRET, Date.now());
 * if ('code' in checked) send({ type: 'error', ...checked });
 * ```
 */
export function checkVideoToken(
  token: unknown,
  secret: string,
  nowMs: number,
): VideoTokenClaims | VideoTokenError {
  if (typeof token !== 'string') return invalid(20101, 'Invalid Access Token');
  const parts = token.split('.');
  if (parts.length !== 3) return invalid(20101, 'Invalid Access Token');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodePart(headerPart);
  const payload = decodePart(payloadPart);
  if (!header || !payload) return invalid(20101, 'Invalid Access Token');
  if (header['alg'] !== 'HS256' || header['cty'] !== 'twilio-fpa;v=1') {
    return invalid(20102, 'Invalid Access Token header');
  }
  const expected = createHmac('sha256', secret).update(`${headerPart}.${payloadPart}`).digest();
  const given = Buffer.from(signaturePart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return invalid(20107, 'Invalid Access Token signature');
  }
  const { exp, iat, nbf, jti } = payload;
  const now = nowMs / 1000;
  if (typeof exp !== 'number' || exp <= now) return VIDEO_TOKEN_EXPIRED;
  if (typeof iat === 'number' && exp - iat > MAX_LIFETIME_SECONDS) return VIDEO_TOKEN_EXPIRED;
  if (typeof nbf === 'number' && nbf > now) return invalid(20105, 'Access Token not yet valid');
  const grants = payload['grants'] as Record<string, unknown> | undefined;
  const identity = grants?.['identity'];
  if (typeof identity !== 'string' || identity === '' || !grants?.['video']) {
    return invalid(20106, 'Invalid Access Token grants');
  }
  return { identity, exp, jti: typeof jti === 'string' ? jti : '' };
}
