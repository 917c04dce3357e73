import { AccessManager } from '@access-manager/core';
import { createSyncClient } from '@access-manager/testing';
import { describeTwilsockAdapter } from '@access-manager/testing/suites';
import { attachSync } from './index.js';

describeTwilsockAdapter({
  name: 'Sync',
  grants: { data_sync: { service_sid: 'IS00000000000000000000000000000002' } },
  initializes: false,
  createClient: createSyncClient,
  createManager: (options) => new AccessManager({ ...options, wakeSignals: false }),
  attach: attachSync,
});
