export type { AccessTokenOptions } from './accessToken.js';
export { AccessToken } from './accessToken.js';
export type {
  Authorize,
  AuthorizeResult,
  CorsOptions,
  TokenHandler,
  TokenHandlerOptions,
  TokenMethod,
} from './createTokenHandler.js';
export { createTokenHandler } from './createTokenHandler.js';
export type {
  AccessTokenHeader,
  AccessTokenPayload,
  DecodedAccessToken,
} from './decodeAccessToken.js';
export {
  decodeAccessToken,
  verifyAccessTokenSignature,
  verifyAccessTokenSignatureAsync,
} from './decodeAccessToken.js';
export type { AccessTokenErrorCode, AccessTokenErrorOptions } from './errors.js';
export {
  AccessTokenError,
  IdentityTooLongError,
  InvalidAccountSidError,
  InvalidApiKeySecretError,
  InvalidApiKeySidError,
  InvalidGrantError,
  InvalidIdentityError,
  InvalidNotBeforeError,
  InvalidOptionError,
  InvalidRegionError,
  InvalidSignatureError,
  InvalidTtlError,
  MalformedTokenError,
  MissingCredentialsError,
  ReservedIdentityCharactersError,
  UnsupportedAlgorithmError,
  UnsupportedRuntimeError,
} from './errors.js';
export type {
  ChatGrantOptions,
  ChatGrantPayload,
  Grant,
  PlaybackGrantOptions,
  SyncGrantOptions,
  SyncGrantPayload,
  TaskRouterGrantOptions,
  TaskRouterGrantPayload,
  VideoGrantOptions,
  VideoGrantPayload,
  VoiceGrantOptions,
  VoiceGrantPayload,
} from './grants.js';
export {
  AccessTokenGrant,
  ChatGrant,
  PlaybackGrant,
  SyncGrant,
  TaskRouterGrant,
  VideoGrant,
  VoiceGrant,
} from './grants.js';
export type { Logger } from './logger.js';
export type { Credentials, MintAccessTokenOptions, MintOptions } from './mintAccessToken.js';
export { mintAccessToken, mintAccessTokenAsync } from './mintAccessToken.js';
export type { FetchHandler, NodeListener, NodeListenerOptions } from './toNodeListener.js';
export { toNodeListener } from './toNodeListener.js';
export type { Algorithm } from './validation.js';
export { MAX_TTL, MIN_TTL } from './validation.js';
