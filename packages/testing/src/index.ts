export { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium } from './chromium.js';
export type {
  ChunderError,
  ChunderFakeOptions,
  ChunderListenRecord,
  ChunderMessage,
  ChunderRegisterAnswer,
} from './fakes/chunderServer.js';
export {
  ACCESS_TOKEN_EXPIRED,
  ACCESS_TOKEN_INVALID,
  ChunderFake,
  JWT_TOKEN_EXPIRED,
  startChunderFake,
} from './fakes/chunderServer.js';
export type { ClosableFake } from './fakes/openFakes.js';
export { closeAllFakes } from './fakes/openFakes.js';
export { answerTwilioRest } from './fakes/twilioRest.js';
export type { TwilsockFrame, TwilsockHeader } from './fakes/twilsockFrame.js';
export {
  decodeTwilsockFrame,
  encodeTwilsockFrame,
  TwilsockFrameError,
} from './fakes/twilsockFrame.js';
export type {
  TwilsockFakeOptions,
  TwilsockHttpRequest,
  TwilsockHttpResponse,
  TwilsockRequestHandler,
  TwilsockStatus,
  TwilsockTokenQuery,
  TwilsockTokenRecord,
} from './fakes/twilsockServer.js';
export { startTwilsockFake, TOKEN_EXPIRED_STATUS, TwilsockFake } from './fakes/twilsockServer.js';
export type {
  VideoTokenClaims,
  VideoTokenError,
} from './fakes/videoAccessToken.js';
export { checkVideoToken, VIDEO_TOKEN_EXPIRED } from './fakes/videoAccessToken.js';
export type {
  VideoParticipantRecord,
  VideoSignalingFakeOptions,
  VideoTokenRecord,
} from './fakes/videoSignalingServer.js';
export { startVideoSignalingFake, VideoSignalingFake } from './fakes/videoSignalingServer.js';
export { installVoiceGlobals, LoopbackWebSocket } from './fakes/voiceGlobals.js';
export type {
  EventSource,
  OpenHandle,
  SdkClientOptions,
  WaitForEventOptions,
} from './sdkClients.js';
export {
  createChatClient,
  createConversationsClient,
  createSyncClient,
  createVoiceDevice,
  eventually,
  initStateOf,
  openedByLink,
  waitForEvent,
  waitForInitialized,
  watchHandles,
} from './sdkClients.js';
export type { TestGrants, TestTokenOptions } from './tokenFactory.js';
export {
  makeToken,
  randomSecret,
  signJwt,
  TEST_ACCOUNT_SID,
  TEST_API_KEY_SID,
  TEST_CHAT_SERVICE_SID,
  TEST_SECRET,
} from './tokenFactory.js';
