export type { AccessManagerProviderProps } from './accessManagerProvider.js';
export { AccessManagerProvider, useAccessManager } from './accessManagerProvider.js';
export type { AccessManagerReactErrorCode } from './errors.js';
export { AccessManagerReactError } from './errors.js';
export {
  getServerState,
  useAccessManagerState,
  useAccessToken,
} from './useAccessManagerState.js';
export { useAccessTokenSuspense } from './useAccessTokenSuspense.js';
export type {
  AttachClientFactory,
  ClientOf,
  TwilioClient,
  TwilioClientLink,
  TwilioClientLinkState,
  TwilioClientStatus,
} from './useTwilioClient.js';
export { useTwilioClient } from './useTwilioClient.js';
