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
