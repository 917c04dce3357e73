import { AccessManager } from '@access-manager/core';
import { createChatClient, describeTwilsockAdapter } from '@access-manager/testing';
import { attachChat } from './index.js';

describeTwilsockAdapter({
  name: 'Chat',
  grants: { chat: { service_sid: 'IS00000000000000000000000000000001' } },
  initializes: true,
  createClient: createChatClient,
  createManager: (options) => new AccessManager({ ...options, wakeSignals: false }),
  attach: attachChat,
});
