import { AccessManager } from '@access-manager/core';
import { createChatClient } from '@access-manager/testing';
import { describeTwilsockAdapter } from '@access-manager/testing/suites';
import { attachChat } from './index.js';

describeTwilsockAdapter({
  name: 'Chat',
  grants: { chat: { service_sid: 'IS00000000000000000000000000000001' } },
  initializes: true,
  createClient: createChatClient,
  createManager: (options) => new AccessManager({ ...options, wakeSignals: false }),
  attach: attachChat,
});
