// `[Symbol.dispose]` in the public types needs this lib; a consumer whose own `lib` lacks it
// (ES2022 and DOM, no @types/node) gets it through the emitted index.d.ts, which keeps the line.
/// <reference lib="esnext.disposable" preserve="true" />

export { AccessManager } from './accessManager.js';
export { AccessToken, parseAccessToken } from './accessToken.js';
export type { AdoptionContext, NotAdoptedReason } from './adoption.js';
export { decideAdoption } from './adoption.js';
export type {
  AttachOptions,
  ClientFactory,
  ClientLink,
  ClientLinkState,
  ClientLinkStatus,
  ClientSignal,
  ClientSpec,
} from './attachClient.js';
export { attachClient } from './attachClient.js';
export { backoffDelay } from './backoff.js';
export type { SignalAction, SignalFacts } from './clientSignal.js';
export { decideSignal, WARNING_HORIZON_MS } from './clientSignal.js';
export { ClientStartError } from './clientStartError.js';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export type { ClockSkew } from './clockSkew.js';
export { judgeSkew } from './clockSkew.js';
export type { CombinedLinkState } from './combineLinks.js';
export { combineLinks } from './combineLinks.js';
export type {
  AccessManagerErrorCode,
  AccessManagerErrorOptions,
  FetchFailedErrorOptions,
} from './errors.js';
export {
  AbortedError,
  AccessManagerError,
  AccountMismatchError,
  ClosedError,
  DETERMINISTIC_CODES,
  FatalFetchError,
  FetchFailedError,
  FetchTimeoutError,
  IdentityMismatchError,
  InstanceMismatchError,
  InvalidOptionError,
  LifetimeExceededError,
  MalformedTokenError,
  MissingGrantError,
  PushTimeoutError,
  StaleTokenError,
  TimeoutError,
  TokenExpiredError,
  TokenNotYetValidError,
  TokenRefusedError,
} from './errors.js';
export type { TokenRequestInit } from './fetchTokenFrom.js';
export { fetchTokenFrom, parseRetryAfter } from './fetchTokenFrom.js';
export type { GetTokenOptions } from './getToken.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { SharingFacts } from './sharingHost.js';
export type {
  NotSharedReason,
  ShareAcrossTabs,
  SharedToken,
  TabSharing,
  TabSharingHost,
  TabSharingOptions,
} from './tabSharing.js';
export { decideSharedAdoption, tabSharing } from './tabSharing.js';
export type { TwilsockClientEvent, TwilsockClientLike } from './twilsockSpec.js';
export { twilsockSpec } from './twilsockSpec.js';
export type {
  AccessManagerEvent,
  AccessManagerEventName,
  AccessManagerOptions,
  AccessManagerState,
  AccessManagerStatus,
  EventSource,
  FetchedToken,
  FetchStatus,
  FetchToken,
  FetchTokenContext,
  RefreshReason,
  RetryOptions,
  TokenStatus,
} from './types.js';
export type { WakeSignals } from './wakeSignals.js';
export { browserWakeSignals } from './wakeSignals.js';
