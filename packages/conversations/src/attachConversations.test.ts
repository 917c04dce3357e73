import { AccessManager } from '@access-manager/core';
import { createConversationsClient } from '@access-manager/testing';
import { describeTwilsockAdapter } from '@access-manager/testing/suites';
import { attachConversations } from './index.js';

describeTwilsockAdapter({
  name: 'Conversations',
  grants: { chat: { service_sid: 'IS00000000000000000000000000000001' } },
  initializes: true,
  createClient: createConversationsClient,
  createManager: (options) => new AccessManager({ ...options, wakeSignals: false }),
  attach: attachConversations,
});
