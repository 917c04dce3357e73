export { AccessManager } from './accessManager.js';
export { AccessToken, parseAccessToken } from './accessToken.js';
export type {
  AttachOptions,
  ClientLink,
  ClientLinkState,
  ClientLinkStatus,
  ClientSignal,
  ClientSpec,
} from './attachClient.js';
export { attachClient } from './attachClient.js';
export { backoffDelay } from './backoff.js';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export type {
  AccessManagerErrorCode,
  AccessManagerErrorOptions,
  FetchFailedErrorOptions,
} from './errors.js';
export {
  AccessManagerError,
  AccountMismatchError,
  ClosedError,
  FatalFetchError,
  FetchFailedError,
  FetchTimeoutError,
  IdentityMismatchError,
  LifetimeExceededError,
  MalformedTokenError,
  MissingGrantError,
  PushTimeoutError,
  StaleTokenError,
  TokenExpiredError,
  TokenNotYetValidError,
} from './errors.js';
export type { TokenRequestInit } from './fetchTokenFrom.js';
export { fetchTokenFrom, parseRetryAfter } from './fetchTokenFrom.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { TwilsockClientEvent, TwilsockClientLike } from './twilsockSpec.js';
export { twilsockSpec } from './twilsockSpec.js';
export type {
  AccessManagerEvent,
  AccessManagerEventName,
  AccessManagerOptions,
  AccessManagerState,
  AccessManagerStatus,
  FetchToken,
  FetchTokenContext,
  RefreshReason,
  RetryOptions,
} from './types.js';
export type { WakeSignals } from './wakeSignals.js';
export { browserWakeSignals } from './wakeSignals.js';
