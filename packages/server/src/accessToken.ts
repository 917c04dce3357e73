import {
  AccessTokenGrant,
  ChatGrant,
  type Grant,
  PlaybackGrant,
  SyncGrant,
  TaskRouterGrant,
  VideoGrant,
  VoiceGrant,
} from './grants.js';
import type { Logger } from './logger.js';
import {
  type MintAccessTokenOptions,
  prepareAccessToken,
  signPrepared,
  signPreparedAsync,
} from './mintAccessToken.js';
import {
  type Algorithm,
  assertAccountSid,
  assertApiKeySecret,
  assertApiKeySid,
  assertIdentity,
  assertNotBefore,
  assertRegion,
  assertTtl,
  DEFAULT_TTL,
} from './validation.js';

/** Options of {@link AccessToken}: the official helper's, plus this package's checks. */
export interface AccessTokenOptions {
  /** Who the token is for: `grants.identity`. */
  identity: string;
  /** Lifetime in seconds, an integer from 180 to 86,400; default 3,600. */
  ttl?: number | undefined;
  /** Not-before time in seconds since the epoch; `null` is no `nbf`, as with the official helper. */
  nbf?: number | null | undefined;
  /** Twilio region (header `twr`), such as `ie1`; `null` or `''` is none, as with the official helper. */
  region?: string | null | undefined;
  /** Allow a `ttl` below 180 seconds: local development and tests only. */
  allowShortTtl?: boolean | undefined;
  /** Reject identities with characters Twilio asks to avoid, instead of warning. */
  strictIdentity?: boolean | undefined;
  /** Receives the reserved-character warning. */
  logger?: Pick<Logger, 'warn'> | undefined;
  /** The clock, in milliseconds since the epoch; default `Date.now`. */
  now?: (() => number) | undefined;
}

// The official helper writes `nbf` only when it is a number, and `twr` only for a non-empty
// string. Code written for it passes null and '' to mean "none": so do these. Any other value
// that is not valid is still an error, where the official helper would silently drop it.
const notBeforeOrNone = <T>(nbf: T | null): T | undefined => (nbf === null ? undefined : nbf);
const regionOrNone = <T>(region: T | null): T | undefined =>
  region === null || region === '' ? undefined : region;

/**
 * A drop-in for the official helper's `twilio.jwt.AccessToken` builder: same constructor, same
 * `addGrant()` and `toJwt()`, same grant classes as static members, same token. It checks its
 * arguments when constructed (the official one only checks that they are present), and keeps the
 * secret in a private field rather than a public `secret` property, so that it stays out of
 * `console.log(token)` and `JSON.stringify(token)`.
 *
 * @example
 * ```ts
 * import { AccessToken } from '@access-manager/server';
 * const { ChatGrant } = AccessToken;
 *
 * const token = new AccessToken(accountSid, apiKeySid, apiKeySecret, { identity: 'alice' });
 * token.addGrant(new ChatGrant({ serviceSid }));
 * const jwt = token.toJwt();
 * ```
 */
export class AccessToken {
  static readonly DEFAULT_ALGORITHM = 'HS256' as const;
  static readonly ALGORITHMS: readonly Algorithm[] = ['HS256', 'HS384', 'HS512'];
  /** The base class custom grants extend, as `twilio.jwt.AccessToken.Grant`. */
  static readonly Grant = AccessTokenGrant;
  static readonly ChatGrant = ChatGrant;
  static readonly SyncGrant = SyncGrant;
  static readonly VoiceGrant = VoiceGrant;
  static readonly VideoGrant = VideoGrant;
  static readonly TaskRouterGrant = TaskRouterGrant;
  static readonly PlaybackGrant = PlaybackGrant;

  accountSid: string;
  keySid: string;
  ttl: number;
  identity: string;
  nbf: number | undefined;
  region: string | undefined;
  grants: Grant[] = [];
  readonly #secret: string;
  readonly #options: AccessTokenOptions;
  #warnedIdentity: string;

  constructor(accountSid: string, keySid: string, secret: string, options: AccessTokenOptions) {
    assertAccountSid(accountSid);
    assertApiKeySid(keySid, 'keySid');
    assertApiKeySecret(secret, 'secret');
    const settings: Partial<AccessTokenOptions> =
      options !== null && typeof options === 'object' ? options : {};
    assertIdentity(settings.identity, settings.strictIdentity === true, settings.logger);
    const ttl = settings.ttl ?? DEFAULT_TTL;
    assertTtl(ttl, settings.allowShortTtl === true);
    const nbf = notBeforeOrNone(settings.nbf);
    const region = regionOrNone(settings.region);
    if (nbf !== undefined) assertNotBefore(nbf);
    if (region !== undefined) assertRegion(region);
    this.accountSid = accountSid;
    this.keySid = keySid;
    this.#secret = secret;
    this.identity = settings.identity;
    this.ttl = ttl;
    this.nbf = nbf;
    this.region = region;
    this.#options = settings as AccessTokenOptions;
    this.#warnedIdentity = settings.identity;
  }

  /** Adds a grant; a later grant with the same key replaces an earlier one in the token. */
  addGrant<T extends Grant>(grant: T): void {
    this.grants.push(grant);
  }

  /**
   * Signs the token with node:crypto. The fields are checked again, as they are public and may
   * have changed; the identity warning is repeated only for an identity changed since.
   */
  toJwt(algorithm: Algorithm = AccessToken.DEFAULT_ALGORITHM): string {
    return signPrepared(prepareAccessToken(this.#mintOptions(algorithm)), 'AccessToken#toJwt()')
      .token;
  }

  /** As {@link AccessToken.toJwt}, signing with Web Crypto: for runtimes without node:crypto. */
  async toJwtAsync(algorithm: Algorithm = AccessToken.DEFAULT_ALGORITHM): Promise<string> {
    return (await signPreparedAsync(prepareAccessToken(this.#mintOptions(algorithm)))).token;
  }

  #mintOptions(algorithm: Algorithm): MintAccessTokenOptions {
    const identityChanged = this.identity !== this.#warnedIdentity;
    this.#warnedIdentity = this.identity;
    return {
      accountSid: this.accountSid,
      apiKeySid: this.keySid,
      apiKeySecret: this.#secret,
      identity: this.identity,
      ttl: this.ttl,
      nbf: notBeforeOrNone(this.nbf),
      region: regionOrNone(this.region),
      algorithm,
      grants: this.grants,
      allowShortTtl: this.#options.allowShortTtl,
      strictIdentity: this.#options.strictIdentity,
      logger: identityChanged ? this.#options.logger : undefined,
      now: this.#options.now,
    };
  }
}
